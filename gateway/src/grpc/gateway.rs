//! `GatewayService`: heartbeats from nodes, their signals, and routing of envelopes between them (the use case in
//! [`crate::forwarding`]).

use super::caller_region;
use crate::forwarding::Forwarder;
use crate::network::now_ms;
use crate::network::{InFlight, Network, Report};
use crate::nodes::{Caller, NodeClients};
use crate::statistics::{self, StatisticsStore, store::Stored};
use crate::transport::wire;
use expertnet_proto::v1::gateway_service_server::GatewayService;
use expertnet_proto::v1::{
    Envelope, HeartbeatReply, HeartbeatRequest, RouteReply, SignalSnapshot, SnapshotReceipt,
};
use std::time::SystemTime;
use tonic::{Request, Response, Status};

#[derive(Debug, Clone)]
pub struct GatewayApi {
    network: Network,
    forwarder: Forwarder,
    heartbeat_interval_secs: u32,
    statistics: StatisticsStore,
}

impl GatewayApi {
    pub fn new(
        network: Network,
        nodes: NodeClients,
        heartbeat_interval_secs: u32,
        statistics: StatisticsStore,
    ) -> GatewayApi {
        GatewayApi {
            forwarder: Forwarder::new(network.clone(), nodes),
            network,
            heartbeat_interval_secs,
            statistics,
        }
    }

    /// What routes envelopes, for the server's path below tonic's codec.
    pub fn forwarder(&self) -> &Forwarder {
        &self.forwarder
    }
}

#[tonic::async_trait]
impl GatewayService for GatewayApi {
    async fn push_snapshot(
        &self,
        request: Request<SignalSnapshot>,
    ) -> Result<Response<SnapshotReceipt>, Status> {
        let region = caller_region(&request, self.network.registry())?;
        let snapshot = request.into_inner();
        statistics::snapshot::check(&snapshot, &region)?;
        let stored = self.statistics.put(&snapshot, now_ms()).await?;
        tracing::info!(%region, period = %snapshot.period, ?stored, "signals received");
        Ok(Response::new(SnapshotReceipt {
            replaced: stored != Stored::New,
        }))
    }

    async fn heartbeat(
        &self,
        request: Request<HeartbeatRequest>,
    ) -> Result<Response<HeartbeatReply>, Status> {
        let region = caller_region(&request, self.network.registry())?;
        let beat = request.into_inner();
        let report = Report {
            version: beat.version,
            outbox_depth: beat.outbox_depth,
            dead_letters: beat.dead_letters,
            inbox_depth: beat.inbox_depth,
            in_flight: beat
                .in_flight
                .into_iter()
                .map(|f| {
                    let flight = InFlight {
                        consultations: f.consultations,
                        escalations: f.escalations,
                        oldest_since_ms: f.oldest_since_ms,
                    };
                    (f.region, flight)
                })
                .collect(),
        };
        self.network.heartbeat(&region, report, SystemTime::now());
        tracing::debug!(%region, "heartbeat");
        Ok(Response::new(HeartbeatReply {
            interval_seconds: self.heartbeat_interval_secs,
        }))
    }

    /// The gateway's server answers `Route` below tonic's codec ([`super::forwarding`]); this is the same call
    /// through the generated server, for a server built without that path.
    async fn route(&self, request: Request<Envelope>) -> Result<Response<RouteReply>, Status> {
        let region = caller_region(&request, self.network.registry())?;
        let (metadata, _, envelope) = request.into_parts();
        let framed = wire::frame(&envelope);
        Ok(Response::new(
            self.forwarder
                .route_framed(
                    &region,
                    &envelope,
                    framed,
                    Caller {
                        headers: &metadata.into_headers(),
                        in_span: true,
                    },
                )
                .await?,
        ))
    }
}
