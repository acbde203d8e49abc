//! `expertnet-local`: the whole federation on this machine — four regional nodes and the gateway on SQLite,
//! the dev PKI made on first run, all data under one folder — until Ctrl-C. `--regions 42` runs the whole
//! country instead: the four real regions and 38 synthetic ones in eight areas.

use anyhow::Result;
use clap::Parser;
use comfy_table::Table;
use expertnet_local::{LocalFederation, Settings, load_registry, national};
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
    /// Run this many regions (up to the country's 42): the registry's own and synthetic ones in eight areas.
    #[arg(long)]
    regions: Option<usize>,
    /// Synthetic cases (no real person's data, 2023 to 2026) written into each region's database on first run,
    /// so statistics and yearly reviews have something to show; 0 for none. By default 3 000 per region, or
    /// with --regions as many as the region's table sees in those years (40 to 100 youths a year).
    #[arg(long)]
    synthetic_cases: Option<u64>,
}

/// The years of synthetic cases (2023-01-01 to 2026-11-01).
const SYNTHETIC_YEARS: f64 = 3.83;

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
    let mut registry = load_registry(&args.registry)?;
    let mut synthetic_by_region = std::collections::BTreeMap::new();
    if let Some(regions) = args.regions {
        registry = national::registry(&registry, regions).map_err(anyhow::Error::msg)?;
        if args.synthetic_cases.is_none() {
            for (i, region) in registry.regions().enumerate() {
                let cases = national::youths_a_year(i) as f64 * SYNTHETIC_YEARS;
                synthetic_by_region.insert(region.id.clone(), cases.round() as u64);
            }
        }
    }
    let settings = Settings {
        synthetic_cases: args.synthetic_cases.unwrap_or(3000),
        synthetic_by_region,
        ..Settings::local(&args.dir, registry)
    };
    let started = std::time::Instant::now();
    let federation = LocalFederation::start(settings, Arc::new(SystemClock)).await?;
    tracing::info!(
        regions = federation.nodes.len(),
        seconds = started.elapsed().as_secs_f64(),
        "every region started"
    );
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
    println!(
        "coordinators' dashboard: https://{}  (sign in as a coordinator below; the first sign-in sets up an \
         authenticator app from a QR code)",
        federation.gateway.dashboard_addr
    );
    let mut coordinators = Table::new();
    coordinators.set_header(["dashboard user", "password", "reads"]);
    for (person, password) in &federation.gateway.coordinator_passwords {
        let areas: Vec<&str> = federation
            .registry()
            .areas_of_coordinator(person)
            .map(|a| a.name.as_str())
            .collect();
        let reads = if areas.is_empty() {
            "national figures".to_owned()
        } else {
            format!("national figures, {} and its regions", areas.join(", "))
        };
        coordinators.add_row([person.clone(), password.clone(), reads]);
    }
    println!("{coordinators}");
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
