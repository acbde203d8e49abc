//! Retention with a controllable clock, on SQLite and PostgreSQL: a case's file goes once the legal period after
//! help ended has passed — every row of it, and nothing of the cases still kept — the audit trail keeps its
//! last five years and still verifies, every destruction is on record, and the node's scheduled job does it.

use expertnet_node::housekeeping::Housekeeping;
use expertnet_node::workflow::RetentionPolicy;
use expertnet_proto::v1 as pb;
use expertnet_tests::federation::eventually;
use expertnet_tests::{TABLES, TestDb, TestNode, spawn_node_on};
use std::time::Duration;

const DAY_MS: i64 = 86_400_000;
/// Twenty calendar years from the test clock's start (2026-03-02) hold five leap days.
const TWENTY_YEARS_MS: i64 = (20 * 365 + 5) * DAY_MS;

async fn rows_of(node: &TestNode, case_id: &str) -> Vec<(&'static str, i64)> {
    let mut found = Vec::new();
    for table in TABLES {
        let column = match *table {
            "cases" => "id",
            "table_sessions" | "outbox" | "inbox" | "consultation_answers" => continue,
            _ => "case_id",
        };
        let count: i64 = sqlx::query_scalar(sqlx::AssertSqlSafe(format!(
            "SELECT COUNT(*) FROM {table} WHERE {column} = $1"
        )))
        .bind(case_id)
        .fetch_one(node.workflow.storage().pool())
        .await
        .unwrap();
        if count > 0 {
            found.push((*table, count));
        }
    }
    found
}

async fn purge_after_the_legal_period(node: TestNode) {
    let (closed, _) = node.case_in(pb::CaseState::Closed, true).await;
    let (returned, _) = node.case_in(pb::CaseState::Returned, false).await;
    let (ongoing, _) = node.case_in(pb::CaseState::InProgress, true).await;
    assert!(
        rows_of(&node, &closed).await.len() > 5,
        "the closed case has a full file"
    );
    let policy = RetentionPolicy::default();

    let nothing = node.workflow.purge_expired(&policy).await.unwrap();
    assert!(
        nothing.cases.is_empty() && nothing.audit_events == 0,
        "{nothing:?}"
    );

    // A day before twenty years have passed: every case stays; the audit events, older than five years, go.
    node.clock.advance_ms(TWENTY_YEARS_MS - DAY_MS);
    let early = node.workflow.purge_expired(&policy).await.unwrap();
    assert!(early.cases.is_empty(), "{early:?}");
    assert!(early.audit_events > 0);
    let check = node.workflow.verify_audit_trail().await.unwrap();
    assert!(
        check.result.is_ok(),
        "the trail still verifies from its new floor: {check:?}"
    );

    node.clock.advance_ms(2 * DAY_MS);
    let due = node.workflow.purge_expired(&policy).await.unwrap();
    let mut purged = due.cases.clone();
    purged.sort();
    let mut expected = vec![closed.clone(), returned.clone()];
    expected.sort();
    assert_eq!(purged, expected);
    for case_id in [&closed, &returned] {
        assert_eq!(
            rows_of(&node, case_id).await,
            vec![],
            "nothing of {case_id} is left"
        );
    }
    assert!(
        rows_of(&node, &ongoing)
            .await
            .iter()
            .any(|(t, _)| *t == "cases"),
        "a case still in progress is kept"
    );

    let recorded: Vec<String> = sqlx::query_scalar(
        "SELECT case_id FROM audit_events WHERE action = 'retention purge case file' ORDER BY case_id",
    )
    .fetch_all(node.workflow.storage().pool())
    .await
    .unwrap();
    assert_eq!(recorded, expected, "each destruction is on record");
    let check = node.workflow.verify_audit_trail().await.unwrap();
    assert!(check.result.is_ok(), "{check:?}");

    let again = node.workflow.purge_expired(&policy).await.unwrap();
    assert!(
        again.cases.is_empty() && again.audit_events == 0,
        "{again:?}"
    );
    node.stop().await;
}

#[tokio::test]
async fn purge_after_the_legal_period_on_sqlite() {
    purge_after_the_legal_period(spawn_node_on(TestDb::sqlite()).await).await;
}

#[tokio::test]
async fn purge_after_the_legal_period_on_postgres() {
    let Some(db) = TestDb::postgres().await else {
        return;
    };
    purge_after_the_legal_period(spawn_node_on(db).await).await;
}

#[tokio::test]
async fn the_scheduled_job_destroys_expired_files() {
    let node = spawn_node_on(TestDb::sqlite()).await;
    let (closed, _) = node.case_in(pb::CaseState::Closed, true).await;
    node.clock.advance_ms(TWENTY_YEARS_MS + DAY_MS);
    let job = Housekeeping::start(node.workflow.clone(), RetentionPolicy::default());
    eventually(
        "the expired case is destroyed",
        Duration::from_secs(10),
        || async { rows_of(&node, &closed).await.is_empty().then_some(()) },
    )
    .await;
    job.stop().await;
    node.stop().await;
}
