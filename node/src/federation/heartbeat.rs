//! The heartbeat: every few seconds the node tells the gateway it is alive, with counts of what waits in its
//! outbox and inbox and what it has in flight per partner region. Counts only.
//!
//! Every gateway replica hears every beat, so each one's view of the network is whole whichever replica the
//! courier uses.
//!
//! The node reports at its own interval (`federation.heartbeat_secs`), or sooner when the gateway asks for a
//! shorter one: the gateway marks a region down after `down_after_secs` of silence, so it must hear from nodes at
//! least as often as it says.

use super::gateways::Gateways;
use crate::error::Result;
use crate::workflow::Workflow;
use expertnet_proto::v1::{HeartbeatRequest, InFlight};
use std::time::Duration;
use tokio::sync::watch;

/// How long one replica may take to take a beat.
const BEAT_WITHIN: Duration = Duration::from_secs(5);

pub async fn run(
    workflow: Workflow,
    gateways: Gateways,
    own: Duration,
    mut stop: watch::Receiver<bool>,
) {
    let mut interval = own;
    while !*stop.borrow() {
        match beat(&workflow, &gateways).await {
            Ok(asked) => interval = asked.into_iter().fold(own, next_interval),
            Err(err) => tracing::debug!(error = %err, "heartbeat not made"),
        }
        tokio::select! {
            _ = tokio::time::sleep(interval) => {}
            _ = stop.changed() => {}
        }
    }
}

/// The wait before the next heartbeat: the node's own interval, shortened to the gateway's when it asks for a
/// shorter one, never lengthened.
fn next_interval(own: Duration, asked: Duration) -> Duration {
    own.min(asked)
}

/// One heartbeat to every replica at once; the intervals the replicas that answered asked for.
async fn beat(workflow: &Workflow, gateways: &Gateways) -> Result<Vec<Duration>> {
    let report = workflow.node_report().await?;
    let request = HeartbeatRequest {
        version: env!("CARGO_PKG_VERSION").into(),
        outbox_depth: report.outbox_depth,
        dead_letters: report.dead_letters,
        inbox_depth: report.inbox_depth,
        in_flight: report
            .in_flight
            .into_iter()
            .map(|(region, flight)| InFlight {
                region,
                consultations: flight.consultations,
                escalations: flight.escalations,
                oldest_since_ms: flight.oldest_since,
            })
            .collect(),
    };
    let beats = gateways.each().map(|(url, mut client)| {
        let request = request.clone();
        async move {
            match tokio::time::timeout(BEAT_WITHIN, client.heartbeat(request)).await {
                Ok(Ok(reply)) => Some(reply.into_inner().interval_seconds),
                Ok(Err(status)) => {
                    tracing::debug!(gateway = %url, code = ?status.code(), "heartbeat not delivered");
                    None
                }
                Err(_) => {
                    tracing::debug!(gateway = %url, "heartbeat not answered in time");
                    None
                }
            }
        }
    });
    Ok(futures_util::future::join_all(beats)
        .await
        .into_iter()
        .flatten()
        .filter(|seconds| *seconds > 0)
        .map(|seconds| Duration::from_secs(u64::from(seconds)))
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_node_keeps_its_own_interval_unless_the_gateway_needs_it_sooner() {
        let s = Duration::from_secs;
        assert_eq!(
            next_interval(s(1), s(5)),
            s(1),
            "a node set to report often keeps doing so"
        );
        assert_eq!(
            next_interval(s(30), s(5)),
            s(5),
            "the gateway's down detection needs a beat every 5 s"
        );
        assert_eq!(next_interval(s(5), s(5)), s(5));
    }
}
