//! The privacy odometer: how much ε each consumer has spent on a quarter's noisy tables. A query is charged
//! before it is answered, in one conditional update, so two concurrent queries cannot both slip under the
//! budget; one that would pass it is refused and costs nothing.

use super::privacy::{MICRO, micro};
use super::store::{StatisticsStore, storage};
use crate::error::{Error, Result};

/// A consumer's budget for a quarter after a charge.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Spent {
    pub epsilon: f64,
    pub budget: f64,
}

impl StatisticsStore {
    /// Charges `epsilon` to `consumer`'s budget for `period`, recording `query`; refused when the budget would
    /// be passed.
    pub async fn charge(
        &self,
        consumer: &str,
        period: &str,
        query: &str,
        epsilon: f64,
        budget: f64,
        now_ms: i64,
    ) -> Result<Spent> {
        let (cost, limit) = (micro(epsilon), micro(budget));
        let mut tx = self.pool().begin().await.map_err(storage)?;
        sqlx::query(
            "INSERT INTO privacy_spent (consumer, period, spent_micro) VALUES ($1, $2, 0) \
             ON CONFLICT (consumer, period) DO NOTHING",
        )
        .bind(consumer)
        .bind(period)
        .execute(&mut *tx)
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
        .execute(&mut *tx)
        .await
        .map_err(storage)?
        .rows_affected()
            == 1;
        let spent: i64 = sqlx::query_scalar(
            "SELECT spent_micro FROM privacy_spent WHERE consumer = $1 AND period = $2",
        )
        .bind(consumer)
        .bind(period)
        .fetch_one(&mut *tx)
        .await
        .map_err(storage)?;
        if !charged {
            tx.rollback().await.map_err(storage)?;
            tracing::warn!(consumer, %period, "refused: privacy budget exhausted");
            return Err(Error::BudgetExhausted(format!(
                "privacy budget of {consumer} for {period}: ε {} of {budget} spent, this table needs {epsilon}; \
                 the suppressed table (no epsilon) stays available",
                spent as f64 / MICRO
            )));
        }
        sqlx::query(
            "INSERT INTO privacy_queries (consumer, period, query, epsilon_micro, asked_at_ms) \
             VALUES ($1, $2, $3, $4, $5)",
        )
        .bind(consumer)
        .bind(period)
        .bind(query)
        .bind(cost)
        .bind(now_ms)
        .execute(&mut *tx)
        .await
        .map_err(storage)?;
        tx.commit().await.map_err(storage)?;
        Ok(Spent {
            epsilon: spent as f64 / MICRO,
            budget,
        })
    }
}
