//! Serving a board on its own listener, over TLS when there is a certificate: hyper-util's server for HTTP/1.1
//! and HTTP/2, the TLS handshake in the connection's own task (with a time limit, so a slow client holds up
//! nobody else), and a graceful shutdown that lets requests in flight finish. Each request carries the
//! client's address as `ConnectInfo<SocketAddr>`.

use axum::Router;
use axum::extract::ConnectInfo;
use hyper_util::rt::{TokioExecutor, TokioIo};
use hyper_util::server::conn::auto::Builder;
use hyper_util::server::graceful::GracefulShutdown;
use hyper_util::service::TowerToHyperService;
use std::future::Future;
use std::sync::Arc;
use std::time::Duration;
use tokio::net::TcpListener;
use tower_layer::Layer;

/// How long a browser may take over the TLS handshake.
const HANDSHAKE_LIMIT: Duration = Duration::from_secs(10);
/// How long requests in flight may take to finish once the server stops.
const DRAIN_LIMIT: Duration = Duration::from_secs(10);

/// Serves `app` on `listener` until `shutdown` resolves; over TLS with `tls`. `name` says which board in the log.
pub async fn serve(
    listener: TcpListener,
    app: Router,
    tls: Option<Arc<tokio_rustls::rustls::ServerConfig>>,
    name: &'static str,
    shutdown: impl Future<Output = ()> + Send,
) -> std::io::Result<()> {
    let acceptor = tls.map(tokio_rustls::TlsAcceptor::from);
    let builder = Builder::new(TokioExecutor::new());
    let graceful = GracefulShutdown::new();
    let mut shutdown = std::pin::pin!(shutdown);
    loop {
        let (stream, peer) = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok(accepted) => accepted,
                Err(err) => {
                    tracing::warn!(error = %err, board = name, "accept failed");
                    tokio::time::sleep(Duration::from_millis(100)).await;
                    continue;
                }
            },
            () = &mut shutdown => break,
        };
        // A socket that will not take the option still serves; one bad connection must not stop the board.
        if let Err(err) = stream.set_nodelay(true) {
            tracing::debug!(error = %err, %peer, board = name, "TCP_NODELAY not set");
        }
        let service = axum::Extension(ConnectInfo(peer)).layer(app.clone());
        let (acceptor, builder, watcher) = (acceptor.clone(), builder.clone(), graceful.watcher());
        tokio::spawn(async move {
            let service = TowerToHyperService::new(service);
            let served = match acceptor {
                Some(acceptor) => {
                    let Ok(Ok(stream)) =
                        tokio::time::timeout(HANDSHAKE_LIMIT, acceptor.accept(stream)).await
                    else {
                        return;
                    };
                    let connection = builder.serve_connection(TokioIo::new(stream), service);
                    watcher.watch(connection.into_owned()).await
                }
                None => {
                    let connection = builder.serve_connection(TokioIo::new(stream), service);
                    watcher.watch(connection.into_owned()).await
                }
            };
            if let Err(err) = served {
                tracing::debug!(error = %err, %peer, board = name, "connection ended");
            }
        });
    }
    drop(listener);
    let _ = tokio::time::timeout(DRAIN_LIMIT, graceful.shutdown()).await;
    Ok(())
}
