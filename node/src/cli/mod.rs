//! The `expertnet-node` command line: `serve` runs a node, `seed` fills one with synthetic cases, `keys` manages
//! the keys of the youth's encrypted identifiers, and a client
//! subcommand exists for every action of the expert table. Output is a human table by default, canonical
//! protobuf JSON with `--json`.

mod args;
mod audit;
mod backup;
mod case;
mod client;
mod consult;
mod escalation;
mod keys;
mod output;
mod retention;
mod review;
mod seed;
mod serve;
mod session;
mod user;

pub use args::{Cli, Command};

use anyhow::Result;

/// Runs one parsed command line.
pub async fn run(cli: Cli) -> Result<()> {
    match cli.command {
        Command::Serve(args) => serve::run(args).await,
        Command::Seed(args) => seed::run(args).await,
        Command::Keys(command) => keys::run(command).await,
        Command::Backup(args) => backup::back_up(args).await,
        Command::Restore(args) => backup::restore(args).await,
        Command::User(command) => user::run(command).await,
        Command::Audit(command) => audit::run(&cli.client, command).await,
        Command::Retention(command) => retention::run(command).await,
        Command::Case(command) => case::run(&cli.client, command).await,
        Command::Session(command) => session::run(&cli.client, command).await,
        Command::Consult(command) => consult::run(&cli.client, command).await,
        Command::Overdue(args) => case::overdue(&cli.client, args).await,
        Command::Review(args) => review::run(&cli.client, args).await,
        Command::Escalation(command) => escalation::run(&cli.client, command).await,
        Command::Outbox(command) => escalation::outbox(&cli.client, command).await,
    }
}

/// The operator's login name, as the audit trail records it for commands run on the node's machine.
fn operator_name() -> String {
    std::env::var("USER")
        .ok()
        .filter(|u| !u.trim().is_empty())
        .unwrap_or_else(|| "operator".into())
}

/// Opens the node's database (and keyring) from its configuration, for the commands an operator runs on the
/// node's machine (`user`, `retention`): they work whether or not the node is serving.
async fn open_local(
    database: args::DatabaseArgs,
) -> Result<(crate::config::NodeConfig, crate::workflow::Workflow)> {
    use anyhow::Context;
    let overrides = crate::config::Overrides {
        listen: None,
        database_url: database.database_url,
    };
    let config = crate::config::NodeConfig::load(database.config.as_deref(), &overrides)?;
    let storage = crate::storage::Storage::connect(&config.database.url, 1, config.vault()?)
        .await
        .context("opening the node's database")?;
    let workflow =
        crate::workflow::Workflow::new(storage, std::sync::Arc::new(crate::clock::SystemClock));
    Ok((config, workflow))
}
