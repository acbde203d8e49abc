//! The heartbeat: every few seconds the node tells the gateway it is alive, with counts of what waits in its
//! outbox and inbox and what it has in flight per partner region. Counts only.

use crate::workflow::Workflow;
use expertnet_proto::v1::gateway_service_client::GatewayServiceClient;
use expertnet_proto::v1::{HeartbeatRequest, InFlight};
use std::time::Duration;
use tokio::sync::watch;
use tonic::transport::Channel;

pub async fn run(
    workflow: Workflow,
    gateway: Channel,
    mut interval: Duration,
    mut stop: watch::Receiver<bool>,
) {
    let mut client = GatewayServiceClient::new(gateway);
    while !*stop.borrow() {
        match beat(&workflow, &mut client).await {
            Ok(Some(asked)) => interval = asked,
            Ok(None) => {}
            Err(err) => tracing::debug!(error = %err, "heartbeat not delivered"),
        }
        tokio::select! {
            _ = tokio::time::sleep(interval) => {}
            _ = stop.changed() => {}
        }
    }
}

/// One heartbeat; the gateway's wish for the interval, if it stated one.
async fn beat(
    workflow: &Workflow,
    client: &mut GatewayServiceClient<Channel>,
) -> anyhow::Result<Option<Duration>> {
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
    let reply = client.heartbeat(request).await?.into_inner();
    Ok(
        (reply.interval_seconds > 0)
            .then(|| Duration::from_secs(u64::from(reply.interval_seconds))),
    )
}
