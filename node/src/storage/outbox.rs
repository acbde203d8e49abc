//! The durable outbox: envelopes written in the same transaction as the change they report, delivered by the
//! courier with retries, and given up on (dead letters) only after the configured time.

use super::Transaction;
use super::rows::word;
use crate::domain::*;
use crate::error::{Error, Result};
use sqlx::Row;

/// An envelope due for delivery.
#[derive(Debug, Clone)]
pub struct Due {
    pub key: String,
    pub kind: EnvelopeKind,
    pub envelope: String,
    pub attempts: u32,
    pub created_at: Millis,
    pub traceparent: String,
}

pub async fn enqueue(
    tx: &mut Transaction,
    key: &str,
    kind: EnvelopeKind,
    destination: &str,
    envelope: &str,
    at: Millis,
) -> Result<()> {
    sqlx::query(
        "INSERT INTO outbox (key, kind, destination, envelope, created_at, next_attempt_at, traceparent) \
         VALUES ($1, $2, $3, $4, $5, $5, $6)",
    )
    .bind(key)
    .bind(kind.as_str())
    .bind(destination)
    .bind(envelope)
    .bind(at)
    .bind(expertnet_federation::trace::current_traceparent().unwrap_or_default())
    .execute(&mut **tx)
    .await?;
    Ok(())
}

/// Envelopes waiting whose next attempt is due, oldest first.
pub async fn due(pool: &sqlx::AnyPool, now: Millis, limit: u32) -> Result<Vec<Due>> {
    sqlx::query(
        "SELECT key, kind, envelope, attempts, created_at, traceparent FROM outbox \
         WHERE delivered_at IS NULL AND dead_at IS NULL AND cancelled_at IS NULL AND next_attempt_at <= $1 \
         ORDER BY next_attempt_at, created_at LIMIT $2",
    )
    .bind(now)
    .bind(i64::from(limit))
    .fetch_all(pool)
    .await?
    .into_iter()
    .map(|r| {
        Ok(Due {
            key: r.get(0),
            kind: word("kind", &r.get::<String, _>(1), EnvelopeKind::parse)?,
            envelope: r.get(2),
            attempts: u32::try_from(r.get::<i64, _>(3)).unwrap_or(u32::MAX),
            created_at: r.get(4),
            traceparent: r.get(5),
        })
    })
    .collect()
}

/// When the next envelope falls due, if any waits.
pub async fn next_due(pool: &sqlx::AnyPool) -> Result<Option<Millis>> {
    Ok(sqlx::query_scalar(
        "SELECT MIN(next_attempt_at) FROM outbox \
         WHERE delivered_at IS NULL AND dead_at IS NULL AND cancelled_at IS NULL",
    )
    .fetch_one(pool)
    .await?)
}

pub async fn mark_delivered(tx: &mut Transaction, key: &str, at: Millis) -> Result<()> {
    sqlx::query("UPDATE outbox SET delivered_at = $1, last_error = '' WHERE key = $2")
        .bind(at)
        .bind(key)
        .execute(&mut **tx)
        .await?;
    Ok(())
}

/// Stops an envelope that has not been delivered; `false` when it already was (or was stopped before).
pub async fn cancel(tx: &mut Transaction, key: &str, at: Millis) -> Result<bool> {
    let updated = sqlx::query(
        "UPDATE outbox SET cancelled_at = $1 WHERE key = $2 AND delivered_at IS NULL AND cancelled_at IS NULL",
    )
    .bind(at)
    .bind(key)
    .execute(&mut **tx)
    .await?;
    Ok(updated.rows_affected() == 1)
}

/// Records a failed attempt: try again at `next_attempt_at`, or give up now when `dead` is set.
pub async fn mark_failed(
    pool: &sqlx::AnyPool,
    key: &str,
    error: &str,
    next_attempt_at: Millis,
    dead_at: Option<Millis>,
) -> Result<()> {
    sqlx::query(
        "UPDATE outbox SET attempts = attempts + 1, last_error = $1, next_attempt_at = $2, dead_at = $3 \
         WHERE key = $4 AND delivered_at IS NULL",
    )
    .bind(error)
    .bind(next_attempt_at)
    .bind(dead_at)
    .bind(key)
    .execute(pool)
    .await?;
    Ok(())
}

/// Puts a dead letter back in line, due now.
pub async fn replay(pool: &sqlx::AnyPool, key: &str, now: Millis) -> Result<OutboxEntry> {
    let updated = sqlx::query(
        "UPDATE outbox SET dead_at = NULL, attempts = 0, next_attempt_at = $1 \
         WHERE key = $2 AND dead_at IS NOT NULL AND cancelled_at IS NULL",
    )
    .bind(now)
    .bind(key)
    .execute(pool)
    .await?;
    let entry = entry(pool, key).await?;
    if updated.rows_affected() == 0 {
        return Err(Error::FailedPrecondition(format!(
            "outbox entry {key} is {}, not a dead letter",
            entry.state
        )));
    }
    Ok(entry)
}

const COLUMNS: &str = "key, kind, destination, attempts, created_at, next_attempt_at, last_error, \
     delivered_at, dead_at, cancelled_at";

fn from_row(r: &sqlx::any::AnyRow) -> Result<OutboxEntry> {
    let delivered_at: Option<i64> = r.get(7);
    let dead_at: Option<i64> = r.get(8);
    let cancelled_at: Option<i64> = r.get(9);
    Ok(OutboxEntry {
        key: r.get(0),
        kind: word("kind", &r.get::<String, _>(1), EnvelopeKind::parse)?,
        destination: r.get(2),
        attempts: u32::try_from(r.get::<i64, _>(3)).unwrap_or(u32::MAX),
        created_at: r.get(4),
        next_attempt_at: r.get(5),
        last_error: r.get(6),
        state: match (delivered_at, cancelled_at, dead_at) {
            (Some(_), _, _) => DeliveryState::Delivered,
            (None, Some(_), _) => DeliveryState::Cancelled,
            (None, None, Some(_)) => DeliveryState::Dead,
            (None, None, None) => DeliveryState::Pending,
        },
        delivered_at,
    })
}

pub async fn entry(pool: &sqlx::AnyPool, key: &str) -> Result<OutboxEntry> {
    let row = sqlx::query(sqlx::AssertSqlSafe(format!(
        "SELECT {COLUMNS} FROM outbox WHERE key = $1"
    )))
    .bind(key)
    .fetch_optional(pool)
    .await?
    .ok_or_else(|| Error::not_found("outbox entry", key))?;
    from_row(&row)
}

/// Entries in `state`, or all not yet delivered when `None`; oldest first.
pub async fn list(
    pool: &sqlx::AnyPool,
    state: Option<DeliveryState>,
    limit: u32,
) -> Result<Vec<OutboxEntry>> {
    let condition = match state {
        None => "delivered_at IS NULL AND cancelled_at IS NULL",
        Some(DeliveryState::Pending) => {
            "delivered_at IS NULL AND dead_at IS NULL AND cancelled_at IS NULL"
        }
        Some(DeliveryState::Dead) => {
            "delivered_at IS NULL AND dead_at IS NOT NULL AND cancelled_at IS NULL"
        }
        Some(DeliveryState::Cancelled) => "delivered_at IS NULL AND cancelled_at IS NOT NULL",
        Some(DeliveryState::Delivered) => "delivered_at IS NOT NULL",
    };
    sqlx::query(sqlx::AssertSqlSafe(format!(
        "SELECT {COLUMNS} FROM outbox WHERE {condition} ORDER BY created_at, key LIMIT $1"
    )))
    .bind(i64::from(limit))
    .fetch_all(pool)
    .await?
    .iter()
    .map(from_row)
    .collect()
}

/// Envelopes waiting, and dead letters.
pub async fn depths(pool: &sqlx::AnyPool) -> Result<(u64, u64)> {
    let row = sqlx::query(
        "SELECT COALESCE(SUM(CASE WHEN dead_at IS NULL THEN 1 ELSE 0 END), 0), \
         COALESCE(SUM(CASE WHEN dead_at IS NOT NULL THEN 1 ELSE 0 END), 0) \
         FROM outbox WHERE delivered_at IS NULL AND cancelled_at IS NULL",
    )
    .fetch_one(pool)
    .await?;
    Ok((
        u64::try_from(row.get::<i64, _>(0)).unwrap_or(0),
        u64::try_from(row.get::<i64, _>(1)).unwrap_or(0),
    ))
}

/// SQL for the delivery state of the outbox entry whose key is in `key_column`, for joins.
pub(crate) fn state_sql(key_column: &str) -> String {
    format!(
        "(SELECT CASE WHEN o.delivered_at IS NOT NULL THEN 'delivered' \
         WHEN o.cancelled_at IS NOT NULL THEN 'cancelled' WHEN o.dead_at IS NOT NULL THEN 'dead' \
         ELSE 'pending' END FROM outbox o WHERE o.key = {key_column})"
    )
}
