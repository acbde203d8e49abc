//! The gateway's gRPC services. Handlers are thin: who is calling (from the certificate), check the request,
//! call routing or the network state, map the result.

mod coordinator;
pub mod forwarding;
mod gateway;

pub use coordinator::CoordinatorApi;
pub use gateway::GatewayApi;

use crate::error::Error;
use expertnet_federation::{Peer, PeerError, Registry};

/// The region calling, from its certificate. A region missing from the registry is refused and logged.
fn caller_region<T>(request: &tonic::Request<T>, registry: &Registry) -> Result<String, Error> {
    region_of(&Peer::of_request(request), registry).map(str::to_owned)
}

/// The region of `peer`, the identity a caller's certificate gave, if the registry has it.
fn region_of<'p>(peer: &'p Result<Peer, PeerError>, registry: &Registry) -> Result<&'p str, Error> {
    match peer {
        Ok(Peer::Region(id)) if registry.get(id).is_some() => Ok(id),
        Ok(Peer::Region(id)) => {
            tracing::warn!(region = %id, "refused: certificate names a region not in the registry");
            Err(Error::PermissionDenied(format!(
                "region {id} is not in the registry"
            )))
        }
        Ok(other) => Err(Error::PermissionDenied(format!(
            "{other} may not call this; only region nodes may"
        ))),
        Err(err) => Err(unauthenticated(err)),
    }
}

fn unauthenticated(err: &PeerError) -> Error {
    tracing::warn!(reason = %err, "refused: no usable client certificate");
    Error::Unauthenticated(err.to_string())
}
