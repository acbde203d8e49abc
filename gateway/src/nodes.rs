//! The gateway's connections to the nodes' inboxes: one lazily connecting mutual-TLS HTTP/2 connection per
//! region ([`Upstream`]), verifying that the server holds that region's certificate whatever address the
//! registry gives.

use crate::error::{Error, Result};
use crate::transport::upstream::{
    Abandoner, CallError, DEFAULT_KEEPALIVE, NodeConnection, UnaryReply, Upstream,
};
use crate::transport::wire;
use bytes::Bytes;
use expertnet_federation::peer::node_host;
use expertnet_federation::{Registry, TlsFiles};
use expertnet_proto::v1::{DeliveryReceipt, SignalSnapshot, SnapshotRequest};
use http::header::{CONTENT_TYPE, TE};
use http::{HeaderMap, HeaderValue};
use prost::Message;
use std::collections::HashMap;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;
use tonic::Code;
use tonic::metadata::MetadataMap;

/// The node's inbox methods the gateway calls.
const DELIVER_PATH: &str = "/expertnet.v1.InboxService/Deliver";
const SNAPSHOT_PATH: &str = "/expertnet.v1.InboxService/ProvideSnapshot";
/// A delivery receipt is a few bytes; anything much larger is not one.
const MAX_RECEIPT_BYTES: usize = 64 * 1024;
/// A quarter's signals (tonic's default limit for a decoded message).
const MAX_SNAPSHOT_BYTES: usize = 4 * 1024 * 1024;

/// The call an envelope came in on, as far as its delivery is concerned.
#[derive(Debug, Clone, Copy)]
pub struct Caller<'a> {
    /// The sender's request headers: its trace context and deadline.
    pub headers: &'a HeaderMap,
    /// Whether the gateway records a span for the call; if not, there is no current span to look up, and
    /// the sender's trace context goes on as it came.
    pub in_span: bool,
}

#[derive(Debug, Clone)]
pub struct NodeClients {
    upstreams: Arc<HashMap<String, Upstream>>,
    timeout: Duration,
    /// `timeout` as a `grpc-timeout` header value.
    grpc_timeout: HeaderValue,
}

impl NodeClients {
    /// Prepares a connection per region; nothing connects until the first call.
    pub fn new(registry: &Registry, tls: &TlsFiles, timeout: Duration) -> Result<NodeClients> {
        NodeClients::with_keepalive(registry, tls, timeout, Some(DEFAULT_KEEPALIVE))
    }

    /// Like [`NodeClients::new`], each node connection PINGed after `keepalive` without one (`None`: never).
    pub fn with_keepalive(
        registry: &Registry,
        tls: &TlsFiles,
        timeout: Duration,
        keepalive: Option<Duration>,
    ) -> Result<NodeClients> {
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
            .map_err(|e| Error::Config(format!("registry: {}: {e}", region.id)))?
            .with_keepalive(keepalive);
            upstreams.insert(region.id.clone(), upstream);
        }
        Ok(NodeClients {
            upstreams: Arc::new(upstreams),
            timeout,
            grpc_timeout: wire::grpc_timeout_value(timeout),
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

    /// Delivers an envelope, framed as the sender sent it ([`crate::transport::wire`]), to `region`'s inbox. The trace
    /// context goes on (the span's the gateway records for the call, or else the sender's), and the sender's
    /// `grpc-timeout` when that is shorter than the forward timeout. A node that cannot be reached or does not
    /// answer in time is [`Error::Unavailable`]; a node that refuses passes its code on.
    pub async fn deliver(
        &self,
        region: &str,
        framed: Bytes,
        caller: Caller<'_>,
    ) -> Result<DeliveryReceipt> {
        let timeout = wire::deadline_within(caller.headers, self.timeout);
        self.call(
            region,
            DELIVER_PATH,
            framed,
            MAX_RECEIPT_BYTES,
            timeout,
            Some(caller),
        )
        .await
    }

    /// Asks `region`'s node for its signals of `period`.
    pub async fn snapshot(&self, region: &str, period: &str) -> Result<SignalSnapshot> {
        let request = wire::frame(&SnapshotRequest {
            period: period.to_owned(),
        });
        self.call(
            region,
            SNAPSHOT_PATH,
            request,
            MAX_SNAPSHOT_BYTES,
            self.timeout,
            None,
        )
        .await
        .map_err(|err| match err {
            Error::Refused { message, .. } => {
                Error::Unavailable(format!("region {region}: {message}"))
            }
            other => other,
        })
    }

    /// One unary call to `region`'s node with a framed request; its reply decoded. Unreachable, no answer
    /// within `timeout`, or a status asking to try again is [`Error::Unavailable`]; any other status is
    /// [`Error::Refused`] with the node's code. The current span's trace context goes with it, or else the
    /// `caller`'s.
    async fn call<Reply: Message + Default>(
        &self,
        region: &str,
        path: &'static str,
        framed: Bytes,
        max_reply_bytes: usize,
        timeout: Duration,
        caller: Option<Caller<'_>>,
    ) -> Result<Reply> {
        // The connection in use, to abandon if the deadline passes.
        let in_use = Mutex::new(None::<Abandoner>);
        // One deadline over dialling and the call: a caller waits at most the forward timeout. (The attempt is
        // not bound to a name: a named future would keep its own room in this one's state beside the timeout's.)
        let reply = match tokio::time::timeout(
            timeout,
            self.attempt(region, path, framed, timeout, caller, &in_use),
        )
        .await
        {
            Ok(reply) => reply?,
            // The sender's own deadline passed first: its call ends (the stream is reset as it is dropped),
            // and the connection, which may be fine, stays.
            Err(_) if timeout < self.timeout => {
                return Err(Error::DeadlineExceeded(format!(
                    "region {region} did not answer within the sender's deadline ({timeout:?})"
                )));
            }
            Err(_) => {
                tracing::debug!(%region, path, "no answer within the forward timeout");
                if let Some(connection) =
                    in_use.lock().unwrap_or_else(PoisonError::into_inner).take()
                {
                    connection.abandon();
                }
                return Err(unreachable(region));
            }
        };
        // Success, the answer nearly every call gets, is told without building a status.
        if !reply.is_ok()
            && let Some(refused) = refusal(region, &reply)
        {
            return Err(refused);
        }
        let message = wire::unframe(&reply.body, max_reply_bytes, "reply")
            .map_err(|_| unreachable(region))?;
        Reply::decode(message).map_err(|_| unreachable(region))
    }

    /// A call on `region`'s open connection, or once more on a new one if that one would not start it. Each
    /// connection used goes into `in_use`, for the caller to abandon if its deadline passes.
    async fn attempt(
        &self,
        region: &str,
        path: &'static str,
        framed: Bytes,
        timeout: Duration,
        caller: Option<Caller<'_>>,
        in_use: &Mutex<Option<Abandoner>>,
    ) -> Result<UnaryReply> {
        let use_connection = |connection: &NodeConnection| {
            *in_use.lock().unwrap_or_else(PoisonError::into_inner) = Some(connection.abandoner());
        };
        let connection = self.connection(region).await?;
        use_connection(&connection);
        let headers = self.request_headers(timeout, caller);
        match connection.unary(path, headers, framed.clone()).await {
            // A closing connection started nothing; the call goes once more, on a new one.
            Err(CallError::NotSent(err)) => {
                tracing::debug!(%region, error = %err, "connection closing; sending on a new one");
                let connection = self.connection(region).await?;
                use_connection(&connection);
                let headers = self.request_headers(timeout, caller);
                connection.unary(path, headers, framed).await
            }
            sent => sent,
        }
        .map_err(|err| {
            tracing::debug!(%region, path, error = %err, "call failed");
            unreachable(region)
        })
    }

    /// The headers of a call with `timeout` to a node: the current span's trace context, or else the
    /// `caller`'s, and the deadline.
    fn request_headers(&self, timeout: Duration, caller: Option<Caller<'_>>) -> HeaderMap {
        let mut metadata = MetadataMap::from_headers(HeaderMap::with_capacity(6));
        if caller.is_none_or(|caller| caller.in_span) {
            expertnet_federation::trace::inject(&mut metadata);
        }
        let mut headers = metadata.into_headers();
        if let Some(caller) = caller {
            expertnet_federation::trace::pass_on(caller.headers, &mut headers);
        }
        headers.insert(CONTENT_TYPE, wire::APPLICATION_GRPC);
        headers.insert(TE, HeaderValue::from_static("trailers"));
        // The node learns the deadline too and stops working on a call nobody waits for.
        headers.insert(
            wire::GRPC_TIMEOUT,
            if timeout == self.timeout {
                self.grpc_timeout.clone()
            } else {
                wire::grpc_timeout_value(timeout)
            },
        );
        headers
    }

    /// How long a node has to answer a call.
    pub fn forward_timeout(&self) -> Duration {
        self.timeout
    }

    /// The regions there are connections for.
    pub fn regions(&self) -> impl Iterator<Item = &str> {
        self.upstreams.keys().map(String::as_str)
    }
}

/// What an answer from `region` that is not a plain success means: `None` for `OK` in the head of a
/// trailers-only answer (its missing reply is the caller's to judge); [`Error::Unavailable`] for no gRPC answer
/// or a status asking to try again; else [`Error::Refused`] with the node's code.
fn refusal(region: &str, reply: &UnaryReply) -> Option<Error> {
    let Some(status) = reply.status() else {
        // Not a gRPC answer (a proxy's error page, an HTTP status without grpc-status).
        tracing::debug!(%region, http_status = %reply.head.status, "answer without a gRPC status");
        return Some(unreachable(region));
    };
    match status.code() {
        Code::Ok => None,
        Code::Unavailable | Code::DeadlineExceeded | Code::Cancelled | Code::Unknown => {
            Some(unreachable(region))
        }
        code => Some(Error::Refused {
            region: region.to_owned(),
            code,
            message: status.message().to_owned(),
        }),
    }
}

/// What the sender hears when a node cannot take its envelope now: its outbox tries again later.
fn unreachable(region: &str) -> Error {
    Error::Unavailable(format!(
        "region {region} cannot be reached now; the sender will try again"
    ))
}
