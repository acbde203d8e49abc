//! The one place where a youth's direct identifiers are stored: the `youth_identities` table.
//!
//! No other module reads or writes that table, and nothing here logs. Encryption at rest will wrap exactly
//! these two functions.

use super::bulk::{Value, insert_rows};
use super::rows::date_text;
use super::{Backend, Transaction};
use crate::domain::YouthIdentity;
use crate::error::{Error, Result};
use sqlx::Row;

pub async fn insert_many(
    tx: &mut Transaction,
    backend: Backend,
    youths: &[(&str, &YouthIdentity)],
) -> Result<()> {
    let rows: Vec<Vec<Value>> = youths
        .iter()
        .map(|(case_id, youth)| {
            vec![
                Value::Text((*case_id).to_owned()),
                Value::Text(youth.name.clone()),
                youth.bsn.clone().map_or(Value::NullText, Value::Text),
                youth
                    .date_of_birth
                    .map_or(Value::NullText, |d| Value::Text(date_text(d))),
            ]
        })
        .collect();
    insert_rows(
        tx,
        backend,
        "youth_identities",
        &["case_id", "name", "bsn", "date_of_birth"],
        &rows,
    )
    .await
}

pub async fn get(pool: &sqlx::AnyPool, case_id: &str) -> Result<YouthIdentity> {
    let row =
        sqlx::query("SELECT name, bsn, date_of_birth FROM youth_identities WHERE case_id = $1")
            .bind(case_id)
            .fetch_optional(pool)
            .await?
            .ok_or_else(|| Error::not_found("case", case_id))?;
    Ok(YouthIdentity {
        name: row.get(0),
        bsn: row.get(1),
        date_of_birth: row
            .get::<Option<String>, _>(2)
            .map(|d| stored_birth_date(&d))
            .transpose()?,
    })
}

/// Whether the case's stored youth is the one `youth` names. Compared here so the identifiers never leave
/// this module: a retried submit must not hand one youth's case to a request about another.
pub async fn same_youth<'e, E>(executor: E, case_id: &str, youth: &YouthIdentity) -> Result<bool>
where
    E: sqlx::Executor<'e, Database = sqlx::Any>,
{
    let row =
        sqlx::query("SELECT name, bsn, date_of_birth FROM youth_identities WHERE case_id = $1")
            .bind(case_id)
            .fetch_optional(executor)
            .await?
            .ok_or_else(|| Error::not_found("case", case_id))?;
    let name: String = row.get(0);
    let bsn: Option<String> = row.get(1);
    let date_of_birth: Option<String> = row.get(2);
    Ok(name == youth.name
        && bsn == youth.bsn
        && date_of_birth == youth.date_of_birth.map(date_text))
}

/// A stored date of birth that does not parse is reported without its value: it is personal data.
fn stored_birth_date(text: &str) -> Result<time::Date> {
    time::Date::parse(
        text,
        &time::macros::format_description!("[year]-[month]-[day]"),
    )
    .map_err(|_| {
        Error::Storage(sqlx::Error::Decode(
            "column date_of_birth: not a date".into(),
        ))
    })
}
