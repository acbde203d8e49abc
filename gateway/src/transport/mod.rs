//! The gateway's transport: its port — mutual TLS, then HTTP/2 served by hyper (hyper-util's connection
//! builder), held to the [`ServerLimits`] of its configuration — and its connections to the nodes
//! ([`upstream`]), with the gRPC framing both share ([`wire`]). What a call is answered with is the handler's
//! business ([`crate::server`]); here is how connections come, are checked, are limited and go.
//!
//! - A connection over the cap is closed as soon as it is accepted; a call over the cap of calls in flight is
//!   answered `RESOURCE_EXHAUSTED` at once, before any work is done for it.
//! - A client has the handshake timeout for TLS and the HTTP/2 preface together.
//! - PINGs find clients that vanished; TCP keep-alive finds machines that did; connections are asked to go away
//!   (GOAWAY) at their maximum age, and closed when what they have in flight is not done within the grace.
//! - `h2` refuses rapid resets, CONTINUATION floods and oversized header blocks; a flood of control frames is
//!   closed by the [`guard`].
//! - On shutdown, no new connection or call is taken; calls in flight finish within the grace period.

pub mod answer;
pub mod guard;
pub mod limits;
pub mod preface;
pub mod upstream;
pub mod wire;

pub use answer::Answer;
pub use limits::ServerLimits;

use expertnet_federation::{Peer, PeerError};
use hyper::body::Incoming;
use hyper_util::rt::{TokioExecutor, TokioIo, TokioTimer};
use hyper_util::server::conn::auto;
use std::convert::Infallible;
use std::future::Future;
use std::net::SocketAddr;
use std::pin::pin;
use std::sync::Arc;
use std::time::Duration;
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{Semaphore, watch};
use tokio::task::JoinSet;
use tokio_rustls::TlsAcceptor;
use tonic::transport::server::{Connected, TcpConnectInfo, TlsConnectInfo};

/// Longest a shutdown waits for the calls in flight.
pub const SHUTDOWN_GRACE: Duration = Duration::from_secs(10);

/// A client connection as its calls need it: the TLS details tonic's generated services read from a request's
/// extensions, and the identity its certificate gives, read once for all its calls.
#[derive(Debug, Clone)]
pub struct Client {
    pub tls: TlsConnectInfo<TcpConnectInfo>,
    pub identity: Arc<Result<Peer, PeerError>>,
}

impl Client {
    fn of(tls: TlsConnectInfo<TcpConnectInfo>) -> Client {
        let identity = Peer::of_certificates(tls.peer_certs());
        Client {
            tls,
            identity: Arc::new(identity),
        }
    }
}

/// What serves the port: its TLS, its limits and what answers each call.
#[derive(Debug, Clone)]
pub struct Port<H> {
    pub tls: Arc<rustls::ServerConfig>,
    pub limits: ServerLimits,
    pub handler: H,
}

/// Serves `port` on `listener` until `shutdown` resolves; then takes nothing new and lets the calls in flight
/// finish (for at most [`SHUTDOWN_GRACE`]).
pub async fn serve<H, F>(
    listener: TcpListener,
    port: Port<H>,
    shutdown: impl Future<Output = ()> + Send,
) where
    H: Fn(http::Request<Incoming>, &Client) -> F + Clone + Send + Sync + 'static,
    F: Future<Output = Answer> + Send + 'static,
{
    let shared = Arc::new(Shared {
        acceptor: TlsAcceptor::from(port.tls),
        http2: http2_builder(&port.limits),
        limits: port.limits,
        calls_allowed: Arc::new(Semaphore::new(port.limits.max_calls_in_flight)),
    });
    let connections_allowed = Arc::new(Semaphore::new(port.limits.max_connections));
    let (closing, closed) = watch::channel(false);
    let mut connections = JoinSet::new();
    let mut shutdown = pin!(shutdown);
    loop {
        tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok((tcp, peer)) => match connections_allowed.clone().try_acquire_owned() {
                    Ok(permit) => {
                        let (shared, handler, closed) = (shared.clone(), port.handler.clone(), closed.clone());
                        connections.spawn(async move {
                            connection(tcp, peer, &shared, handler, closed).await;
                            drop(permit);
                        });
                    }
                    Err(_) => {
                        tracing::warn!(
                            %peer,
                            limit = port.limits.max_connections,
                            "refused a connection: the gateway holds as many as it may"
                        );
                    }
                },
                Err(err) => {
                    // Out of file descriptors and the like: wait a moment instead of spinning.
                    tracing::warn!(error = %err, "could not accept a connection");
                    tokio::time::sleep(Duration::from_millis(100)).await;
                }
            },
            Some(_) = connections.join_next(), if !connections.is_empty() => {}
            () = &mut shutdown => break,
        }
    }
    drop(listener);
    // `closed` is still held here, so there is always a receiver.
    let _ = closing.send(true);
    let drained = tokio::time::timeout(SHUTDOWN_GRACE, async {
        while connections.join_next().await.is_some() {}
    })
    .await;
    if drained.is_err() {
        tracing::warn!(
            open = connections.len(),
            "calls still in flight after the shutdown grace; cut off"
        );
    }
}

/// What every connection shares.
struct Shared {
    acceptor: TlsAcceptor,
    http2: auto::Builder<TokioExecutor>,
    limits: ServerLimits,
    calls_allowed: Arc<Semaphore>,
}

fn http2_builder(limits: &ServerLimits) -> auto::Builder<TokioExecutor> {
    let mut builder = auto::Builder::new(TokioExecutor::new()).http2_only();
    builder
        .http2()
        .timer(TokioTimer::new())
        .max_concurrent_streams(limits.max_concurrent_streams)
        .max_header_list_size(limits.max_header_list_bytes)
        .initial_stream_window_size(limits.receive_window_bytes)
        .initial_connection_window_size(limits.receive_window_bytes)
        .keep_alive_interval(limits.keepalive_interval())
        .keep_alive_timeout(limits.keepalive_timeout())
        .max_pending_accept_reset_streams(limits.max_pending_accept_reset_streams);
    builder
}

/// One client connection: TCP options, mutual TLS and the HTTP/2 preface within the handshake timeout, then
/// HTTP/2 until the client goes, the connection reaches its age, or the gateway shuts down.
async fn connection<H, F>(
    tcp: TcpStream,
    peer: SocketAddr,
    shared: &Shared,
    handler: H,
    mut closed: watch::Receiver<bool>,
) where
    H: Fn(http::Request<Incoming>, &Client) -> F + Clone + Send + Sync + 'static,
    F: Future<Output = Answer> + Send + 'static,
{
    if let Err(err) = tune(&tcp, &shared.limits) {
        tracing::debug!(%peer, error = %err, "connection gone before it started");
        return;
    }
    let within = shared.limits.handshake_timeout();
    let opened = tokio::time::timeout(within, async {
        let mut tls = shared.acceptor.accept(tcp).await.map_err(Refused::Tls)?;
        preface::read(&mut tls).await.map_err(Refused::Preface)?;
        Ok::<_, Refused>(tls)
    })
    .await;
    let tls = match opened {
        Ok(Ok(tls)) => tls,
        Ok(Err(refused)) => {
            tracing::info!(%peer, "refused a connection: {refused}");
            return;
        }
        Err(_) => {
            tracing::info!(%peer, "refused a connection: no TLS handshake and HTTP/2 preface within {within:?}");
            return;
        }
    };
    let client = Client::of(tls.connect_info());
    let calls_allowed = shared.calls_allowed.clone();
    let limit = shared.limits.max_calls_in_flight;
    let service = hyper::service::service_fn(move |request: http::Request<Incoming>| {
        let permit = calls_allowed.clone().try_acquire_owned();
        let answering = permit.is_ok().then(|| handler(request, &client));
        async move {
            let response = match (permit, answering) {
                (Ok(_permit), Some(answering)) => answering.await.into_response(),
                _ => tonic::Status::resource_exhausted(format!(
                    "the gateway has {limit} calls in flight, as many as it takes; try again shortly"
                ))
                .into_http(),
            };
            Ok::<_, Infallible>(response)
        }
    });
    let mut serving = pin!(shared.http2.serve_connection(
        TokioIo::new(guard::FrameGuard::after_preface(
            tls,
            shared.limits.control_frames()
        )),
        service
    ));
    let age = shared.limits.max_connection_age();
    let mut aged = pin!(tokio::time::sleep(
        age.unwrap_or(Duration::from_secs(86_400))
    ));
    // Once asked to go, the connection has the grace to finish what it has in flight; then it is closed, so
    // that a client that stalls its streams (a zero window, say) cannot keep it for ever.
    let mut cut_off = pin!(tokio::time::sleep(Duration::from_secs(86_400)));
    let mut going = false;
    loop {
        tokio::select! {
            served = serving.as_mut() => {
                if let Err(err) = served {
                    tracing::debug!(%peer, error = %err, "connection ended with an error");
                }
                return;
            }
            _ = closed.wait_for(|closing| *closing), if !going => {
                going = true;
                serving.as_mut().graceful_shutdown();
                cut_off.as_mut().reset(tokio::time::Instant::now() + SHUTDOWN_GRACE);
            }
            () = &mut aged, if !going && age.is_some() => {
                tracing::debug!(%peer, "connection reached its age; asked to go away");
                going = true;
                serving.as_mut().graceful_shutdown();
                cut_off.as_mut().reset(tokio::time::Instant::now() + SHUTDOWN_GRACE);
            }
            () = &mut cut_off, if going => {
                tracing::info!(%peer, "connection still busy after the grace; closed");
                return;
            }
        }
    }
}

/// No delay for small writes (a call is one), and TCP keep-alive.
fn tune(tcp: &TcpStream, limits: &ServerLimits) -> std::io::Result<()> {
    tcp.set_nodelay(true)?;
    let keepalive = socket2::TcpKeepalive::new()
        .with_time(limits.tcp_keepalive())
        .with_interval(limits.tcp_keepalive() / 4);
    socket2::SockRef::from(tcp).set_tcp_keepalive(&keepalive)
}

#[derive(Debug, thiserror::Error)]
enum Refused {
    #[error("TLS handshake failed: {0}")]
    Tls(std::io::Error),
    #[error("no HTTP/2 connection preface: {0}")]
    Preface(std::io::Error),
}
