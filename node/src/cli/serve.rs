//! `expertnet-node serve`: load and validate the configuration, open the database, serve until told to stop.

use super::args::ServeArgs;
use crate::clock::SystemClock;
use crate::config::{NodeConfig, Overrides};
use crate::storage::Storage;
use crate::workflow::Workflow;
use crate::{server, telemetry};
use anyhow::{Context, Result};
use std::sync::Arc;
use std::time::Instant;

pub async fn run(args: ServeArgs) -> Result<()> {
    let started = Instant::now();
    telemetry::init(args.log_json);
    let overrides = Overrides {
        listen: args.listen,
        database_url: args.database.database_url,
    };
    let config = NodeConfig::load(args.database.config.as_deref(), &overrides)?;
    let addr = config.listen_addr()?;
    let storage = Storage::connect(&config.database.url, config.database.max_connections)
        .await
        .context("opening the node's database")?;
    let listener = tokio::net::TcpListener::bind(addr)
        .await
        .with_context(|| format!("server.listen: cannot bind {addr}"))?;
    let workflow = Workflow::new(storage.clone(), Arc::new(SystemClock));
    tracing::info!(
        region = %config.region,
        listen = %listener.local_addr()?,
        backend = ?storage.backend(),
        startup_ms = started.elapsed().as_millis() as u64,
        "node serving"
    );
    server::serve(listener, workflow, server::shutdown_signal()).await?;
    storage.close().await;
    tracing::info!("node stopped");
    Ok(())
}
