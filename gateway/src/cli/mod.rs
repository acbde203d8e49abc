//! The `expertnet-gateway` command line: run the gateway, make the dev PKI, show coordinators the network.

mod network;
mod people;
mod pki;
mod serve;
mod statistics;

use clap::{Args, Parser, Subcommand};
use std::path::PathBuf;

#[derive(Debug, Parser)]
#[command(
    name = "expertnet-gateway",
    version,
    about = "The supra-regional expertnet gateway: routes consultations and escalations between regions."
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run the gateway until SIGTERM or Ctrl-C.
    Serve(ServeArgs),
    /// Create the federation's dev PKI: a CA, and a certificate for the gateway, every region in the registry,
    /// every coordinator of its areas and each coordinator named. Existing certificates are kept.
    Pki(PkiArgs),
    /// The network as coordinators see it: every region, up or down, queues, and what flows between regions.
    Network(NetworkArgs),
    /// The national statistics (or an area's or region's), after disclosure control: counts below k hidden,
    /// with what would give them away, the rest rounded to 5; or with differential-privacy noise (--epsilon).
    Statistics(StatisticsArgs),
    /// A region's, an area's or the nation's yearly review (HTML with SVG charts) from the published figures.
    Review(ReviewArgs),
    /// The people who sign in to the coordinators' dashboard, each acting as a coordinator identity.
    People(PeopleArgs),
}

#[derive(Debug, Args)]
pub struct PeopleArgs {
    /// The gateway's TOML configuration (its database and sign-in policy).
    #[arg(long, env = "EXPERTNET_GATEWAY_CONFIG")]
    pub config: Option<PathBuf>,
    #[command(subcommand)]
    pub command: PeopleCommand,
}

#[derive(Debug, Subcommand)]
pub enum PeopleCommand {
    /// Add a person; the password comes from EXPERTNET_PASSWORD or one line on standard input.
    Add {
        name: String,
        /// The coordinator identity whose rights the person gets (the name in a coordinator certificate; the
        /// registry's areas name their coordinators).
        #[arg(long)]
        coordinator: String,
    },
    /// Everyone who may sign in, with their coordinator identity.
    List,
    /// Set a person's password (EXPERTNET_PASSWORD or standard input); their sessions end.
    Password { name: String },
    /// Remove a person's second factor (a lost phone) and lift a lock; they set up a new one at sign-in.
    ResetSecondFactor { name: String },
    /// Remove a person.
    Remove { name: String },
}

#[derive(Debug, Args)]
pub struct ServeArgs {
    /// TOML configuration file (see deploy/gateway.toml).
    #[arg(long, env = "EXPERTNET_GATEWAY_CONFIG")]
    pub config: Option<PathBuf>,
    /// Address to bind, e.g. 127.0.0.1:50060.
    #[arg(long, env = "EXPERTNET_GATEWAY_LISTEN")]
    pub listen: Option<String>,
    /// The region registry.
    #[arg(long, env = "EXPERTNET_GATEWAY_REGISTRY")]
    pub registry: Option<PathBuf>,
    /// Log as JSON lines.
    #[arg(long)]
    pub log_json: bool,
}

#[derive(Debug, Args)]
pub struct PkiArgs {
    /// Folder for the CA, certificates and keys (keys are written mode 0600).
    #[arg(long, default_value = "data/federation/pki")]
    pub dir: PathBuf,
    /// The registry whose regions get a certificate.
    #[arg(long, default_value = "deploy/registry.toml")]
    pub registry: PathBuf,
    /// A coordinator to issue a certificate for; repeat for more.
    #[arg(long = "coordinator", default_value = "coordinator")]
    pub coordinators: Vec<String>,
}

#[derive(Debug, Args)]
pub struct NetworkArgs {
    #[command(flatten)]
    pub coordinator: CoordinatorArgs,
    /// Print JSON instead of tables.
    #[arg(long)]
    pub json: bool,
}

/// How a coordinator reaches the gateway: its URL and the coordinator's certificate.
#[derive(Debug, Args)]
pub struct CoordinatorArgs {
    #[arg(
        long,
        env = "EXPERTNET_GATEWAY_URL",
        default_value = "https://127.0.0.1:50060"
    )]
    pub gateway: String,
    /// The PKI folder holding the coordinator's certificate and the CA.
    #[arg(long, env = "EXPERTNET_PKI", default_value = "data/federation/pki")]
    pub pki: PathBuf,
    /// Whose coordinator certificate to present.
    #[arg(long, env = "EXPERTNET_COORDINATOR", default_value = "coordinator")]
    pub coordinator: String,
}

#[derive(Debug, Args)]
pub struct StatisticsArgs {
    #[command(flatten)]
    pub coordinator: CoordinatorArgs,
    /// The quarter, e.g. 2026-Q1 (released once it is over).
    #[arg(long)]
    pub period: String,
    /// Which table.
    #[arg(long, default_value = "category_by_outcome", value_parser = ["category_by_outcome", "category_by_age_band", "category_by_lead_time", "no_fitting_answer", "flows"])]
    pub table: String,
    /// A region's table instead of the national one (a coordinator of its area only).
    #[arg(long, conflicts_with = "area")]
    pub region: Option<String>,
    /// An area's table instead of the national one (its coordinators only).
    #[arg(long)]
    pub area: Option<String>,
    /// Differential privacy instead of suppression: noise of this ε, charged to your budget for the quarter.
    #[arg(long)]
    pub epsilon: Option<f64>,
    /// Output: a table for people, CSV or JSON for further use.
    #[arg(long, default_value = "table", value_parser = ["table", "csv", "json"])]
    pub format: String,
    /// Have every region's node asked for the quarter first (otherwise their latest pushes count).
    #[arg(long)]
    pub collect: bool,
}

#[derive(Debug, Args)]
pub struct ReviewArgs {
    #[command(flatten)]
    pub coordinator: CoordinatorArgs,
    /// A region's review, e.g. lekstroom (a coordinator of its area only); without it and --area, the nation's.
    #[arg(long, conflicts_with = "area")]
    pub region: Option<String>,
    /// An area's review, e.g. oost-nederland (its coordinators only).
    #[arg(long)]
    pub area: Option<String>,
    /// The year, e.g. 2026: its quarters that are over and reported.
    #[arg(long)]
    pub year: i32,
    /// Where to write the HTML; without it, standard output.
    #[arg(long)]
    pub out: Option<PathBuf>,
    /// Have every region's node asked for each quarter of the year and the year before first (otherwise their
    /// latest pushes count; a quarter already released stays as released).
    #[arg(long)]
    pub collect: bool,
}

/// The runtime for `cli`: `serve` gets the configured number of worker threads (one thread by default); the
/// other commands run on one thread. A configuration that does not load is reported by `serve` itself.
pub fn runtime(cli: &Cli) -> std::io::Result<tokio::runtime::Runtime> {
    let threads = match &cli.command {
        Command::Serve(args) => crate::config::GatewayConfig::load(
            args.config.as_deref(),
            &crate::config::Overrides {
                listen: args.listen.clone(),
                registry: args.registry.clone(),
            },
        )
        .map_or(1, |config| config.worker_threads),
        _ => 1,
    };
    if threads == 1 {
        tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
    } else {
        tokio::runtime::Builder::new_multi_thread()
            .worker_threads(threads)
            .enable_all()
            .build()
    }
}

pub async fn run(cli: Cli) -> anyhow::Result<()> {
    expertnet_federation::install_crypto_provider();
    match cli.command {
        Command::Serve(args) => serve::run(args).await,
        Command::Pki(args) => pki::run(args),
        Command::Network(args) => network::run(args).await,
        Command::Statistics(args) => statistics::run(args).await,
        Command::Review(args) => statistics::review(args).await,
        Command::People(args) => people::run(args).await,
    }
}
