//! `InboxService`: where the gateway delivers what other regions send. Only the gateway's certificate is
//! let in; the envelope's sending region was checked by the gateway against the sender's certificate.
//!
//! Deliveries write to the node's database a few at a time, whatever arrives: the rest of the connection pool
//! stays free for the node's own team, so a flood from the network delays other regions' mail, never the table.

use crate::domain::signals::Quarter;
use crate::error::Error;
use crate::federation::{envelope, signals};
use crate::workflow::{Receipt, Workflow};
use expertnet_federation::Peer;
use expertnet_proto::v1::inbox_service_server::InboxService;
use expertnet_proto::v1::{DeliveryReceipt, Envelope, SignalSnapshot, SnapshotRequest};
use std::sync::Arc;
use tokio::sync::Semaphore;
use tonic::{Request, Response, Status};

#[derive(Debug, Clone)]
pub struct InboxApi {
    workflow: Workflow,
    /// Deliveries that may use the database at once.
    writers: Arc<Semaphore>,
}

impl InboxApi {
    pub fn new(workflow: Workflow) -> InboxApi {
        let pool = workflow.storage().pool().options().get_max_connections();
        InboxApi {
            writers: Arc::new(Semaphore::new(inbox_writers(pool))),
            workflow,
        }
    }
}

/// A quarter of the database pool, at least one: SQLite takes one writer at a time anyway, and PostgreSQL's
/// larger pools still leave most connections to the team.
fn inbox_writers(pool: u32) -> usize {
    (pool as usize / 4).max(1)
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
        let _writing = self
            .writers
            .acquire()
            .await
            .map_err(|_| Status::unavailable("the inbox is closing"))?;
        let receipt = self.workflow.receive(incoming).await?;
        Ok(Response::new(DeliveryReceipt {
            duplicate: receipt == Receipt::Duplicate,
        }))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_inbox_leaves_most_of_the_pool_to_the_team() {
        assert_eq!(inbox_writers(1), 1);
        assert_eq!(inbox_writers(4), 1);
        assert_eq!(inbox_writers(8), 2);
        assert_eq!(inbox_writers(32), 8);
    }
}
