//! Consultation questions to experts and their answers: this node's own, those asked to other regions through
//! the gateway, and those other regions asked here.

use super::outbox::state_sql;
use super::rows::{flag, word};
use super::{Storage, Transaction};
use crate::domain::*;
use crate::error::{Error, Result};
use sqlx::Row;

/// Where a consultation came from or goes to, besides its content.
#[derive(Debug, Default)]
pub struct Routing<'a> {
    pub request_id: Option<&'a str>,
    /// The asking region's consultation id, for a question from elsewhere.
    pub origin_id: Option<&'a str>,
    /// This node's envelope carrying the question out.
    pub outbox_key: Option<&'a str>,
}

pub async fn insert(
    tx: &mut Transaction,
    consultation: &Consultation,
    routing: Routing<'_>,
) -> Result<()> {
    sqlx::query(
        "INSERT INTO consultations (id, request_id, asker_kind, asker_organisation, question, expertise_tags, \
         case_id, status, asked_at, origin_region, origin_id, target_region, to_network, outbox_key) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14)",
    )
    .bind(&consultation.id)
    .bind(routing.request_id)
    .bind(consultation.asker_kind.as_str())
    .bind(&consultation.asker_organisation)
    .bind(&consultation.question)
    .bind(consultation.expertise_tags.join(","))
    .bind(consultation.case_id.as_deref())
    .bind(consultation.status.as_str())
    .bind(consultation.asked_at)
    .bind(consultation.origin_region.as_deref())
    .bind(routing.origin_id)
    .bind(consultation.target_region.as_deref())
    .bind(flag(consultation.to_network))
    .bind(routing.outbox_key)
    .execute(&mut **tx)
    .await?;
    Ok(())
}

pub async fn id_for_request<'e, E>(executor: E, request_id: &str) -> Result<Option<String>>
where
    E: sqlx::Executor<'e, Database = sqlx::Any>,
{
    Ok(
        sqlx::query_scalar("SELECT id FROM consultations WHERE request_id = $1")
            .bind(request_id)
            .fetch_optional(executor)
            .await?,
    )
}

/// Where a question from another region came from: its region and its id there.
pub async fn origin(tx: &mut Transaction, id: &str) -> Result<Option<(String, String)>> {
    let row = sqlx::query("SELECT origin_region, origin_id FROM consultations WHERE id = $1")
        .bind(id)
        .fetch_optional(&mut **tx)
        .await?
        .ok_or_else(|| Error::not_found("consultation", id))?;
    let region: Option<String> = row.get(0);
    let origin_id: Option<String> = row.get(1);
    Ok(region.zip(origin_id))
}

pub async fn add_answer(
    tx: &mut Transaction,
    consultation_id: &str,
    answer: &ConsultationAnswer,
    outbox_key: Option<&str>,
) -> Result<()> {
    let updated = sqlx::query(
        "UPDATE consultations SET status = $1, outbox_key = COALESCE($2, outbox_key) WHERE id = $3",
    )
    .bind(ConsultationStatus::Answered.as_str())
    .bind(outbox_key)
    .bind(consultation_id)
    .execute(&mut **tx)
    .await?;
    if updated.rows_affected() == 0 {
        return Err(Error::not_found("consultation", consultation_id));
    }
    sqlx::query(
        "INSERT INTO consultation_answers (consultation_id, sequence, expert, answer, answered_at, region, \
         outbox_key) VALUES ($1, \
         (SELECT COALESCE(MAX(sequence), 0) + 1 FROM consultation_answers WHERE consultation_id = $1), \
         $2, $3, $4, $5, $6)",
    )
    .bind(consultation_id)
    .bind(&answer.expert)
    .bind(&answer.answer)
    .bind(answer.answered_at)
    .bind(answer.region.as_deref().unwrap_or(""))
    .bind(outbox_key)
    .execute(&mut **tx)
    .await?;
    Ok(())
}

/// Records the regions the gateway delivered the question carried by `outbox_key` to.
pub async fn set_routed_to(
    tx: &mut Transaction,
    outbox_key: &str,
    regions: &[String],
) -> Result<()> {
    sqlx::query("UPDATE consultations SET routed_to = $1 WHERE outbox_key = $2 AND to_network = 1")
        .bind(regions.join(","))
        .bind(outbox_key)
        .execute(&mut **tx)
        .await?;
    Ok(())
}

fn columns() -> String {
    format!(
        "c.id, c.asker_kind, c.asker_organisation, c.question, c.expertise_tags, c.case_id, c.status, \
         c.asked_at, c.origin_region, c.to_network, c.target_region, c.routed_to, {}",
        state_sql("c.outbox_key")
    )
}

fn list_of(text: &str) -> Vec<String> {
    text.split(',')
        .filter(|t| !t.is_empty())
        .map(str::to_owned)
        .collect()
}

fn from_row(row: &sqlx::any::AnyRow) -> Result<Consultation> {
    let delivery: Option<String> = row.get(12);
    Ok(Consultation {
        id: row.get(0),
        asker_kind: word("asker_kind", &row.get::<String, _>(1), AskerKind::parse)?,
        asker_organisation: row.get(2),
        question: row.get(3),
        expertise_tags: list_of(&row.get::<String, _>(4)),
        case_id: row.get(5),
        status: word(
            "status",
            &row.get::<String, _>(6),
            ConsultationStatus::parse,
        )?,
        asked_at: row.get(7),
        answers: Vec::new(),
        origin_region: row.get(8),
        to_network: row.get::<i64, _>(9) != 0,
        target_region: row.get(10),
        routed_to: list_of(&row.get::<String, _>(11)),
        delivery: delivery
            .map(|d| word("delivery", &d, DeliveryState::parse))
            .transpose()?,
    })
}

async fn answers_of<'e, E>(executor: E, id: &str) -> Result<Vec<ConsultationAnswer>>
where
    E: sqlx::Executor<'e, Database = sqlx::Any>,
{
    Ok(sqlx::query(
        "SELECT expert, answer, answered_at, region FROM consultation_answers WHERE consultation_id = $1 \
         ORDER BY sequence",
    )
    .bind(id)
    .fetch_all(executor)
    .await?
    .into_iter()
    .map(|r| {
        let region: String = r.get(3);
        ConsultationAnswer {
            expert: r.get(0),
            answer: r.get(1),
            answered_at: r.get(2),
            region: (!region.is_empty()).then_some(region),
        }
    })
    .collect())
}

/// One consultation with its answers, read in one snapshot: an answer arriving meanwhile is seen together
/// with the status it set, never one without the other.
pub async fn get(storage: &Storage, id: &str) -> Result<Consultation> {
    let mut tx = storage.begin_snapshot().await?;
    let row = sqlx::query(sqlx::AssertSqlSafe(format!(
        "SELECT {} FROM consultations c WHERE c.id = $1",
        columns()
    )))
    .bind(id)
    .fetch_optional(&mut *tx)
    .await?
    .ok_or_else(|| Error::not_found("consultation", id))?;
    let mut consultation = from_row(&row)?;
    consultation.answers = answers_of(&mut *tx, id).await?;
    tx.commit().await?;
    Ok(consultation)
}

/// Newest first, `limit` at a time after the consultation id `after`; read in one snapshot, as [`get`].
pub async fn list(
    storage: &Storage,
    status: Option<ConsultationStatus>,
    after: Option<&str>,
    limit: u32,
) -> Result<Page<Consultation>> {
    let mut tx = storage.begin_snapshot().await?;
    let rows = sqlx::query(sqlx::AssertSqlSafe(format!(
        "SELECT {} FROM consultations c WHERE ($1 = '' OR c.status = $1) AND ($2 = '' OR c.id < $2) \
         ORDER BY c.id DESC LIMIT $3",
        columns()
    )))
    .bind(status.map(|s| s.as_str()).unwrap_or(""))
    .bind(after.unwrap_or(""))
    .bind(i64::from(limit) + 1)
    .fetch_all(&mut *tx)
    .await?;
    let mut items = Vec::with_capacity(rows.len());
    for row in rows.iter().take(limit as usize) {
        let mut consultation = from_row(row)?;
        consultation.answers = answers_of(&mut *tx, &consultation.id).await?;
        items.push(consultation);
    }
    let next_after = (rows.len() > limit as usize)
        .then(|| items.last().map(|c| c.id.clone()))
        .flatten();
    tx.commit().await?;
    Ok(Page { items, next_after })
}

/// Per partner region: questions asked to the network still open (by the regions delivered to, or the
/// named region while not yet delivered), and when the oldest of them was asked.
pub async fn in_flight(pool: &sqlx::AnyPool) -> Result<Vec<(String, u64, Millis)>> {
    let rows = sqlx::query(
        "SELECT routed_to, target_region, asked_at FROM consultations \
         WHERE to_network = 1 AND status = 'open'",
    )
    .fetch_all(pool)
    .await?;
    let mut counts = std::collections::BTreeMap::<String, (u64, Millis)>::new();
    for row in rows {
        let mut regions = list_of(&row.get::<String, _>(0));
        if regions.is_empty() {
            regions.extend(row.get::<Option<String>, _>(1));
        }
        let asked_at: Millis = row.get(2);
        for region in regions {
            let (count, oldest) = counts.entry(region).or_insert((0, asked_at));
            *count += 1;
            *oldest = (*oldest).min(asked_at);
        }
    }
    Ok(counts
        .into_iter()
        .map(|(region, (count, oldest))| (region, count, oldest))
        .collect())
}

/// Questions from other regions nobody here has answered yet.
pub async fn waiting_incoming(pool: &sqlx::AnyPool) -> Result<u64> {
    let count: i64 = sqlx::query_scalar(
        "SELECT COUNT(*) FROM consultations WHERE origin_region IS NOT NULL AND status = 'open'",
    )
    .fetch_one(pool)
    .await?;
    Ok(u64::try_from(count).unwrap_or(0))
}
