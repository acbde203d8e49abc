//! `InboxService`: where the gateway delivers what other regions send. Only the gateway's certificate is
//! let in; the envelope's sending region was checked by the gateway against the sender's certificate.

use crate::domain::signals::Quarter;
use crate::error::Error;
use crate::federation::{envelope, signals};
use crate::workflow::{Receipt, Workflow};
use expertnet_federation::Peer;
use expertnet_proto::v1::inbox_service_server::InboxService;
use expertnet_proto::v1::{DeliveryReceipt, Envelope, SignalSnapshot, SnapshotRequest};
use tonic::{Request, Response, Status};

#[derive(Debug, Clone)]
pub struct InboxApi {
    workflow: Workflow,
}

impl InboxApi {
    pub fn new(workflow: Workflow) -> InboxApi {
        InboxApi { workflow }
    }
}

/// Refuses every caller but the gateway.
fn only_the_gateway<T>(request: &Request<T>, what: &str) -> Result<(), Status> {
    match Peer::of_request(request) {
        Ok(Peer::Gateway) => Ok(()),
        Ok(other) => {
            tracing::warn!(peer = %other, what, "refused: only the gateway may call the inbox");
            Err(Error::PermissionDenied(format!(
                "{other} may not {what} here; only the gateway may"
            ))
            .into())
        }
        Err(err) => Err(Status::unauthenticated(err.to_string())),
    }
}

#[tonic::async_trait]
impl InboxService for InboxApi {
    async fn provide_snapshot(
        &self,
        request: Request<SnapshotRequest>,
    ) -> Result<Response<SignalSnapshot>, Status> {
        only_the_gateway(&request, "ask for signals")?;
        let text = request.into_inner().period;
        let period = Quarter::parse(&text).ok_or_else(|| {
            Error::invalid("period", format!("'{text}' is not a quarter like 2026-Q1"))
        })?;
        let region = self.workflow.link()?.region.clone();
        let snapshot = self.workflow.snapshot(&region, period).await?;
        self.workflow
            .signals_crossed("provide", period, "to gateway")
            .await?;
        Ok(Response::new(signals::to_wire(&snapshot)))
    }

    async fn deliver(
        &self,
        request: Request<Envelope>,
    ) -> Result<Response<DeliveryReceipt>, Status> {
        only_the_gateway(&request, "deliver")?;
        let incoming = envelope::decode(request.into_inner())?;
        let receipt = self.workflow.receive(incoming).await?;
        Ok(Response::new(DeliveryReceipt {
            duplicate: receipt == Receipt::Duplicate,
        }))
    }
}
