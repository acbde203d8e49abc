//! The gateway's command line where no gateway runs: the dev PKI for a registry, its coordinators included.

use expertnet_federation::Peer;
use expertnet_federation::pki::Pki;
use std::path::Path;
use std::process::Command;

fn run_pki(dir: &Path, extra: &[&str]) -> std::process::Output {
    let registry = Path::new(env!("CARGO_MANIFEST_DIR")).join("../deploy/registry.toml");
    Command::new(expertnet_tests::workspace_binary("expertnet-gateway"))
        .arg("pki")
        .arg("--dir")
        .arg(dir)
        .arg("--registry")
        .arg(registry)
        .args(extra)
        .output()
        .expect("run expertnet-gateway pki")
}

#[test]
fn the_dev_pki_covers_the_regions_the_gateway_and_every_areas_coordinators() {
    let dir = tempfile::tempdir().unwrap();
    let output = run_pki(dir.path(), &["--coordinator", "ilse"]);
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let stdout = String::from_utf8_lossy(&output.stdout);
    let issued = Pki::at(dir.path());
    for peer in [
        Peer::Gateway,
        Peer::Region("rivierenland".into()),
        Peer::Coordinator("ilse".into()),
        Peer::Coordinator("coordinator-utrecht-flevoland".into()),
        Peer::Coordinator("coordinator-oost-nederland".into()),
    ] {
        let files = issued.files(&peer);
        assert!(
            files.cert.is_file() && files.key.is_file(),
            "{peer}: {stdout}"
        );
    }
    // A second run keeps what is there.
    let again = run_pki(dir.path(), &["--coordinator", "ilse"]);
    assert!(again.status.success());
    assert!(
        !String::from_utf8_lossy(&again.stdout).contains("issued"),
        "{}",
        String::from_utf8_lossy(&again.stdout)
    );

    let refused = run_pki(dir.path(), &["--coordinator", "Ilse V."]);
    assert!(!refused.status.success());
    let stderr = String::from_utf8_lossy(&refused.stderr);
    assert!(
        stderr.contains("--coordinator: 'Ilse V.' must be 1-64 of a-z and '-'"),
        "{stderr}"
    );
}
