//! One HTTP/2 connection over mutual TLS from the gateway to a region's node, shared by every call to that node
//! and dialled again when it breaks.
//!
//! Why not a tonic `Channel`: a channel hands every call to a buffer task, which hands it to the connection's
//! task, and tonic's encoder ends each message with a separate empty frame, so a call reached the node as three
//! writes (headers, message, end of stream), each of which could wake it. Here a call goes straight to an `h2`
//! connection and leaves in one write. The gateway must add no more to a call than a plain proxy hop
//! (docs/BENCHMARKS.md).

use bytes::{Bytes, BytesMut};
use http::{HeaderMap, Uri};
use rustls::pki_types::ServerName;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;
use tokio::net::TcpStream;
use tokio_rustls::TlsConnector;

/// How long a node connection may be silent before it is PINGed, unless configured otherwise.
pub const DEFAULT_KEEPALIVE: Duration = Duration::from_secs(30);
/// The longest a node may take to answer a PING (less when PINGs go more often than that).
pub const KEEPALIVE_TIMEOUT: Duration = Duration::from_secs(10);

/// Resolves when the node has let a PING go unanswered for [`KEEPALIVE_TIMEOUT`] or `interval`, whichever is
/// shorter (or the connection ended).
async fn keepalive(mut ping_pong: h2::PingPong, interval: Duration) {
    let timeout = interval.min(KEEPALIVE_TIMEOUT);
    loop {
        tokio::time::sleep(interval).await;
        let answered = tokio::time::timeout(timeout, ping_pong.ping(h2::Ping::opaque())).await;
        if !matches!(answered, Ok(Ok(_))) {
            return;
        }
    }
}

/// The largest reply body gathered from a node (as tonic's default limit for a decoded message); callers may
/// accept less.
const MAX_REPLY_BYTES: usize = 4 * 1024 * 1024;

/// Why a node could not be reached; the caller maps it to "try again later".
#[derive(Debug, thiserror::Error)]
pub enum DialError {
    #[error("endpoint {0} has no host or port")]
    Endpoint(String),
    #[error("connect: {0}")]
    Connect(std::io::Error),
    #[error("connect: no answer within {0:?}")]
    Timeout(Duration),
    #[error("TLS: {0}")]
    Tls(std::io::Error),
    #[error("HTTP/2: {0}")]
    Http2(h2::Error),
}

/// An open HTTP/2 connection: the handle to start streams on it, and whether its task has ended.
#[derive(Debug, Clone)]
struct Open {
    send: h2::client::SendRequest<Bytes>,
    closed: Arc<AtomicBool>,
}

/// Where and how to reach one node, and the connection to it while it lasts.
pub struct Upstream {
    address: String,
    /// `https://host:port` of the endpoint: HTTP/2 requests carry it as `:scheme` and `:authority`.
    authority: http::uri::Authority,
    server_name: ServerName<'static>,
    tls: TlsConnector,
    connect_timeout: Duration,
    keepalive: Option<Duration>,
    current: Mutex<Option<Open>>,
    /// Held while dialling, so calls arriving meanwhile wait for that one connection instead of opening more.
    dialling: tokio::sync::Mutex<()>,
}

impl std::fmt::Debug for Upstream {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Upstream")
            .field("address", &self.address)
            .field("server_name", &self.server_name)
            .finish_non_exhaustive()
    }
}

impl Upstream {
    /// Nothing connects until the first call.
    pub fn new(
        endpoint: &str,
        server_name: &str,
        tls: Arc<rustls::ClientConfig>,
        connect_timeout: Duration,
    ) -> Result<Upstream, DialError> {
        let uri: Uri = endpoint
            .parse()
            .map_err(|_| DialError::Endpoint(endpoint.to_owned()))?;
        let host = uri
            .host()
            .ok_or_else(|| DialError::Endpoint(endpoint.to_owned()))?;
        let port = uri.port_u16().unwrap_or(443);
        let authority = uri
            .authority()
            .cloned()
            .ok_or_else(|| DialError::Endpoint(endpoint.to_owned()))?;
        let server_name = ServerName::try_from(server_name.to_owned())
            .map_err(|_| DialError::Endpoint(server_name.to_owned()))?;
        Ok(Upstream {
            // `host()` keeps an IPv6 address's brackets, so the pair parses as a socket address.
            address: format!("{host}:{port}"),
            authority,
            server_name,
            tls: TlsConnector::from(tls),
            connect_timeout,
            keepalive: Some(DEFAULT_KEEPALIVE),
            current: Mutex::new(None),
            dialling: tokio::sync::Mutex::new(()),
        })
    }

    /// PINGs the node every `interval` and drops the connection when an answer takes longer than `interval` or
    /// [`KEEPALIVE_TIMEOUT`], so a node that vanished is found before a call waits on it; `None`: no PINGs.
    pub fn with_keepalive(mut self, interval: Option<Duration>) -> Upstream {
        self.keepalive = interval;
        self
    }

    /// A handle on the open connection, dialling one first if there is none or it has closed.
    pub async fn connection(&self) -> Result<NodeConnection, DialError> {
        if let Some(open) = self.open() {
            return Ok(open);
        }
        let _turn = self.dialling.lock().await;
        if let Some(open) = self.open() {
            return Ok(open);
        }
        // Boxed: dialling is rare, and its state (a TLS handshake's) would otherwise make every call's future
        // kilobytes larger, copied with each move.
        let open = tokio::time::timeout(self.connect_timeout, Box::pin(self.dial()))
            .await
            .map_err(|_| DialError::Timeout(self.connect_timeout))??;
        *self.lock() = Some(open.clone());
        Ok(NodeConnection {
            send: open.send,
            authority: self.authority.clone(),
            closed: open.closed,
        })
    }

    fn open(&self) -> Option<NodeConnection> {
        let current = self.lock();
        let open = current
            .as_ref()
            .filter(|open| !open.closed.load(Ordering::Acquire))?;
        Some(NodeConnection {
            send: open.send.clone(),
            authority: self.authority.clone(),
            closed: open.closed.clone(),
        })
    }

    async fn dial(&self) -> Result<Open, DialError> {
        let tcp = TcpStream::connect(&self.address)
            .await
            .map_err(DialError::Connect)?;
        tcp.set_nodelay(true).map_err(DialError::Connect)?;
        let tls = self
            .tls
            .connect(self.server_name.clone(), tcp)
            .await
            .map_err(DialError::Tls)?;
        let (send, mut connection) = h2::client::handshake(tls).await.map_err(DialError::Http2)?;
        let pinging = connection
            .ping_pong()
            .zip(self.keepalive)
            .map(|(ping_pong, interval)| keepalive(ping_pong, interval));
        let closed = Arc::new(AtomicBool::new(false));
        let ended = closed.clone();
        tokio::spawn(async move {
            let silent = async {
                match pinging {
                    Some(pinging) => pinging.await,
                    None => std::future::pending().await,
                }
            };
            tokio::select! {
                served = &mut connection => if let Err(err) = served {
                    tracing::debug!(error = %err, "connection to a node ended");
                },
                () = silent => tracing::info!("a node did not answer a keep-alive ping; its connection is dropped"),
            }
            ended.store(true, Ordering::Release);
        });
        Ok(Open { send, closed })
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Option<Open>> {
        self.current.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

/// One node's HTTP/2 connection as the service a tonic client calls through.
#[derive(Debug, Clone)]
pub struct NodeConnection {
    send: h2::client::SendRequest<Bytes>,
    authority: http::uri::Authority,
    closed: Arc<AtomicBool>,
}

type BoxError = Box<dyn std::error::Error + Send + Sync>;

/// Why a call on a node connection failed.
#[derive(Debug, thiserror::Error)]
pub enum CallError {
    /// The connection would not start the call (it is closing, or has used up its stream ids): nothing was
    /// sent, and the connection has been abandoned, so the call may go on a new one.
    #[error("not sent: {0}")]
    NotSent(h2::Error),
    /// The call was sent and did not come back whole.
    #[error("{0}")]
    Failed(BoxError),
}

impl From<h2::Error> for CallError {
    fn from(err: h2::Error) -> CallError {
        CallError::Failed(err.into())
    }
}

/// Abandons one connection when asked ([`NodeConnection::abandoner`]).
#[derive(Debug)]
pub struct Abandoner(Arc<AtomicBool>);

impl Abandoner {
    pub fn abandon(&self) {
        self.0.store(true, Ordering::Release);
    }
}

/// A node's whole reply to a unary call: the response head, the body and the trailers.
#[derive(Debug)]
pub struct UnaryReply {
    pub head: http::response::Parts,
    pub body: Bytes,
    pub trailers: Option<HeaderMap>,
}

impl UnaryReply {
    /// The call's gRPC status: from the trailers, or from the head of a trailers-only answer; `None` if the
    /// answer is not gRPC. It copies every header: [`UnaryReply::is_ok`] tells success for less.
    pub fn status(&self) -> Option<tonic::Status> {
        self.trailers
            .as_ref()
            .and_then(tonic::Status::from_header_map)
            .or_else(|| tonic::Status::from_header_map(&self.head.headers))
    }

    /// Whether the call succeeded (`grpc-status: 0` in the trailers), read without building a
    /// [`tonic::Status`] — which copies every header — for the answer nearly every call gets.
    pub fn is_ok(&self) -> bool {
        self.trailers
            .as_ref()
            .and_then(|trailers| trailers.get(super::wire::GRPC_STATUS))
            .is_some_and(|status| status == "0")
    }
}

impl NodeConnection {
    /// Stops using this connection: the next call dials a new one. For a call that got no answer in time — the
    /// connection may be dead without either end having noticed (a node or network gone without a word), and
    /// would swallow every call until TCP gives up, minutes later. The old connection closes once its last
    /// handle is gone.
    pub fn abandon(&self) {
        self.closed.store(true, Ordering::Release);
    }

    /// What [`NodeConnection::abandon`] needs, without holding the connection open.
    pub fn abandoner(&self) -> Abandoner {
        Abandoner(self.closed.clone())
    }

    /// One unary call with an already framed message: the headers and the message leave in one write.
    pub async fn unary(
        &self,
        path: &'static str,
        headers: HeaderMap,
        framed: Bytes,
    ) -> Result<UnaryReply, CallError> {
        let mut uri = http::uri::Parts::default();
        uri.scheme = Some(http::uri::Scheme::HTTPS);
        uri.authority = Some(self.authority.clone());
        uri.path_and_query = Some(http::uri::PathAndQuery::from_static(path));
        let uri = Uri::from_parts(uri).map_err(|e| CallError::Failed(e.into()))?;
        let mut request = http::Request::post(uri)
            .body(())
            .map_err(|e| CallError::Failed(e.into()))?;
        *request.headers_mut() = headers;
        let not_sent = |err: h2::Error| {
            self.abandon();
            CallError::NotSent(err)
        };
        let mut send = self.send.clone().ready().await.map_err(not_sent)?;
        let (response, mut stream) = send.send_request(request, false).map_err(not_sent)?;
        stream.send_data(framed, true)?;
        let (head, mut body) = response.await?.into_parts();
        let mut data = BytesMut::new();
        while let Some(chunk) = body.data().await {
            let chunk = chunk?;
            body.flow_control().release_capacity(chunk.len())?;
            if data.len() + chunk.len() > MAX_REPLY_BYTES {
                return Err(CallError::Failed(
                    format!("reply larger than {MAX_REPLY_BYTES} bytes").into(),
                ));
            }
            data.extend_from_slice(&chunk);
        }
        let trailers = body.trailers().await?;
        Ok(UnaryReply {
            head,
            body: data.freeze(),
            trailers,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn reply(head_status: Option<&str>, trailer_status: Option<&str>) -> UnaryReply {
        let mut head = http::Response::new(()).into_parts().0;
        let status_header = |value: &str| {
            let mut headers = HeaderMap::new();
            headers.insert("grpc-status", value.parse().unwrap());
            headers
        };
        if let Some(value) = head_status {
            head.headers = status_header(value);
        }
        UnaryReply {
            head,
            body: Bytes::new(),
            trailers: trailer_status.map(status_header),
        }
    }

    #[test]
    fn the_quick_success_check_agrees_with_the_full_status() {
        let ok = reply(None, Some("0"));
        assert!(ok.is_ok());
        assert_eq!(ok.status().unwrap().code(), tonic::Code::Ok);
        let refused = reply(None, Some("7"));
        assert!(!refused.is_ok());
        assert_eq!(
            refused.status().unwrap().code(),
            tonic::Code::PermissionDenied
        );
        // A trailers-only answer is read by the full status, not the quick check.
        let trailers_only = reply(Some("14"), None);
        assert!(!trailers_only.is_ok());
        assert_eq!(
            trailers_only.status().unwrap().code(),
            tonic::Code::Unavailable
        );
        let not_grpc = reply(None, None);
        assert!(!not_grpc.is_ok());
        assert!(not_grpc.status().is_none());
    }
}
