//! A region's own yearly review: the expert table's "learning" function. The region may see its own cases in
//! full, so unlike the published review at the gateway nothing is hidden or rounded; still it holds only counts,
//! durations and the table's own words, never an identifier. The flow figures use the same definitions as the
//! quarterly signals the region publishes, so the two reviews can be laid side by side.
//!
//! Storage gathers the year's [`YearFacts`]; [`review`] reduces them to the figures a team discusses.

use super::vocabulary::{
    BottleneckCategory, CommitmentStatus, EscalationDirection, EscalationStatus, Outcome,
};
use time::Date;

const DAY_MS: f64 = 86_400_000.0;
const HOUR_MS: f64 = 3_600_000.0;

/// The flow through the table in one year.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct YearTotals {
    pub submitted: u64,
    pub taken_in: u64,
    pub handed_back: u64,
    /// Cases discussed at a table session (each once per quarter, as the signals count them).
    pub discussed: u64,
    pub closed: u64,
    pub sessions_held: u64,
    pub escalations_sent: u64,
    pub escalations_received: u64,
}

/// A case closed in the year.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClosedCase {
    pub categories: Vec<BottleneckCategory>,
    pub outcome: Outcome,
    /// From submission to closing.
    pub lead_time_ms: i64,
}

/// A commitment due in the year and where it stands.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CommitmentFact {
    pub provider: String,
    pub due: Date,
    pub status: CommitmentStatus,
    /// The day it was delivered or withdrawn (its last change), for a settled one.
    pub settled_on: Date,
}

/// A consultation question asked in the year.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ConsultationFact {
    /// Asked by another region (and answered here), rather than by this region.
    pub from_other_region: bool,
    pub asked_at_ms: i64,
    pub first_answer_at_ms: Option<i64>,
}

/// What storage gathers for one year.
#[derive(Debug, Clone, Default)]
pub struct YearFacts {
    pub year: i32,
    /// Cases submitted per quarter, Q1 to Q4.
    pub submitted_per_quarter: [u64; 4],
    /// The flow, with the signals' definitions (summed over the quarters).
    pub totals: YearTotals,
    /// Why intake handed cases back, in the intake's words; `None` where the words could identify the youth
    /// (the border's detector) and are left out.
    pub return_reasons: Vec<Option<String>>,
    pub closed: Vec<ClosedCase>,
    /// Per discussion in the year: whether the youth and the parents were at the table.
    pub attendance: Vec<(bool, bool)>,
    pub commitments: Vec<CommitmentFact>,
    /// Escalations started in the year: direction, where they stand now, how many.
    pub escalations: Vec<(EscalationDirection, EscalationStatus, u64)>,
    pub consultations: Vec<ConsultationFact>,
}

/// How long closed cases of one category took, in days.
#[derive(Debug, Clone, PartialEq)]
pub struct LeadTime {
    pub category: BottleneckCategory,
    pub cases: u64,
    pub median_days: f64,
    pub p25_days: f64,
    pub p75_days: f64,
    pub shortest_days: f64,
    pub longest_days: f64,
}

/// One provider's commitments due in the year.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ProviderRecord {
    pub provider: String,
    /// Delivered on or before the due date.
    pub on_time: u64,
    /// Delivered after the due date.
    pub late: u64,
    /// Still open past the due date.
    pub overdue: u64,
    /// Open and not yet due.
    pub running: u64,
    pub withdrawn: u64,
}

/// Who was at the table when cases were discussed.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Attendance {
    pub discussions: u64,
    pub youth_present: u64,
    pub parents_present: u64,
}

/// Consultation questions of the year: asked by this region, and received from others.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct ConsultationFigures {
    pub asked: u64,
    pub asked_answered: u64,
    /// Median time to the first answer, in hours.
    pub asked_median_hours: Option<f64>,
    pub received: u64,
    pub received_answered: u64,
    pub received_median_hours: Option<f64>,
}

/// The review of one year.
#[derive(Debug, Clone, PartialEq)]
pub struct RegionReview {
    pub year: i32,
    pub totals: YearTotals,
    pub totals_year_before: YearTotals,
    pub submitted_per_quarter: [u64; 4],
    pub submitted_per_quarter_year_before: [u64; 4],
    /// Why cases were handed back, each wording once with how often it was given, the most frequent first;
    /// `None` for the words left out.
    pub return_reasons: Vec<(Option<String>, u64)>,
    /// Per category named by the year's closed cases (a case naming two counts in both).
    pub lead_times: Vec<LeadTime>,
    /// Every outcome, with zero for those that did not occur.
    pub outcomes: Vec<(Outcome, u64)>,
    /// Closed with no fitting answer, per category named: the signal for the municipalities' procurement.
    pub no_fitting_answer: Vec<(BottleneckCategory, u64)>,
    pub commitments: Vec<ProviderRecord>,
    pub attendance: Attendance,
    pub escalations: Vec<(EscalationDirection, EscalationStatus, u64)>,
    pub consultations: ConsultationFigures,
}

/// Reduces a year's facts (and the year before's, for the comparison) to its review.
pub fn review(year: YearFacts, before: &YearFacts, today: Date) -> RegionReview {
    RegionReview {
        year: year.year,
        totals: year.totals,
        totals_year_before: before.totals,
        submitted_per_quarter: year.submitted_per_quarter,
        submitted_per_quarter_year_before: before.submitted_per_quarter,
        lead_times: lead_times(&year.closed),
        outcomes: Outcome::ALL
            .iter()
            .map(|o| {
                let n = year.closed.iter().filter(|c| c.outcome == *o).count();
                (*o, n as u64)
            })
            .collect(),
        no_fitting_answer: BottleneckCategory::ALL
            .iter()
            .filter_map(|category| {
                let n = year
                    .closed
                    .iter()
                    .filter(|c| {
                        c.outcome == Outcome::NoFittingAnswer && c.categories.contains(category)
                    })
                    .count();
                (n > 0).then_some((*category, n as u64))
            })
            .collect(),
        commitments: providers(&year.commitments, today),
        attendance: Attendance {
            discussions: year.attendance.len() as u64,
            youth_present: year.attendance.iter().filter(|(youth, _)| *youth).count() as u64,
            parents_present: year
                .attendance
                .iter()
                .filter(|(_, parents)| *parents)
                .count() as u64,
        },
        escalations: year.escalations,
        consultations: consultations(&year.consultations),
        return_reasons: grouped(year.return_reasons),
    }
}

/// Each reason once with its count, the most frequent first (then in the order of the words).
fn grouped(reasons: Vec<Option<String>>) -> Vec<(Option<String>, u64)> {
    let mut counts: Vec<(Option<String>, u64)> = Vec::new();
    for reason in reasons {
        match counts.iter_mut().find(|(r, _)| *r == reason) {
            Some((_, n)) => *n += 1,
            None => counts.push((reason, 1)),
        }
    }
    counts.sort_by(|(a, n), (b, m)| m.cmp(n).then_with(|| a.cmp(b)));
    counts
}

fn lead_times(closed: &[ClosedCase]) -> Vec<LeadTime> {
    BottleneckCategory::ALL
        .iter()
        .filter_map(|category| {
            let mut days: Vec<f64> = closed
                .iter()
                .filter(|c| c.categories.contains(category))
                .map(|c| c.lead_time_ms as f64 / DAY_MS)
                .collect();
            days.sort_by(f64::total_cmp);
            Some(LeadTime {
                category: *category,
                cases: days.len() as u64,
                median_days: quantile(&days, 0.5)?,
                p25_days: quantile(&days, 0.25)?,
                p75_days: quantile(&days, 0.75)?,
                shortest_days: *days.first()?,
                longest_days: *days.last()?,
            })
        })
        .collect()
}

/// The `q` quantile of sorted `values`, interpolating between neighbours (so the median of an even count is
/// the mean of the middle two); `None` for no values.
pub fn quantile(sorted: &[f64], q: f64) -> Option<f64> {
    let last = sorted.len().checked_sub(1)?;
    let at = q * last as f64;
    let below = at.floor() as usize;
    let above = at.ceil() as usize;
    Some(sorted[below] + (sorted[above] - sorted[below]) * (at - below as f64))
}

fn providers(commitments: &[CommitmentFact], today: Date) -> Vec<ProviderRecord> {
    let mut records: Vec<ProviderRecord> = Vec::new();
    for c in commitments {
        let index = match records.iter().position(|r| r.provider == c.provider) {
            Some(i) => i,
            None => {
                records.push(ProviderRecord {
                    provider: c.provider.clone(),
                    ..ProviderRecord::default()
                });
                records.len() - 1
            }
        };
        let record = &mut records[index];
        match c.status {
            CommitmentStatus::Delivered if c.settled_on <= c.due => record.on_time += 1,
            CommitmentStatus::Delivered => record.late += 1,
            CommitmentStatus::Withdrawn => record.withdrawn += 1,
            CommitmentStatus::Open if c.due < today => record.overdue += 1,
            CommitmentStatus::Open => record.running += 1,
        }
    }
    records.sort_by(|a, b| a.provider.cmp(&b.provider));
    records
}

fn consultations(facts: &[ConsultationFact]) -> ConsultationFigures {
    let side = |from_other_region: bool| {
        let asked: Vec<&ConsultationFact> = facts
            .iter()
            .filter(|c| c.from_other_region == from_other_region)
            .collect();
        let mut hours: Vec<f64> = asked
            .iter()
            .filter_map(|c| {
                c.first_answer_at_ms
                    .map(|at| (at - c.asked_at_ms) as f64 / HOUR_MS)
            })
            .collect();
        hours.sort_by(f64::total_cmp);
        (
            asked.len() as u64,
            hours.len() as u64,
            quantile(&hours, 0.5),
        )
    };
    let (asked, asked_answered, asked_median_hours) = side(false);
    let (received, received_answered, received_median_hours) = side(true);
    ConsultationFigures {
        asked,
        asked_answered,
        asked_median_hours,
        received,
        received_answered,
        received_median_hours,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::date;

    fn closed(categories: &[BottleneckCategory], outcome: Outcome, days: i64) -> ClosedCase {
        ClosedCase {
            categories: categories.to_vec(),
            outcome,
            lead_time_ms: days * 86_400_000,
        }
    }

    #[test]
    fn reasons_given_again_are_counted_once_most_frequent_first() {
        let reasons = ["wijkteam", "leerplicht", "wijkteam"]
            .map(|r| Some(r.to_owned()))
            .into_iter()
            .chain([None])
            .collect();
        assert_eq!(
            grouped(reasons),
            vec![
                (Some("wijkteam".to_owned()), 2),
                (None, 1),
                (Some("leerplicht".to_owned()), 1),
            ]
        );
    }

    #[test]
    fn the_median_of_an_even_count_is_the_mean_of_the_middle_two() {
        assert_eq!(quantile(&[], 0.5), None);
        assert_eq!(quantile(&[7.0], 0.5), Some(7.0));
        assert_eq!(quantile(&[1.0, 2.0, 10.0, 20.0], 0.5), Some(6.0));
        assert_eq!(quantile(&[1.0, 2.0, 3.0, 4.0, 5.0], 0.25), Some(2.0));
    }

    #[test]
    fn lead_times_and_signals_count_a_case_under_every_category_it_names() {
        use BottleneckCategory::{SchoolAbsence, WaitingList};
        let year = YearFacts {
            year: 2026,
            closed: vec![
                closed(&[SchoolAbsence], Outcome::Solved, 10),
                closed(&[SchoolAbsence, WaitingList], Outcome::NoFittingAnswer, 30),
                closed(&[WaitingList], Outcome::NoFittingAnswer, 50),
            ],
            ..YearFacts::default()
        };
        let review = review(year, &YearFacts::default(), date!(2026 - 12 - 31));
        let school = &review.lead_times[review
            .lead_times
            .iter()
            .position(|l| l.category == SchoolAbsence)
            .unwrap()];
        assert_eq!((school.cases, school.median_days), (2, 20.0));
        assert_eq!((school.shortest_days, school.longest_days), (10.0, 30.0));
        // In the vocabulary's order: waiting list comes before school absence.
        assert_eq!(
            review.no_fitting_answer,
            vec![(WaitingList, 2), (SchoolAbsence, 1)]
        );
        let solved = review.outcomes.iter().find(|(o, _)| *o == Outcome::Solved);
        assert_eq!(solved, Some(&(Outcome::Solved, 1)));
        assert_eq!(review.outcomes.len(), Outcome::ALL.len());
    }

    #[test]
    fn a_commitment_is_on_time_late_overdue_running_or_withdrawn() {
        let fact = |provider: &str, due: Date, status, settled_on| CommitmentFact {
            provider: provider.into(),
            due,
            status,
            settled_on,
        };
        let today = date!(2026 - 06 - 15);
        let facts = [
            fact(
                "Karakter",
                date!(2026 - 03 - 01),
                CommitmentStatus::Delivered,
                date!(2026 - 03 - 01),
            ),
            fact(
                "Karakter",
                date!(2026 - 03 - 01),
                CommitmentStatus::Delivered,
                date!(2026 - 03 - 02),
            ),
            fact(
                "Karakter",
                date!(2026 - 06 - 01),
                CommitmentStatus::Open,
                date!(2026 - 05 - 01),
            ),
            fact(
                "Karakter",
                date!(2026 - 07 - 01),
                CommitmentStatus::Open,
                date!(2026 - 05 - 01),
            ),
            fact(
                "Lindenhout",
                date!(2026 - 04 - 01),
                CommitmentStatus::Withdrawn,
                date!(2026 - 04 - 02),
            ),
        ];
        let records = providers(&facts, today);
        assert_eq!(
            records,
            vec![
                ProviderRecord {
                    provider: "Karakter".into(),
                    on_time: 1,
                    late: 1,
                    overdue: 1,
                    running: 1,
                    withdrawn: 0,
                },
                ProviderRecord {
                    provider: "Lindenhout".into(),
                    withdrawn: 1,
                    ..ProviderRecord::default()
                },
            ]
        );
    }

    #[test]
    fn answer_times_are_counted_apart_for_questions_asked_and_received() {
        let asked = |from_other_region, hours: Option<i64>| ConsultationFact {
            from_other_region,
            asked_at_ms: 1_000_000,
            first_answer_at_ms: hours.map(|h| 1_000_000 + h * 3_600_000),
        };
        let figures = consultations(&[
            asked(false, Some(2)),
            asked(false, Some(6)),
            asked(false, None),
            asked(true, Some(48)),
        ]);
        assert_eq!((figures.asked, figures.asked_answered), (3, 2));
        assert_eq!(figures.asked_median_hours, Some(4.0));
        assert_eq!((figures.received, figures.received_answered), (1, 1));
        assert_eq!(figures.received_median_hours, Some(48.0));
    }
}
