//! The operator files in `deploy/` are valid: every region's node configuration and the gateway's load and
//! validate, and they agree with the registry. (`deploy/check-kubernetes.sh` checks the Kubernetes manifests.)

use expertnet_gateway::config::{GatewayConfig, Overrides as GatewayOverrides};
use expertnet_node::config::{NodeConfig, Overrides};
use expertnet_tests::federation::deployed_registry;
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
        let federation = config
            .federation
            .as_ref()
            .unwrap_or_else(|| panic!("{}: no [federation] section", path.display()));
        federation.validate().unwrap();
        let registered = deployed_registry();
        let region = registered
            .get(&config.region)
            .unwrap_or_else(|| panic!("{} is not in deploy/registry.toml", config.region));
        assert_eq!(
            region.endpoint,
            format!("https://{}", federation.listen),
            "{}: the inbox listens where the registry sends",
            path.display()
        );
        assert_eq!(federation.registry, Path::new("deploy/registry.toml"));
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

#[test]
fn the_gateway_config_loads_and_reads_the_deployed_registry() {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../deploy/gateway.toml");
    let config = GatewayConfig::load(Some(&path), &GatewayOverrides::default())
        .unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    assert_eq!(config.registry, Path::new("deploy/registry.toml"));
    let registry = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("..")
        .join(&config.registry);
    assert!(registry.is_file());
    assert_eq!(config.listen, "127.0.0.1:50060");
}

#[test]
fn every_kubernetes_node_config_loads_with_tls_on_the_team_api() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../deploy/kubernetes/overlays");
    let mut seen = 0;
    for entry in std::fs::read_dir(&dir).unwrap() {
        let path = entry.unwrap().path().join("node.toml");
        if !path.is_file() {
            continue; // the gateway's overlay
        }
        let config = NodeConfig::load(Some(&path), &Overrides::default())
            .unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        assert!(
            config.server.tls.is_some(),
            "{}: the team API listens on {} and must speak TLS",
            path.display(),
            config.server.listen
        );
        seen += 1;
    }
    assert_eq!(seen, 4);
}

#[test]
fn the_kubernetes_registry_is_the_deployed_one_but_for_the_endpoints() {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../deploy/kubernetes/components/shared/registry.toml");
    let kubernetes = expertnet_federation::Registry::load(&path).unwrap();
    let deployed = deployed_registry();
    let without_endpoints = |registry: &expertnet_federation::Registry| {
        registry
            .regions()
            .map(|r| expertnet_federation::Region {
                endpoint: String::new(),
                ..r.clone()
            })
            .collect::<Vec<_>>()
    };
    assert_eq!(without_endpoints(&kubernetes), without_endpoints(&deployed));
    assert_eq!(kubernetes.areas(), deployed.areas());
    assert!(
        kubernetes.regions().all(|r| r
            .endpoint
            .ends_with(&format!(".expertnet-{}.svc:50061", r.id))),
        "each node is reached in its own namespace"
    );
}

#[test]
fn prometheus_scrapes_every_metrics_endpoint_of_the_deployed_configs() {
    let deploy = Path::new(env!("CARGO_MANIFEST_DIR")).join("../deploy");
    let scrape = std::fs::read_to_string(deploy.join("prometheus/prometheus.yml")).unwrap();
    let gateway = GatewayConfig::load(
        Some(&deploy.join("gateway.toml")),
        &GatewayOverrides::default(),
    )
    .unwrap();
    assert!(
        scrape.contains(&format!("targets: [\"{}\"]", gateway.metrics.listen)),
        "the gateway's metrics endpoint {} is scraped",
        gateway.metrics.listen
    );
    for region in deployed_registry().regions() {
        let path = deploy.join("node").join(format!("{}.toml", region.id));
        let config = NodeConfig::load(Some(&path), &Overrides::default()).unwrap();
        let target = format!("targets: [\"{}\"]", config.metrics.listen);
        let at = scrape
            .find(&target)
            .unwrap_or_else(|| panic!("{}'s metrics endpoint is not scraped", region.id));
        let labels = &scrape[at..];
        let labels = &labels[..labels[target.len()..]
            .find("targets:")
            .map_or(labels.len(), |end| end + target.len())];
        assert!(
            labels.contains(&format!("region: {}", region.id)),
            "{}'s target carries its region label",
            region.id
        );
    }
}
