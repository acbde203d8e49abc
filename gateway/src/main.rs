//! `expertnet-gateway`: run the supra-regional gateway, make the dev PKI, or show the network.

use clap::Parser;
use expertnet_gateway::cli::{self, Cli};

#[tokio::main]
async fn main() -> std::process::ExitCode {
    match cli::run(Cli::parse()).await {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(err) => {
            eprintln!("error: {err:#}");
            std::process::ExitCode::FAILURE
        }
    }
}
