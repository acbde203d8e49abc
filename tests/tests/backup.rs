//! Backup and restore of a serving node, with real processes: `expertnet-node backup` copies Lekstroom's
//! database while cases are being submitted and escalations wait in its outbox (the gateway is down). The live
//! node then delivers them; it is killed, the copy restored into a new folder and a node started on it. Every
//! case acknowledged before the backup is there, identifiers decrypt, the audit chain verifies, and the restored
//! outbox sends its escalations again — Rivierenland recognises each and still holds every one once.

use expertnet_node::access::BearerToken;
use expertnet_node::config::NodeConfig;
use expertnet_proto::v1 as pb;
use expertnet_proto::v1::audit_service_client::AuditServiceClient;
use expertnet_tests::federation::*;
use expertnet_tests::fixtures::{TEST_NAME, submit_request};
use expertnet_tests::process_federation::{ProcessFederation, incoming_escalations};
use expertnet_tests::workspace_binary;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::Duration;

const ESCALATIONS: usize = 4;
/// Cases the write load has had acknowledged before the backup starts.
const BEFORE_BACKUP: usize = 15;

/// Runs `expertnet-node` with `args`; its exit status and everything it printed.
async fn node_cli(args: &[&str]) -> (bool, String) {
    let output = tokio::process::Command::new(workspace_binary("expertnet-node"))
        .args(args)
        .output()
        .await
        .expect("run expertnet-node");
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    (output.status.success(), text)
}

fn path(p: &Path) -> &str {
    p.to_str().expect("UTF-8 path")
}

/// `expertnet-node restore` of the node `config` describes, from the backup and the keyring given.
async fn restore(config: &Path, backup: &Path, keyring: &Path) -> (bool, String) {
    node_cli(&[
        "restore",
        "--config",
        path(config),
        "--from",
        path(backup),
        "--keyring",
        path(keyring),
    ])
    .await
}

/// Points the node configuration at another database file (its keyring goes beside it).
fn move_database(config: &Path, database: &Path) {
    let mut node: NodeConfig =
        toml::from_str(&std::fs::read_to_string(config).unwrap()).expect("node configuration");
    node.database.url = format!("sqlite://{}", database.display());
    std::fs::write(config, toml::to_string(&node).unwrap()).unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_node_restored_from_a_backup_made_under_load_has_everything_and_sends_nothing_twice() {
    let mut fed = ProcessFederation::start(&[LEKSTROOM, RIVIERENLAND]).await;
    let lekstroom = fed.team(LEKSTROOM);
    let config = fed.dir.path().join(format!("{LEKSTROOM}.toml"));
    let backup = fed.dir.path().join("backups").join("lekstroom.db");
    let keys = fed
        .dir
        .path()
        .join("keys-apart")
        .join("lekstroom.keys.toml");

    let mut ready = Vec::new();
    for i in 0..ESCALATIONS {
        ready.push(case_ready_to_escalate(&lekstroom, &format!("backup-{i}"), RIVIERENLAND).await);
    }
    fed.gateway().kill().await;
    let mut sent = Vec::new();
    for case_id in &ready {
        sent.push(
            escalate(&lekstroom, case_id, RIVIERENLAND)
                .await
                .expect("the node accepts the escalation while the gateway is down")
                .id,
        );
    }

    let acknowledged = Arc::new(Mutex::new(Vec::new()));
    let load = tokio::spawn({
        let (team, acknowledged) = (lekstroom.clone(), acknowledged.clone());
        async move {
            for i in 0.. {
                let case = team
                    .cases
                    .clone()
                    .submit_case(submit_request(&format!("load-{i}")))
                    .await
                    .expect("the node takes cases during the backup")
                    .into_inner();
                acknowledged.lock().unwrap().push(case.id);
            }
        }
    });
    let before = eventually("cases submitted under load", WAIT, || async {
        let done = acknowledged.lock().unwrap().clone();
        (done.len() >= BEFORE_BACKUP).then_some(done)
    })
    .await;
    let (ok, printed) = node_cli(&[
        "backup",
        "--config",
        path(&config),
        "--out",
        path(&backup),
        "--keyring-out",
        path(&keys),
    ])
    .await;
    assert!(ok, "backup failed: {printed}");
    assert!(printed.contains("audit events verified"), "{printed}");
    let during = acknowledged.lock().unwrap().len() - before.len();
    load.abort();
    println!("backup under load: {printed}; {during} cases were acknowledged while it ran");

    let copy = std::fs::read(&backup).unwrap();
    let keyring = std::fs::read_to_string(&keys).unwrap();
    for line in keyring
        .lines()
        .filter(|l| l.trim_start().starts_with("key ="))
    {
        let key = line.split('"').nth(1).expect("a quoted key");
        assert!(
            !copy.windows(key.len()).any(|w| w == key.as_bytes()),
            "the database copy holds a key of the keyring"
        );
    }
    #[cfg(unix)]
    for file in [
        &backup,
        &keys,
        &fed.dir.path().join(format!("{LEKSTROOM}.db")),
    ] {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(file).unwrap().permissions().mode();
        assert_eq!(mode & 0o077, 0, "{} is private", file.display());
    }

    let (ok, printed) = node_cli(&[
        "backup",
        "--config",
        path(&config),
        "--out",
        path(&backup),
        "--keyring-out",
        path(&fed.dir.path().join("other.keys.toml")),
    ])
    .await;
    assert!(
        !ok && printed.contains("--out:") && printed.contains("exists"),
        "a second backup onto the first is refused: {printed}"
    );
    assert_eq!(
        std::fs::read(&backup).unwrap(),
        copy,
        "the refused backup left the first untouched"
    );

    fed.gateway().start().await;
    for id in &sent {
        outgoing_reaches(&lekstroom, id, pb::EscalationStatus::Received).await;
    }
    fed.node(LEKSTROOM).process.kill().await;

    let restored: PathBuf = fed.dir.path().join("restored").join("lekstroom.db");
    move_database(&config, &restored);
    let wrong_keys = fed.dir.path().join(format!("{RIVIERENLAND}.keys.toml"));
    let (ok, printed) = restore(&config, &backup, &wrong_keys).await;
    assert!(
        !ok && printed.contains("--keyring: does not open the backup's identifiers"),
        "another region's keyring is refused: {printed}"
    );
    assert!(
        !restored.exists() && !restored.with_extension("keys.toml").exists(),
        "a refused restore leaves the data folder empty"
    );
    let (ok, printed) = restore(&config, &backup, &keys).await;
    assert!(ok, "restore failed: {printed}");
    let (ok, printed) = restore(&config, &backup, &keys).await;
    assert!(
        !ok && printed.contains("database.url:") && printed.contains("exists"),
        "restoring over a database is refused: {printed}"
    );

    fed.node(LEKSTROOM).process.start().await;
    let lekstroom = fed.team(LEKSTROOM);
    for case_id in before.iter().chain(&ready) {
        lekstroom
            .cases
            .clone()
            .get_case(pb::GetCaseRequest {
                case_id: case_id.clone(),
            })
            .await
            .unwrap_or_else(|s| panic!("case {case_id} acknowledged before the backup: {s}"));
    }
    let youth = lekstroom
        .cases
        .clone()
        .get_youth_identity(pb::GetYouthIdentityRequest {
            case_id: before[0].clone(),
        })
        .await
        .expect("the restored identifiers decrypt")
        .into_inner();
    assert_eq!(youth.name, TEST_NAME);

    let node = &fed.nodes[LEKSTROOM];
    let channel = team_endpoint(
        &format!("https://{}", node.team_addr),
        &fed.pki.files(&expertnet_federation::Peer::Gateway).ca,
    )
    .connect()
    .await
    .unwrap();
    let verified = AuditServiceClient::new(BearerToken::new(&node.token).sign(channel))
        .verify_audit(pb::VerifyAuditRequest {})
        .await
        .unwrap()
        .into_inner();
    assert!(verified.intact, "audit chain: {}", verified.problem);

    let redelivered = eventually(
        "the restored outbox delivers its escalations",
        Duration::from_secs(60),
        || async {
            let delivered = lekstroom
                .outbox
                .clone()
                .list_outbox(pb::ListOutboxRequest {
                    state: pb::OutboxState::Delivered as i32,
                    limit: 1000,
                })
                .await
                .ok()?
                .into_inner()
                .entries;
            (delivered.iter().filter(|e| e.kind == "escalation").count() == ESCALATIONS)
                .then_some(delivered.len())
        },
    )
    .await;
    let receiver = &fed.nodes[RIVIERENLAND];
    let (incoming, cases) = incoming_escalations(&receiver.database_url).await;
    let recognised = receiver
        .process
        .log_text()
        .lines()
        .filter(|line| line.contains("envelope received") && line.contains("Duplicate"))
        .count();
    println!(
        "restored outbox delivered {redelivered} envelopes; the receiver recognised {recognised} as sent before"
    );
    for id in &sent {
        assert_eq!(incoming.get(id), Some(&1), "escalation {id} held once");
    }
    assert_eq!(incoming.len(), ESCALATIONS, "no other escalation arrived");
    assert_eq!(cases, ESCALATIONS as i64, "one linked case per escalation");
    assert!(
        recognised >= ESCALATIONS,
        "the restored outbox sent its escalations again and each was recognised ({recognised})"
    );
    fed.stop().await;
}
