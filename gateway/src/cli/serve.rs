//! `expertnet-gateway serve`: load and validate the configuration and registry, serve until told to stop.

use super::ServeArgs;
use crate::config::{GatewayConfig, Overrides};
use crate::server::{self, Gateway};
use anyhow::{Context, Result};
use expertnet_federation::{shutdown, telemetry};

pub async fn run(args: ServeArgs) -> Result<()> {
    let _telemetry = telemetry::init("expertnet-gateway", args.log_json);
    let overrides = Overrides {
        listen: args.listen,
        registry: args.registry,
    };
    let config = GatewayConfig::load(args.config.as_deref(), &overrides)?;
    let gateway = Gateway::from_config(&config).await?;
    let addr = config.listen_addr()?;
    let listener = tokio::net::TcpListener::bind(addr)
        .await
        .with_context(|| format!("listen: cannot bind {addr}"))?;
    tracing::info!(
        listen = %listener.local_addr()?,
        regions = gateway.network.registry().regions().count(),
        "gateway serving"
    );
    let metrics = config
        .metrics
        .spawn(|listener| crate::metrics::serve(listener, gateway.clone(), shutdown::signal()))
        .await
        .map_err(anyhow::Error::msg)?;
    let dashboard = match config.dashboard.addr()? {
        Some(addr) => {
            let listener = tokio::net::TcpListener::bind(addr)
                .await
                .with_context(|| format!("dashboard.listen: cannot bind {addr}"))?;
            let tls = expertnet_federation::tls::ServerIdentity {
                cert: config.tls.cert.clone(),
                key: config.tls.key.clone(),
            }
            .rustls_browser()
            .map_err(|e| anyhow::anyhow!("tls.{e}"))?;
            tracing::info!(listen = %listener.local_addr()?, "dashboard serving");
            Some(tokio::spawn(crate::dashboard::serve(
                listener,
                gateway.dashboard(config.dashboard.sign_in, true),
                Some(tls),
                shutdown::signal(),
            )))
        }
        None => None,
    };
    server::serve(listener, gateway, shutdown::signal()).await?;
    if let Some(metrics) = metrics {
        metrics.await.context("metrics")??;
    }
    if let Some(dashboard) = dashboard {
        dashboard.await.context("dashboard")??;
    }
    tracing::info!("gateway stopped");
    Ok(())
}
