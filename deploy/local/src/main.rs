//! `expertnet-local`: the whole federation on this machine — four regional nodes and the gateway on SQLite,
//! the dev PKI made on first run, all data under one folder — until Ctrl-C.

use anyhow::Result;
use clap::Parser;
use comfy_table::Table;
use expertnet_local::{LocalFederation, Settings, load_registry};
use expertnet_node::clock::SystemClock;
use std::path::PathBuf;
use std::sync::Arc;

#[derive(Debug, Parser)]
#[command(name = "expertnet-local", version, about)]
struct Args {
    /// Folder for the PKI, the registry with local endpoints and each region's database.
    #[arg(long, default_value = "data/federation")]
    dir: PathBuf,
    /// The registry of the regions to run.
    #[arg(long, default_value = "deploy/registry.toml")]
    registry: PathBuf,
    /// Synthetic cases (no real person's data, 2023 to 2026) written into each region's database on first run,
    /// so statistics and yearly reviews have something to show; 0 for none.
    #[arg(long, default_value_t = 3000)]
    synthetic_cases: u64,
}

#[tokio::main]
async fn main() -> std::process::ExitCode {
    match run(Args::parse()).await {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(err) => {
            eprintln!("error: {err:#}");
            std::process::ExitCode::FAILURE
        }
    }
}

async fn run(args: Args) -> Result<()> {
    let _telemetry = expertnet_federation::telemetry::init("expertnet-local", false);
    let registry = load_registry(&args.registry)?;
    let settings = Settings {
        synthetic_cases: args.synthetic_cases,
        ..Settings::local(&args.dir, registry)
    };
    let federation = LocalFederation::start(settings, Arc::new(SystemClock)).await?;
    let mut table = Table::new();
    table.set_header([
        "region",
        "web board (sign in as team)",
        "team's password",
        "team API (expertnet-node --node …)",
        "--token-file",
        "inbox (mTLS)",
        "metrics",
    ]);
    for node in federation.nodes.values() {
        table.add_row([
            node.region.clone(),
            node.board_url(),
            node.team_password.clone(),
            node.url(),
            node.team_token_file.display().to_string(),
            format!("https://{}", node.inbox_addr),
            format!("http://{}/metrics", node.metrics_addr),
        ]);
    }
    println!(
        "expertnet federation running; data under {}",
        federation.dir.display()
    );
    println!("{table}");
    println!(
        "gateway: https://{}  (coordinators: cargo run -q -p expertnet-gateway -- network --pki {}); \
         metrics http://{}/metrics",
        federation.gateway.addr,
        federation.pki.dir().display(),
        federation.gateway.metrics_addr
    );
    let areas: Vec<String> = federation
        .registry()
        .areas()
        .iter()
        .map(|a| format!("{} ({})", a.id, a.coordinators.join(", ")))
        .collect();
    if !areas.is_empty() {
        println!(
            "areas and their coordinators' certificates: {}",
            areas.join("; ")
        );
    }
    println!(
        "The boards use the dev CA's certificates ({}): let the browser trust that CA, or accept the warning. \
         On first sign-in the board shows a QR code for an authenticator app (the team user may see identifiers). \
         The user 'auditor' signs in with auditor.password beside each region's database.",
        federation.pki.dir().join("ca.pem").display()
    );
    println!("Stop with Ctrl-C.");
    expertnet_federation::shutdown::signal().await;
    federation.stop().await;
    Ok(())
}
