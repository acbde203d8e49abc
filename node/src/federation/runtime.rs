//! The node's federation at run time: its configuration, and the tasks that run beside the team's server
//! (the courier, the heartbeat and the inbox server on its own mutual-TLS port).

use super::gateways::{self, GatewayUrls, Gateways};
use super::{courier::Courier, heartbeat, signals};
use crate::error::{Error, Result};
use crate::grpc::InboxApi;
use crate::workflow::{DeliveryPolicy, FederationLink, Workflow};
use expertnet_federation::peer::GATEWAY_HOST;
use expertnet_federation::{Registry, TlsFiles};
use expertnet_proto::v1::inbox_service_server::InboxServiceServer;
use serde::{Deserialize, Serialize};
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;
use tokio::net::TcpListener;
use tokio::sync::watch;
use tokio::task::JoinHandle;
use tokio_stream::StreamExt;
use tokio_stream::wrappers::TcpListenerStream;
use tonic::transport::Endpoint;

/// Deliveries the inbox works on at once for its caller (the gateway, over one connection); one more is answered
/// `RESOURCE_EXHAUSTED` at once, and the sender's courier tries again later. A flood from the network then costs
/// the node no more than this many writes at a time, and the team API, on its own port, keeps its own.
pub const INBOX_CALLS_IN_FLIGHT: usize = 64;

/// The `[federation]` section of a node's configuration. Without it the node runs on its own.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct FederationConfig {
    /// Address of the inbox the gateway delivers to (mutual TLS), e.g. `127.0.0.1:50061`.
    pub listen: String,
    /// The gateway, e.g. `https://127.0.0.1:50060`, or a list of its replicas (which share one statistics
    /// store): calls go to one, and to the next when that one cannot be reached.
    pub gateway: GatewayUrls,
    /// The region registry (the same file the gateway reads).
    pub registry: PathBuf,
    /// This node's certificate and key, and the federation CA.
    pub tls: TlsFiles,
    #[serde(default = "defaults::heartbeat_secs")]
    pub heartbeat_secs: u32,
    /// How long the outbox keeps trying before an envelope becomes a dead letter.
    #[serde(default = "defaults::dead_letter_after_secs")]
    pub dead_letter_after_secs: u64,
    /// The longest wait between two attempts.
    #[serde(default = "defaults::max_backoff_ms")]
    pub max_backoff_ms: u64,
    /// How often the node pushes the current and previous quarter's signals to the gateway.
    #[serde(default = "defaults::signals_secs")]
    pub signals_secs: u64,
}

mod defaults {
    pub fn heartbeat_secs() -> u32 {
        5
    }
    pub fn dead_letter_after_secs() -> u64 {
        24 * 3600
    }
    pub fn max_backoff_ms() -> u64 {
        1000
    }
    pub fn signals_secs() -> u64 {
        900
    }
}

impl FederationConfig {
    pub fn validate(&self) -> Result<()> {
        self.listen_addr()?;
        gateways::check(&self.gateway)
            .map_err(|e| Error::Config(format!("federation.gateway: {e}")))?;
        if !(1..=3600).contains(&self.heartbeat_secs) {
            return Err(Error::Config(
                "federation.heartbeat_secs: must be between 1 and 3600".into(),
            ));
        }
        if self.dead_letter_after_secs == 0 {
            return Err(Error::Config(
                "federation.dead_letter_after_secs: must be more than 0".into(),
            ));
        }
        if !(1..=86_400).contains(&self.signals_secs) {
            return Err(Error::Config(
                "federation.signals_secs: must be between 1 and 86400".into(),
            ));
        }
        if !(10..=600_000).contains(&self.max_backoff_ms) {
            return Err(Error::Config(
                "federation.max_backoff_ms: must be between 10 and 600000".into(),
            ));
        }
        Ok(())
    }

    pub fn listen_addr(&self) -> Result<SocketAddr> {
        self.listen.parse().map_err(|_| {
            Error::Config(format!(
                "federation.listen: '{}' is not an address like 127.0.0.1:50061",
                self.listen
            ))
        })
    }

    pub fn policy(&self) -> DeliveryPolicy {
        DeliveryPolicy {
            max_backoff: Duration::from_millis(self.max_backoff_ms),
            dead_letter_after: Duration::from_secs(self.dead_letter_after_secs),
            ..DeliveryPolicy::default()
        }
    }

    /// The node's link to the federation: its region must be in the registry.
    pub fn link(&self, region: &str) -> Result<FederationLink> {
        let registry = Registry::load(&self.registry)
            .map_err(|e| Error::Config(format!("federation.registry: {e}")))?;
        if registry.get(region).is_none() {
            return Err(Error::Config(format!(
                "region: '{region}' is not in the registry {}",
                self.registry.display()
            )));
        }
        Ok(FederationLink::new(region, Arc::new(registry)))
    }

    /// A channel to each gateway replica, connected when first used.
    fn gateways(&self) -> Result<Gateways> {
        let tls = self
            .tls
            .client(GATEWAY_HOST)
            .map_err(|e| Error::Config(format!("federation.tls.{e}")))?;
        let mut replicas = Vec::new();
        for url in self.gateway.as_slice() {
            let channel = Endpoint::from_shared(url.clone())
                .map_err(|e| Error::Config(format!("federation.gateway: '{url}': {e}")))?
                .tls_config(tls.clone())
                .map_err(|e| Error::Config(format!("federation.tls: {e}")))?
                .connect_timeout(Duration::from_secs(2))
                .tcp_nodelay(true)
                .connect_lazy();
            replicas.push((url.clone(), channel));
        }
        Ok(Gateways::new(replicas))
    }
}

/// The federation tasks of a running node.
#[derive(Debug)]
pub struct FederationRuntime {
    stop: watch::Sender<bool>,
    tasks: Vec<JoinHandle<()>>,
    inbox: JoinHandle<Result<()>>,
    pub inbox_addr: SocketAddr,
}

impl FederationRuntime {
    /// Starts the courier, the heartbeat and the inbox server on `inbox_listener`. `workflow` must be
    /// federated with the link from [`FederationConfig::link`].
    pub fn start(
        workflow: Workflow,
        config: &FederationConfig,
        inbox_listener: TcpListener,
    ) -> Result<FederationRuntime> {
        let link = workflow
            .federation()
            .ok_or_else(|| Error::Config("the workflow has no federation link".into()))?
            .clone();
        let gateways = config.gateways()?;
        let server_tls = config
            .tls
            .server()
            .map_err(|e| Error::Config(format!("federation.tls.{e}")))?;
        let inbox_addr = inbox_listener
            .local_addr()
            .map_err(|e| Error::Config(format!("federation.listen: {e}")))?;
        let (stop, stopped) = watch::channel(false);
        let courier = Courier::new(
            workflow.clone(),
            gateways.clone(),
            config.policy(),
            link.outbox_ready.clone(),
        );
        let tasks = vec![
            tokio::spawn(courier.run(stopped.clone())),
            tokio::spawn(signals::push_periodically(
                workflow.clone(),
                link.region.clone(),
                gateways.clone(),
                Duration::from_secs(config.signals_secs),
                stopped.clone(),
            )),
            tokio::spawn(heartbeat::run(
                workflow.clone(),
                gateways,
                Duration::from_secs(u64::from(config.heartbeat_secs)),
                stopped.clone(),
            )),
        ];
        let mut inbox_stopped = stopped;
        let inbox = tokio::spawn(serve_inbox(
            inbox_listener,
            workflow,
            server_tls,
            async move {
                let _ = inbox_stopped.wait_for(|stop| *stop).await;
            },
        ));
        tracing::info!(region = %link.region, inbox = %inbox_addr, gateway = %config.gateway, "federation started");
        Ok(FederationRuntime {
            stop,
            tasks,
            inbox,
            inbox_addr,
        })
    }

    /// Stops the tasks and waits for them; what is in the outbox stays there for the next start.
    pub async fn stop(self) {
        let _ = self.stop.send(true);
        for task in self.tasks {
            let _ = task.await;
        }
        match self.inbox.await {
            Ok(Err(err)) => tracing::error!(error = %err, "inbox server failed"),
            Err(err) => tracing::error!(error = %err, "inbox server panicked"),
            Ok(Ok(())) => {}
        }
    }
}

/// Serves the inbox over mutual TLS until `shutdown` resolves.
pub async fn serve_inbox(
    listener: TcpListener,
    workflow: Workflow,
    tls: tonic::transport::ServerTlsConfig,
    shutdown: impl std::future::Future<Output = ()> + Send,
) -> Result<()> {
    let incoming = TcpListenerStream::new(listener).map(|stream| {
        let stream = stream?;
        stream.set_nodelay(true)?;
        Ok::<_, std::io::Error>(stream)
    });
    tonic::transport::Server::builder()
        .tls_config(tls)
        .map_err(|e| Error::Config(format!("federation.tls: {e}")))?
        .timeout(Duration::from_secs(30))
        .concurrency_limit_per_connection(INBOX_CALLS_IN_FLIGHT)
        .load_shed(true)
        .trace_fn(expertnet_federation::trace::rpc_span)
        .layer(expertnet_federation::metrics::RpcMetricsLayer::new(
            workflow.metrics().clone(),
        ))
        .add_service(
            InboxServiceServer::new(InboxApi::new(workflow))
                .max_decoding_message_size(crate::server::MAX_MESSAGE_BYTES),
        )
        .serve_with_incoming_shutdown(incoming, shutdown)
        .await
        .map_err(|e| Error::Config(format!("federation.listen: inbox server: {e}")))
}
