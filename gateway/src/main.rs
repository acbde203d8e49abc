//! `expertnet-gateway`: run the supra-regional gateway, make the dev PKI, or show the network.

use clap::Parser;
use expertnet_gateway::cli::{self, Cli};

fn main() -> std::process::ExitCode {
    let cli = Cli::parse();
    let outcome = cli::runtime(&cli)
        .map_err(anyhow::Error::from)
        .and_then(|runtime| runtime.block_on(cli::run(cli)));
    match outcome {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(err) => {
            eprintln!("error: {err:#}");
            std::process::ExitCode::FAILURE
        }
    }
}
