//! The board's sign-in rules at the node, on SQLite and PostgreSQL alike, where a browser test cannot reach:
//! guesses sent at once are numbered before they are checked, so no more than the policy allows are tried
//! before the lock; a right password buys no fresh codes; and the session is signed in under a new token.

use expertnet_node::access::password::Password;
use expertnet_node::domain::people::Role;
use expertnet_node::workflow::{CodeCheck, SignIn, SignInPolicy, Stage, WebSession, Workflow};
use expertnet_tests::{TestDb, add_person, refused_and_locked, workflow_on};

const PASSWORD: &str = "een lang wachtwoord";
const POLICY: SignInPolicy = SignInPolicy {
    max_failures: 3,
    lock_minutes: 15,
    idle_minutes: 15,
    absolute_hours: 10,
};

async fn started(workflow: &Workflow, name: &str) -> String {
    match workflow
        .sign_in(&POLICY, name, Password::new(PASSWORD), "test")
        .await
        .unwrap()
    {
        SignIn::Started { token, stage } => {
            assert_eq!(stage, Stage::Enrol, "a chair sets up a second factor");
            token.reveal().to_owned()
        }
        other => panic!("{other:?}"),
    }
}

/// The session `token` stands for, which must be live.
async fn live(workflow: &Workflow, token: &str) -> WebSession {
    workflow
        .web_session(&POLICY, token, "test")
        .await
        .unwrap()
        .expect("a live session")
}

async fn sign_in_rules_hold(db: &TestDb) {
    let (workflow, clock) = workflow_on(db).await;
    add_person(&workflow, "ilse", &[Role::Chair], PASSWORD).await;

    // Ten guesses at once: at most two are checked and refused, the rest meet the lock.
    let guesses = (0..10)
        .map(|_| workflow.sign_in(&POLICY, "ilse", Password::new("geraden wachtwoord"), "test"));
    let answers = futures_util::future::join_all(guesses).await;
    let (refused, locked) = refused_and_locked(&answers);
    assert!(refused <= 2, "{answers:?}");
    assert_eq!(refused + locked, 10, "{answers:?}");
    let right = workflow
        .sign_in(&POLICY, "ilse", Password::new(PASSWORD), "test")
        .await
        .unwrap();
    assert!(matches!(right, SignIn::Locked { .. }), "{right:?}");

    // After the lock: two wrong codes, a new sign-in with the right password, one more wrong code: locked.
    clock.advance_ms(16 * 60_000);
    let token = started(&workflow, "ilse").await;
    let session = live(&workflow, &token).await;
    for _ in 0..2 {
        let (check, renewed) = workflow
            .confirm_second_factor(&POLICY, &session, "000000", "test")
            .await
            .unwrap();
        assert_eq!((check, renewed.is_none()), (CodeCheck::Refused, true));
    }
    let token = started(&workflow, "ilse").await;
    let session = live(&workflow, &token).await;
    let (check, _) = workflow
        .confirm_second_factor(&POLICY, &session, "000000", "test")
        .await
        .unwrap();
    assert!(matches!(check, CodeCheck::Locked { .. }), "{check:?}");

    // The right code signs the session in under a new token; the old one is worthless.
    clock.advance_ms(16 * 60_000);
    let token = started(&workflow, "ilse").await;
    let session = live(&workflow, &token).await;
    let secret = session.pending_secret.clone().expect("a secret to set up");
    let code = secret.code_at((workflow.clock().now_ms() / 1000) as u64);
    let (check, renewed) = workflow
        .confirm_second_factor(&POLICY, &session, &code, "test")
        .await
        .unwrap();
    assert_eq!(check, CodeCheck::Accepted);
    let renewed = renewed.expect("a new token");
    assert!(
        workflow
            .web_session(&POLICY, &token, "test")
            .await
            .unwrap()
            .is_none()
    );
    let signed_in = live(&workflow, renewed.reveal()).await;
    assert_eq!(signed_in.stage, Stage::SignedIn);
}

#[tokio::test]
async fn board_sign_in_on_sqlite() {
    let db = TestDb::sqlite();
    sign_in_rules_hold(&db).await;
}

#[tokio::test]
async fn board_sign_in_on_postgres() {
    let Some(db) = TestDb::postgres().await else {
        return;
    };
    sign_in_rules_hold(&db).await;
    db.remove().await;
}
