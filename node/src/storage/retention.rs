//! Deleting what the retention rules say is past keeping: a case's whole file, old envelopes, and the oldest
//! part of the audit trail (moving the chain's floor with it, so the rest still verifies).

use super::Transaction;
use crate::audit::Anchor;
use crate::error::Result;
use sqlx::Row;

/// Tables holding a case's file, children before parents (foreign keys), each with the condition that picks
/// the rows of case `$1`.
const CASE_FILE: &[(&str, &str)] = &[
    ("attendees", "case_id = $1"),
    ("discussions", "case_id = $1"),
    ("agenda_items", "case_id = $1"),
    (
        "consultation_answers",
        "consultation_id IN (SELECT id FROM consultations WHERE case_id = $1)",
    ),
    ("consultations", "case_id = $1"),
    ("consents", "case_id = $1"),
    ("escalations", "case_id = $1"),
    ("commitments", "case_id = $1"),
    ("tasks", "case_id = $1"),
    ("progress_notes", "case_id = $1"),
    ("care_arrangements", "case_id = $1"),
    ("procesregisseurs", "case_id = $1"),
    ("case_categories", "case_id = $1"),
    ("youth_identities", "case_id = $1"),
    ("case_events", "case_id = $1"),
    ("cases", "id = $1"),
];

/// Up to `limit` cases whose help ended (closed, or returned without being taken on) before `cutoff_ms`.
pub async fn expired_cases(
    tx: &mut Transaction,
    cutoff_ms: i64,
    limit: i64,
) -> Result<Vec<String>> {
    Ok(sqlx::query_scalar(
        "SELECT id FROM cases WHERE state IN ('closed', 'returned') \
         AND COALESCE(closed_at, updated_at) < $1 ORDER BY id LIMIT $2",
    )
    .bind(cutoff_ms)
    .bind(limit)
    .fetch_all(&mut **tx)
    .await?)
}

/// Deletes every row of one case's file.
pub async fn delete_case_file(tx: &mut Transaction, case_id: &str) -> Result<()> {
    for (table, condition) in CASE_FILE {
        sqlx::query(sqlx::AssertSqlSafe(format!(
            "DELETE FROM {table} WHERE {condition}"
        )))
        .bind(case_id)
        .execute(&mut **tx)
        .await?;
    }
    Ok(())
}

/// Deletes envelopes delivered or cancelled before `cutoff_ms` (they hold the minimum dataset of a case).
pub async fn delete_old_envelopes(tx: &mut Transaction, cutoff_ms: i64) -> Result<u64> {
    Ok(sqlx::query(
        "DELETE FROM outbox WHERE COALESCE(delivered_at, cancelled_at) IS NOT NULL \
         AND COALESCE(delivered_at, cancelled_at) < $1",
    )
    .bind(cutoff_ms)
    .execute(&mut **tx)
    .await?
    .rows_affected())
}

/// Deletes the audit events written before `cutoff_ms` (the oldest part of the chain, up to the last event
/// older than the cutoff) and makes the last one deleted the chain's new floor. Returns how many went.
pub async fn delete_old_audit_events(tx: &mut Transaction, cutoff_ms: i64) -> Result<u64> {
    sqlx::query("UPDATE audit_head SET seq = seq WHERE id = 1")
        .execute(&mut **tx)
        .await?;
    let last: Option<i64> =
        sqlx::query_scalar("SELECT MAX(seq) FROM audit_events WHERE at_ms < $1")
            .bind(cutoff_ms)
            .fetch_one(&mut **tx)
            .await?;
    let Some(last) = last else { return Ok(0) };
    let row = sqlx::query("SELECT seq, hash FROM audit_events WHERE seq = $1")
        .bind(last)
        .fetch_one(&mut **tx)
        .await?;
    let floor = Anchor {
        seq: row.get(0),
        hash: row.get(1),
    };
    let deleted = sqlx::query("DELETE FROM audit_events WHERE seq <= $1")
        .bind(last)
        .execute(&mut **tx)
        .await?
        .rows_affected();
    sqlx::query("UPDATE audit_head SET floor_seq = $1, floor_hash = $2 WHERE id = 1")
        .bind(floor.seq)
        .bind(&floor.hash)
        .execute(&mut **tx)
        .await?;
    Ok(deleted)
}
