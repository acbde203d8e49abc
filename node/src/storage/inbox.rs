//! Keys of envelopes taken in from other regions: a redelivery finds its key and changes nothing.

use super::Transaction;
use crate::domain::{EnvelopeKind, Millis};
use crate::error::Result;

/// Records `key` as taken in; `false` when it was already, so the caller writes nothing else.
pub async fn take(
    tx: &mut Transaction,
    key: &str,
    from_region: &str,
    kind: EnvelopeKind,
    at: Millis,
) -> Result<bool> {
    let inserted = sqlx::query(
        "INSERT INTO inbox (key, from_region, kind, received_at) VALUES ($1, $2, $3, $4) \
         ON CONFLICT (from_region, key) DO NOTHING",
    )
    .bind(key)
    .bind(from_region)
    .bind(kind.as_str())
    .bind(at)
    .execute(&mut **tx)
    .await?;
    Ok(inserted.rows_affected() == 1)
}
