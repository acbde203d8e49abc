//! Backup and restore of a node on SQLite. The database is copied online with `VACUUM INTO` while the node goes
//! on serving; the keyring is exported to a file of its own, because one file holding both the sealed identifiers
//! and the keys that open them would undo their encryption. A copy is called good only once it is checked: the
//! file is sound, every youth's identifiers open with the keyring beside it, and the audit chain verifies.
//!
//! A node on PostgreSQL is backed up with `pg_dump` and its keyring file copied apart (see the README).

use crate::audit::NewAuditEvent;
use crate::clock::{Clock, SystemClock};
use crate::config::NodeConfig;
use crate::error::{Error, Result};
use crate::storage::{self, Backend, Storage};
use crate::vault::Vault;
use crate::vault::keyring::Keyring;
use crate::workflow::Workflow;
use std::path::{Path, PathBuf};
use std::sync::Arc;

/// A backup's two files: the database copy and the keyring, never one file.
#[derive(Debug, Clone)]
pub struct BackupFiles {
    pub database: PathBuf,
    pub keyring: PathBuf,
}

/// What a checked copy holds.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Checked {
    pub cases: i64,
    /// Youths whose identifiers were opened with the keyring.
    pub identities: u64,
    /// Audit events whose hash chain verified.
    pub audit_events: u64,
}

/// Copies the database of the node `config` describes (serving or not) and exports its keyring, then checks the
/// copy. Refuses to overwrite anything; on any failure nothing is left behind.
pub async fn back_up(config: &NodeConfig, to: &BackupFiles, operator: &str) -> Result<Checked> {
    sqlite_file(config)?;
    if std::path::absolute(&to.database).ok() == std::path::absolute(&to.keyring).ok() {
        return Err(Error::invalid(
            "--keyring-out",
            "must be another file than --out: the keys and the data they protect are kept apart",
        ));
    }
    refuse_existing("--out", &to.database)?;
    refuse_existing("--keyring-out", &to.keyring)?;
    let keyring_path = config.keyring_path()?;
    let keyring = Keyring::load(&keyring_path)
        .map_err(|e| Error::Config(format!("identity.keyring: {e}")))?;
    let live = Storage::connect(&config.database.url, 1, vault(&keyring)?).await?;

    let copied = copy_and_check(&live, &keyring, to).await;
    if let Err(err) = copied {
        remove_database(&to.database);
        let _ = std::fs::remove_file(&to.keyring);
        live.close().await;
        return Err(err);
    }
    let checked = copied?;
    let action = format!(
        "backup: database copied to {}, keyring exported to {} ({} cases)",
        to.database.display(),
        to.keyring.display(),
        checked.cases
    );
    let event = NewAuditEvent::operator(SystemClock.now_ms(), operator, &action, "");
    let recorded = storage::audit::append_one(&live, event).await;
    live.close().await;
    recorded?;
    Ok(checked)
}

async fn copy_and_check(live: &Storage, keyring: &Keyring, to: &BackupFiles) -> Result<Checked> {
    create_private(&to.database).map_err(|e| file_error("--out", &to.database, e))?;
    storage::backup::vacuum_into(live, &to.database).await?;
    keyring
        .save(&to.keyring)
        .map_err(|e| Error::invalid("--keyring-out", e.to_string()))?;
    check(&to.database, keyring).await
}

/// Brings a backup into the empty place `config` names for the node's database and keyring, and checks it there
/// before a node may serve from it. Refuses to overwrite anything; a backup that fails its check is removed from
/// the data folder again, and the backup itself is never changed.
pub async fn restore(config: &NodeConfig, from: &BackupFiles, operator: &str) -> Result<Checked> {
    let target = sqlite_file(config)?;
    let target_keyring = config.keyring_path()?;
    refuse_existing("database.url", &target)?;
    refuse_existing("identity.keyring", &target_keyring)?;
    if !from.database.is_file() {
        return Err(Error::invalid(
            "--from",
            format!("{} is not a file", from.database.display()),
        ));
    }
    let keyring =
        Keyring::load(&from.keyring).map_err(|e| Error::invalid("--keyring", e.to_string()))?;

    let restored = async {
        copy_private(&from.database, &target)
            .map_err(|e| file_error("database.url", &target, e))?;
        keyring
            .save(&target_keyring)
            .map_err(|e| Error::Config(format!("identity.keyring: {e}")))?;
        let checked = check(&target, &keyring).await.map_err(|e| match e {
            Error::Vault(message) => Error::invalid(
                "--keyring",
                format!("does not open the backup's identifiers: {message}"),
            ),
            Error::Storage(_) | Error::Migration(_) | Error::Unreadable(_) => Error::invalid(
                "--from",
                format!(
                    "{} is not a sound node database: {e}",
                    from.database.display()
                ),
            ),
            other => other,
        })?;
        let storage = Storage::connect(&sqlite_url(&target), 1, vault(&keyring)?).await?;
        let action = format!("restore: from {}", from.database.display());
        let event = NewAuditEvent::operator(SystemClock.now_ms(), operator, &action, "");
        let recorded = storage::audit::append_one(&storage, event).await;
        storage.close().await;
        recorded.map(|()| checked)
    }
    .await;
    if restored.is_err() {
        remove_database(&target);
        let _ = std::fs::remove_file(&target_keyring);
    }
    restored
}

/// Opens a copy with a keyring and checks it all: the file, every identifier, the audit chain.
async fn check(database: &Path, keyring: &Keyring) -> Result<Checked> {
    let storage = Storage::connect(&sqlite_url(database), 1, vault(keyring)?).await?;
    let workflow = Workflow::new(storage.clone(), Arc::new(SystemClock));
    let checked = async {
        storage::backup::integrity_check(&storage).await?;
        let identities = storage::identity::check_all(&storage).await?;
        let trail = workflow.verify_audit_trail().await?;
        let verified = trail.result.map_err(|broken| {
            Error::Unreadable(format!("the audit trail does not verify: {broken}"))
        })?;
        let (cases, _) = storage::backup::counts(&storage).await?;
        Ok(Checked {
            cases,
            identities,
            audit_events: verified.events,
        })
    }
    .await;
    storage.close().await;
    checked
}

/// The node's SQLite database file; a node on PostgreSQL is refused with where to look instead.
fn sqlite_file(config: &NodeConfig) -> Result<PathBuf> {
    match Backend::of_url(&config.database.url) {
        Some(Backend::Sqlite) => config.sqlite_file(),
        _ => Err(Error::Config(
            "database.url: a node on PostgreSQL is backed up with pg_dump and restored with pg_restore, its \
             keyring file copied apart (see the README); `backup` and `restore` copy SQLite files"
                .into(),
        )),
    }
}

fn sqlite_url(path: &Path) -> String {
    format!("sqlite://{}", path.display())
}

fn vault(keyring: &Keyring) -> Result<Vault> {
    Vault::new(keyring).map_err(|e| Error::Config(format!("identity.keyring: {e}")))
}

fn refuse_existing(field: &str, path: &Path) -> Result<()> {
    if path.exists() {
        Err(Error::invalid(
            field,
            format!("{} exists; nothing is overwritten", path.display()),
        ))
    } else {
        Ok(())
    }
}

fn file_error(field: &str, path: &Path, err: std::io::Error) -> Error {
    Error::invalid(field, format!("{}: {err}", path.display()))
}

/// Removes a database file with the journal files SQLite may have left beside it.
fn remove_database(path: &Path) {
    for suffix in ["", "-wal", "-shm"] {
        let mut name = path.as_os_str().to_owned();
        name.push(suffix);
        let _ = std::fs::remove_file(PathBuf::from(name));
    }
}

/// Makes an empty file only its owner may read: every copy of the node's data is as private as the data.
fn create_private(path: &Path) -> std::io::Result<std::fs::File> {
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir)?;
    }
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    options.open(path)
}

fn copy_private(from: &Path, to: &Path) -> std::io::Result<()> {
    let mut target = create_private(to)?;
    std::io::copy(&mut std::fs::File::open(from)?, &mut target)?;
    target.sync_all()
}
