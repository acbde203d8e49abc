//! The operator files in `deploy/` are valid: every region's node configuration loads and validates.

use expertnet_node::config::{NodeConfig, Overrides};
use std::path::Path;

#[test]
fn every_region_config_loads() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../deploy/node");
    let mut regions = Vec::new();
    for entry in std::fs::read_dir(&dir).unwrap() {
        let path = entry.unwrap().path();
        let config = NodeConfig::load(Some(&path), &Overrides::default())
            .unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        assert_eq!(path.file_stem().unwrap().to_str().unwrap(), config.region);
        regions.push((config.region, config.server.listen));
    }
    regions.sort();
    let names: Vec<&str> = regions.iter().map(|(r, _)| r.as_str()).collect();
    assert_eq!(
        names,
        [
            "flevoland-utrecht",
            "lekstroom",
            "midden-ijssel-oost-veluwe",
            "rivierenland"
        ]
    );
    let mut ports: Vec<&str> = regions.iter().map(|(_, l)| l.as_str()).collect();
    ports.sort();
    ports.dedup();
    assert_eq!(ports.len(), 4, "each region listens on its own port");
}
