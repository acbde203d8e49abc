//! The predefined tables the gateway publishes, with fixed dimensions. No free queries: only these, for a
//! quarter, at every level (each region, each area, the nation) at once.
//!
//! A *family* is what is released (and protected) as one: the three category tables share their row totals and
//! grand totals — the same closed cases broken down by outcome, by age band and by lead time — so they are
//! protected together, or a total hidden in one could be read off another. A *table* is one view of a family.
//! The no-fitting-answer table is the outcome table's "no fitting answer" column on its own, for the same reason:
//! a second count of those cases (say per category named rather than per primary category) would be protected
//! apart from the first and could be read against it.

use super::disclosure::Cube;
use expertnet_proto::v1::{
    AgeBand, BottleneckCategory, LeadTimeBand, Outcome, SignalSnapshot, SignalTotals,
};
use std::ops::Range;

/// What is released and protected as one.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Family {
    /// Closed cases by primary bottleneck category × outcome | age band | lead time.
    Categories,
    /// The quarter's flow: submitted, returned, discussed, escalated, sessions held.
    Flows,
}

impl Family {
    pub const ALL: [Family; 2] = [Family::Categories, Family::Flows];

    pub fn as_str(self) -> &'static str {
        match self {
            Family::Categories => "categories",
            Family::Flows => "flows",
        }
    }

    pub fn parse(text: &str) -> Option<Family> {
        Family::ALL.into_iter().find(|f| f.as_str() == text)
    }
}

/// A published table: one view of a family.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Table {
    CategoryByOutcome,
    CategoryByAgeBand,
    CategoryByLeadTime,
    NoFittingAnswer,
    Flows,
}

const OUTCOMES: usize = 5;
const AGE_BANDS: usize = 4;
const LEAD_TIMES: usize = 4;
const CATEGORIES: usize = 10;
/// The column of `OUTCOME_NO_FITTING_ANSWER` (5) among the outcome columns.
const NO_FITTING_ANSWER: usize = Outcome::NoFittingAnswer as usize - 1;
/// The flow measures, in the order of their rows. `closed` is not among them: it is the category tables' grand
/// total, and one value published in two families could be protected differently in each.
/// The row of `sessions_held`: a count of meetings, not of youths, so never hidden for being small.
const SESSIONS_HELD: usize = 4;
const MEASURES: [&str; 10] = [
    "submitted",
    "returned",
    "discussed",
    "escalated",
    "sessions_held",
    "escalations_accepted",
    "escalations_accepted_within_14_days",
    "consultations_asked",
    "consultations_answered",
    "consultations_answered_within_7_days",
];

impl Table {
    pub const ALL: [Table; 5] = [
        Table::CategoryByOutcome,
        Table::CategoryByAgeBand,
        Table::CategoryByLeadTime,
        Table::NoFittingAnswer,
        Table::Flows,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Table::CategoryByOutcome => "category_by_outcome",
            Table::CategoryByAgeBand => "category_by_age_band",
            Table::CategoryByLeadTime => "category_by_lead_time",
            Table::NoFittingAnswer => "no_fitting_answer",
            Table::Flows => "flows",
        }
    }

    pub fn parse(text: &str) -> Option<Table> {
        Table::ALL.into_iter().find(|t| t.as_str() == text)
    }

    pub fn family(self) -> Family {
        match self {
            Table::CategoryByOutcome
            | Table::CategoryByAgeBand
            | Table::CategoryByLeadTime
            | Table::NoFittingAnswer => Family::Categories,
            Table::Flows => Family::Flows,
        }
    }

    /// The family's columns this table shows.
    pub fn columns(self) -> Range<usize> {
        match self {
            Table::CategoryByOutcome => 0..OUTCOMES,
            Table::CategoryByAgeBand => OUTCOMES..OUTCOMES + AGE_BANDS,
            Table::CategoryByLeadTime => OUTCOMES + AGE_BANDS..OUTCOMES + AGE_BANDS + LEAD_TIMES,
            // The outcome columns' NO_FITTING_ANSWER.
            Table::NoFittingAnswer => NO_FITTING_ANSWER..NO_FITTING_ANSWER + 1,
            Table::Flows => 0..1,
        }
    }

    /// The column labels (enum names of the contract, without their prefix).
    pub fn column_labels(self) -> Vec<&'static str> {
        match self {
            Table::CategoryByOutcome => labels(
                1..=OUTCOMES as i32,
                |v| Outcome::try_from(v).ok().map(|o| o.as_str_name()),
                "OUTCOME_",
            ),
            Table::CategoryByAgeBand => labels(
                1..=AGE_BANDS as i32,
                |v| AgeBand::try_from(v).ok().map(|o| o.as_str_name()),
                "AGE_BAND_",
            ),
            Table::CategoryByLeadTime => labels(
                1..=LEAD_TIMES as i32,
                |v| LeadTimeBand::try_from(v).ok().map(|o| o.as_str_name()),
                "LEAD_TIME_BAND_",
            ),
            Table::NoFittingAnswer | Table::Flows => vec!["COUNT"],
        }
    }

    /// What the rows are: bottleneck categories, or the flow's measures.
    pub fn row_dimension(self) -> &'static str {
        match self {
            Table::Flows => "measure",
            _ => "category",
        }
    }

    pub fn row_labels(self) -> Vec<&'static str> {
        match self {
            Table::Flows => MEASURES.to_vec(),
            _ => labels(
                1..=CATEGORIES as i32,
                |v| {
                    BottleneckCategory::try_from(v)
                        .ok()
                        .map(|c| c.as_str_name())
                },
                "BOTTLENECK_CATEGORY_",
            ),
        }
    }

    /// Whether `row` counts meetings, not youths: the sessions a table held are published exactly, for one or
    /// two a quarter rounded to base 5 would read as none.
    pub fn counts_meetings(self, row: Option<usize>) -> bool {
        self == Table::Flows && row == Some(SESSIONS_HELD)
    }

    /// Whether the table has a total row and a total column (the three category breakdowns).
    pub fn has_totals(self) -> bool {
        matches!(
            self,
            Table::CategoryByOutcome | Table::CategoryByAgeBand | Table::CategoryByLeadTime
        )
    }
}

fn labels(
    values: std::ops::RangeInclusive<i32>,
    name: impl Fn(i32) -> Option<&'static str>,
    prefix: &str,
) -> Vec<&'static str> {
    values
        .map(|v| name(v).map_or("?", |n| n.strip_prefix(prefix).unwrap_or(n)))
        .collect()
}

fn flow_measures(totals: &SignalTotals) -> [u64; MEASURES.len()] {
    [
        totals.submitted,
        totals.returned,
        totals.discussed,
        totals.escalated,
        totals.sessions_held,
        totals.escalations_accepted,
        totals.escalations_accepted_within_14_days,
        totals.consultations_asked,
        totals.consultations_answered,
        totals.consultations_answered_within_7_days,
    ]
}

/// The cube of one family from the regions' snapshots of one period (regions in the order given), with
/// `areas` as region indices.
pub fn cube(family: Family, snapshots: &[SignalSnapshot], areas: Vec<Vec<usize>>) -> Cube {
    let regions = snapshots.len();
    let mut cube = match family {
        Family::Categories => {
            let mut cube = Cube::zeros(regions, CATEGORIES, OUTCOMES + AGE_BANDS + LEAD_TIMES);
            cube.partitions = [
                Table::CategoryByOutcome,
                Table::CategoryByAgeBand,
                Table::CategoryByLeadTime,
            ]
            .map(Table::columns)
            .to_vec();
            cube
        }
        Family::Flows => {
            let mut cube = Cube::zeros(regions, MEASURES.len(), 1);
            cube.row_total = false;
            cube.partitions = Vec::new();
            cube.not_persons = vec![SESSIONS_HELD];
            cube
        }
    };
    cube.areas = areas;
    let in_range =
        |value: i32, n: usize| (1..=n as i32).contains(&value).then(|| value as usize - 1);
    for (region, snapshot) in snapshots.iter().enumerate() {
        match family {
            Family::Categories => {
                for cell in &snapshot.cells {
                    let Some(row) = in_range(cell.category, CATEGORIES) else {
                        continue;
                    };
                    let columns = [
                        in_range(cell.outcome, OUTCOMES),
                        in_range(cell.age_band, AGE_BANDS).map(|c| c + OUTCOMES),
                        in_range(cell.lead_time, LEAD_TIMES).map(|c| c + OUTCOMES + AGE_BANDS),
                    ];
                    if let [Some(a), Some(b), Some(c)] = columns {
                        for col in [a, b, c] {
                            cube.add(region, row, col, cell.count);
                        }
                    }
                }
            }
            Family::Flows => {
                let totals = snapshot.totals.unwrap_or_default();
                for (row, count) in flow_measures(&totals).into_iter().enumerate() {
                    cube.add(region, row, 0, count);
                }
            }
        }
    }
    cube
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::statistics::disclosure::{Control, Key, Scope, protect};

    #[test]
    fn few_sessions_are_shown_and_few_returned_youths_are_not() {
        let snapshot = SignalSnapshot {
            region: "lekstroom".into(),
            period: "2025-Q1".into(),
            totals: Some(SignalTotals {
                submitted: 40,
                returned: 2,
                sessions_held: 2,
                ..Default::default()
            }),
            ..Default::default()
        };
        let protected = protect(
            &cube(Family::Flows, &[snapshot], Vec::new()),
            Control::default(),
        );
        let at = |row| Key {
            scope: Scope::Region(0),
            row: Some(row),
            col: Some(0),
        };
        assert_eq!(MEASURES[SESSIONS_HELD], "sessions_held");
        assert!(!protected.hidden.contains_key(&at(SESSIONS_HELD)));
        assert!(protected.hidden.contains_key(&at(1)), "2 returned youths");
    }
}
