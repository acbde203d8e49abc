//! Releases: a period's table family, protected, published once. The first release of a period is kept and
//! returned ever after, so no one can subtract two releases of the same period (before and after a late case).

use super::disclosure::{self, Control, Key, Reason};
use super::store::StatisticsStore;
use super::tables::{self, Family};
use crate::error::{Error, Result};
use serde::{Deserialize, Serialize};

/// One published value: `None` when hidden. Values are exact here; presentation rounds them to base 5.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Published {
    /// Region index into [`Release::regions`]; `None` for the nation.
    pub region: Option<usize>,
    /// Row (category) index; `None` for the column total.
    pub row: Option<usize>,
    /// Column index; `None` for the row total.
    pub col: Option<usize>,
    pub value: Option<u64>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Release {
    pub period: String,
    pub family: Family,
    pub regions: Vec<String>,
    pub k: u64,
    pub values: Vec<Published>,
    pub released_at_ms: i64,
}

impl Release {
    pub fn value(
        &self,
        region: Option<usize>,
        row: Option<usize>,
        col: Option<usize>,
    ) -> Option<u64> {
        self.values
            .iter()
            .find(|p| p.region == region && p.row == row && p.col == col)
            .and_then(|p| p.value)
    }
}

/// A period's quarter is over at `end_ms`; before that its figures still change and are not released.
fn period_end_ms(period: &str) -> Option<i64> {
    let (year, quarter) = super::snapshot::quarter(period)?;
    let (year, month) = if quarter == 4 {
        (year + 1, 1)
    } else {
        (year, quarter * 3 + 1)
    };
    let date = time::Date::from_calendar_date(year, time::Month::try_from(month).ok()?, 1).ok()?;
    Some(date.midnight().assume_utc().unix_timestamp() * 1000)
}

impl StatisticsStore {
    /// The release of `family` for `period`: the kept one, or (first time) made from the regions' snapshots
    /// with `control` and kept.
    pub async fn release(
        &self,
        period: &str,
        family: Family,
        control: Control,
        now_ms: i64,
    ) -> Result<Release> {
        if let Some(kept) = self.kept_release(period, family).await? {
            return Ok(kept);
        }
        let end = period_end_ms(period).ok_or_else(|| {
            Error::invalid(
                "period",
                format!("'{period}' is not a quarter like 2026-Q1"),
            )
        })?;
        if now_ms < end {
            return Err(Error::FailedPrecondition(format!(
                "{period} is not over yet; its figures are released once it has ended"
            )));
        }
        let snapshots = self.of_period(period).await?;
        if snapshots.is_empty() {
            return Err(Error::NotFound(format!(
                "no region has sent signals for {period}"
            )));
        }
        let cube = tables::cube(family, &snapshots);
        let protected = disclosure::protect(&cube, control);
        let mut keys: Vec<Key> = protected.values.keys().copied().collect();
        keys.sort();
        let release = Release {
            period: period.to_owned(),
            family,
            regions: snapshots.into_iter().map(|s| s.region).collect(),
            k: control.k,
            values: keys
                .into_iter()
                .map(|key| Published {
                    region: key.region,
                    row: key.row,
                    col: key.col,
                    value: (!protected.hidden.contains_key(&key)).then(|| protected.values[&key]),
                })
                .collect(),
            released_at_ms: now_ms,
        };
        let primary = protected
            .hidden
            .values()
            .filter(|r| **r == Reason::Primary)
            .count();
        tracing::info!(
            %period,
            family = family.as_str(),
            hidden = protected.hidden.len(),
            primary,
            "figures released"
        );
        if self.keep_release(&release).await? {
            Ok(release)
        } else {
            // Another request released it first: that one stands.
            self.kept_release(period, family)
                .await?
                .ok_or_else(|| Error::Storage("a release vanished".into()))
        }
    }
}

pub(crate) fn encode(values: &[Published]) -> Result<String> {
    serde_json::to_string(values).map_err(|e| Error::Storage(e.to_string()))
}

pub(crate) fn decode(text: &str) -> Result<Vec<Published>> {
    serde_json::from_str(text).map_err(|e| Error::Storage(e.to_string()))
}
