//! The heartbeat: every few seconds the node tells the gateway it is alive, with counts of what waits in its
//! outbox and inbox and what it has in flight per partner region. Counts only.
//!
//! The node reports at its own interval (`federation.heartbeat_secs`), or sooner when the gateway asks for a
//! shorter one: the gateway marks a region down after `down_after_secs` of silence, so it must hear from nodes at
//! least as often as it says.

use crate::error::{Error, Result};
use crate::workflow::Workflow;
use expertnet_proto::v1::gateway_service_client::GatewayServiceClient;
use expertnet_proto::v1::{HeartbeatRequest, InFlight};
use std::time::Duration;
use tokio::sync::watch;
use tonic::transport::Channel;

pub async fn run(
    workflow: Workflow,
    gateway: Channel,
    own: Duration,
    mut stop: watch::Receiver<bool>,
) {
    let mut client = GatewayServiceClient::new(gateway);
    let mut interval = own;
    while !*stop.borrow() {
        match beat(&workflow, &mut client).await {
            Ok(Some(asked)) => interval = next_interval(own, asked),
            Ok(None) => {}
            Err(err) => tracing::debug!(error = %err, "heartbeat not delivered"),
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

/// One heartbeat; the gateway's wish for the interval, if it stated one.
async fn beat(
    workflow: &Workflow,
    client: &mut GatewayServiceClient<Channel>,
) -> Result<Option<Duration>> {
    let report = workflow.node_report().await?;
    let request = HeartbeatRequest {
        version: env!("CARGO_PKG_VERSION").into(),
        outbox_depth: report.outbox_depth,
        dead_letters: report.dead_letters,
        inbox_depth: report.inbox_depth,
        in_flight: report
            .in_flight
            .into_iter()
            .map(|(region, (consultations, escalations))| InFlight {
                region,
                consultations,
                escalations,
            })
            .collect(),
    };
    let reply = client
        .heartbeat(request)
        .await
        .map_err(|status| Error::Unavailable(format!("gateway: {}", status.message())))?
        .into_inner();
    Ok(
        (reply.interval_seconds > 0)
            .then(|| Duration::from_secs(u64::from(reply.interval_seconds))),
    )
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
