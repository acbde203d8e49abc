//! The gateway's connections to the nodes' inboxes: one lazily connecting mutual-TLS channel per region,
//! verifying that the server holds that region's certificate whatever address the registry gives.

use crate::error::{Error, Result};
use expertnet_federation::peer::node_host;
use expertnet_federation::{Registry, TlsFiles};
use expertnet_proto::v1::inbox_service_client::InboxServiceClient;
use expertnet_proto::v1::{DeliveryReceipt, Envelope, SignalSnapshot, SnapshotRequest};
use std::collections::HashMap;
use std::time::Duration;
use tonic::Code;
use tonic::transport::{Channel, Endpoint};

#[derive(Debug, Clone)]
pub struct NodeClients {
    channels: HashMap<String, Channel>,
}

impl NodeClients {
    /// Prepares a channel per region; nothing connects until the first delivery.
    pub fn new(registry: &Registry, tls: &TlsFiles, timeout: Duration) -> Result<NodeClients> {
        let mut channels = HashMap::new();
        for region in registry.regions() {
            let config = tls
                .client(&node_host(&region.id))
                .map_err(|e| Error::Config(format!("tls.{e}")))?;
            let channel = Endpoint::from_shared(region.endpoint.clone())
                .map_err(|e| Error::Config(format!("registry: {}: endpoint: {e}", region.id)))?
                .tls_config(config)
                .map_err(|e| Error::Config(format!("registry: {}: tls: {e}", region.id)))?
                .connect_timeout(Duration::from_secs(2))
                .timeout(timeout)
                .tcp_nodelay(true)
                .connect_lazy();
            channels.insert(region.id.clone(), channel);
        }
        Ok(NodeClients { channels })
    }

    /// Delivers `envelope` to `region`'s inbox. A node that cannot be reached is [`Error::Unavailable`]; a
    /// node that refuses passes its code on.
    pub async fn deliver(&self, region: &str, envelope: Envelope) -> Result<DeliveryReceipt> {
        let channel = self
            .channels
            .get(region)
            .ok_or_else(|| Error::NotFound(format!("region {region} is not in the registry")))?;
        let mut request = tonic::Request::new(envelope);
        expertnet_federation::trace::inject(request.metadata_mut());
        match InboxServiceClient::new(channel.clone())
            .deliver(request)
            .await
        {
            Ok(reply) => Ok(reply.into_inner()),
            Err(status) => Err(match status.code() {
                Code::Unavailable | Code::DeadlineExceeded | Code::Cancelled | Code::Unknown => {
                    Error::Unavailable(format!(
                        "region {region} cannot be reached now; the sender will try again"
                    ))
                }
                code => Error::Refused {
                    region: region.to_owned(),
                    code,
                    message: status.message().to_owned(),
                },
            }),
        }
    }

    /// Asks `region`'s node for its signals of `period`.
    pub async fn snapshot(&self, region: &str, period: &str) -> Result<SignalSnapshot> {
        let channel = self
            .channels
            .get(region)
            .ok_or_else(|| Error::NotFound(format!("region {region} is not in the registry")))?;
        InboxServiceClient::new(channel.clone())
            .provide_snapshot(SnapshotRequest {
                period: period.to_owned(),
            })
            .await
            .map(tonic::Response::into_inner)
            .map_err(|status| Error::Unavailable(format!("region {region}: {}", status.message())))
    }

    /// The regions there are channels for.
    pub fn regions(&self) -> impl Iterator<Item = &str> {
        self.channels.keys().map(String::as_str)
    }
}
