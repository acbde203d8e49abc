//! The gateway's connections to the nodes' inboxes: one lazily connecting mutual-TLS HTTP/2 connection per
//! region ([`Upstream`]), verifying that the server holds that region's certificate whatever address the
//! registry gives.

use crate::error::{Error, Result};
use crate::upstream::{CallError, NodeConnection, Upstream};
use crate::wire;
use bytes::Bytes;
use expertnet_federation::peer::node_host;
use expertnet_federation::{Registry, TlsFiles};
use expertnet_proto::v1::inbox_service_client::InboxServiceClient;
use expertnet_proto::v1::{DeliveryReceipt, SignalSnapshot, SnapshotRequest};
use http::HeaderValue;
use http::header::{CONTENT_TYPE, TE};
use prost::Message;
use std::collections::HashMap;
use std::sync::{Arc, PoisonError};
use std::time::Duration;
use tonic::Code;
use tonic::metadata::MetadataMap;

/// The node's inbox method the gateway delivers to.
const DELIVER_PATH: &str = "/expertnet.v1.InboxService/Deliver";
/// A delivery receipt is a few bytes; anything much larger is not one.
const MAX_RECEIPT_BYTES: usize = 64 * 1024;

#[derive(Debug, Clone)]
pub struct NodeClients {
    upstreams: Arc<HashMap<String, Upstream>>,
    timeout: Duration,
    /// `timeout` as a `grpc-timeout` header value.
    grpc_timeout: HeaderValue,
}

impl NodeClients {
    /// Prepares a channel per region; nothing connects until the first delivery.
    pub fn new(registry: &Registry, tls: &TlsFiles, timeout: Duration) -> Result<NodeClients> {
        let config = tls
            .rustls_client()
            .map_err(|e| Error::Config(format!("tls.{e}")))?;
        let mut upstreams = HashMap::new();
        for region in registry.regions() {
            let upstream = Upstream::new(
                &region.endpoint,
                &node_host(&region.id),
                config.clone(),
                Duration::from_secs(2),
            )
            .map_err(|e| Error::Config(format!("registry: {}: {e}", region.id)))?;
            upstreams.insert(region.id.clone(), upstream);
        }
        Ok(NodeClients {
            upstreams: Arc::new(upstreams),
            timeout,
            grpc_timeout: HeaderValue::from_str(&format!("{}m", timeout.as_millis()))
                .map_err(|e| Error::Config(format!("forward_timeout_ms: {e}")))?,
        })
    }

    /// The connection to `region`'s node; one that cannot be dialled is [`Error::Unavailable`].
    async fn connection(&self, region: &str) -> Result<NodeConnection> {
        let upstream = self
            .upstreams
            .get(region)
            .ok_or_else(|| Error::NotFound(format!("region {region} is not in the registry")))?;
        upstream.connection().await.map_err(|err| {
            tracing::debug!(%region, error = %err, "node not reachable");
            unreachable(region)
        })
    }

    /// Delivers an envelope, framed as the sender sent it ([`crate::wire`]), to `region`'s inbox. A node
    /// that cannot be reached or does not answer within the forward timeout is [`Error::Unavailable`]; a
    /// node that refuses passes its code on.
    pub async fn deliver(&self, region: &str, framed: Bytes) -> Result<DeliveryReceipt> {
        let mut metadata = MetadataMap::new();
        expertnet_federation::trace::inject(&mut metadata);
        let mut headers = metadata.into_headers();
        headers.insert(CONTENT_TYPE, HeaderValue::from_static("application/grpc"));
        headers.insert(TE, HeaderValue::from_static("trailers"));
        // The node learns the deadline too and stops working on a call nobody waits for.
        headers.insert("grpc-timeout", self.grpc_timeout.clone());
        // The connection in use, to abandon if the deadline passes.
        let in_use = std::sync::Mutex::new(None::<NodeConnection>);
        let use_connection = |connection: &NodeConnection| {
            *in_use.lock().unwrap_or_else(PoisonError::into_inner) = Some(connection.clone());
        };
        // One deadline over dialling and the call: a sender waits at most the forward timeout.
        let attempt = async {
            let connection = self.connection(region).await?;
            use_connection(&connection);
            match connection
                .unary(DELIVER_PATH, headers.clone(), framed.clone())
                .await
            {
                // A closing connection started nothing; the call goes once more, on a new one.
                Err(CallError::NotSent(err)) => {
                    tracing::debug!(%region, error = %err, "connection closing; sending on a new one");
                    let connection = self.connection(region).await?;
                    use_connection(&connection);
                    connection.unary(DELIVER_PATH, headers, framed).await
                }
                sent => sent,
            }
            .map_err(|err| {
                tracing::debug!(%region, error = %err, "delivery failed");
                unreachable(region)
            })
        };
        let reply = match tokio::time::timeout(self.timeout, attempt).await {
            Ok(reply) => reply?,
            Err(_) => {
                tracing::debug!(%region, "no answer within the forward timeout");
                if let Some(connection) =
                    in_use.lock().unwrap_or_else(PoisonError::into_inner).take()
                {
                    connection.abandon();
                }
                return Err(unreachable(region));
            }
        };
        let status = reply
            .trailers
            .as_ref()
            .and_then(tonic::Status::from_header_map)
            .or_else(|| tonic::Status::from_header_map(&reply.head.headers));
        match status {
            Some(status) if status.code() == Code::Ok => {
                let message = wire::unframe(&reply.body, MAX_RECEIPT_BYTES, "receipt")
                    .map_err(|_| unreachable(region))?;
                DeliveryReceipt::decode(message).map_err(|_| unreachable(region))
            }
            Some(status) => Err(match status.code() {
                Code::Unavailable | Code::DeadlineExceeded | Code::Cancelled | Code::Unknown => {
                    unreachable(region)
                }
                code => Error::Refused {
                    region: region.to_owned(),
                    code,
                    message: status.message().to_owned(),
                },
            }),
            // Not a gRPC answer (a proxy's error page, an HTTP status without grpc-status).
            None => {
                tracing::debug!(%region, http_status = %reply.head.status, "answer without a gRPC status");
                Err(unreachable(region))
            }
        }
    }

    /// Asks `region`'s node for its signals of `period`.
    pub async fn snapshot(&self, region: &str, period: &str) -> Result<SignalSnapshot> {
        let connection = self.connection(region).await?;
        let mut client = InboxServiceClient::new(connection.clone());
        let asked = client.provide_snapshot(SnapshotRequest {
            period: period.to_owned(),
        });
        tokio::time::timeout(self.timeout, asked)
            .await
            .unwrap_or_else(|_| {
                connection.abandon();
                Err(tonic::Status::deadline_exceeded("no answer in time"))
            })
            .map(tonic::Response::into_inner)
            .map_err(|status| Error::Unavailable(format!("region {region}: {}", status.message())))
    }

    /// The regions there are channels for.
    pub fn regions(&self) -> impl Iterator<Item = &str> {
        self.upstreams.keys().map(String::as_str)
    }
}

/// What the sender hears when a node cannot take its envelope now: its outbox tries again later.
fn unreachable(region: &str) -> Error {
    Error::Unavailable(format!(
        "region {region} cannot be reached now; the sender will try again"
    ))
}
