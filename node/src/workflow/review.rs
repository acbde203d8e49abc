//! A region's own yearly review, drawn from its own cases in full (`domain::review`).

use super::Workflow;
use crate::domain::review::{self, RegionReview, YearFacts, YearTotals};
use crate::domain::signals::Quarter;
use crate::domain::validate::format_date;
use crate::error::{Error, Result};
use crate::storage::{review as facts, signals};

/// The first year a review can be asked for.
const FIRST_YEAR: i32 = 2000;

impl Workflow {
    /// The review of `year`, with the year before for comparison. A year still running is reviewed up to today.
    pub async fn region_review(&self, year: i32) -> Result<RegionReview> {
        let today = self.clock.today();
        if !(FIRST_YEAR..=today.year()).contains(&year) {
            return Err(Error::invalid(
                "year",
                format!("must be a year from {FIRST_YEAR} to {}", today.year()),
            ));
        }
        let this = self.year_facts(year).await?;
        let before = self.year_facts(year - 1).await?;
        Ok(review::review(this, &before, today))
    }

    /// The name of this node's region as the registry gives it (its id without one; empty for a node outside
    /// a federation).
    pub fn region_name(&self) -> String {
        self.federation().map_or_else(String::new, |link| {
            link.registry
                .get(&link.region)
                .map_or_else(|| link.region.clone(), |region| region.name.clone())
        })
    }

    async fn year_facts(&self, year: i32) -> Result<YearFacts> {
        let pool = self.storage.pool();
        let first = Quarter { year, quarter: 1 };
        let (start, _) = first.bounds_ms();
        let (_, end) = Quarter { year, quarter: 4 }.bounds_ms();
        let span = (start, end);
        let mut submitted_per_quarter = [0; 4];
        let mut totals = YearTotals::default();
        let mut quarter = first;
        for submitted in &mut submitted_per_quarter {
            let first_day = format_date(quarter.first_day());
            let next_first_day = format_date(quarter.next().first_day());
            let flow =
                signals::totals(pool, quarter.bounds_ms(), (&first_day, &next_first_day)).await?;
            *submitted = flow.submitted;
            totals.submitted += flow.submitted;
            totals.handed_back += flow.returned;
            totals.discussed += flow.discussed;
            totals.closed += flow.closed;
            quarter = quarter.next();
        }
        // Sessions are held on days up to today; planned ones later in the year are not held yet.
        let tomorrow = self.clock.today().next_day().unwrap_or(self.clock.today());
        let after_last_day = format_date(quarter.first_day().min(tomorrow));
        totals.sessions_held =
            facts::sessions_held(pool, &format_date(first.first_day()), &after_last_day).await?;
        totals.taken_in = facts::taken_in(pool, span).await?;
        let escalations = facts::escalations(pool, span).await?;
        for (direction, _, count) in &escalations {
            match direction {
                crate::domain::EscalationDirection::Outgoing => totals.escalations_sent += count,
                crate::domain::EscalationDirection::Incoming => {
                    totals.escalations_received += count
                }
            }
        }
        let mut return_reasons = Vec::new();
        for (case_id, reason) in facts::return_reasons(pool, span).await? {
            let printable = self.printable(&case_id, &[&reason]).await?;
            return_reasons.push(printable[0].then_some(reason));
        }
        Ok(YearFacts {
            year,
            submitted_per_quarter,
            totals,
            return_reasons,
            closed: facts::closed(pool, span).await?,
            attendance: facts::attendance(pool, span).await?,
            commitments: facts::commitments(
                pool,
                &format_date(first.first_day()),
                &format_date(quarter.first_day()),
            )
            .await?,
            escalations,
            consultations: facts::consultations(pool, span).await?,
        })
    }
}
