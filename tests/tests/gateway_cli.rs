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

fn run_people(config: &Path, args: &[&str], password: Option<&str>) -> std::process::Output {
    let mut command = Command::new(expertnet_tests::workspace_binary("expertnet-gateway"));
    command.arg("people").arg("--config").arg(config).args(args);
    match password {
        Some(password) => command.env("EXPERTNET_PASSWORD", password),
        None => command.env_remove("EXPERTNET_PASSWORD"),
    };
    command.output().expect("run expertnet-gateway people")
}

#[test]
fn the_dashboards_people_are_added_listed_and_refused_with_their_reason() {
    let dir = tempfile::tempdir().unwrap();
    let registry = Path::new(env!("CARGO_MANIFEST_DIR")).join("../deploy/registry.toml");
    let config = dir.path().join("gateway.toml");
    std::fs::write(
        &config,
        format!(
            "registry = {:?}\nstatistics_database = \"sqlite://{}\"\n",
            registry.display().to_string(),
            dir.path().join("gateway.db").display()
        ),
    )
    .unwrap();
    let stdout =
        |output: &std::process::Output| String::from_utf8_lossy(&output.stdout).into_owned();
    let stderr =
        |output: &std::process::Output| String::from_utf8_lossy(&output.stderr).into_owned();

    let added = run_people(
        &config,
        &["add", "anna", "--coordinator", "coordinator-oost-nederland"],
        Some("een lang wachtwoord"),
    );
    assert!(added.status.success(), "{}", stderr(&added));
    assert!(
        stdout(&added).contains("and those of area oost-nederland and its regions"),
        "{}",
        stdout(&added)
    );
    let listed = run_people(&config, &["list"], None);
    assert_eq!(
        stdout(&listed),
        "anna\tcoordinator coordinator-oost-nederland\tsecond factor not yet set\n"
    );

    let refusals: [(&[&str], Option<&str>, &str); 5] = [
        (
            &["add", "anna", "--coordinator", "coordinator"],
            Some("een lang wachtwoord"),
            "a person named anna already exists",
        ),
        (
            &["add", "bert", "--coordinator", "coordinator"],
            Some("kort"),
            "password: must be at least 12 characters long (it is 4)",
        ),
        (
            &["add", "bert", "--coordinator", "Coördinator"],
            Some("een lang wachtwoord"),
            "coordinator: 'Coördinator' must be 1-64 of a-z and '-'",
        ),
        (
            &["password", "nobody"],
            Some("een lang wachtwoord"),
            "no person named nobody",
        ),
        (&["remove", "nobody"], None, "no person named nobody"),
    ];
    for (args, password, reason) in refusals {
        let refused = run_people(&config, args, password);
        assert!(!refused.status.success(), "{args:?}");
        assert!(
            stderr(&refused).contains(reason),
            "{args:?}: {}",
            stderr(&refused)
        );
    }

    // A password from standard input, and a reset second factor.
    let mut child = Command::new(expertnet_tests::workspace_binary("expertnet-gateway"))
        .arg("people")
        .arg("--config")
        .arg(&config)
        .args(["password", "anna"])
        .env_remove("EXPERTNET_PASSWORD")
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    use std::io::Write;
    child
        .stdin
        .take()
        .unwrap()
        .write_all(b"een ander lang wachtwoord\n")
        .unwrap();
    let set = child.wait_with_output().unwrap();
    assert!(set.status.success(), "{}", stderr(&set));
    assert!(stdout(&set).contains("anna's password is set"));
    let reset = run_people(&config, &["reset-second-factor", "anna"], None);
    assert!(reset.status.success(), "{}", stderr(&reset));
    let removed = run_people(&config, &["remove", "anna"], None);
    assert!(removed.status.success());
    assert_eq!(stdout(&run_people(&config, &["list"], None)), "");
}
