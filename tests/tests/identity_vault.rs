//! The youth's identifiers at rest, on SQLite and PostgreSQL: a key rotation re-encrypts every row and the old
//! key can then go; rows from before encryption are sealed; a wrong keyring opens nothing and says which case
//! and field, never a value. And `expertnet-node keys` does the same from the command line.

use expertnet_node::Error;
use expertnet_node::domain::*;
use expertnet_node::storage::identity;
use expertnet_node::vault::Vault;
use expertnet_node::vault::keyring::Keyring;
use expertnet_node::workflow::Workflow;
use expertnet_tests::{TestDb, workflow_with_vault};
use time::macros::date;

fn youth(n: usize) -> NewCase {
    NewCase {
        request_id: None,
        referrer: Referrer {
            organisation: "Sociaal team Houten".into(),
            kind: ReferrerKind::SocialTeam,
        },
        youth: YouthIdentity {
            name: format!("Vault Kind {n}"),
            bsn: Some("111222333".into()),
            date_of_birth: Some(date!(2011 - 02 - 03)),
        },
        age: 15,
        municipality: "Houten".into(),
        question: "Geen passende plek".into(),
        tried_so_far: "Ambulante hulp".into(),
        categories: vec![BottleneckCategory::WaitingList],
    }
}

async fn submit(workflow: &Workflow, n: usize) -> String {
    workflow
        .submit_case(youth(n), "test-operator")
        .await
        .unwrap()
        .case()
        .id
        .clone()
}

async fn rotation_and_legacy_rows(db: TestDb) {
    let mut keyring = Keyring::generate();
    let first_key = keyring.current.clone();
    let (workflow, _) = workflow_with_vault(&db, Vault::new(&keyring).unwrap()).await;
    let sealed = submit(&workflow, 1).await;
    let legacy = submit(&workflow, 2).await;
    // A row as written before identifiers were encrypted.
    sqlx::query(
        "UPDATE youth_identities SET name = 'Vault Kind 2', bsn = '111222333', \
         date_of_birth = '2011-02-03', key_id = NULL, bsn_pseudonym = NULL WHERE case_id = $1",
    )
    .bind(&legacy)
    .execute(workflow.storage().pool())
    .await
    .unwrap();
    workflow.storage().close().await;

    let new_key = keyring.rotate();
    let (workflow, _) = workflow_with_vault(&db, Vault::new(&keyring).unwrap()).await;
    assert_eq!(
        identity::keys_in_use(workflow.storage()).await.unwrap(),
        vec![(None, 1), (Some(first_key.clone()), 1)]
    );
    assert_eq!(identity::reseal(workflow.storage()).await.unwrap(), 2);
    assert_eq!(
        identity::keys_in_use(workflow.storage()).await.unwrap(),
        vec![(Some(new_key.clone()), 2)]
    );
    assert_eq!(identity::reseal(workflow.storage()).await.unwrap(), 0);
    let legacy_detail = workflow.case_detail(&legacy).await.unwrap();
    assert_eq!(
        legacy_detail.earlier_cases,
        std::slice::from_ref(&sealed),
        "pseudonym made"
    );
    workflow.storage().close().await;

    keyring.remove(&[first_key]);
    assert_eq!(keyring.keys.len(), 1);
    let (workflow, _) = workflow_with_vault(&db, Vault::new(&keyring).unwrap()).await;
    for (case_id, n) in [(&sealed, 1), (&legacy, 2)] {
        let identity = workflow.youth_identity(case_id).await.unwrap();
        assert_eq!(identity.name, format!("Vault Kind {n}"));
        assert_eq!(identity.bsn.as_deref(), Some("111222333"));
        assert_eq!(identity.date_of_birth, Some(date!(2011 - 02 - 03)));
    }
    workflow.storage().close().await;

    let (stranger, _) = workflow_with_vault(&db, Vault::ephemeral()).await;
    let err = stranger.youth_identity(&sealed).await.unwrap_err();
    assert!(matches!(err, Error::Vault(_)), "{err:?}");
    let message = err.to_string();
    assert!(
        message.contains(&sealed) && message.contains("name"),
        "{message}"
    );
    assert!(!message.contains("Vault Kind"), "{message}");
    let status = tonic::Status::from(err);
    assert_eq!(status.code(), tonic::Code::Internal);
    assert!(
        !status.message().contains(&sealed),
        "the caller learns no more"
    );
    assert!(identity::reseal(stranger.storage()).await.is_err());
    stranger.storage().close().await;
    db.remove().await;
}

#[tokio::test]
async fn rotation_and_legacy_rows_on_sqlite() {
    rotation_and_legacy_rows(TestDb::sqlite()).await;
}

#[tokio::test]
async fn rotation_and_legacy_rows_on_postgres() {
    let Some(db) = TestDb::postgres().await else {
        return;
    };
    rotation_and_legacy_rows(db).await;
}

fn keys_cli(url: &str, command: &str) -> String {
    let output = std::process::Command::new(expertnet_tests::node_binary())
        .args(["keys", command, "--database-url", url])
        .output()
        .unwrap();
    assert!(
        output.status.success(),
        "keys {command}: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8(output.stdout).unwrap()
}

#[test]
fn keys_rotate_status_and_prune_from_the_command_line() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("node.db");
    let url = format!("sqlite://{}", db.display());
    let seeded = std::process::Command::new(expertnet_tests::node_binary())
        .args(["seed", "--count", "50", "--database-url", &url])
        .output()
        .unwrap();
    assert!(seeded.status.success());
    let keyring_path = dir.path().join("node.keys.toml");
    let before = Keyring::load(&keyring_path).unwrap();
    assert!(keys_cli(&url, "status").contains(&format!("{} (current): seals 50", before.current)));

    let rotated = keys_cli(&url, "rotate");
    let after = Keyring::load(&keyring_path).unwrap();
    assert_ne!(after.current, before.current);
    assert_eq!(after.keys.len(), 2, "the old key stays until pruned");
    assert!(rotated.contains("re-encrypted 50"), "{rotated}");
    assert!(
        rotated.contains(&format!("{}: seals 0", before.current)),
        "{rotated}"
    );

    let pruned = keys_cli(&url, "prune");
    assert!(pruned.contains("removed 1 unused key"), "{pruned}");
    let last = Keyring::load(&keyring_path).unwrap();
    assert_eq!(last.keys.len(), 1);
    assert_eq!(last.current, after.current);
    for printed in [rotated, pruned] {
        for key in &after.keys {
            assert!(!printed.contains(&key.key), "no key printed");
        }
    }
    let actions = audit_actions(&url);
    assert!(
        actions.contains(&format!(
            "keys rotate: new key {}, 50 identities re-encrypted",
            after.current
        )),
        "{actions}"
    );
    assert!(
        actions.contains("keys prune: 1 unused key(s) removed"),
        "{actions}"
    );
}

/// The audit trail's actions, read with sqlx.
fn audit_actions(url: &str) -> String {
    tokio::runtime::Runtime::new().unwrap().block_on(async {
        use sqlx::Connection;
        let mut conn = sqlx::SqliteConnection::connect(url).await.unwrap();
        let actions: Vec<String> =
            sqlx::query_scalar("SELECT action FROM audit_events ORDER BY seq")
                .fetch_all(&mut conn)
                .await
                .unwrap();
        actions.join("\n")
    })
}
