//! The client's side of signing in: every request carries `authorization: Bearer <token>`. Used by the CLI
//! and the tests; the token comes from `EXPERTNET_TOKEN` or a file, never from the command line (where other
//! users of the machine could read it).

use tonic::metadata::{AsciiMetadataValue, MetadataValue};
use tonic::service::Interceptor;
use tonic::service::interceptor::InterceptedService;
use tonic::transport::Channel;

/// A channel whose every request is signed in with one token.
pub type SignedChannel = InterceptedService<Channel, BearerToken>;

/// Adds the token to each request's metadata.
#[derive(Clone)]
pub struct BearerToken(Option<AsciiMetadataValue>);

impl BearerToken {
    /// A token as given; text that cannot be a header value is sent as nothing (the node then refuses it).
    pub fn new(token: &str) -> BearerToken {
        BearerToken(MetadataValue::try_from(format!("Bearer {}", token.trim())).ok())
    }

    /// Sends no credential at all.
    pub fn none() -> BearerToken {
        BearerToken(None)
    }

    pub fn sign(self, channel: Channel) -> SignedChannel {
        InterceptedService::new(channel, self)
    }
}

impl std::fmt::Debug for BearerToken {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("BearerToken(..)")
    }
}

impl Interceptor for BearerToken {
    fn call(
        &mut self,
        mut request: tonic::Request<()>,
    ) -> Result<tonic::Request<()>, tonic::Status> {
        if let Some(value) = &self.0 {
            request
                .metadata_mut()
                .insert("authorization", value.clone());
        }
        Ok(request)
    }
}
