//! Reducing the node's cases to a quarter's signals.

use super::Workflow;
use crate::domain::signals::{Quarter, Snapshot};
use crate::domain::validate::format_date;
use crate::error::Result;
use crate::storage::signals;

impl Workflow {
    /// The signals of `region` (this node's) for `period`, as of now.
    pub async fn snapshot(&self, region: &str, period: Quarter) -> Result<Snapshot> {
        let pool = self.storage().pool();
        let (start, end) = period.bounds_ms();
        let first_day = format_date(period.first_day());
        let next_first_day = format_date(period.next().first_day());
        Ok(Snapshot {
            region: region.to_owned(),
            period,
            computed_at_ms: self.now(),
            cells: signals::closed_cells(pool, start, end).await?,
            totals: signals::totals(pool, (start, end), (&first_day, &next_first_day)).await?,
            no_fitting_answer: signals::no_fitting_answer(pool, start, end).await?,
        })
    }

    /// Records on the audit trail that a quarter's signals crossed the border (`direction`: send or provide).
    pub async fn signals_crossed(
        &self,
        direction: &str,
        period: Quarter,
        peer: &str,
    ) -> Result<()> {
        let event = self.crossing_event(direction, "signals", &period.to_string(), peer);
        self.audit().record(event).await
    }
}
