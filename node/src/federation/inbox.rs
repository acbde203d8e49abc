//! `InboxService`: where the gateway delivers what other regions send. Only the gateway's certificate is
//! let in; the envelope's sending region was checked by the gateway against the sender's certificate.

use super::envelope;
use crate::error::Error;
use crate::workflow::{Receipt, Workflow};
use expertnet_federation::Peer;
use expertnet_proto::v1::inbox_service_server::InboxService;
use expertnet_proto::v1::{DeliveryReceipt, Envelope};
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

#[tonic::async_trait]
impl InboxService for InboxApi {
    async fn deliver(
        &self,
        request: Request<Envelope>,
    ) -> Result<Response<DeliveryReceipt>, Status> {
        match Peer::of_request(&request) {
            Ok(Peer::Gateway) => {}
            Ok(other) => {
                tracing::warn!(peer = %other, "refused: only the gateway may deliver to the inbox");
                return Err(Error::PermissionDenied(format!(
                    "{other} may not deliver here; only the gateway may"
                ))
                .into());
            }
            Err(err) => return Err(Status::unauthenticated(err.to_string())),
        }
        let incoming = envelope::decode(request.into_inner())?;
        let receipt = self.workflow.receive(incoming).await?;
        Ok(Response::new(DeliveryReceipt {
            duplicate: receipt == Receipt::Duplicate,
        }))
    }
}
