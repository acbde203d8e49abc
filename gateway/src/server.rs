//! The gateway's gRPC server as a function of a listener and a shutdown signal: tests bind port 0 and pass the
//! listener in; `serve` in the CLI binds the configured address and waits for SIGTERM or Ctrl-C. Mutual TLS
//! only: a client without a certificate from the federation CA does not get past the handshake. Connections
//! are served by [`crate::transport`] (hyper, held to the configured limits); here each call is answered: `Route`
//! below tonic's codec, the rest by the generated servers.

use crate::config::GatewayConfig;
use crate::coordination::Coordination;
use crate::error::{Error, Result};
use crate::grpc::{CoordinatorApi, GatewayApi, forwarding};
use crate::network::Network;
use crate::nodes::NodeClients;
use crate::statistics::Publishing;
use crate::statistics::StatisticsStore;
use crate::statistics::disclosure::Control;
use crate::statistics::odometer::Budgets;
use crate::transport::wire;
use crate::transport::{self, Answer, Client, Port, ServerLimits};
use expertnet_federation::metrics::{Metrics, RpcTimer};
use expertnet_proto::v1::coordinator_service_server::CoordinatorServiceServer;
use expertnet_proto::v1::gateway_service_server::GatewayServiceServer;
use hyper::body::Incoming;
use std::future::Future;
use std::sync::Arc;
use std::time::Duration;
use tokio::net::TcpListener;
use tonic::service::Routes;
use tower_service::Service;
use tracing::Instrument;

/// Everything the gateway serves with, built from its configuration.
#[derive(Debug, Clone)]
pub struct Gateway {
    pub network: Network,
    pub statistics: StatisticsStore,
    nodes: NodeClients,
    tls: Arc<rustls::ServerConfig>,
    heartbeat_interval_secs: u32,
    max_message_bytes: usize,
    limits: ServerLimits,
    publishing: Publishing,
    /// What the gateway counts; served by [`crate::metrics::serve`].
    pub metrics: Metrics,
}

impl Gateway {
    /// Reads the registry and the TLS files and opens the statistics store; any problem names the key at fault.
    pub async fn from_config(config: &GatewayConfig) -> Result<Gateway> {
        let registry = Arc::new(config.load_registry()?);
        let tls = config
            .tls
            .rustls_server()
            .map_err(|e| Error::Config(format!("tls.{e}")))?;
        let nodes = NodeClients::with_keepalive(
            &registry,
            &config.tls,
            config.forward_timeout(),
            config.node_keepalive(),
        )?;
        let statistics = StatisticsStore::open(&config.statistics_database).await?;
        Ok(Gateway {
            statistics,
            network: Network::new(
                registry,
                Duration::from_secs(u64::from(config.down_after_secs)),
            ),
            nodes,
            tls,
            heartbeat_interval_secs: config.heartbeat_interval_secs,
            publishing: Publishing {
                control: Control {
                    k: config.statistics_k,
                    secondary: true,
                },
                privacy: Budgets {
                    per_consumer: config.statistics_privacy_budget,
                    total: config.statistics_privacy_budget_total,
                },
            },
            max_message_bytes: config.max_message_bytes,
            limits: config.server,
            metrics: crate::metrics::registry(),
        })
    }
}

impl Gateway {
    /// What coordinators ask, over gRPC or at the dashboard.
    pub fn coordination(&self) -> Coordination {
        Coordination {
            network: self.network.clone(),
            statistics: self.statistics.clone(),
            publishing: self.publishing,
            nodes: self.nodes.clone(),
        }
    }

    /// The coordinators' dashboard over this gateway's figures and database, its sign-in held to `sign_in`;
    /// `tls` when it is served over TLS (its cookie is then `Secure`).
    pub fn dashboard(
        &self,
        sign_in: expertnet_web::sign_in::SignInPolicy,
        tls: bool,
    ) -> crate::dashboard::Dashboard {
        crate::dashboard::Dashboard {
            coordination: self.coordination(),
            people: crate::people::CoordinatorPeople::new(self.statistics.pool().clone(), sign_in),
            secure: tls,
            metrics: self.metrics.clone(),
        }
    }
}

/// Serves the gateway's services, health and reflection on `listener` until `shutdown` resolves; then takes no
/// new calls and lets those in flight finish (for at most [`transport::SHUTDOWN_GRACE`]).
pub async fn serve(
    listener: TcpListener,
    gateway: Gateway,
    shutdown: impl Future<Output = ()> + Send,
) -> Result<()> {
    let (health, health_service) = tonic_health::server::health_reporter();
    health
        .set_serving::<GatewayServiceServer<GatewayApi>>()
        .await;
    health
        .set_serving::<CoordinatorServiceServer<CoordinatorApi>>()
        .await;
    let reflection = expertnet_federation::served::reflection_v1()
        .map_err(|e| Error::Config(format!("reflection: {e}")))?;
    let reflection_v1alpha = expertnet_federation::served::reflection_v1alpha()
        .map_err(|e| Error::Config(format!("reflection: {e}")))?;
    let api = GatewayApi::new(
        gateway.network.clone(),
        gateway.nodes.clone(),
        gateway.heartbeat_interval_secs,
        gateway.statistics.clone(),
    );
    let generated = Routes::new(health_service)
        .add_service(reflection)
        .add_service(reflection_v1alpha)
        .add_service(
            GatewayServiceServer::new(api.clone())
                .max_decoding_message_size(gateway.max_message_bytes),
        )
        .add_service(CoordinatorServiceServer::new(CoordinatorApi::new(
            gateway.coordination(),
        )))
        .prepare();
    let calls = Arc::new(Calls {
        api,
        generated,
        metrics: gateway.metrics,
        max_message_bytes: gateway.max_message_bytes,
        exporting: expertnet_federation::telemetry::export_configured(),
    });
    let port = Port {
        tls: gateway.tls,
        limits: gateway.limits,
        handler: move |request, client: &Client| calls.answer(request, client),
    };
    transport::serve(listener, port, shutdown).await;
    Ok(())
}

/// Longest a call may take unless its `grpc-timeout` asks for less.
const CALL_TIMEOUT: Duration = Duration::from_secs(30);

/// What answers the calls on every connection.
#[derive(Debug)]
struct Calls {
    api: GatewayApi,
    generated: Routes,
    metrics: Metrics,
    max_message_bytes: usize,
    /// Whether spans are exported; if not, a forwarded call records none and passes the caller's trace
    /// context on as it came.
    exporting: bool,
}

impl Calls {
    /// `Route` below tonic's codec, everything else by the generated servers, in the call's span (continuing
    /// the caller's trace). `Route` is bounded by the forward timeout (and [`forwarding::BODY_TIMEOUT`]), every
    /// other call by its `grpc-timeout` or [`CALL_TIMEOUT`].
    fn answer(
        self: &Arc<Self>,
        mut request: http::Request<Incoming>,
        client: &Client,
    ) -> impl Future<Output = Answer> + Send + 'static + use<> {
        let forwarding = request.uri().path() == forwarding::ROUTE_PATH;
        let span = if forwarding && !self.exporting {
            tracing::Span::none()
        } else {
            expertnet_federation::trace::rpc_span(&request)
        };
        let in_span = !span.is_none();
        let calls = self.clone();
        let caller = client.identity.clone();
        if !forwarding {
            request.extensions_mut().insert(client.tls.clone());
        }
        let timer = RpcTimer::start(&self.metrics, request.uri().path());
        async move {
            let answer = if forwarding {
                forwarding::answer(
                    calls.api.forwarder(),
                    &caller,
                    request,
                    calls.max_message_bytes,
                    in_span,
                )
                .await
            } else {
                // Boxed: the generated servers' state is larger than Route's, and every call's future would
                // otherwise be as large (docs/BENCHMARKS.md).
                Box::pin(calls.answer_generated(request)).await
            };
            match answer {
                Answer::Unary(message) => {
                    timer.finish(tonic::Code::Ok);
                    Answer::Unary(message)
                }
                Answer::Response(response) => Answer::Response(timer.watch(response)),
            }
        }
        .instrument(span)
    }

    /// A call to one of the generated servers, within its deadline.
    async fn answer_generated(&self, request: http::Request<Incoming>) -> Answer {
        let deadline = call_deadline(request.headers());
        let mut generated = self.generated.clone();
        let response = within(deadline, async move {
            let Ok(response) = generated.call(request).await;
            response
        })
        .await;
        Answer::Response(response)
    }
}

/// How long a call other than `Route` may take: its `grpc-timeout`, at most [`CALL_TIMEOUT`].
fn call_deadline(headers: &http::HeaderMap) -> Duration {
    wire::deadline_within(headers, CALL_TIMEOUT)
}

/// `answering`'s response if it comes within `deadline`; else `DEADLINE_EXCEEDED`.
async fn within(
    deadline: Duration,
    answering: impl Future<Output = http::Response<tonic::body::Body>>,
) -> http::Response<tonic::body::Body> {
    tokio::time::timeout(deadline, answering)
        .await
        .unwrap_or_else(|_| {
            tonic::Status::from(Error::DeadlineExceeded(format!(
                "no answer within the call's deadline ({deadline:?})"
            )))
            .into_http()
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_call_gets_its_own_deadline_up_to_the_servers() {
        let with = |value: &str| call_deadline(&wire::with_grpc_timeout(value));
        assert_eq!(with("250m"), Duration::from_millis(250));
        assert_eq!(with("5M"), CALL_TIMEOUT);
        assert_eq!(with("nonsense"), CALL_TIMEOUT);
        assert_eq!(call_deadline(&http::HeaderMap::new()), CALL_TIMEOUT);
    }

    #[tokio::test]
    async fn a_call_past_its_deadline_is_answered_deadline_exceeded() {
        let late = within(Duration::from_millis(20), std::future::pending()).await;
        let status = tonic::Status::from_header_map(late.headers()).expect("a gRPC status");
        assert_eq!(status.code(), tonic::Code::DeadlineExceeded);
        assert!(
            status.message().contains("deadline"),
            "{}",
            status.message()
        );
        let on_time = within(Duration::from_secs(1), async {
            http::Response::new(tonic::body::Body::empty())
        })
        .await;
        assert!(tonic::Status::from_header_map(on_time.headers()).is_none());
    }
}
