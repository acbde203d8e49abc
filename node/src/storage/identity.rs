//! The one place where a youth's direct identifiers are stored: the `youth_identities` table, encrypted.
//!
//! No other module reads or writes that table, and nothing here logs. Name, BSN and date of birth are sealed with
//! the node's vault before they are written and opened only when read through [`get`]; the BSN's keyed pseudonym
//! is stored beside them, so [`earlier_cases`] finds the same youth without decrypting anything.

use super::bulk::{Value, insert_rows};
use super::rows::date_text;
use super::{Backend, Storage, Transaction};
use crate::domain::YouthIdentity;
use crate::error::{Error, Result};
use crate::vault::Vault;
use sqlx::Row;

const NAME: &str = "name";
const BSN: &str = "bsn";
const DATE_OF_BIRTH: &str = "date_of_birth";

pub async fn insert_many(
    tx: &mut Transaction,
    backend: Backend,
    youths: &[(&str, &YouthIdentity)],
) -> Result<()> {
    let vault = tx.vault().clone();
    let rows: Vec<Vec<Value>> = youths
        .iter()
        .map(|(case_id, youth)| sealed_row(&vault, case_id, youth))
        .collect();
    insert_rows(
        tx,
        backend,
        "youth_identities",
        &[
            "case_id",
            "name",
            "bsn",
            "date_of_birth",
            "key_id",
            "bsn_pseudonym",
        ],
        &rows,
    )
    .await
}

fn sealed_row(vault: &Vault, case_id: &str, youth: &YouthIdentity) -> Vec<Value> {
    let sealed = |field, text: Option<String>| {
        text.map_or(Value::NullText, |t| {
            Value::Text(vault.seal(case_id, field, &t))
        })
    };
    vec![
        Value::Text(case_id.to_owned()),
        sealed(NAME, Some(youth.name.clone())),
        sealed(BSN, youth.bsn.clone()),
        sealed(DATE_OF_BIRTH, youth.date_of_birth.map(date_text)),
        Value::Text(vault.current_key().to_owned()),
        youth
            .bsn
            .as_deref()
            .map_or(Value::NullText, |bsn| Value::Text(vault.pseudonym(bsn))),
    ]
}

/// The stored, still sealed columns of one row.
struct SealedRow {
    name: String,
    bsn: Option<String>,
    date_of_birth: Option<String>,
}

impl SealedRow {
    fn open(&self, vault: &Vault, case_id: &str) -> Result<YouthIdentity> {
        let open = |field, sealed: &str| {
            vault
                .open(case_id, field, sealed)
                .map_err(|e| Error::Vault(e.to_string()))
        };
        Ok(YouthIdentity {
            name: open(NAME, &self.name)?,
            bsn: self.bsn.as_deref().map(|b| open(BSN, b)).transpose()?,
            date_of_birth: self
                .date_of_birth
                .as_deref()
                .map(|d| open(DATE_OF_BIRTH, d).and_then(|text| stored_birth_date(&text)))
                .transpose()?,
        })
    }
}

async fn sealed<'e, E>(executor: E, case_id: &str) -> Result<SealedRow>
where
    E: sqlx::Executor<'e, Database = sqlx::Any>,
{
    let row =
        sqlx::query("SELECT name, bsn, date_of_birth FROM youth_identities WHERE case_id = $1")
            .bind(case_id)
            .fetch_optional(executor)
            .await?
            .ok_or_else(|| Error::not_found("case", case_id))?;
    Ok(SealedRow {
        name: row.get(0),
        bsn: row.get(1),
        date_of_birth: row.get(2),
    })
}

pub async fn get(storage: &Storage, case_id: &str) -> Result<YouthIdentity> {
    sealed(storage.pool(), case_id)
        .await?
        .open(storage.vault(), case_id)
}

/// Whether the case's stored youth is the one `youth` names. Compared here so the identifiers never leave
/// this module: a retried submit must not hand one youth's case to a request about another.
pub async fn same_youth(storage: &Storage, case_id: &str, youth: &YouthIdentity) -> Result<bool> {
    let stored = get(storage, case_id).await?;
    Ok(stored.name == youth.name
        && stored.bsn == youth.bsn
        && stored.date_of_birth == youth.date_of_birth)
}

/// Cases submitted at this node before this one about the same youth (the same BSN), oldest first: intake sees
/// that the youth was at the table before, and nothing is decrypted to find out.
pub async fn earlier_cases(storage: &Storage, case_id: &str) -> Result<Vec<String>> {
    let rows = sqlx::query(
        "SELECT other.case_id FROM youth_identities this \
         JOIN cases this_case ON this_case.id = this.case_id \
         JOIN youth_identities other ON other.bsn_pseudonym = this.bsn_pseudonym AND other.case_id <> this.case_id \
         JOIN cases c ON c.id = other.case_id \
         WHERE this.case_id = $1 AND this.bsn_pseudonym IS NOT NULL \
         AND (c.submitted_at < this_case.submitted_at \
              OR (c.submitted_at = this_case.submitted_at AND c.id < this_case.id)) \
         ORDER BY c.submitted_at, c.id",
    )
    .bind(case_id)
    .fetch_all(storage.pool())
    .await?;
    Ok(rows.into_iter().map(|r| r.get(0)).collect())
}

/// How many rows each key sealed (rows from before encryption count under `None`).
pub async fn keys_in_use(storage: &Storage) -> Result<Vec<(Option<String>, i64)>> {
    let rows = sqlx::query(
        "SELECT key_id, COUNT(*) FROM youth_identities GROUP BY key_id ORDER BY COALESCE(key_id, '')",
    )
    .fetch_all(storage.pool())
    .await?;
    Ok(rows.into_iter().map(|r| (r.get(0), r.get(1))).collect())
}

/// Opens every stored youth's identifiers and recomputes each BSN's pseudonym: proof that the vault's keyring
/// belongs to this database, the keys and the pseudonym secret both (a backup and a restore check it before a
/// node serves from the copy). Rows from before encryption are counted, not opened. Returns how many rows were
/// read; the first that does not open is the error, named by its case.
pub async fn check_all(storage: &Storage) -> Result<u64> {
    const PAGE: i64 = 1000;
    let vault = storage.vault();
    let mut after = String::new();
    let mut checked = 0;
    loop {
        let rows = sqlx::query(
            "SELECT case_id, name, bsn, date_of_birth, key_id, bsn_pseudonym FROM youth_identities \
             WHERE case_id > $1 ORDER BY case_id LIMIT $2",
        )
        .bind(&after)
        .bind(PAGE)
        .fetch_all(storage.pool())
        .await?;
        let Some(last) = rows.last() else {
            return Ok(checked);
        };
        after = last.get(0);
        for row in &rows {
            checked += 1;
            if row.get::<Option<String>, _>(4).is_none() {
                continue;
            }
            let case_id: String = row.get(0);
            let stored = SealedRow {
                name: row.get(1),
                bsn: row.get(2),
                date_of_birth: row.get(3),
            };
            let youth = stored.open(vault, &case_id)?;
            let pseudonym: Option<String> = row.get(5);
            if youth.bsn.as_deref().map(|bsn| vault.pseudonym(bsn)) != pseudonym {
                return Err(Error::Vault(format!(
                    "the BSN pseudonym of case {case_id} was made with another pseudonym secret"
                )));
            }
        }
    }
}

/// Seals again, with the vault's current key, every row sealed with another key — and seals rows written before
/// identifiers were encrypted (no key yet; their plaintext is replaced). In batches, each its own transaction.
/// Returns how many rows changed.
pub async fn reseal(storage: &Storage) -> Result<u64> {
    const BATCH: i64 = 500;
    let vault = storage.vault();
    let mut changed = 0;
    loop {
        let mut tx = storage.begin().await?;
        let rows = sqlx::query(
            "SELECT case_id, name, bsn, date_of_birth, key_id FROM youth_identities \
             WHERE key_id IS NULL OR key_id <> $1 ORDER BY case_id LIMIT $2",
        )
        .bind(vault.current_key())
        .bind(BATCH)
        .fetch_all(&mut *tx)
        .await?;
        if rows.is_empty() {
            return Ok(changed);
        }
        for row in &rows {
            let case_id: String = row.get(0);
            let stored = SealedRow {
                name: row.get(1),
                bsn: row.get(2),
                date_of_birth: row.get(3),
            };
            let key_id: Option<String> = row.get(4);
            let youth = match key_id {
                Some(_) => stored.open(vault, &case_id)?,
                None => YouthIdentity {
                    name: stored.name,
                    bsn: stored.bsn,
                    date_of_birth: stored
                        .date_of_birth
                        .as_deref()
                        .map(stored_birth_date)
                        .transpose()?,
                },
            };
            let sealed = sealed_row(vault, &case_id, &youth);
            let text = |v: &Value| match v {
                Value::Text(t) => Some(t.clone()),
                _ => None,
            };
            sqlx::query(
                "UPDATE youth_identities SET name = $1, bsn = $2, date_of_birth = $3, key_id = $4, \
                 bsn_pseudonym = $5 WHERE case_id = $6",
            )
            .bind(text(&sealed[1]))
            .bind(text(&sealed[2]))
            .bind(text(&sealed[3]))
            .bind(text(&sealed[4]))
            .bind(text(&sealed[5]))
            .bind(&case_id)
            .execute(&mut *tx)
            .await?;
            changed += 1;
        }
        tx.commit().await?;
    }
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
