//! The audit trail's rows. Appending takes the lock on the head row first, so concurrent writers queue and
//! every event gets the next number and the previous hash; nothing here updates or deletes an event, except
//! the retention purge of the oldest ones, which moves the chain's floor with them.

use super::Transaction;
use crate::audit::chain::{Anchor, AuditEvent, NewAuditEvent};
use crate::error::Result;
use sqlx::Row;

/// Appends `events` in order, chained after the current head.
pub async fn append(tx: &mut Transaction, events: Vec<NewAuditEvent>) -> Result<Vec<AuditEvent>> {
    sqlx::query("UPDATE audit_head SET seq = seq WHERE id = 1")
        .execute(&mut **tx)
        .await?;
    let row = sqlx::query("SELECT seq, hash FROM audit_head WHERE id = 1")
        .fetch_one(&mut **tx)
        .await?;
    let mut head = Anchor {
        seq: row.get(0),
        hash: row.get(1),
    };
    let mut chained = Vec::with_capacity(events.len());
    for event in events {
        let event = event.chain(head.seq + 1, &head.hash);
        sqlx::query(
            "INSERT INTO audit_events (seq, at_ms, user_name, organisation, roles, on_behalf_of, action, \
             case_id, access_point, outcome, prev_hash, hash) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)",
        )
        .bind(event.seq)
        .bind(event.entry.at_ms)
        .bind(&event.entry.user)
        .bind(&event.entry.organisation)
        .bind(&event.entry.roles)
        .bind(&event.entry.on_behalf_of)
        .bind(&event.entry.action)
        .bind(event.entry.case_id.as_deref())
        .bind(&event.entry.access_point)
        .bind(&event.entry.outcome)
        .bind(&event.prev_hash)
        .bind(&event.hash)
        .execute(&mut **tx)
        .await?;
        head = Anchor {
            seq: event.seq,
            hash: event.hash.clone(),
        };
        chained.push(event);
    }
    sqlx::query("UPDATE audit_head SET seq = $1, hash = $2 WHERE id = 1")
        .bind(head.seq)
        .bind(&head.hash)
        .execute(&mut **tx)
        .await?;
    Ok(chained)
}

/// Appends one event in a transaction of its own.
pub async fn append_one(storage: &super::Storage, event: NewAuditEvent) -> Result<()> {
    let mut tx = storage.begin().await?;
    append(&mut tx, vec![event]).await?;
    tx.commit().await
}

/// The chain's floor (where it starts) and head (its last event).
pub async fn ends<'e, E>(executor: E) -> Result<(Anchor, Anchor)>
where
    E: sqlx::Executor<'e, Database = sqlx::Any>,
{
    let row = sqlx::query("SELECT floor_seq, floor_hash, seq, hash FROM audit_head WHERE id = 1")
        .fetch_one(executor)
        .await?;
    Ok((
        Anchor {
            seq: row.get(0),
            hash: row.get(1),
        },
        Anchor {
            seq: row.get(2),
            hash: row.get(3),
        },
    ))
}

const COLUMNS: &str = "seq, at_ms, user_name, organisation, roles, on_behalf_of, action, case_id, \
     access_point, outcome, prev_hash, hash";

fn event_from_row(r: &sqlx::any::AnyRow) -> AuditEvent {
    AuditEvent {
        seq: r.get(0),
        entry: NewAuditEvent {
            at_ms: r.get(1),
            user: r.get(2),
            organisation: r.get(3),
            roles: r.get(4),
            on_behalf_of: r.get(5),
            action: r.get(6),
            case_id: r.get(7),
            access_point: r.get(8),
            outcome: r.get(9),
        },
        prev_hash: r.get(10),
        hash: r.get(11),
    }
}

/// Up to `limit` events after `after_seq`, in order.
pub async fn page<'e, E>(executor: E, after_seq: i64, limit: i64) -> Result<Vec<AuditEvent>>
where
    E: sqlx::Executor<'e, Database = sqlx::Any>,
{
    Ok(sqlx::query(sqlx::AssertSqlSafe(format!(
        "SELECT {COLUMNS} FROM audit_events WHERE seq > $1 ORDER BY seq LIMIT $2"
    )))
    .bind(after_seq)
    .bind(limit)
    .fetch_all(executor)
    .await?
    .iter()
    .map(event_from_row)
    .collect())
}

/// Every event about one case, in order.
pub async fn of_case<'e, E>(executor: E, case_id: &str) -> Result<Vec<AuditEvent>>
where
    E: sqlx::Executor<'e, Database = sqlx::Any>,
{
    Ok(sqlx::query(sqlx::AssertSqlSafe(format!(
        "SELECT {COLUMNS} FROM audit_events WHERE case_id = $1 ORDER BY seq"
    )))
    .bind(case_id)
    .fetch_all(executor)
    .await?
    .iter()
    .map(event_from_row)
    .collect())
}
