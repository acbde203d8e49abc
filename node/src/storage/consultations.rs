//! Consultation questions to the node's experts and their answers.

use super::Transaction;
use super::rows::word;
use crate::domain::*;
use crate::error::{Error, Result};
use sqlx::Row;

pub async fn insert(
    tx: &mut Transaction,
    consultation: &Consultation,
    request_id: Option<&str>,
) -> Result<()> {
    sqlx::query(
        "INSERT INTO consultations (id, request_id, asker_kind, asker_organisation, question, expertise_tags, \
         case_id, status, asked_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
    )
    .bind(&consultation.id)
    .bind(request_id)
    .bind(consultation.asker_kind.as_str())
    .bind(&consultation.asker_organisation)
    .bind(&consultation.question)
    .bind(consultation.expertise_tags.join(","))
    .bind(consultation.case_id.as_deref())
    .bind(consultation.status.as_str())
    .bind(consultation.asked_at)
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

pub async fn add_answer(
    tx: &mut Transaction,
    consultation_id: &str,
    answer: &ConsultationAnswer,
) -> Result<()> {
    let updated = sqlx::query("UPDATE consultations SET status = $1 WHERE id = $2")
        .bind(ConsultationStatus::Answered.as_str())
        .bind(consultation_id)
        .execute(&mut **tx)
        .await?;
    if updated.rows_affected() == 0 {
        return Err(Error::not_found("consultation", consultation_id));
    }
    sqlx::query(
        "INSERT INTO consultation_answers (consultation_id, sequence, expert, answer, answered_at) VALUES ($1, \
         (SELECT COALESCE(MAX(sequence), 0) + 1 FROM consultation_answers WHERE consultation_id = $1), $2, $3, $4)",
    )
    .bind(consultation_id)
    .bind(&answer.expert)
    .bind(&answer.answer)
    .bind(answer.answered_at)
    .execute(&mut **tx)
    .await?;
    Ok(())
}

const COLUMNS: &str =
    "id, asker_kind, asker_organisation, question, expertise_tags, case_id, status, asked_at";

fn from_row(row: &sqlx::any::AnyRow) -> Result<Consultation> {
    let tags: String = row.get(4);
    Ok(Consultation {
        id: row.get(0),
        asker_kind: word("asker_kind", &row.get::<String, _>(1), AskerKind::parse)?,
        asker_organisation: row.get(2),
        question: row.get(3),
        expertise_tags: tags
            .split(',')
            .filter(|t| !t.is_empty())
            .map(str::to_owned)
            .collect(),
        case_id: row.get(5),
        status: word(
            "status",
            &row.get::<String, _>(6),
            ConsultationStatus::parse,
        )?,
        asked_at: row.get(7),
        answers: Vec::new(),
    })
}

async fn answers_of<'e, E>(executor: E, id: &str) -> Result<Vec<ConsultationAnswer>>
where
    E: sqlx::Executor<'e, Database = sqlx::Any>,
{
    Ok(sqlx::query(
        "SELECT expert, answer, answered_at FROM consultation_answers WHERE consultation_id = $1 \
         ORDER BY sequence",
    )
    .bind(id)
    .fetch_all(executor)
    .await?
    .into_iter()
    .map(|r| ConsultationAnswer {
        expert: r.get(0),
        answer: r.get(1),
        answered_at: r.get(2),
    })
    .collect())
}

pub async fn get(pool: &sqlx::AnyPool, id: &str) -> Result<Consultation> {
    let row = sqlx::query(sqlx::AssertSqlSafe(format!(
        "SELECT {COLUMNS} FROM consultations WHERE id = $1"
    )))
    .bind(id)
    .fetch_optional(pool)
    .await?
    .ok_or_else(|| Error::not_found("consultation", id))?;
    let mut consultation = from_row(&row)?;
    consultation.answers = answers_of(pool, id).await?;
    Ok(consultation)
}

/// Newest first, `limit` at a time after the consultation id `after`.
pub async fn list(
    pool: &sqlx::AnyPool,
    status: Option<ConsultationStatus>,
    after: Option<&str>,
    limit: u32,
) -> Result<Page<Consultation>> {
    let rows = sqlx::query(sqlx::AssertSqlSafe(format!(
        "SELECT {COLUMNS} FROM consultations WHERE ($1 = '' OR status = $1) AND ($2 = '' OR id < $2) \
         ORDER BY id DESC LIMIT $3"
    )))
    .bind(status.map(|s| s.as_str()).unwrap_or(""))
    .bind(after.unwrap_or(""))
    .bind(i64::from(limit) + 1)
    .fetch_all(pool)
    .await?;
    let mut items = Vec::with_capacity(rows.len());
    for row in rows.iter().take(limit as usize) {
        let mut consultation = from_row(row)?;
        consultation.answers = answers_of(pool, &consultation.id).await?;
        items.push(consultation);
    }
    let next_after = (rows.len() > limit as usize)
        .then(|| items.last().map(|c| c.id.clone()))
        .flatten();
    Ok(Page { items, next_after })
}
