//! `expertnet-gateway pki`: the dev PKI for a registry.

use super::PkiArgs;
use anyhow::{Result, bail};
use expertnet_federation::pki::Pki;
use expertnet_federation::registry::is_region_id;
use expertnet_federation::{Peer, Registry};

pub fn run(args: PkiArgs) -> Result<()> {
    let registry = Registry::load(&args.registry)?;
    let mut parties = vec![Peer::Gateway];
    parties.extend(registry.regions().map(|r| Peer::Region(r.id.clone())));
    for name in &args.coordinators {
        if !is_region_id(name) {
            bail!("--coordinator: '{name}' must be 1-64 of a-z and '-'");
        }
        parties.push(Peer::Coordinator(name.clone()));
    }
    for name in registry.areas().iter().flat_map(|a| a.coordinators.iter()) {
        let coordinator = Peer::Coordinator(name.clone());
        if !parties.contains(&coordinator) {
            parties.push(coordinator);
        }
    }
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
