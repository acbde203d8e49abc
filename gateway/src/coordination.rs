//! What a coordinator asks of the gateway, whichever way they come — with their certificate over gRPC, or
//! signed in as a person to the dashboard: the same checks of scope and rights, the same released tables, the
//! same privacy budget and the same yearly reviews.

use crate::error::{Error, Result};
use crate::network::{Network, now_ms};
use crate::nodes::NodeClients;
use crate::statistics::odometer::Spent;
use crate::statistics::read::TableQuery;
use crate::statistics::release::Asked;
use crate::statistics::review::{self, Review};
use crate::statistics::tables::Table;
use crate::statistics::{Publishing, StatisticsStore, access, snapshot, view};
use expertnet_federation::Registry;
use expertnet_proto::v1 as wire;
use futures_util::future::join_all;

#[derive(Debug, Clone)]
pub struct Coordination {
    pub network: Network,
    pub statistics: StatisticsStore,
    pub publishing: Publishing,
    /// The regions' nodes, asked for a quarter's signals when a coordinator collects them.
    pub nodes: NodeClients,
}

/// What collecting a quarter's signals did: the regions that sent them, and those that did not, with why.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Collected {
    pub collected: Vec<String>,
    pub failed: Vec<(String, String)>,
}

impl Coordination {
    pub fn registry(&self) -> &Registry {
        self.network.registry()
    }

    /// The table `query` asks for, as `coordinator` may see it at `now_ms`; a noisy one is charged to their
    /// budget and the network's.
    pub async fn table(
        &self,
        coordinator: &str,
        query: TableQuery<'_>,
        now_ms: i64,
    ) -> Result<wire::StatisticsTable> {
        snapshot::check_period("period", query.period)?;
        let registry = self.registry();
        access::may_read(registry, coordinator, query.asked)?;
        let table = self
            .statistics
            .read_table(
                coordinator,
                query,
                registry.areas(),
                self.publishing,
                now_ms,
            )
            .await?;
        tracing::info!(coordinator, period = %query.period, table = query.table.as_str(), asked = %query.asked, epsilon = query.epsilon, "statistics read");
        Ok(table)
    }

    /// The published yearly review of what `asked` names, as `coordinator` may read it.
    pub async fn review(
        &self,
        coordinator: &str,
        asked: Asked<'_>,
        year: i32,
        now_ms: i64,
    ) -> Result<Review> {
        if !(2000..=2100).contains(&year) {
            return Err(Error::invalid(
                "year",
                format!("{year} is not a year like 2026"),
            ));
        }
        let registry = self.registry();
        access::may_read(registry, coordinator, asked)?;
        let review = review::yearly(
            &self.statistics,
            registry,
            asked,
            year,
            self.publishing.control,
            now_ms,
        )
        .await?;
        tracing::info!(coordinator, %asked, year, quarters = review.quarters.len(), "yearly review read");
        Ok(review)
    }

    /// The table of a quarter as it was released, without releasing anything: `None` when the quarter is not
    /// released or the release holds nothing of `asked`. For series over quarters, where looking at a page must
    /// not release (and so freeze) a quarter some regions have not reported yet.
    pub async fn released_table(
        &self,
        coordinator: &str,
        period: &str,
        table: Table,
        asked: Asked<'_>,
    ) -> Result<Option<wire::StatisticsTable>> {
        access::may_read(self.registry(), coordinator, asked)?;
        let Some(release) = self.statistics.kept_release(period, table.family()).await? else {
            return Ok(None);
        };
        match view::table(&release, table, asked) {
            Ok(table) => Ok(Some(table)),
            Err(Error::NotFound(_)) => Ok(None),
            Err(err) => Err(err),
        }
    }

    /// Whether `period`'s tables of `table`'s family are released (and so fixed for good).
    pub async fn is_released(&self, period: &str, table: Table) -> Result<bool> {
        Ok(self
            .statistics
            .kept_release(period, table.family())
            .await?
            .is_some())
    }

    /// Asks every region's node for its signals of each of `periods`, all at once, and keeps them (replacing
    /// what it pushed before); a quarter already released stays as it was released. A region counts as
    /// collected when it sent every period; one that failed any is named once, with its first reason.
    pub async fn collect(&self, coordinator: &str, periods: &[&str]) -> Result<Collected> {
        for period in periods {
            snapshot::check_period("period", period)?;
        }
        let mut regions: Vec<String> = self.nodes.regions().map(str::to_owned).collect();
        regions.sort();
        let asked = periods.iter().flat_map(|period| {
            regions
                .iter()
                .map(move |region| async move { (region, self.collect_one(region, period).await) })
        });
        let mut failed: Vec<(String, String)> = Vec::new();
        for (region, result) in join_all(asked).await {
            if let Err(err) = result
                && !failed.iter().any(|(known, _)| known == region)
            {
                failed.push((region.clone(), err.to_string()));
            }
        }
        failed.sort_by(|a, b| a.0.cmp(&b.0));
        let collected: Vec<String> = regions
            .into_iter()
            .filter(|region| !failed.iter().any(|(known, _)| known == region))
            .collect();
        tracing::info!(
            coordinator,
            ?periods,
            collected = collected.len(),
            failed = failed.len(),
            "signals collected"
        );
        Ok(Collected { collected, failed })
    }

    /// One region's signals of `period`, checked and kept.
    async fn collect_one(&self, region: &str, period: &str) -> Result<()> {
        let snapshot = self.nodes.snapshot(region, period).await?;
        snapshot::check(&snapshot, region)?;
        if snapshot.period != period {
            return Err(Error::invalid(
                "period",
                format!("{region} sent {}", snapshot.period),
            ));
        }
        self.statistics.put(&snapshot, now_ms()).await.map(|_| ())
    }

    /// What `coordinator` and the network have spent of their privacy budgets on `period`.
    pub async fn budget(&self, coordinator: &str, period: &str) -> Result<Spent> {
        snapshot::check_period("period", period)?;
        self.statistics
            .spent(coordinator, period, self.publishing.privacy)
            .await
    }
}
