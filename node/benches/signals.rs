//! Signals benchmark, one run, figures printed for `docs/BENCHMARKS.md`: a node holding 1 000 000 synthetic cases
//! (SQLite, WAL) computes a quarter's snapshot — the counts it sends the gateway — for every quarter from 2024 to
//! 2026-Q3.
//!
//! The cases are 20 000 from the synthetic generator (realistic lifecycles, dates 2023-2026), copied 50 times by
//! SQL with new ids: the generator writes about 2 000 cases a second, too slow to make a million here. Discussions
//! and sessions are the originals' only, so `discussed` and `sessions_held` do not scale; every count read from the
//! cases does.
//!
//! Run with `cargo bench -p expertnet-node --bench signals`. Timing is reported, never asserted.

use expertnet_node::clock::SystemClock;
use expertnet_node::domain::signals::Quarter;
use expertnet_node::storage::Storage;
use expertnet_node::vault::Vault;
use expertnet_node::workflow::Workflow;
use std::sync::Arc;
use std::time::Instant;

const ORIGINALS: u64 = 20_000;
const COPIES: u64 = 50;

/// The case columns copied (all but `request_id`, which is unique, and `earliest_open_due`).
const COLUMNS: &str = "state, referrer_organisation, referrer_kind, age, municipality, question, tried_so_far, \
     categories, intake_accepted, return_reason, outcome, closing_note, submitted_at, updated_at, closed_at, version";

#[tokio::main(flavor = "current_thread")]
async fn main() {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}", dir.path().join("node.db").display());
    let storage = Storage::connect(&url, 4, Vault::ephemeral()).await.unwrap();

    let started = Instant::now();
    expertnet_node::synthetic::fill(&storage, "lekstroom", ORIGINALS, 7, |_| {})
        .await
        .unwrap();
    let generated = started.elapsed();

    let started = Instant::now();
    let pool = storage.pool();
    sqlx::query(sqlx::AssertSqlSafe(format!(
        "CREATE TEMP TABLE originals AS SELECT id, {COLUMNS} FROM cases"
    )))
    .execute(pool)
    .await
    .unwrap();
    sqlx::query(
        "CREATE TEMP TABLE original_categories AS SELECT category, case_id FROM case_categories",
    )
    .execute(pool)
    .await
    .unwrap();
    for copy in 1..COPIES {
        sqlx::query(sqlx::AssertSqlSafe(format!(
            "INSERT INTO cases (id, {COLUMNS}) SELECT id || ':{copy}', {COLUMNS} FROM originals"
        )))
        .execute(pool)
        .await
        .unwrap();
        sqlx::query(sqlx::AssertSqlSafe(format!(
            "INSERT INTO case_categories (category, case_id) \
             SELECT category, case_id || ':{copy}' FROM original_categories"
        )))
        .execute(pool)
        .await
        .unwrap();
    }
    sqlx::query("ANALYZE").execute(pool).await.unwrap();
    let copied = started.elapsed();
    let cases: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM cases")
        .fetch_one(pool)
        .await
        .unwrap();

    let workflow = Workflow::new(storage, Arc::new(SystemClock));
    let mut timings = Vec::new();
    let mut largest = 0;
    let mut quarter = Quarter::parse("2024-Q1").unwrap();
    let last = Quarter::parse("2026-Q3").unwrap();
    loop {
        let started = Instant::now();
        let snapshot = workflow.snapshot("lekstroom", quarter).await.unwrap();
        timings.push((started.elapsed(), quarter));
        largest = largest.max(snapshot.totals.closed);
        if quarter == last {
            break;
        }
        quarter = quarter.next();
    }
    timings.sort();
    let ms = |d: std::time::Duration| d.as_secs_f64() * 1e3;
    println!(
        "{cases} cases ({ORIGINALS} generated in {:.1} s, copied to {cases} in {:.1} s)",
        generated.as_secs_f64(),
        copied.as_secs_f64()
    );
    println!(
        "snapshot of a quarter over {cases} cases, {} quarters (up to {largest} closed cases in one): median {:.0} ms, max {:.0} ms ({})",
        timings.len(),
        ms(timings[timings.len() / 2].0),
        ms(timings[timings.len() - 1].0),
        timings[timings.len() - 1].1
    );
}
