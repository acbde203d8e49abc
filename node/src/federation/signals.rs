//! Signals leaving the node: a snapshot on the wire, pushed to the gateway now and then and handed over when the
//! gateway asks. Each crossing is an audit event.

use super::gateways::Gateways;
use crate::domain::signals::{Quarter, Snapshot};
use crate::domain::{AgeBand, LeadTimeBand};
use crate::error::{Error, Result};
use crate::grpc::convert::wire_enum;
use crate::workflow::Workflow;
use expertnet_proto::v1 as wire;
use std::time::Duration;
use tokio::sync::watch;

/// How long one push may take through one gateway replica.
const PUSH_WITHIN: Duration = Duration::from_secs(10);

fn age_band(band: AgeBand) -> wire::AgeBand {
    match band {
        AgeBand::UpTo11 => wire::AgeBand::AgeBand011,
        AgeBand::From12To15 => wire::AgeBand::AgeBand1215,
        AgeBand::From16To17 => wire::AgeBand::AgeBand1617,
        AgeBand::From18 => wire::AgeBand::AgeBand1823,
    }
}

fn lead_time(band: LeadTimeBand) -> wire::LeadTimeBand {
    match band {
        LeadTimeBand::UnderFourWeeks => wire::LeadTimeBand::Under4Weeks,
        LeadTimeBand::FourToTwelveWeeks => wire::LeadTimeBand::LeadTimeBand4To12Weeks,
        LeadTimeBand::TwelveToTwentySixWeeks => wire::LeadTimeBand::LeadTimeBand12To26Weeks,
        LeadTimeBand::OverTwentySixWeeks => wire::LeadTimeBand::Over26Weeks,
    }
}

/// The snapshot as it crosses: counts and the fixed dimensions' enum values, nothing else.
pub fn to_wire(snapshot: &Snapshot) -> wire::SignalSnapshot {
    let totals = snapshot.totals;
    wire::SignalSnapshot {
        region: snapshot.region.clone(),
        period: snapshot.period.to_string(),
        computed_at_ms: snapshot.computed_at_ms,
        cells: snapshot
            .cells
            .iter()
            .map(|cell| wire::SignalCell {
                category: wire_enum(cell.category),
                age_band: age_band(cell.age_band) as i32,
                outcome: wire_enum(cell.outcome),
                lead_time: lead_time(cell.lead_time) as i32,
                count: cell.count,
            })
            .collect(),
        totals: Some(wire::SignalTotals {
            submitted: totals.submitted,
            returned: totals.returned,
            discussed: totals.discussed,
            escalated: totals.escalated,
            closed: totals.closed,
            sessions_held: totals.sessions_held,
            escalations_accepted: totals.escalations_accepted,
            escalations_accepted_within_14_days: totals.escalations_accepted_within_14_days,
            consultations_asked: totals.consultations_asked,
            consultations_answered: totals.consultations_answered,
            consultations_answered_within_7_days: totals.consultations_answered_within_7_days,
        }),
        no_fitting_answer: snapshot
            .no_fitting_answer
            .iter()
            .map(|(category, count)| wire::CategoryCount {
                category: wire_enum(*category),
                count: *count,
            })
            .collect(),
    }
}

/// Pushes the current and the previous quarter's signals every `interval` until stopped: the previous one
/// still changes while late closings are recorded, and a push of the same period replaces the last.
pub async fn push_periodically(
    workflow: Workflow,
    region: String,
    gateways: Gateways,
    interval: Duration,
    mut stop: watch::Receiver<bool>,
) {
    while !*stop.borrow() {
        let current = Quarter::containing(workflow.clock().now_ms());
        for period in [current.previous(), current] {
            if let Err(err) = push(&workflow, &region, &gateways, period).await {
                tracing::debug!(error = %err, %period, "signals not pushed; next time");
            }
        }
        tokio::select! {
            _ = tokio::time::sleep(interval) => {}
            _ = stop.changed() => {}
        }
    }
}

/// Pushes one quarter's signals, to the next gateway replica if the current one cannot be reached (the replicas
/// share their statistics store).
pub async fn push(
    workflow: &Workflow,
    region: &str,
    gateways: &Gateways,
    period: Quarter,
) -> Result<bool> {
    let snapshot = to_wire(&workflow.snapshot(region, period).await?);
    let receipt = gateways
        .call(PUSH_WITHIN, |mut gateway| {
            let snapshot = snapshot.clone();
            async move { gateway.push_snapshot(snapshot).await }
        })
        .await
        .map_err(|status| Error::Unavailable(format!("gateway: {}", status.message())))?
        .into_inner();
    workflow
        .signals_crossed("send", period, "to gateway")
        .await?;
    Ok(receipt.replaced)
}
