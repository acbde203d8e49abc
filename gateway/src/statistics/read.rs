//! What a coordinator reads: a released table after disclosure control, or — asked with an ε — a category table
//! with noise, charged to the privacy budgets before anything of it is computed.

use super::release::{Asked, ensure_over};
use super::store::StatisticsStore;
use super::tables::Table;
use super::{Publishing, privacy, view};
use crate::error::{Error, Result};
use expertnet_federation::Area;
use expertnet_proto::v1 as wire;

/// One table asked for.
#[derive(Debug, Clone, Copy)]
pub struct TableQuery<'a> {
    pub period: &'a str,
    pub table: Table,
    pub asked: Asked<'a>,
    /// 0 for the released (suppressed) table.
    pub epsilon: f64,
}

impl StatisticsStore {
    /// The table `query` asks for, as `consumer` may see it now.
    pub async fn read_table(
        &self,
        consumer: &str,
        query: TableQuery<'_>,
        areas: &[Area],
        publishing: Publishing,
        now_ms: i64,
    ) -> Result<wire::StatisticsTable> {
        let TableQuery {
            period,
            table,
            asked,
            epsilon,
        } = query;
        if epsilon == 0.0 {
            let release = self
                .release(period, table.family(), publishing.control, areas, now_ms)
                .await?;
            return view::table(&release, table, asked);
        }
        privacy::check_epsilon("epsilon", epsilon)?;
        if !table.has_totals() {
            return Err(Error::invalid(
                "epsilon",
                format!(
                    "noise is offered for the category tables, where one youth changes one count by one; not for {}",
                    table.as_str()
                ),
            ));
        }
        ensure_over(period, now_ms)?;
        let figures = self.figures(period, table.family(), areas).await?;
        figures.scope(period, asked)?;
        let spent = self
            .charge(
                consumer,
                period,
                &format!("{} {asked}", table.as_str()),
                epsilon,
                publishing.privacy,
                now_ms,
            )
            .await?;
        let mut noisy = view::noisy_table(&figures, period, table, asked, epsilon)?;
        noisy.epsilon_spent = spent.epsilon;
        noisy.epsilon_budget = spent.budget;
        noisy.network_epsilon_spent = spent.network_epsilon;
        noisy.network_epsilon_budget = spent.network_budget;
        Ok(noisy)
    }
}
