//! The statistics store: each region's latest snapshot per quarter. A snapshot sent again replaces the earlier
//! one in one transaction (never adds to it); one computed before the stored one is ignored, so a late retry
//! cannot roll a region back.

use super::release::{self, Release};
use super::tables::Family;
use crate::error::{Error, Result};
use expertnet_proto::v1::{CategoryCount, SignalCell, SignalSnapshot, SignalTotals};
use sqlx::any::{AnyPoolOptions, install_default_drivers};
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode};
use sqlx::{AnyPool, ConnectOptions, Connection, Row};
use std::str::FromStr;

static MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate!("./migrations");

/// What storing a snapshot did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Stored {
    New,
    Replaced,
    /// An older computation than the one kept: nothing changed.
    Stale,
}

#[derive(Debug, Clone)]
pub struct StatisticsStore {
    pool: AnyPool,
}

pub(crate) fn storage(err: impl std::fmt::Display) -> Error {
    Error::Storage(err.to_string())
}

impl StatisticsStore {
    /// Opens (and on SQLite creates) the store and brings its schema up to date.
    pub async fn open(url: &str) -> Result<StatisticsStore> {
        install_default_drivers();
        if url.starts_with("sqlite:") {
            let options = SqliteConnectOptions::from_str(url)
                .map_err(|e| Error::Config(format!("statistics_database: {e}")))?
                .create_if_missing(true)
                .journal_mode(SqliteJournalMode::Wal);
            if let Some(parent) = options
                .get_filename()
                .parent()
                .filter(|p| !p.as_os_str().is_empty())
            {
                std::fs::create_dir_all(parent).map_err(|e| {
                    Error::Config(format!(
                        "statistics_database: cannot create {}: {e}",
                        parent.display()
                    ))
                })?;
            }
            options
                .connect()
                .await
                .map_err(storage)?
                .close()
                .await
                .map_err(storage)?;
        }
        let pool = AnyPoolOptions::new()
            .max_connections(4)
            .connect(url)
            .await
            .map_err(|e| Error::Config(format!("statistics_database: {e}")))?;
        MIGRATOR.run(&pool).await.map_err(storage)?;
        Ok(StatisticsStore { pool })
    }

    /// The gateway's database, which also keeps the dashboard's people and sessions.
    pub fn pool(&self) -> &AnyPool {
        &self.pool
    }

    /// Keeps `snapshot` as its region's signals for its period.
    pub async fn put(&self, snapshot: &SignalSnapshot, received_at_ms: i64) -> Result<Stored> {
        let mut tx = self.pool.begin().await.map_err(storage)?;
        let key = (&snapshot.region, &snapshot.period);
        // A write first, so SQLite takes its write lock up front and concurrent pushes queue instead of failing.
        sqlx::query("UPDATE snapshots SET received_at_ms = received_at_ms WHERE region = $1 AND period = $2")
            .bind(key.0)
            .bind(key.1)
            .execute(&mut *tx)
            .await
            .map_err(storage)?;
        let kept: Option<i64> = sqlx::query_scalar(
            "SELECT computed_at_ms FROM snapshots WHERE region = $1 AND period = $2",
        )
        .bind(key.0)
        .bind(key.1)
        .fetch_optional(&mut *tx)
        .await
        .map_err(storage)?;
        let stored = match kept {
            Some(at) if at > snapshot.computed_at_ms => return Ok(Stored::Stale),
            Some(_) => Stored::Replaced,
            None => Stored::New,
        };
        for table in ["snapshot_cells", "snapshot_signals", "snapshots"] {
            sqlx::query(sqlx::AssertSqlSafe(format!(
                "DELETE FROM {table} WHERE region = $1 AND period = $2"
            )))
            .bind(key.0)
            .bind(key.1)
            .execute(&mut *tx)
            .await
            .map_err(storage)?;
        }
        let totals = snapshot.totals.unwrap_or_default();
        sqlx::query(
            "INSERT INTO snapshots (region, period, computed_at_ms, received_at_ms, submitted, returned, \
             discussed, escalated, closed, sessions_held, escalations_accepted, \
             escalations_accepted_within_14_days, consultations_asked, consultations_answered, \
             consultations_answered_within_7_days) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15)",
        )
        .bind(key.0)
        .bind(key.1)
        .bind(snapshot.computed_at_ms)
        .bind(received_at_ms)
        .bind(totals.submitted as i64)
        .bind(totals.returned as i64)
        .bind(totals.discussed as i64)
        .bind(totals.escalated as i64)
        .bind(totals.closed as i64)
        .bind(totals.sessions_held as i64)
        .bind(totals.escalations_accepted as i64)
        .bind(totals.escalations_accepted_within_14_days as i64)
        .bind(totals.consultations_asked as i64)
        .bind(totals.consultations_answered as i64)
        .bind(totals.consultations_answered_within_7_days as i64)
        .execute(&mut *tx)
        .await
        .map_err(storage)?;
        for cell in snapshot.cells.iter().filter(|c| c.count > 0) {
            sqlx::query(
                "INSERT INTO snapshot_cells (region, period, category, age_band, outcome, lead_time, count) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7)",
            )
            .bind(key.0)
            .bind(key.1)
            .bind(i64::from(cell.category))
            .bind(i64::from(cell.age_band))
            .bind(i64::from(cell.outcome))
            .bind(i64::from(cell.lead_time))
            .bind(cell.count as i64)
            .execute(&mut *tx)
            .await
            .map_err(storage)?;
        }
        for signal in snapshot.no_fitting_answer.iter().filter(|s| s.count > 0) {
            sqlx::query(
                "INSERT INTO snapshot_signals (region, period, category, count) VALUES ($1, $2, $3, $4)",
            )
            .bind(key.0)
            .bind(key.1)
            .bind(i64::from(signal.category))
            .bind(signal.count as i64)
            .execute(&mut *tx)
            .await
            .map_err(storage)?;
        }
        tx.commit().await.map_err(storage)?;
        Ok(stored)
    }

    /// Every region's kept snapshot of `period`, by region.
    pub async fn of_period(&self, period: &str) -> Result<Vec<SignalSnapshot>> {
        let heads = sqlx::query(
            "SELECT region, computed_at_ms, submitted, returned, discussed, escalated, closed, sessions_held, \
             escalations_accepted, escalations_accepted_within_14_days, consultations_asked, \
             consultations_answered, consultations_answered_within_7_days \
             FROM snapshots WHERE period = $1 ORDER BY region",
        )
        .bind(period)
        .fetch_all(&self.pool)
        .await
        .map_err(storage)?;
        let mut snapshots = Vec::with_capacity(heads.len());
        for head in heads {
            let region: String = head.get(0);
            let count = |i: usize| head.get::<i64, _>(i) as u64;
            let cells = sqlx::query(
                "SELECT category, age_band, outcome, lead_time, count FROM snapshot_cells \
                 WHERE region = $1 AND period = $2 ORDER BY category, age_band, outcome, lead_time",
            )
            .bind(&region)
            .bind(period)
            .fetch_all(&self.pool)
            .await
            .map_err(storage)?
            .iter()
            .map(|r| SignalCell {
                category: r.get::<i64, _>(0) as i32,
                age_band: r.get::<i64, _>(1) as i32,
                outcome: r.get::<i64, _>(2) as i32,
                lead_time: r.get::<i64, _>(3) as i32,
                count: r.get::<i64, _>(4) as u64,
            })
            .collect();
            let no_fitting_answer = sqlx::query(
                "SELECT category, count FROM snapshot_signals WHERE region = $1 AND period = $2 \
                 ORDER BY category",
            )
            .bind(&region)
            .bind(period)
            .fetch_all(&self.pool)
            .await
            .map_err(storage)?
            .iter()
            .map(|r| CategoryCount {
                category: r.get::<i64, _>(0) as i32,
                count: r.get::<i64, _>(1) as u64,
            })
            .collect();
            snapshots.push(SignalSnapshot {
                region,
                period: period.to_owned(),
                computed_at_ms: head.get(1),
                cells,
                totals: Some(SignalTotals {
                    submitted: count(2),
                    returned: count(3),
                    discussed: count(4),
                    escalated: count(5),
                    closed: count(6),
                    sessions_held: count(7),
                    escalations_accepted: count(8),
                    escalations_accepted_within_14_days: count(9),
                    consultations_asked: count(10),
                    consultations_answered: count(11),
                    consultations_answered_within_7_days: count(12),
                }),
                no_fitting_answer,
            });
        }
        Ok(snapshots)
    }

    /// The kept release of a period's family, if it was released.
    pub async fn kept_release(&self, period: &str, family: Family) -> Result<Option<Release>> {
        let row = sqlx::query(
            "SELECT regions, k, shown, released_at_ms, areas FROM releases WHERE period = $1 AND family = $2",
        )
        .bind(period)
        .bind(family.as_str())
        .fetch_optional(&self.pool)
        .await
        .map_err(storage)?;
        row.map(|r| {
            Ok(Release {
                period: period.to_owned(),
                family,
                regions: r
                    .get::<String, _>(0)
                    .split(',')
                    .filter(|s| !s.is_empty())
                    .map(str::to_owned)
                    .collect(),
                k: r.get::<i64, _>(1) as u64,
                values: release::decode(&r.get::<String, _>(2))?,
                released_at_ms: r.get(3),
                areas: release::decode(&r.get::<String, _>(4))?,
            })
        })
        .transpose()
    }

    /// Keeps a release; `false` when one of the same period and family was kept first.
    pub async fn keep_release(&self, release: &Release) -> Result<bool> {
        let result = sqlx::query(
            "INSERT INTO releases (period, family, regions, k, shown, released_at_ms, areas) \
             VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT (period, family) DO NOTHING",
        )
        .bind(&release.period)
        .bind(release.family.as_str())
        .bind(release.regions.join(","))
        .bind(release.k as i64)
        .bind(release::encode(&release.values)?)
        .bind(release.released_at_ms)
        .bind(release::encode(&release.areas)?)
        .execute(&self.pool)
        .await
        .map_err(storage)?;
        Ok(result.rows_affected() == 1)
    }
}
