//! The gateway's gRPC server as a function of a listener and a shutdown signal: tests bind port 0 and pass the
//! listener in; `serve` in the CLI binds the configured address and waits for SIGTERM or Ctrl-C. Mutual TLS
//! only: a client without a certificate from the federation CA does not get past the handshake.

use crate::config::GatewayConfig;
use crate::error::{Error, Result};
use crate::grpc::{CoordinatorApi, GatewayApi, GatewayRoutes};
use crate::network::Network;
use crate::nodes::NodeClients;
use crate::statistics::Publishing;
use crate::statistics::StatisticsStore;
use crate::statistics::disclosure::Control;
use crate::statistics::odometer::Budgets;
use expertnet_proto::v1::coordinator_service_server::CoordinatorServiceServer;
use expertnet_proto::v1::gateway_service_server::GatewayServiceServer;
use std::future::Future;
use std::sync::Arc;
use std::time::Duration;
use tokio::net::TcpListener;
use tokio_stream::StreamExt;
use tokio_stream::wrappers::TcpListenerStream;
use tonic::transport::ServerTlsConfig;

/// Everything the gateway serves with, built from its configuration.
#[derive(Debug, Clone)]
pub struct Gateway {
    pub network: Network,
    pub statistics: StatisticsStore,
    nodes: NodeClients,
    tls: ServerTlsConfig,
    heartbeat_interval_secs: u32,
    max_message_bytes: usize,
    publishing: Publishing,
}

impl Gateway {
    /// Reads the registry and the TLS files and opens the statistics store; any problem names the key at fault.
    pub async fn from_config(config: &GatewayConfig) -> Result<Gateway> {
        let registry = Arc::new(config.load_registry()?);
        let tls = config
            .tls
            .server()
            .map_err(|e| Error::Config(format!("tls.{e}")))?;
        let nodes = NodeClients::new(&registry, &config.tls, config.forward_timeout())?;
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
        })
    }
}

/// Serves the gateway's services, health and reflection on `listener` until `shutdown` resolves.
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
    let reflection = tonic_reflection::server::Builder::configure()
        .register_encoded_file_descriptor_set(expertnet_proto::FILE_DESCRIPTOR_SET)
        .register_encoded_file_descriptor_set(tonic_health::pb::FILE_DESCRIPTOR_SET)
        .build_v1()
        .map_err(|e| Error::Config(format!("reflection: {e}")))?;
    let incoming = TcpListenerStream::new(listener).map(|stream| {
        let stream = stream?;
        stream.set_nodelay(true)?;
        Ok::<_, std::io::Error>(stream)
    });
    let api = GatewayApi::new(
        gateway.network.clone(),
        gateway.nodes.clone(),
        gateway.heartbeat_interval_secs,
        gateway.statistics.clone(),
    );
    tonic::transport::Server::builder()
        .tls_config(gateway.tls)?
        .timeout(Duration::from_secs(30))
        .http2_keepalive_interval(Some(Duration::from_secs(30)))
        .trace_fn(expertnet_federation::trace::rpc_span)
        .add_service(health_service)
        .add_service(reflection)
        .add_service(GatewayRoutes::new(api, gateway.max_message_bytes))
        .add_service(CoordinatorServiceServer::new(CoordinatorApi::new(
            gateway.network,
            gateway.nodes,
            gateway.statistics,
            gateway.publishing,
        )))
        .serve_with_incoming_shutdown(incoming, shutdown)
        .await?;
    Ok(())
}
