//! Storage on sqlx: an SQLite file by default (WAL), PostgreSQL by URL, the same embedded migrations for both.
//!
//! All SQL here is portable between the two (numbered `$n` parameters, `RETURNING`, `ON CONFLICT`), so one
//! implementation over sqlx's `Any` driver serves both and one test suite proves them interchangeable. Writing
//! transactions start with a write, so SQLite takes its write lock up front and never has to upgrade a read lock.

pub mod audit;
pub mod backup;
pub mod bulk;
pub mod case_writer;
pub mod cases;
pub mod consultations;
pub mod escalations;
pub mod group_commit;
pub mod identity;
pub mod import;
pub mod inbox;
pub mod outbox;
pub mod plan;
pub mod retention;
pub mod review;
mod rows;
pub mod sessions;
pub mod sign_in;
pub mod signals;
pub mod users;

use crate::error::{Error, Result};
use crate::vault::Vault;
use sqlx::any::{AnyPoolOptions, install_default_drivers};
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode};
use sqlx::{AnyConnection, AnyPool, ConnectOptions, Connection, Executor};
use std::ops::{Deref, DerefMut};
use std::str::FromStr;
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::{Mutex, OwnedMutexGuard};

/// The migrations of the node's schema, compiled into the binary.
pub static MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate!("./migrations");

/// Which database a URL points at.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

impl Backend {
    pub fn of_url(url: &str) -> Option<Backend> {
        if url.starts_with("sqlite:") {
            Some(Backend::Sqlite)
        } else if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            Some(Backend::Postgres)
        } else {
            None
        }
    }
}

/// A pool on the node's database. Cheap to clone.
#[derive(Debug, Clone)]
pub struct Storage {
    pool: AnyPool,
    backend: Backend,
    /// Seals and opens the youth's identifiers (see [`identity`]).
    vault: Vault,
    /// SQLite lets one writer in at a time; the others would sleep in its busy handler (1, 2, 5, 10… ms).
    /// Taking turns here instead keeps concurrent writes queued in order, without those sleeps.
    sqlite_writer: Option<Arc<Mutex<()>>>,
}

/// A writing transaction; on SQLite it also holds the writer's turn until it commits or is dropped.
#[derive(Debug)]
pub struct Transaction {
    inner: sqlx::Transaction<'static, sqlx::Any>,
    vault: Vault,
    _turn: Option<OwnedMutexGuard<()>>,
}

impl Transaction {
    pub fn vault(&self) -> &Vault {
        &self.vault
    }

    pub async fn commit(self) -> Result<()> {
        self.inner.commit().await?;
        Ok(())
    }
}

impl Deref for Transaction {
    type Target = AnyConnection;
    fn deref(&self) -> &AnyConnection {
        &self.inner
    }
}

impl DerefMut for Transaction {
    fn deref_mut(&mut self) -> &mut AnyConnection {
        &mut self.inner
    }
}

impl Storage {
    /// Connects, creating an SQLite file (and its folder) if missing, and runs the migrations. `vault` holds
    /// the keys the youth's identifiers are sealed with.
    pub async fn connect(url: &str, max_connections: u32, vault: Vault) -> Result<Storage> {
        install_default_drivers();
        let backend = Backend::of_url(url).ok_or_else(|| {
            Error::Config(
                "database.url: must start with sqlite:, postgres:// or postgresql://".into(),
            )
        })?;
        if backend == Backend::Sqlite {
            prepare_sqlite_file(url).await?;
        }
        let pool = AnyPoolOptions::new()
            .max_connections(max_connections)
            .min_connections(1)
            .acquire_timeout(Duration::from_secs(10))
            // A pooled PostgreSQL connection may have died with the server or the network: sqlx pings it
            // before handing it out. An SQLite connection is an open file in this process and cannot go
            // stale; the ping would only be one more round trip to its thread on every query.
            .test_before_acquire(backend == Backend::Postgres)
            .after_connect(move |conn, _meta| {
                Box::pin(async move {
                    if backend == Backend::Sqlite {
                        // WAL with synchronous=NORMAL: a crash of the process loses nothing committed;
                        // a power cut may lose the last transactions but never corrupts the file.
                        conn.execute("PRAGMA synchronous = NORMAL").await?;
                    }
                    Ok(())
                })
            })
            .connect(url)
            .await?;
        MIGRATOR.run(&pool).await?;
        let sqlite_writer = (backend == Backend::Sqlite).then(|| Arc::new(Mutex::new(())));
        Ok(Storage {
            pool,
            backend,
            vault,
            sqlite_writer,
        })
    }

    pub fn backend(&self) -> Backend {
        self.backend
    }

    pub fn pool(&self) -> &AnyPool {
        &self.pool
    }

    /// A read-only transaction whose reads all see one snapshot: SQLite's (WAL) always do; PostgreSQL's only from
    /// REPEATABLE READ on (under its default READ COMMITTED every statement takes a fresh one). It does not wait
    /// for the SQLite writer's turn: it writes nothing.
    pub async fn begin_snapshot(&self) -> Result<sqlx::Transaction<'static, sqlx::Any>> {
        let mut tx = self.pool.begin().await?;
        if self.backend == Backend::Postgres {
            sqlx::query("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
                .execute(&mut *tx)
                .await?;
        }
        Ok(tx)
    }

    /// Whether the node holds any case at all (a new node holds none).
    pub async fn is_empty(&self) -> Result<bool> {
        let any: Option<String> = sqlx::query_scalar("SELECT id FROM cases LIMIT 1")
            .fetch_optional(&self.pool)
            .await?;
        Ok(any.is_none())
    }

    pub fn vault(&self) -> &Vault {
        &self.vault
    }

    /// Begins a writing transaction (waiting for the writer's turn on SQLite).
    pub async fn begin(&self) -> Result<Transaction> {
        let turn = match &self.sqlite_writer {
            Some(writer) => Some(writer.clone().lock_owned().await),
            None => None,
        };
        // On SQLite the write lock is taken at BEGIN (IMMEDIATE), waiting in the busy handler if need be. A
        // deferred transaction that reads first and then writes fails at once with SQLITE_BUSY_SNAPSHOT (517)
        // when a write outside our turn (a courier's bookkeeping, another process) came in between.
        let inner = match self.backend {
            Backend::Sqlite => self.pool.begin_with("BEGIN IMMEDIATE").await?,
            Backend::Postgres => self.pool.begin().await?,
        };
        Ok(Transaction {
            inner,
            vault: self.vault.clone(),
            _turn: turn,
        })
    }

    pub async fn close(&self) {
        self.pool.close().await;
    }
}

/// Creates the SQLite file and switches it to WAL once; the journal mode is a property of the file.
async fn prepare_sqlite_file(url: &str) -> Result<()> {
    let options = SqliteConnectOptions::from_str(url)?
        .create_if_missing(true)
        .journal_mode(SqliteJournalMode::Wal);
    let path = options.get_filename();
    if let Some(parent) = path.parent().filter(|p| !p.as_os_str().is_empty()) {
        std::fs::create_dir_all(parent).map_err(|e| {
            Error::Config(format!(
                "database.url: cannot create folder {}: {e}",
                parent.display()
            ))
        })?;
    }
    let new = !path.exists();
    let conn = options.connect().await?;
    conn.close().await?;
    if new {
        private(path)?;
    }
    Ok(())
}

/// A new database file is readable by its owner only, like the keyring and every backup: it holds the youth's
/// case files. (SQLite gives its journal files the same mode.) An existing file keeps the mode its operator chose.
#[cfg(unix)]
fn private(path: &std::path::Path) -> Result<()> {
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o600)).map_err(|e| {
        Error::Config(format!(
            "database.url: cannot make {} private: {e}",
            path.display()
        ))
    })
}

#[cfg(not(unix))]
fn private(_path: &std::path::Path) -> Result<()> {
    Ok(())
}

/// True when a database error is a unique-constraint violation (a duplicate key).
pub(crate) fn is_unique_violation(err: &sqlx::Error) -> bool {
    matches!(err, sqlx::Error::Database(db) if db.is_unique_violation())
}
