//! `expertnet-gateway pki`: the dev PKI for a registry.

use super::PkiArgs;
use anyhow::{Result, bail};
use expertnet_federation::Registry;
use expertnet_federation::pki::{self, Pki};
use expertnet_federation::registry::is_region_id;

pub fn run(args: PkiArgs) -> Result<()> {
    let registry = Registry::load(&args.registry)?;
    if let Some(name) = args.coordinators.iter().find(|name| !is_region_id(name)) {
        bail!("--coordinator: '{name}' must be 1-64 of a-z and '-'");
    }
    let parties = pki::parties(&registry, &args.coordinators);
    let pki = Pki::at(&args.dir);
    let issued = pki.ensure(&parties)?;
    for peer in &parties {
        let files = pki.files(peer);
        let note = if issued.contains(peer) {
            "issued"
        } else {
            "kept"
        };
        println!("{note:>6}  {peer}: {}", files.cert.display());
    }
    println!("CA: {}", pki.ca_cert().display());
    Ok(())
}
