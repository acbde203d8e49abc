//! The privacy odometer: how much ε each consumer has spent on a quarter's noisy tables, and all of them together.
//! A query is charged before it is answered, by conditional updates in one transaction, so two concurrent queries
//! cannot both slip under a budget; one that would pass either budget is refused and costs nothing. The network's
//! total caps what colluding coordinators (or one person holding several certificates) could learn together.

use super::privacy::{MICRO, micro};
use super::store::{StatisticsStore, storage};
use crate::error::{Error, Result};

/// A consumer's budget for a quarter after a charge.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Spent {
    pub epsilon: f64,
    pub budget: f64,
    /// All consumers together.
    pub network_epsilon: f64,
    pub network_budget: f64,
}

/// The budgets a query is charged against: each consumer's, and all consumers' together, per quarter.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Budgets {
    pub per_consumer: f64,
    pub total: f64,
}

/// What the statistics have released and spent, for the gateway's metrics.
#[derive(Debug, Clone, PartialEq)]
pub struct Ledger {
    pub releases: u64,
    /// Per quarter, the ε all consumers together have spent.
    pub epsilon_spent: Vec<(String, f64)>,
}

/// The ledger row of all consumers together; consumer names are certificate names (a-z and '-') and never this.
const EVERYONE: &str = "*";

impl StatisticsStore {
    /// Releases kept and the network's ε spent per quarter.
    pub async fn ledger(&self) -> Result<Ledger> {
        let releases: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM releases")
            .fetch_one(self.pool())
            .await
            .map_err(storage)?;
        let spent: Vec<(String, i64)> = sqlx::query_as(
            "SELECT period, spent_micro FROM privacy_spent WHERE consumer = $1 ORDER BY period",
        )
        .bind(EVERYONE)
        .fetch_all(self.pool())
        .await
        .map_err(storage)?;
        Ok(Ledger {
            releases: releases as u64,
            epsilon_spent: spent
                .into_iter()
                .map(|(period, micro)| (period, micro as f64 / MICRO))
                .collect(),
        })
    }

    /// Charges `epsilon` to `consumer`'s budget for `period` and to the total, recording `query`; refused when
    /// either would be passed.
    pub async fn charge(
        &self,
        consumer: &str,
        period: &str,
        query: &str,
        epsilon: f64,
        budgets: Budgets,
        now_ms: i64,
    ) -> Result<Spent> {
        let mut tx = self.pool().begin().await.map_err(storage)?;
        // The consumer's row first, then everyone's: the same order in every transaction, so no deadlock.
        let spent = match charge_row(&mut tx, consumer, period, epsilon, budgets.per_consumer)
            .await?
        {
            Ok(spent) => spent,
            Err(spent) => {
                tx.rollback().await.map_err(storage)?;
                tracing::warn!(consumer, %period, "refused: privacy budget exhausted");
                return Err(Error::BudgetExhausted(format!(
                    "privacy budget of {consumer} for {period}: ε {} of {} spent, this table needs {epsilon}; \
                     the suppressed table (no epsilon) stays available",
                    spent as f64 / MICRO,
                    budgets.per_consumer
                )));
            }
        };
        let everyone = match charge_row(&mut tx, EVERYONE, period, epsilon, budgets.total).await? {
            Ok(everyone) => everyone,
            Err(everyone) => {
                tx.rollback().await.map_err(storage)?;
                tracing::warn!(consumer, %period, "refused: the network's privacy budget is exhausted");
                return Err(Error::BudgetExhausted(format!(
                    "the network's privacy budget for {period}: ε {} of {} spent by all coordinators together, \
                 this table needs {epsilon}; the suppressed table (no epsilon) stays available",
                    everyone as f64 / MICRO,
                    budgets.total
                )));
            }
        };
        sqlx::query(
            "INSERT INTO privacy_queries (consumer, period, query, epsilon_micro, asked_at_ms) \
             VALUES ($1, $2, $3, $4, $5)",
        )
        .bind(consumer)
        .bind(period)
        .bind(query)
        .bind(micro(epsilon))
        .bind(now_ms)
        .execute(&mut *tx)
        .await
        .map_err(storage)?;
        tx.commit().await.map_err(storage)?;
        Ok(Spent {
            epsilon: spent as f64 / MICRO,
            budget: budgets.per_consumer,
            network_epsilon: everyone as f64 / MICRO,
            network_budget: budgets.total,
        })
    }
}

impl StatisticsStore {
    /// What `consumer` and all consumers together have spent on `period` so far, without charging anything.
    pub async fn spent(&self, consumer: &str, period: &str, budgets: Budgets) -> Result<Spent> {
        let rows: Vec<(String, i64)> = sqlx::query_as(
            "SELECT consumer, spent_micro FROM privacy_spent \
             WHERE period = $1 AND (consumer = $2 OR consumer = $3)",
        )
        .bind(period)
        .bind(consumer)
        .bind(EVERYONE)
        .fetch_all(self.pool())
        .await
        .map_err(storage)?;
        let of = |who: &str| {
            rows.iter()
                .find(|(c, _)| c == who)
                .map_or(0.0, |(_, micro)| *micro as f64 / MICRO)
        };
        Ok(Spent {
            epsilon: of(consumer),
            budget: budgets.per_consumer,
            network_epsilon: of(EVERYONE),
            network_budget: budgets.total,
        })
    }
}

/// Adds `epsilon` to one ledger row unless that passes `budget`: `Ok(spent after)`, or `Err(spent so far)`.
async fn charge_row(
    tx: &mut sqlx::Transaction<'static, sqlx::Any>,
    consumer: &str,
    period: &str,
    epsilon: f64,
    budget: f64,
) -> Result<std::result::Result<i64, i64>> {
    let (cost, limit) = (micro(epsilon), micro(budget));
    sqlx::query(
        "INSERT INTO privacy_spent (consumer, period, spent_micro) VALUES ($1, $2, 0) \
         ON CONFLICT (consumer, period) DO NOTHING",
    )
    .bind(consumer)
    .bind(period)
    .execute(&mut **tx)
    .await
    .map_err(storage)?;
    let charged = sqlx::query(
        "UPDATE privacy_spent SET spent_micro = spent_micro + $3 \
         WHERE consumer = $1 AND period = $2 AND spent_micro + $3 <= $4",
    )
    .bind(consumer)
    .bind(period)
    .bind(cost)
    .bind(limit)
    .execute(&mut **tx)
    .await
    .map_err(storage)?
    .rows_affected()
        == 1;
    let spent: i64 = sqlx::query_scalar(
        "SELECT spent_micro FROM privacy_spent WHERE consumer = $1 AND period = $2",
    )
    .bind(consumer)
    .bind(period)
    .fetch_one(&mut **tx)
    .await
    .map_err(storage)?;
    Ok(if charged { Ok(spent) } else { Err(spent) })
}
