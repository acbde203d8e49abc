//! The node's gRPC server as a function of a listener and a shutdown signal: tests bind port 0 and pass the
//! listener in; `serve` in the CLI binds the configured address and waits for SIGTERM or Ctrl-C.

use crate::access::GuardLayer;
use crate::error::{Error, Result};
use crate::grpc::{
    AuditApi, CaseApi, ConsultationApi, EscalationApi, OutboxApi, ReviewApi, SessionApi,
};
use crate::workflow::Workflow;
use expertnet_federation::metrics::RpcMetricsLayer;
use expertnet_federation::served;
use expertnet_proto::v1::audit_service_server::AuditServiceServer;
use expertnet_proto::v1::case_service_server::CaseServiceServer;
use expertnet_proto::v1::consultation_service_server::ConsultationServiceServer;
use expertnet_proto::v1::escalation_service_server::EscalationServiceServer;
use expertnet_proto::v1::outbox_service_server::OutboxServiceServer;
use expertnet_proto::v1::review_service_server::ReviewServiceServer;
use expertnet_proto::v1::session_service_server::SessionServiceServer;
use std::future::Future;
use std::time::Duration;
use tokio::net::TcpListener;
use tokio_stream::StreamExt;
use tokio_stream::wrappers::TcpListenerStream;
use tonic::transport::ServerTlsConfig;

/// The most a request may carry; the largest legitimate one (a case submission) is a few tens of kilobytes.
pub const MAX_MESSAGE_BYTES: usize = 1024 * 1024;
/// Calls one team client may have in flight on one connection; one more is answered `RESOURCE_EXHAUSTED` at
/// once, so no caller can take the node from the others.
pub const CALLS_IN_FLIGHT_PER_CONNECTION: usize = 128;
/// No RPC of the node should take longer than this.
const REQUEST_TIMEOUT: Duration = Duration::from_secs(30);

/// Serves the node's services, health and reflection on `listener` until `shutdown` resolves, then lets
/// requests in flight finish. With `tls`, the port speaks only TLS.
pub async fn serve(
    listener: TcpListener,
    workflow: Workflow,
    tls: Option<ServerTlsConfig>,
    shutdown: impl Future<Output = ()> + Send,
) -> Result<()> {
    let (health, health_service) = tonic_health::server::health_reporter();
    health.set_serving::<CaseServiceServer<CaseApi>>().await;
    health
        .set_serving::<SessionServiceServer<SessionApi>>()
        .await;
    health
        .set_serving::<ConsultationServiceServer<ConsultationApi>>()
        .await;
    health
        .set_serving::<EscalationServiceServer<EscalationApi>>()
        .await;
    health.set_serving::<OutboxServiceServer<OutboxApi>>().await;
    health.set_serving::<AuditServiceServer<AuditApi>>().await;
    health.set_serving::<ReviewServiceServer<ReviewApi>>().await;
    let reflection =
        served::reflection_v1().map_err(|e| Error::Server(format!("reflection: {e}")))?;
    let reflection_v1alpha =
        served::reflection_v1alpha().map_err(|e| Error::Server(format!("reflection: {e}")))?;

    // `Server::tcp_nodelay` does not apply to a listener we bind ourselves: set it on each accepted stream.
    let incoming = TcpListenerStream::new(listener).map(|stream| {
        let stream = stream?;
        stream.set_nodelay(true)?;
        Ok::<_, std::io::Error>(stream)
    });

    let mut builder = tonic::transport::Server::builder();
    if let Some(tls) = tls {
        builder = builder
            .tls_config(tls)
            .map_err(|e| Error::Server(format!("TLS: {e}")))?;
    }
    builder
        .timeout(REQUEST_TIMEOUT)
        .concurrency_limit_per_connection(CALLS_IN_FLIGHT_PER_CONNECTION)
        .load_shed(true)
        .layer(RpcMetricsLayer::new(workflow.metrics().clone()))
        .layer(GuardLayer::new(workflow.clone()))
        .http2_keepalive_interval(Some(Duration::from_secs(30)))
        .trace_fn(expertnet_federation::trace::rpc_span)
        .add_service(health_service)
        .add_service(reflection)
        .add_service(reflection_v1alpha)
        .add_service(
            CaseServiceServer::new(CaseApi::new(workflow.clone()))
                .max_decoding_message_size(MAX_MESSAGE_BYTES),
        )
        .add_service(
            SessionServiceServer::new(SessionApi::new(workflow.clone()))
                .max_decoding_message_size(MAX_MESSAGE_BYTES),
        )
        .add_service(
            ConsultationServiceServer::new(ConsultationApi::new(workflow.clone()))
                .max_decoding_message_size(MAX_MESSAGE_BYTES),
        )
        .add_service(
            EscalationServiceServer::new(EscalationApi::new(workflow.clone()))
                .max_decoding_message_size(MAX_MESSAGE_BYTES),
        )
        .add_service(
            AuditServiceServer::new(AuditApi::new(workflow.clone()))
                .max_decoding_message_size(MAX_MESSAGE_BYTES),
        )
        .add_service(
            ReviewServiceServer::new(ReviewApi::new(workflow.clone()))
                .max_decoding_message_size(MAX_MESSAGE_BYTES),
        )
        .add_service(
            OutboxServiceServer::new(OutboxApi::new(workflow))
                .max_decoding_message_size(MAX_MESSAGE_BYTES),
        )
        .serve_with_incoming_shutdown(incoming, shutdown)
        .await
        .map_err(|e| Error::Server(e.to_string()))?;
    Ok(())
}
