//! The facts behind a region's own yearly review (`domain::review`), each gathered with one query over the
//! year's rows; the flow per quarter comes from the signals' own counts.

use super::rows::{stored_date, word};
use crate::domain::review::{ClosedCase, CommitmentFact, ConsultationFact};
use crate::domain::*;
use crate::error::Result;
use sqlx::Row;
use time::{Date, OffsetDateTime};

/// Cases intake accepted in [`start`, `end`).
pub async fn taken_in(pool: &sqlx::AnyPool, (start, end): (i64, i64)) -> Result<u64> {
    let n: i64 = sqlx::query_scalar(
        "SELECT COUNT(*) FROM case_events WHERE action = 'accept' AND at >= $1 AND at < $2",
    )
    .bind(start)
    .bind(end)
    .fetch_one(pool)
    .await?;
    Ok(n as u64)
}

/// Why intake handed cases back in the period, in its own words, oldest first: (case id, reason).
pub async fn return_reasons(
    pool: &sqlx::AnyPool,
    (start, end): (i64, i64),
) -> Result<Vec<(String, String)>> {
    let rows = sqlx::query(
        "SELECT case_id, reason FROM case_events WHERE action = 'return' AND at >= $1 AND at < $2 \
         ORDER BY at, case_id",
    )
    .bind(start)
    .bind(end)
    .fetch_all(pool)
    .await?;
    Ok(rows.iter().map(|row| (row.get(0), row.get(1))).collect())
}

/// The cases closed in the period: their categories, outcome and lead time.
pub async fn closed(pool: &sqlx::AnyPool, (start, end): (i64, i64)) -> Result<Vec<ClosedCase>> {
    let rows = sqlx::query(
        "SELECT categories, outcome, closed_at - submitted_at FROM cases \
         WHERE state = 'closed' AND closed_at >= $1 AND closed_at < $2",
    )
    .bind(start)
    .bind(end)
    .fetch_all(pool)
    .await?;
    rows.iter()
        .map(|row| {
            let categories: String = row.get(0);
            Ok(ClosedCase {
                categories: categories
                    .split(',')
                    .filter(|c| !c.is_empty())
                    .map(|c| word("categories", c, BottleneckCategory::parse))
                    .collect::<Result<_>>()?,
                outcome: word(
                    "outcome",
                    &row.get::<Option<String>, _>(1).unwrap_or_default(),
                    Outcome::parse,
                )?,
                lead_time_ms: row.get(2),
            })
        })
        .collect()
}

/// Per discussion recorded in the period: whether the youth and the parents were at the table.
pub async fn attendance(
    pool: &sqlx::AnyPool,
    (start, end): (i64, i64),
) -> Result<Vec<(bool, bool)>> {
    let rows = sqlx::query(
        "SELECT a.youth_present, a.parents_present FROM discussions d \
         JOIN agenda_items a ON a.session_id = d.session_id AND a.case_id = d.case_id \
         WHERE d.recorded_at >= $1 AND d.recorded_at < $2",
    )
    .bind(start)
    .bind(end)
    .fetch_all(pool)
    .await?;
    Ok(rows
        .iter()
        .map(|row| (row.get::<i64, _>(0) != 0, row.get::<i64, _>(1) != 0))
        .collect())
}

/// Sessions held on days in [`first_day`, `after_last_day`) (`YYYY-MM-DD`).
pub async fn sessions_held(
    pool: &sqlx::AnyPool,
    first_day: &str,
    after_last_day: &str,
) -> Result<u64> {
    let n: i64 = sqlx::query_scalar(
        "SELECT COUNT(*) FROM table_sessions WHERE session_date >= $1 AND session_date < $2",
    )
    .bind(first_day)
    .bind(after_last_day)
    .fetch_one(pool)
    .await?;
    Ok(n as u64)
}

/// Commitments due on days in [`first_day`, `after_last_day`), with the day they were settled (their last
/// change, in UTC).
pub async fn commitments(
    pool: &sqlx::AnyPool,
    first_day: &str,
    after_last_day: &str,
) -> Result<Vec<CommitmentFact>> {
    let rows = sqlx::query(
        "SELECT provider, due_date, status, updated_at FROM commitments \
         WHERE due_date >= $1 AND due_date < $2",
    )
    .bind(first_day)
    .bind(after_last_day)
    .fetch_all(pool)
    .await?;
    rows.iter()
        .map(|row| {
            Ok(CommitmentFact {
                provider: row.get(0),
                due: stored_date("due_date", &row.get::<String, _>(1))?,
                status: word("status", &row.get::<String, _>(2), CommitmentStatus::parse)?,
                settled_on: day_of(row.get(3)),
            })
        })
        .collect()
}

fn day_of(ms: i64) -> Date {
    OffsetDateTime::from_unix_timestamp_nanos(i128::from(ms) * 1_000_000)
        .unwrap_or(OffsetDateTime::UNIX_EPOCH)
        .date()
}

/// Escalations started in the period, per direction and where they stand now.
pub async fn escalations(
    pool: &sqlx::AnyPool,
    (start, end): (i64, i64),
) -> Result<Vec<(EscalationDirection, EscalationStatus, u64)>> {
    let rows = sqlx::query(
        "SELECT direction, status, COUNT(*) FROM escalations WHERE created_at >= $1 AND created_at < $2 \
         GROUP BY direction, status ORDER BY direction, status",
    )
    .bind(start)
    .bind(end)
    .fetch_all(pool)
    .await?;
    rows.iter()
        .map(|row| {
            Ok((
                word(
                    "direction",
                    &row.get::<String, _>(0),
                    EscalationDirection::parse,
                )?,
                word("status", &row.get::<String, _>(1), EscalationStatus::parse)?,
                row.get::<i64, _>(2) as u64,
            ))
        })
        .collect()
}

/// Consultation questions asked in the period, with the time of their first answer.
pub async fn consultations(
    pool: &sqlx::AnyPool,
    (start, end): (i64, i64),
) -> Result<Vec<ConsultationFact>> {
    let rows = sqlx::query(
        "SELECT CAST(CASE WHEN c.origin_region IS NULL THEN 0 ELSE 1 END AS BIGINT), c.asked_at, \
         MIN(a.answered_at) \
         FROM consultations c LEFT JOIN consultation_answers a ON a.consultation_id = c.id \
         WHERE c.asked_at >= $1 AND c.asked_at < $2 GROUP BY c.id, c.origin_region, c.asked_at",
    )
    .bind(start)
    .bind(end)
    .fetch_all(pool)
    .await?;
    Ok(rows
        .iter()
        .map(|row| ConsultationFact {
            from_other_region: row.get::<i64, _>(0) != 0,
            asked_at_ms: row.get(1),
            first_answer_at_ms: row.get(2),
        })
        .collect())
}
