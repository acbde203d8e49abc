//! `expertnet-node serve`: load and validate the configuration, open the database, serve until told to stop.
//! With a `[federation]` section the node also joins the federation: its inbox listens on its own mutual-TLS
//! port, and the courier and heartbeat talk to the gateway.

use super::args::ServeArgs;
use crate::clock::SystemClock;
use crate::config::{NodeConfig, Overrides};
use crate::federation::runtime::FederationRuntime;
use crate::housekeeping::Housekeeping;
use crate::server;
use crate::storage::Storage;
use crate::workflow::Workflow;
use anyhow::{Context, Result};
use expertnet_federation::telemetry;
use std::sync::Arc;
use std::time::Instant;

pub async fn run(args: ServeArgs) -> Result<()> {
    let started = Instant::now();
    let _telemetry = telemetry::init("expertnet-node", args.log_json);
    expertnet_federation::install_crypto_provider();
    let overrides = Overrides {
        listen: args.listen,
        database_url: args.database.database_url,
    };
    let config = NodeConfig::load(args.database.config.as_deref(), &overrides)?;
    let addr = config.listen_addr()?;
    let link = match &config.federation {
        Some(federation) => Some(federation.link(&config.region)?),
        None => None,
    };
    let storage = Storage::connect(
        &config.database.url,
        config.database.max_connections,
        config.vault()?,
    )
    .await
    .context("opening the node's database")?;
    // Rows written before identifiers were encrypted, or sealed with a key a rotation has replaced.
    let resealed = crate::storage::identity::reseal(&storage).await?;
    if resealed > 0 {
        let now = crate::clock::Clock::now_ms(&SystemClock);
        let event = crate::audit::NewAuditEvent {
            access_point: "node".into(),
            ..crate::audit::NewAuditEvent::operator(
                now,
                "node",
                &format!("identity reseal: {resealed} identities sealed with the current key"),
                "",
            )
        };
        crate::storage::audit::append_one(&storage, event).await?;
        tracing::info!(
            rows = resealed,
            "youth identifiers sealed with the current key"
        );
    }
    let listener = tokio::net::TcpListener::bind(addr)
        .await
        .with_context(|| format!("server.listen: cannot bind {addr}"))?;
    let mut workflow = Workflow::new(storage.clone(), Arc::new(SystemClock));
    let mut federation = None;
    if let (Some(federation_config), Some(link)) = (&config.federation, link) {
        workflow = workflow.federated(link);
        let inbox_addr = federation_config.listen_addr()?;
        let inbox_listener = tokio::net::TcpListener::bind(inbox_addr)
            .await
            .with_context(|| format!("federation.listen: cannot bind {inbox_addr}"))?;
        federation = Some(FederationRuntime::start(
            workflow.clone(),
            federation_config,
            inbox_listener,
        )?);
    }
    tracing::info!(
        region = %config.region,
        listen = %listener.local_addr()?,
        backend = ?storage.backend(),
        federated = federation.is_some(),
        tls = config.server.tls.is_some(),
        startup_ms = started.elapsed().as_millis() as u64,
        "node serving"
    );
    let housekeeping = Housekeeping::start(workflow.clone(), config.retention);
    let board = match config.web_addr()? {
        Some(web_addr) => {
            let web_listener = tokio::net::TcpListener::bind(web_addr)
                .await
                .with_context(|| format!("web.listen: cannot bind {web_addr}"))?;
            let browser_tls = match &config.server.tls {
                Some(identity) => Some(
                    identity
                        .rustls_browser()
                        .map_err(|e| anyhow::anyhow!("server.tls.{e}"))?,
                ),
                None => None,
            };
            tracing::info!(listen = %web_listener.local_addr()?, tls = browser_tls.is_some(), "web board serving");
            let board = crate::web::Board {
                workflow: workflow.clone(),
                policy: config.web.sign_in,
                region: config.region.clone(),
                secure: browser_tls.is_some(),
            };
            Some(tokio::spawn(crate::web::serve(
                web_listener,
                board,
                browser_tls,
                expertnet_federation::shutdown::signal(),
            )))
        }
        None => None,
    };
    let metrics = config
        .metrics
        .spawn(|listener| {
            crate::metrics::serve(
                listener,
                workflow.clone(),
                expertnet_federation::shutdown::signal(),
            )
        })
        .await
        .map_err(anyhow::Error::msg)?;
    let tls = match &config.server.tls {
        Some(identity) => Some(
            identity
                .server()
                .map_err(|e| anyhow::anyhow!("server.tls.{e}"))?,
        ),
        None => None,
    };
    server::serve(
        listener,
        workflow,
        tls,
        expertnet_federation::shutdown::signal(),
    )
    .await?;
    if let Some(board) = board {
        board.await.context("web board")??;
    }
    if let Some(metrics) = metrics {
        metrics.await.context("metrics")??;
    }
    housekeeping.stop().await;
    if let Some(federation) = federation {
        federation.stop().await;
    }
    storage.close().await;
    tracing::info!("node stopped");
    Ok(())
}
