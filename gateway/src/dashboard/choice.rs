//! What a coordinator picks on the statistics and review pages — quarter, table, scope, year — read from the
//! form, and the lists they pick from.

use super::wording;
use crate::statistics::release::Asked;
use crate::statistics::tables::Table;
use expertnet_federation::Registry;
use serde::Deserialize;
use time::OffsetDateTime;

/// How many quarters the lists and charts go back.
pub const QUARTERS_SHOWN: usize = 8;

/// The statistics page's choice, as the form sends it; empty fields take their defaults.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct Choice {
    #[serde(default)]
    pub periode: String,
    #[serde(default)]
    pub tabel: String,
    #[serde(default)]
    pub bereik: String,
}

/// One option of a list.
#[derive(Debug, Clone)]
pub struct Opt {
    pub value: String,
    pub label: String,
    pub selected: bool,
}

/// Options under a heading (`<optgroup>`).
#[derive(Debug, Clone)]
pub struct OptGroup {
    pub label: &'static str,
    pub options: Vec<Opt>,
}

/// The quarter before the current one: the newest that is over.
fn last_quarter_over(now: OffsetDateTime) -> (i32, u8) {
    let quarter = (u8::from(now.month()) - 1) / 3 + 1;
    if quarter == 1 {
        (now.year() - 1, 4)
    } else {
        (now.year(), quarter - 1)
    }
}

/// The quarters that are over, newest first, as `2026-Q3`.
pub fn quarters_over(now: OffsetDateTime, count: usize) -> Vec<String> {
    let (mut year, mut quarter) = last_quarter_over(now);
    let mut out = Vec::with_capacity(count);
    for _ in 0..count {
        out.push(format!("{year}-Q{quarter}"));
        if quarter == 1 {
            year -= 1;
            quarter = 4;
        } else {
            quarter -= 1;
        }
    }
    out
}

/// The quarters of `year` that are over, oldest first.
pub fn quarters_over_in(now: OffsetDateTime, year: i32) -> Vec<String> {
    let newest = last_quarter_over(now);
    (1..=4)
        .filter(|quarter| (year, *quarter) <= newest)
        .map(|quarter| format!("{year}-Q{quarter}"))
        .collect()
}

/// `count` quarters up to and including `period`, oldest first; empty when `period` is no quarter.
pub fn quarters_until(period: &str, count: usize) -> Vec<String> {
    let Some((year, quarter)) = crate::statistics::snapshot::quarter(period) else {
        return Vec::new();
    };
    let mut index = year * 4 + i32::from(quarter) - 1;
    let mut out = Vec::with_capacity(count);
    for _ in 0..count {
        out.push(format!(
            "{}-Q{}",
            index.div_euclid(4),
            index.rem_euclid(4) + 1
        ));
        index -= 1;
    }
    out.reverse();
    out
}

impl Choice {
    /// The quarter asked, or the newest that is over.
    pub fn period(&self, now: OffsetDateTime) -> String {
        if self.periode.trim().is_empty() {
            quarters_over(now, 1).remove(0)
        } else {
            self.periode.trim().to_owned()
        }
    }

    /// Whether nothing was chosen yet (the page opened from the menu).
    pub fn is_empty(&self) -> bool {
        self.periode.trim().is_empty()
            && self.tabel.trim().is_empty()
            && self.bereik.trim().is_empty()
    }

    /// The table asked, or the first; `None` for a name that is no table.
    pub fn table(&self) -> Option<Table> {
        if self.tabel.trim().is_empty() {
            Some(Table::ALL[0])
        } else {
            Table::parse(self.tabel.trim())
        }
    }

    /// The scope asked, or the nation; `None` for text that names no scope.
    pub fn asked(&self) -> Option<Asked<'_>> {
        scope(&self.bereik)
    }

    /// The choice as a query string, for links to downloads.
    pub fn query(&self, period: &str, table: Table) -> String {
        format!(
            "periode={period}&tabel={}&bereik={}",
            table.as_str(),
            self.bereik.trim()
        )
    }
}

/// A scope's form value: empty or `nederland` for the nation, `gebied:ID`, `regio:ID`.
pub fn scope(text: &str) -> Option<Asked<'_>> {
    let text = text.trim();
    let well_formed = |id: &str| {
        !id.is_empty()
            && id
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_'))
    };
    match text.split_once(':') {
        None if text.is_empty() || text == "nederland" => Some(Asked::National),
        Some(("gebied", id)) if well_formed(id) => Some(Asked::Area(id)),
        Some(("regio", id)) if well_formed(id) => Some(Asked::Region(id)),
        _ => None,
    }
}

/// A scope as its form value.
pub fn scope_value(asked: Asked<'_>) -> String {
    match asked {
        Asked::National => "nederland".to_owned(),
        Asked::Area(id) => format!("gebied:{id}"),
        Asked::Region(id) => format!("regio:{id}"),
    }
}

/// The quarters to pick from, newest first, with `chosen` selected (and listed, if it is older).
pub fn period_options(now: OffsetDateTime, chosen: &str) -> Vec<Opt> {
    let mut periods = quarters_over(now, QUARTERS_SHOWN);
    if !periods.iter().any(|p| p == chosen)
        && crate::statistics::snapshot::quarter(chosen).is_some()
    {
        periods.push(chosen.to_owned());
    }
    periods
        .into_iter()
        .map(|p| Opt {
            selected: p == chosen,
            label: wording::quarter(&p),
            value: p,
        })
        .collect()
}

pub fn table_options(chosen: Table) -> Vec<Opt> {
    Table::ALL
        .into_iter()
        .map(|t| Opt {
            value: t.as_str().to_owned(),
            label: wording::table(t).to_owned(),
            selected: t == chosen,
        })
        .collect()
}

/// Every scope of the registry: the nation, the areas and the regions (those outside the person's area too:
/// the page then says why they may not read it).
pub fn scope_options(registry: &Registry, chosen: Asked<'_>) -> Vec<OptGroup> {
    let chosen = scope_value(chosen);
    let opt = |asked: Asked<'_>, label: String| {
        let value = scope_value(asked);
        Opt {
            selected: value == chosen,
            value,
            label,
        }
    };
    let mut regions: Vec<_> = registry.regions().collect();
    regions.sort_by(|a, b| a.name.cmp(&b.name));
    vec![
        OptGroup {
            label: "Landelijk",
            options: vec![opt(Asked::National, "Heel Nederland".to_owned())],
        },
        OptGroup {
            label: "Gebieden",
            options: registry
                .areas()
                .iter()
                .map(|a| opt(Asked::Area(&a.id), a.name.clone()))
                .collect(),
        },
        OptGroup {
            label: "Regio's",
            options: regions
                .into_iter()
                .map(|r| opt(Asked::Region(&r.id), r.name.clone()))
                .collect(),
        },
    ]
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::datetime;

    #[test]
    fn quarters_count_back_from_the_last_one_over() {
        let now = datetime!(2026-12-06 12:00 UTC);
        assert_eq!(quarters_over(now, 3), ["2026-Q3", "2026-Q2", "2026-Q1"]);
        let january = datetime!(2027-01-02 12:00 UTC);
        assert_eq!(quarters_over(january, 2), ["2026-Q4", "2026-Q3"]);
        assert_eq!(
            quarters_until("2026-Q2", 4),
            ["2025-Q3", "2025-Q4", "2026-Q1", "2026-Q2"]
        );
        assert!(quarters_until("2026-Q5", 4).is_empty());
        assert_eq!(
            quarters_over_in(now, 2026),
            ["2026-Q1", "2026-Q2", "2026-Q3"]
        );
        assert_eq!(quarters_over_in(now, 2019).len(), 4);
        assert!(quarters_over_in(now, 2027).is_empty());
    }

    #[test]
    fn scopes_read_from_the_form_and_back() {
        assert_eq!(scope(""), Some(Asked::National));
        assert_eq!(scope("nederland"), Some(Asked::National));
        assert_eq!(
            scope("gebied:oost-nederland"),
            Some(Asked::Area("oost-nederland"))
        );
        assert_eq!(scope("regio:lekstroom"), Some(Asked::Region("lekstroom")));
        for bad in ["regio:", "land:x", "regio:<script>", "gebied:a b"] {
            assert_eq!(scope(bad), None, "{bad}");
        }
        assert_eq!(scope_value(Asked::Region("lekstroom")), "regio:lekstroom");
    }
}
