//! Releases: a period's table family, protected, published once. The first release of a period is kept and
//! returned ever after, so no one can subtract two releases of the same period (before and after a late case).

use super::disclosure::{self, Control, Key, Reason, Scope};
use super::store::StatisticsStore;
use super::tables::{self, Family};
use crate::error::{Error, Result};
use serde::{Deserialize, Serialize};

/// One published value: `None` when hidden. Values are exact here; presentation rounds them to base 5.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Published {
    /// Region index into [`Release::regions`], area index into [`Release::areas`], or the nation.
    pub scope: Scope,
    /// Row (category) index; `None` for the column total.
    pub row: Option<usize>,
    /// Column index; `None` for the row total.
    pub col: Option<usize>,
    pub value: Option<u64>,
}

/// An area as it stood at the release: its id and the regions of the release it covered.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AreaMembers {
    pub id: String,
    pub regions: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Release {
    pub period: String,
    pub family: Family,
    pub regions: Vec<String>,
    pub areas: Vec<AreaMembers>,
    pub k: u64,
    pub values: Vec<Published>,
    pub released_at_ms: i64,
}

impl Published {
    /// Where the value sits.
    pub fn key(&self) -> Key {
        Key {
            scope: self.scope,
            row: self.row,
            col: self.col,
        }
    }
}

impl Release {
    /// The value at a place, `None` when hidden or not published.
    pub fn value(&self, scope: Scope, row: Option<usize>, col: Option<usize>) -> Option<u64> {
        self.values
            .iter()
            .find(|p| p.scope == scope && p.row == row && p.col == col)
            .and_then(|p| p.value)
    }

    /// Where `asked` sits in this release, or why it has no figures of it.
    pub fn scope(&self, asked: Asked<'_>) -> Result<Scope> {
        scope_in(&self.regions, &self.areas, &self.period, asked)
    }
}

/// Whose table is asked for, by id.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Asked<'a> {
    National,
    Region(&'a str),
    Area(&'a str),
}

impl std::fmt::Display for Asked<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Asked::National => write!(f, "national"),
            Asked::Region(id) => write!(f, "region {id}"),
            Asked::Area(id) => write!(f, "area {id}"),
        }
    }
}

fn scope_in(
    regions: &[String],
    areas: &[AreaMembers],
    period: &str,
    asked: Asked<'_>,
) -> Result<Scope> {
    let found = match asked {
        Asked::National => Some(Scope::National),
        Asked::Region(id) => regions.iter().position(|r| r == id).map(Scope::Region),
        Asked::Area(id) => areas.iter().position(|a| a.id == id).map(Scope::Area),
    };
    found.ok_or_else(|| {
        Error::NotFound(format!(
            "{asked} has no figures for {period}: no region of it sent signals (regions that did: {})",
            regions.join(", ")
        ))
    })
}

/// A period's figures of one family, exact: for disclosure control or for noise, never shown as they are.
#[derive(Debug, Clone)]
pub struct Figures {
    pub regions: Vec<String>,
    pub areas: Vec<AreaMembers>,
    pub cube: disclosure::Cube,
}

impl Figures {
    pub fn scope(&self, period: &str, asked: Asked<'_>) -> Result<Scope> {
        scope_in(&self.regions, &self.areas, period, asked)
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

/// Refuses a period that is not a quarter, or not over at `now_ms`.
pub fn ensure_over(period: &str, now_ms: i64) -> Result<()> {
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
    Ok(())
}

impl StatisticsStore {
    /// A period's figures of `family` from the regions' kept snapshots, with the areas of `areas` that hold
    /// one of them.
    pub async fn figures(
        &self,
        period: &str,
        family: Family,
        areas: &[expertnet_federation::Area],
    ) -> Result<Figures> {
        let snapshots = self.of_period(period).await?;
        if snapshots.is_empty() {
            return Err(Error::NotFound(format!(
                "no region has sent signals for {period}"
            )));
        }
        let regions: Vec<String> = snapshots.iter().map(|s| s.region.clone()).collect();
        let areas: Vec<AreaMembers> = areas
            .iter()
            .map(|area| AreaMembers {
                id: area.id.clone(),
                regions: regions
                    .iter()
                    .filter(|r| area.regions.contains(r))
                    .cloned()
                    .collect(),
            })
            .filter(|area| !area.regions.is_empty())
            .collect();
        let members = areas
            .iter()
            .map(|area| {
                area.regions
                    .iter()
                    .filter_map(|id| regions.iter().position(|r| r == id))
                    .collect()
            })
            .collect();
        let cube = tables::cube(family, &snapshots, members);
        Ok(Figures {
            regions,
            areas,
            cube,
        })
    }

    /// The release of `family` for `period`: the kept one, or (first time) made from the regions' snapshots
    /// with `control`, published for every region, every area of `areas` holding one, and the nation, and kept.
    pub async fn release(
        &self,
        period: &str,
        family: Family,
        control: Control,
        areas: &[expertnet_federation::Area],
        now_ms: i64,
    ) -> Result<Release> {
        if let Some(kept) = self.kept_release(period, family).await? {
            return Ok(kept);
        }
        ensure_over(period, now_ms)?;
        let Figures {
            regions,
            areas,
            cube,
        } = self.figures(period, family, areas).await?;
        // Disclosure control is CPU work that grows with the number of regions: it runs on the blocking pool so
        // the runtime's thread keeps forwarding calls meanwhile.
        let protected = tokio::task::spawn_blocking(move || disclosure::protect(&cube, control))
            .await
            .map_err(|e| Error::Report(format!("disclosure control did not finish: {e}")))?;
        let mut keys: Vec<Key> = protected.values.keys().copied().collect();
        keys.sort();
        let release = Release {
            period: period.to_owned(),
            family,
            regions,
            areas,
            k: control.k,
            values: keys
                .into_iter()
                .map(|key| Published {
                    scope: key.scope,
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

pub(crate) fn encode<T: Serialize>(value: &T) -> Result<String> {
    serde_json::to_string(value).map_err(|e| Error::Storage(e.to_string()))
}

pub(crate) fn decode<T: serde::de::DeserializeOwned>(text: &str) -> Result<T> {
    serde_json::from_str(text).map_err(|e| Error::Storage(e.to_string()))
}
