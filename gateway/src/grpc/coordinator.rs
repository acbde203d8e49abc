//! `CoordinatorService`: the network as supra-regional coordinators see it.

use super::unauthenticated;
use crate::coordination::Coordination;
use crate::error::Error;
use crate::network::now_ms;
use crate::statistics::read::TableQuery;
use crate::statistics::release::Asked;
use crate::statistics::tables::Table;
use expertnet_federation::Peer;
use expertnet_proto::v1::coordinator_service_server::CoordinatorService;
use expertnet_proto::v1::{
    CollectSignalsReply, CollectSignalsRequest, FlowView, NetworkViewReply, NetworkViewRequest,
    RegionFailure, RegionView, StatisticsTable, StatisticsTableRequest, YearlyReviewReply,
    YearlyReviewRequest,
};
use std::time::SystemTime;
use tonic::{Request, Response, Status};

#[derive(Debug, Clone)]
pub struct CoordinatorApi {
    coordination: Coordination,
}

impl CoordinatorApi {
    pub fn new(coordination: Coordination) -> CoordinatorApi {
        CoordinatorApi { coordination }
    }
}

/// The coordinator calling, from their certificate.
fn coordinator<T>(request: &Request<T>, what: &str) -> Result<String, Error> {
    match Peer::of_request(request) {
        Ok(Peer::Coordinator(name)) => Ok(name),
        Ok(other) => Err(Error::PermissionDenied(format!(
            "{other} may not {what}; coordinators may"
        ))),
        Err(err) => Err(unauthenticated(&err)),
    }
}

#[tonic::async_trait]
impl CoordinatorService for CoordinatorApi {
    async fn statistics_table(
        &self,
        request: Request<StatisticsTableRequest>,
    ) -> Result<Response<StatisticsTable>, Status> {
        let name = coordinator(&request, "read the statistics")?;
        let req = request.into_inner();
        let table = Table::parse(&req.table).ok_or_else(|| {
            Error::invalid(
                "table",
                format!(
                    "'{}' is not one of {}",
                    req.table,
                    Table::ALL.map(Table::as_str).join(", ")
                ),
            )
        })?;
        let query = TableQuery {
            period: &req.period,
            table,
            asked: scope(&req.region, &req.area)?,
            epsilon: req.epsilon,
        };
        let reply = self.coordination.table(&name, query, now_ms()).await?;
        Ok(Response::new(reply))
    }

    async fn yearly_review(
        &self,
        request: Request<YearlyReviewRequest>,
    ) -> Result<Response<YearlyReviewReply>, Status> {
        let name = coordinator(&request, "read a yearly review")?;
        let req = request.into_inner();
        let asked = scope(&req.region, &req.area)?;
        let review = self
            .coordination
            .review(&name, asked, req.year, now_ms())
            .await?;
        Ok(Response::new(YearlyReviewReply {
            html: review.html,
            quarters: review.quarters,
        }))
    }

    async fn collect_signals(
        &self,
        request: Request<CollectSignalsRequest>,
    ) -> Result<Response<CollectSignalsReply>, Status> {
        let name = coordinator(&request, "collect signals")?;
        let period = request.into_inner().period;
        let collected = self.coordination.collect(&name, &[&period]).await?;
        Ok(Response::new(CollectSignalsReply {
            collected: collected.collected,
            failed: collected
                .failed
                .into_iter()
                .map(|(region, reason)| RegionFailure { region, reason })
                .collect(),
        }))
    }

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
            Err(err) => return Err(unauthenticated(&err).into()),
        }
        let view = self.coordination.network.view(SystemTime::now());
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
                    oldest_since_ms: f.oldest_since_ms,
                })
                .collect(),
            gateway_version: env!("CARGO_PKG_VERSION").into(),
        }))
    }
}

/// What a request asks for: a region, an area, or (neither given) the nation.
pub(crate) fn scope<'a>(region: &'a str, area: &'a str) -> Result<Asked<'a>, Error> {
    match (region.trim(), area.trim()) {
        ("", "") => Ok(Asked::National),
        (region, "") => Ok(Asked::Region(region)),
        ("", area) => Ok(Asked::Area(area)),
        _ => Err(Error::invalid("area", "give a region or an area, not both")),
    }
}
