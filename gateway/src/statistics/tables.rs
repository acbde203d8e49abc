//! The predefined tables the gateway publishes, with fixed dimensions: rows are the bottleneck categories, the
//! columns are outcome, age band or lead time. No free queries: only these, for a quarter, at every level
//! (each region and the nation) at once.

use super::disclosure::Cube;
use expertnet_proto::v1::{
    AgeBand, BottleneckCategory, LeadTimeBand, Outcome, SignalCell, SignalSnapshot,
};

/// A published table family.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Family {
    CategoryByOutcome,
    CategoryByAgeBand,
    CategoryByLeadTime,
}

impl Family {
    pub const ALL: [Family; 3] = [
        Family::CategoryByOutcome,
        Family::CategoryByAgeBand,
        Family::CategoryByLeadTime,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Family::CategoryByOutcome => "category_by_outcome",
            Family::CategoryByAgeBand => "category_by_age_band",
            Family::CategoryByLeadTime => "category_by_lead_time",
        }
    }

    pub fn parse(text: &str) -> Option<Family> {
        Family::ALL.into_iter().find(|f| f.as_str() == text)
    }

    /// The column labels (enum names of the contract, without their prefix).
    pub fn columns(self) -> Vec<&'static str> {
        match self {
            Family::CategoryByOutcome => labels(
                1..=5,
                |v| Outcome::try_from(v).ok().map(|o| o.as_str_name()),
                "OUTCOME_",
            ),
            Family::CategoryByAgeBand => labels(
                1..=4,
                |v| AgeBand::try_from(v).ok().map(|o| o.as_str_name()),
                "AGE_BAND_",
            ),
            Family::CategoryByLeadTime => labels(
                1..=4,
                |v| LeadTimeBand::try_from(v).ok().map(|o| o.as_str_name()),
                "LEAD_TIME_BAND_",
            ),
        }
    }

    fn column_of(self, cell: &SignalCell) -> i32 {
        match self {
            Family::CategoryByOutcome => cell.outcome,
            Family::CategoryByAgeBand => cell.age_band,
            Family::CategoryByLeadTime => cell.lead_time,
        }
    }
}

/// Row labels: the bottleneck categories.
pub fn rows() -> Vec<&'static str> {
    labels(
        1..=CATEGORIES as i32,
        |v| {
            BottleneckCategory::try_from(v)
                .ok()
                .map(|c| c.as_str_name())
        },
        "BOTTLENECK_CATEGORY_",
    )
}

const CATEGORIES: usize = 10;

fn labels(
    values: std::ops::RangeInclusive<i32>,
    name: impl Fn(i32) -> Option<&'static str>,
    prefix: &str,
) -> Vec<&'static str> {
    values
        .map(|v| name(v).map_or("?", |n| n.strip_prefix(prefix).unwrap_or(n)))
        .collect()
}

/// The cube of one family from the regions' snapshots of one period (regions in the order given).
pub fn cube(family: Family, snapshots: &[SignalSnapshot]) -> Cube {
    let cols = family.columns().len();
    let mut cube = Cube::zeros(snapshots.len(), CATEGORIES, cols);
    for (region, snapshot) in snapshots.iter().enumerate() {
        for cell in &snapshot.cells {
            let row = cell.category - 1;
            let col = family.column_of(cell) - 1;
            if (0..CATEGORIES as i32).contains(&row) && (0..cols as i32).contains(&col) {
                cube.add(region, row as usize, col as usize, cell.count);
            }
        }
    }
    cube
}
