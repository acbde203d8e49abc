//! The `expertnet-node` command line: `serve` runs a node, `seed` fills one with synthetic cases, `keys` manages
//! the keys of the youth's encrypted identifiers, and a client
//! subcommand exists for every action of the expert table. Output is a human table by default, canonical
//! protobuf JSON with `--json`.

mod args;
mod audit;
mod case;
mod client;
mod consult;
mod escalation;
mod keys;
mod output;
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
        Command::User(command) => user::run(command).await,
        Command::Audit(command) => audit::run(&cli.client, command).await,
        Command::Case(command) => case::run(&cli.client, command).await,
        Command::Session(command) => session::run(&cli.client, command).await,
        Command::Consult(command) => consult::run(&cli.client, command).await,
        Command::Overdue(args) => case::overdue(&cli.client, args).await,
        Command::Escalation(command) => escalation::run(&cli.client, command).await,
        Command::Outbox(command) => escalation::outbox(&cli.client, command).await,
    }
}
