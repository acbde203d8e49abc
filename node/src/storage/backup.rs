//! The database side of a backup of a node on SQLite: SQLite's own online copy, its integrity check, and the
//! counts a backup reports.

use super::{Backend, Storage};
use crate::error::{Error, Result};
use sqlx::Row;
use std::path::Path;

/// Writes a consistent copy of the whole database to `target`, which must not exist or be empty. `VACUUM INTO`
/// reads in one transaction, so a node that goes on writing meanwhile is neither stopped nor half in the copy.
pub async fn vacuum_into(storage: &Storage, target: &Path) -> Result<()> {
    sqlite_only(storage)?;
    let target = target
        .to_str()
        .ok_or_else(|| Error::invalid("--out", "the path must be UTF-8"))?;
    sqlx::query("VACUUM INTO $1")
        .bind(target)
        .execute(storage.pool())
        .await?;
    Ok(())
}

/// SQLite's full check of the file's structure: every page, index and constraint. `Ok` only for a sound file.
pub async fn integrity_check(storage: &Storage) -> Result<()> {
    sqlite_only(storage)?;
    let rows = sqlx::query("PRAGMA integrity_check")
        .fetch_all(storage.pool())
        .await?;
    let findings: Vec<String> = rows.iter().map(|r| r.get::<String, _>(0)).collect();
    if findings == ["ok"] {
        Ok(())
    } else {
        Err(Error::Unreadable(format!(
            "the database file is damaged: {}",
            findings.join("; ")
        )))
    }
}

/// How many cases and audit events the database holds: what a backup or restore reports.
pub async fn counts(storage: &Storage) -> Result<(i64, i64)> {
    let row =
        sqlx::query("SELECT (SELECT COUNT(*) FROM cases), (SELECT COUNT(*) FROM audit_events)")
            .fetch_one(storage.pool())
            .await?;
    Ok((row.get(0), row.get(1)))
}

fn sqlite_only(storage: &Storage) -> Result<()> {
    match storage.backend() {
        Backend::Sqlite => Ok(()),
        Backend::Postgres => Err(Error::Config(
            "database.url: a node on PostgreSQL is backed up with pg_dump and restored with pg_restore \
             (see the README); `backup` and `restore` copy SQLite files"
                .into(),
        )),
    }
}
