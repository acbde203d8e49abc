//! `CoordinatorService`: the network as supra-regional coordinators see it.

use super::unauthenticated;
use crate::error::Error;
use crate::network::Network;
use expertnet_federation::Peer;
use expertnet_proto::v1::coordinator_service_server::CoordinatorService;
use expertnet_proto::v1::{FlowView, NetworkViewReply, NetworkViewRequest, RegionView};
use std::time::SystemTime;
use tonic::{Request, Response, Status};

#[derive(Debug, Clone)]
pub struct CoordinatorApi {
    network: Network,
}

impl CoordinatorApi {
    pub fn new(network: Network) -> CoordinatorApi {
        CoordinatorApi { network }
    }
}

#[tonic::async_trait]
impl CoordinatorService for CoordinatorApi {
    async fn network_view(
        &self,
        request: Request<NetworkViewRequest>,
    ) -> Result<Response<NetworkViewReply>, Status> {
        match Peer::of_request(&request) {
            Ok(Peer::Coordinator(name)) => tracing::info!(coordinator = %name, "network view"),
            Ok(other) => {
                return Err(Error::PermissionDenied(format!(
                    "{other} may not see the network view; coordinators may"
                ))
                .into());
            }
            Err(err) => return Err(unauthenticated(err).into()),
        }
        let view = self.network.view(SystemTime::now());
        Ok(Response::new(NetworkViewReply {
            regions: view
                .regions
                .into_iter()
                .map(|r| RegionView {
                    id: r.id,
                    name: r.name,
                    up: r.up,
                    last_seen_ms: r.last_seen_ms.unwrap_or(0),
                    version: r.report.version,
                    outbox_depth: r.report.outbox_depth,
                    dead_letters: r.report.dead_letters,
                    inbox_depth: r.report.inbox_depth,
                    expertise: r.expertise,
                    covenants: r.covenants,
                })
                .collect(),
            flows: view
                .flows
                .into_iter()
                .map(|f| FlowView {
                    from_region: f.from,
                    to_region: f.to,
                    consultations: f.consultations,
                    escalations: f.escalations,
                })
                .collect(),
            gateway_version: env!("CARGO_PKG_VERSION").into(),
        }))
    }
}
