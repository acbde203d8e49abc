//! Signals: a node's cases reduced to counts per quarter, the only case-derived data that leaves a node for the
//! national statistics. Counts only — no free text, no identifiers, no case ids. Each closed case sits in exactly
//! one cell (its first-named, primary bottleneck category), so cells add up to margins and totals, which the
//! gateway's disclosure control relies on.

use super::vocabulary::{AgeBand, BottleneckCategory, LeadTimeBand, Outcome};
use time::{Date, Month, OffsetDateTime, Time};

const WEEK_MS: i64 = 7 * 86_400_000;

impl AgeBand {
    pub fn of(age: u32) -> AgeBand {
        match age {
            0..=11 => AgeBand::UpTo11,
            12..=15 => AgeBand::From12To15,
            16..=17 => AgeBand::From16To17,
            _ => AgeBand::From18,
        }
    }
}

impl LeadTimeBand {
    /// The upper bounds (exclusive, in milliseconds) of all bands but the last.
    pub const BOUNDS_MS: [i64; 3] = [4 * WEEK_MS, 12 * WEEK_MS, 26 * WEEK_MS];

    pub fn of(lead_time_ms: i64) -> LeadTimeBand {
        match lead_time_ms {
            t if t < Self::BOUNDS_MS[0] => LeadTimeBand::UnderFourWeeks,
            t if t < Self::BOUNDS_MS[1] => LeadTimeBand::FourToTwelveWeeks,
            t if t < Self::BOUNDS_MS[2] => LeadTimeBand::TwelveToTwentySixWeeks,
            _ => LeadTimeBand::OverTwentySixWeeks,
        }
    }
}

/// A calendar quarter, written `2026-Q1`: the period of a snapshot.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Quarter {
    pub year: i32,
    /// 1 to 4.
    pub quarter: u8,
}

impl Quarter {
    pub fn parse(text: &str) -> Option<Quarter> {
        let (year, quarter) = text.trim().split_once("-Q")?;
        let year: i32 = year.parse().ok().filter(|y| (2000..=2100).contains(y))?;
        let quarter: u8 = quarter.parse().ok().filter(|q| (1..=4).contains(q))?;
        Some(Quarter { year, quarter })
    }

    /// The quarter a moment falls in.
    pub fn containing(ms: i64) -> Quarter {
        let at = OffsetDateTime::from_unix_timestamp_nanos(i128::from(ms) * 1_000_000)
            .unwrap_or(OffsetDateTime::UNIX_EPOCH);
        Quarter {
            year: at.year(),
            quarter: (at.month() as u8 - 1) / 3 + 1,
        }
    }

    pub fn first_day(self) -> Date {
        let month = Month::try_from((self.quarter - 1) * 3 + 1).expect("quarter 1-4");
        Date::from_calendar_date(self.year, month, 1).expect("first of a month")
    }

    pub fn next(self) -> Quarter {
        if self.quarter == 4 {
            Quarter {
                year: self.year + 1,
                quarter: 1,
            }
        } else {
            Quarter {
                year: self.year,
                quarter: self.quarter + 1,
            }
        }
    }

    pub fn previous(self) -> Quarter {
        if self.quarter == 1 {
            Quarter {
                year: self.year - 1,
                quarter: 4,
            }
        } else {
            Quarter {
                year: self.year,
                quarter: self.quarter - 1,
            }
        }
    }

    /// Start (inclusive) and end (exclusive) in Unix milliseconds, UTC.
    pub fn bounds_ms(self) -> (i64, i64) {
        let ms = |date: Date| (date.with_time(Time::MIDNIGHT).assume_utc().unix_timestamp()) * 1000;
        (ms(self.first_day()), ms(self.next().first_day()))
    }
}

impl std::fmt::Display for Quarter {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}-Q{}", self.year, self.quarter)
    }
}

/// Cases closed in the period with one combination of primary category, age band, outcome and lead time.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct SignalCell {
    pub category: BottleneckCategory,
    pub age_band: AgeBand,
    pub outcome: Outcome,
    pub lead_time: LeadTimeBand,
    pub count: u64,
}

/// The period's flow through the table.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct SignalTotals {
    pub submitted: u64,
    pub returned: u64,
    /// Cases discussed at a table session in the period (each once).
    pub discussed: u64,
    pub escalated: u64,
    pub closed: u64,
    pub sessions_held: u64,
    /// Escalations sent in the period that the receiving region accepted; and within 14 days of sending.
    pub escalations_accepted: u64,
    pub escalations_accepted_within_14_days: u64,
    /// Questions asked of other regions in the period; answered by one; first answered within 7 days.
    pub consultations_asked: u64,
    pub consultations_answered: u64,
    pub consultations_answered_within_7_days: u64,
}

/// One region's signals for one quarter.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Snapshot {
    pub region: String,
    pub period: Quarter,
    pub computed_at_ms: i64,
    /// Only non-empty cells, sorted.
    pub cells: Vec<SignalCell>,
    pub totals: SignalTotals,
    /// Cases closed with no fitting answer, per bottleneck category they named (a case naming two counts in
    /// both): what municipalities should procure.
    pub no_fitting_answer: Vec<(BottleneckCategory, u64)>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quarters_parse_print_and_bound() {
        let q = Quarter::parse("2026-Q1").unwrap();
        assert_eq!(q.to_string(), "2026-Q1");
        assert_eq!(q.bounds_ms(), (1_767_225_600_000, 1_775_001_600_000));
        assert_eq!(Quarter::containing(1_772_442_000_000), q);
        assert_eq!(
            Quarter::parse("2026-Q4").unwrap().next().to_string(),
            "2027-Q1"
        );
        assert_eq!(q.previous().to_string(), "2025-Q4");
        for bad in ["2026-Q5", "2026Q1", "26-Q1", "2026-Q0", ""] {
            assert_eq!(Quarter::parse(bad), None, "{bad}");
        }
    }

    #[test]
    fn bands_cover_every_value() {
        assert_eq!(AgeBand::of(0), AgeBand::UpTo11);
        assert_eq!(AgeBand::of(12), AgeBand::From12To15);
        assert_eq!(AgeBand::of(17), AgeBand::From16To17);
        assert_eq!(AgeBand::of(23), AgeBand::From18);
        assert_eq!(LeadTimeBand::of(0), LeadTimeBand::UnderFourWeeks);
        assert_eq!(
            LeadTimeBand::of(4 * WEEK_MS),
            LeadTimeBand::FourToTwelveWeeks
        );
        assert_eq!(
            LeadTimeBand::of(26 * WEEK_MS),
            LeadTimeBand::OverTwentySixWeeks
        );
    }
}
