//! Escalations both ways, and the consent records that allow them.

use super::Transaction;
use super::outbox::state_sql;
use super::rows::{date_text, stored_date, word};
use crate::domain::*;
use crate::error::{Error, Result};
use sqlx::Row;

/// Records a consent; returns its sequence number within the case.
pub async fn insert_consent(tx: &mut Transaction, consent: &Consent) -> Result<i64> {
    let sequence: i64 = sqlx::query_scalar(
        "SELECT COALESCE(MAX(sequence), 0) + 1 FROM consents WHERE case_id = $1",
    )
    .bind(&consent.case_id)
    .fetch_one(&mut **tx)
    .await?;
    sqlx::query(
        "INSERT INTO consents (case_id, sequence, basis, given_by, note, recorded_by, recorded_at, scope, \
         scope_target, valid_until) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)",
    )
    .bind(&consent.case_id)
    .bind(sequence)
    .bind(consent.basis.as_str())
    .bind(&consent.given_by)
    .bind(&consent.note)
    .bind(&consent.recorded_by)
    .bind(consent.recorded_at)
    .bind(consent.scope.as_str())
    .bind(consent.scope_target.as_deref().unwrap_or(""))
    .bind(consent.valid_until.map(date_text))
    .execute(&mut **tx)
    .await?;
    Ok(sequence)
}

const CONSENT_COLUMNS: &str = "case_id, sequence, basis, given_by, note, recorded_by, recorded_at, scope, \
     scope_target, valid_until, withdrawn_at, withdrawn_by, withdrawal_reason";

fn consent_from_row(r: &sqlx::any::AnyRow) -> Result<Consent> {
    let target: String = r.get(8);
    let valid_until: Option<String> = r.get(9);
    let withdrawn_at: Option<i64> = r.get(10);
    Ok(Consent {
        case_id: r.get(0),
        sequence: r.get(1),
        basis: word("basis", &r.get::<String, _>(2), LegalBasis::parse)?,
        given_by: r.get(3),
        note: r.get(4),
        recorded_by: r.get(5),
        recorded_at: r.get(6),
        scope: word("scope", &r.get::<String, _>(7), ConsentScope::parse)?,
        scope_target: (!target.is_empty()).then_some(target),
        valid_until: valid_until
            .as_deref()
            .map(|d| stored_date("valid_until", d))
            .transpose()?,
        withdrawal: withdrawn_at.map(|at| ConsentWithdrawal {
            at,
            by: r.get::<Option<String>, _>(11).unwrap_or_default(),
            reason: r.get::<Option<String>, _>(12).unwrap_or_default(),
        }),
    })
}

/// Every consent on record for a case, oldest first.
pub async fn consents<'e, E>(executor: E, case_id: &str) -> Result<Vec<Consent>>
where
    E: sqlx::Executor<'e, Database = sqlx::Any>,
{
    sqlx::query(sqlx::AssertSqlSafe(format!(
        "SELECT {CONSENT_COLUMNS} FROM consents WHERE case_id = $1 ORDER BY sequence"
    )))
    .bind(case_id)
    .fetch_all(executor)
    .await?
    .iter()
    .map(consent_from_row)
    .collect()
}

/// Marks a consent withdrawn and returns it. Refuses (`FailedPrecondition`) a consent withdrawn already —
/// decided here, inside the transaction, so two withdrawals at once cannot both succeed.
pub async fn withdraw_consent(
    tx: &mut Transaction,
    case_id: &str,
    sequence: i64,
    withdrawal: &ConsentWithdrawal,
) -> Result<Consent> {
    let changed = sqlx::query(
        "UPDATE consents SET withdrawn_at = $1, withdrawn_by = $2, withdrawal_reason = $3 \
         WHERE case_id = $4 AND sequence = $5 AND withdrawn_at IS NULL",
    )
    .bind(withdrawal.at)
    .bind(&withdrawal.by)
    .bind(&withdrawal.reason)
    .bind(case_id)
    .bind(sequence)
    .execute(&mut **tx)
    .await?
    .rows_affected();
    if changed == 0 {
        // Withdrawn by a request that committed in between (or never there): the caller's transaction, with its
        // history entry, must not commit.
        return Err(Error::FailedPrecondition(format!(
            "consent {sequence} of case {case_id} was withdrawn already"
        )));
    }
    let row = sqlx::query(sqlx::AssertSqlSafe(format!(
        "SELECT {CONSENT_COLUMNS} FROM consents WHERE case_id = $1 AND sequence = $2"
    )))
    .bind(case_id)
    .bind(sequence)
    .fetch_optional(&mut **tx)
    .await?
    .ok_or_else(|| Error::not_found("consent", format!("{case_id}#{sequence}")))?;
    consent_from_row(&row)
}

/// Outgoing escalations of a case to `region` that are still `sent`, with the key of their envelope.
pub async fn sent_to(
    tx: &mut Transaction,
    case_id: &str,
    region: &str,
) -> Result<Vec<(String, String)>> {
    let rows = sqlx::query(
        "SELECT id, last_key FROM escalations WHERE case_id = $1 AND partner_region = $2 \
         AND direction = 'outgoing' AND status = 'sent' ORDER BY created_at",
    )
    .bind(case_id)
    .bind(region)
    .fetch_all(&mut **tx)
    .await?;
    Ok(rows.into_iter().map(|r| (r.get(0), r.get(1))).collect())
}

pub async fn insert(tx: &mut Transaction, e: &Escalation, last_key: &str) -> Result<()> {
    sqlx::query(
        "INSERT INTO escalations (id, direction, case_id, partner_region, partner_ref, legal_basis, status, \
         reason, status_reason, last_key, created_at, updated_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)",
    )
    .bind(&e.id)
    .bind(e.direction.as_str())
    .bind(&e.case_id)
    .bind(&e.partner_region)
    .bind(e.partner_ref.as_deref().unwrap_or(""))
    .bind(e.legal_basis.as_str())
    .bind(e.status.as_str())
    .bind(&e.reason)
    .bind(&e.status_reason)
    .bind(last_key)
    .bind(e.created_at)
    .bind(e.updated_at)
    .execute(&mut **tx)
    .await?;
    Ok(())
}

/// A new status. `last_key` names this node's envelope reporting it, if it sent one.
#[derive(Debug)]
pub struct StatusChange<'a> {
    pub id: &'a str,
    pub status: EscalationStatus,
    pub status_reason: &'a str,
    pub partner_ref: Option<&'a str>,
    pub last_key: Option<&'a str>,
    pub at: Millis,
}

pub async fn set_status(tx: &mut Transaction, change: StatusChange<'_>) -> Result<()> {
    // Closed news can overtake the acceptance it follows; either one means the receiver took the case in, and
    // the first to arrive dates it.
    let accepted_at = matches!(
        change.status,
        EscalationStatus::Accepted | EscalationStatus::Closed
    )
    .then_some(change.at);
    sqlx::query(
        "UPDATE escalations SET status = $1, status_reason = $2, partner_ref = COALESCE($3, partner_ref), \
         last_key = COALESCE($4, last_key), updated_at = $5, accepted_at = COALESCE(accepted_at, $7) \
         WHERE id = $6",
    )
    .bind(change.status.as_str())
    .bind(change.status_reason)
    .bind(change.partner_ref)
    .bind(change.last_key)
    .bind(change.at)
    .bind(change.id)
    .bind(accepted_at)
    .execute(&mut **tx)
    .await?;
    Ok(())
}

fn columns() -> String {
    format!(
        "e.id, e.direction, e.case_id, e.partner_region, e.partner_ref, e.legal_basis, e.status, e.reason, \
         e.status_reason, e.created_at, e.updated_at, {}",
        state_sql("e.last_key")
    )
}

fn from_row(r: &sqlx::any::AnyRow) -> Result<Escalation> {
    let partner_ref: String = r.get(4);
    let delivery: Option<String> = r.get(11);
    Ok(Escalation {
        id: r.get(0),
        direction: word(
            "direction",
            &r.get::<String, _>(1),
            EscalationDirection::parse,
        )?,
        case_id: r.get(2),
        partner_region: r.get(3),
        partner_ref: (!partner_ref.is_empty()).then_some(partner_ref),
        legal_basis: word("legal_basis", &r.get::<String, _>(5), LegalBasis::parse)?,
        status: word("status", &r.get::<String, _>(6), EscalationStatus::parse)?,
        reason: r.get(7),
        status_reason: r.get(8),
        created_at: r.get(9),
        updated_at: r.get(10),
        delivery: delivery
            .map(|d| word("delivery", &d, DeliveryState::parse))
            .transpose()?,
    })
}

pub async fn get<'e, E>(executor: E, id: &str) -> Result<Escalation>
where
    E: sqlx::Executor<'e, Database = sqlx::Any>,
{
    let row = sqlx::query(sqlx::AssertSqlSafe(format!(
        "SELECT {} FROM escalations e WHERE e.id = $1",
        columns()
    )))
    .bind(id)
    .fetch_optional(executor)
    .await?
    .ok_or_else(|| Error::not_found("escalation", id))?;
    from_row(&row)
}

/// The incoming escalation a linked case was opened for, if it was.
pub async fn incoming_for_case<'e, E>(executor: E, case_id: &str) -> Result<Option<Escalation>>
where
    E: sqlx::Executor<'e, Database = sqlx::Any>,
{
    let row = sqlx::query(sqlx::AssertSqlSafe(format!(
        "SELECT {} FROM escalations e WHERE e.case_id = $1 AND e.direction = 'incoming'",
        columns()
    )))
    .bind(case_id)
    .fetch_optional(executor)
    .await?;
    row.as_ref().map(from_row).transpose()
}

/// The escalations of one case, out and in, newest first.
pub async fn of_case(pool: &sqlx::AnyPool, case_id: &str) -> Result<Vec<Escalation>> {
    sqlx::query(sqlx::AssertSqlSafe(format!(
        "SELECT {} FROM escalations e WHERE e.case_id = $1 ORDER BY e.created_at DESC, e.id",
        columns()
    )))
    .bind(case_id)
    .fetch_all(pool)
    .await?
    .iter()
    .map(from_row)
    .collect()
}

pub async fn list(
    pool: &sqlx::AnyPool,
    direction: Option<EscalationDirection>,
) -> Result<Vec<Escalation>> {
    sqlx::query(sqlx::AssertSqlSafe(format!(
        "SELECT {} FROM escalations e WHERE ($1 = '' OR e.direction = $1) ORDER BY e.created_at DESC, e.id \
         LIMIT 1000",
        columns()
    )))
    .bind(direction.map(|d| d.as_str()).unwrap_or(""))
    .fetch_all(pool)
    .await?
    .iter()
    .map(from_row)
    .collect()
}

/// Per partner region: outgoing escalations it has not finished, and when the oldest of them was sent.
pub async fn in_flight(pool: &sqlx::AnyPool) -> Result<Vec<(String, u64, Millis)>> {
    Ok(sqlx::query(
        "SELECT partner_region, COUNT(*), MIN(created_at) FROM escalations WHERE direction = 'outgoing' \
         AND status IN ('sent', 'received', 'accepted') GROUP BY partner_region",
    )
    .fetch_all(pool)
    .await?
    .into_iter()
    .map(|r| {
        (
            r.get(0),
            u64::try_from(r.get::<i64, _>(1)).unwrap_or(0),
            r.get(2),
        )
    })
    .collect())
}

/// Incoming escalations whose linked case nobody has taken up yet.
pub async fn waiting_incoming(pool: &sqlx::AnyPool) -> Result<u64> {
    let count: i64 = sqlx::query_scalar(
        "SELECT COUNT(*) FROM escalations WHERE direction = 'incoming' AND status = 'received'",
    )
    .fetch_one(pool)
    .await?;
    Ok(u64::try_from(count).unwrap_or(0))
}
