//! `GatewayService`: heartbeats from nodes, and routing of envelopes between them.

use super::caller_region;
use crate::error::Error;
use crate::network::{Network, Report};
use crate::nodes::{Caller, NodeClients};
use crate::routing::{self, Cargo};
use crate::statistics::{self, StatisticsStore, store::Stored};
use crate::transport::wire;
use bytes::Bytes;
use expertnet_federation::{Peer, PeerError, Region};
use expertnet_proto::v1::envelope::Body;
use expertnet_proto::v1::gateway_service_server::GatewayService;
use expertnet_proto::v1::{
    Envelope, HeartbeatReply, HeartbeatRequest, LegalBasis, RouteReply, SignalSnapshot,
    SnapshotReceipt,
};
use futures_util::future::join_all;
use std::time::SystemTime;
use tonic::{Request, Response, Status};

/// Longest idempotency key a node may choose.
const MAX_KEY_CHARS: usize = 200;
const MAX_TAGS: usize = 16;

#[derive(Debug, Clone)]
pub struct GatewayApi {
    network: Network,
    nodes: NodeClients,
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
            network,
            nodes,
            heartbeat_interval_secs,
            statistics,
        }
    }
}

fn cargo_of(envelope: &Envelope) -> Result<Cargo, Error> {
    match &envelope.body {
        Some(Body::ConsultationQuestion(_)) => Ok(Cargo::ConsultationQuestion),
        Some(Body::ConsultationReply(_)) => Ok(Cargo::ConsultationReply),
        Some(Body::Escalation(_)) => Ok(Cargo::Escalation),
        Some(Body::EscalationStatus(_)) => Ok(Cargo::EscalationStatus),
        None => Err(Error::invalid("body", "is required")),
    }
}

fn check_envelope(envelope: &Envelope) -> Result<Cargo, Error> {
    // Only ASCII passes, so counting bytes counts characters.
    let key = envelope.key.as_bytes();
    let key_ok = !key.is_empty()
        && key.len() <= MAX_KEY_CHARS
        && key
            .iter()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b':' | b'.'));
    if !key_ok {
        return Err(Error::invalid(
            "key",
            format!("must be 1-{MAX_KEY_CHARS} of A-Z, a-z, 0-9, '-', '_', ':' and '.'"),
        ));
    }
    if envelope.expertise_tags.len() > MAX_TAGS {
        return Err(Error::invalid(
            "expertise_tags",
            format!("at most {MAX_TAGS}"),
        ));
    }
    if let Some(Body::Escalation(package)) = &envelope.body {
        let on_record = [LegalBasis::Consent as i32, LegalBasis::LegalGround as i32];
        if !on_record.contains(&package.legal_basis) {
            return Err(Error::PermissionDenied(
                "escalation.legal_basis: no consent or legal ground on record; a case may not cross without one"
                    .into(),
            ));
        }
    }
    cargo_of(envelope)
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
                .map(|f| (f.region, (f.consultations, f.escalations)))
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
            self.route_framed(
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

impl GatewayApi {
    /// The caller's region, from the identity its connection's certificate gave.
    pub(crate) fn region_of<'p>(
        &self,
        caller: &'p Result<Peer, PeerError>,
    ) -> Result<&'p str, Error> {
        super::region_of(caller, self.network.registry())
    }

    /// Routes `envelope`, sent by `region` as `framed` on the call `caller`, and passes `framed`
    /// on unchanged to every target.
    pub(crate) async fn route_framed(
        &self,
        region: &str,
        envelope: &Envelope,
        framed: Bytes,
        caller: Caller<'_>,
    ) -> Result<RouteReply, Error> {
        if envelope.from_region != region {
            tracing::warn!(
                certificate = %region,
                claimed = %envelope.from_region,
                "refused: envelope claims another region than its sender's certificate"
            );
            return Err(Error::PermissionDenied(format!(
                "from_region: '{}' is not the region of the sender's certificate ({region})",
                envelope.from_region
            )));
        }
        let cargo = check_envelope(envelope)?;
        let targets = routing::targets(
            self.network.registry(),
            region,
            cargo,
            &envelope.to_region,
            &envelope.expertise_tags,
        )?;
        // A named target, nearly every envelope, is one.
        if let [target] = targets[..] {
            let delivered = self.deliver(region, cargo, target, framed, caller).await?;
            return Ok(RouteReply {
                delivered_to: vec![delivered],
            });
        }
        // Every target at once: a question routed by tag waits for the slowest inbox, not for their sum. A
        // partial delivery fails as a whole: the sender retries, and the regions that have it already
        // recognise the key.
        let deliveries = targets
            .into_iter()
            .map(|target| self.deliver(region, cargo, target, framed.clone(), caller));
        let outcomes = join_all(deliveries).await;
        let delivered_to = outcomes.into_iter().collect::<Result<Vec<_>, Error>>()?;
        Ok(RouteReply { delivered_to })
    }

    /// Delivers `framed`, an envelope of `cargo` from `region`, to `target`'s inbox; `target`'s id once it has it.
    async fn deliver(
        &self,
        region: &str,
        cargo: Cargo,
        target: &Region,
        framed: Bytes,
        caller: Caller<'_>,
    ) -> Result<String, Error> {
        match self.nodes.deliver(&target.id, framed, caller).await {
            Ok(receipt) => {
                tracing::debug!(
                    from = %region,
                    to = %target.id,
                    cargo = cargo.as_str(),
                    duplicate = receipt.duplicate,
                    "delivered"
                );
                Ok(target.id.clone())
            }
            Err(err) => {
                tracing::warn!(from = %region, to = %target.id, cargo = cargo.as_str(), error = %err, "not delivered");
                Err(err)
            }
        }
    }
}

/// Now, in Unix milliseconds.
pub(crate) fn now_ms() -> i64 {
    SystemTime::now()
        .duration_since(SystemTime::UNIX_EPOCH)
        .map_or(0, |d| d.as_millis() as i64)
}
