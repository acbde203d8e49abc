//! Command-line arguments. Enum-valued flags accept the domain's words (e.g. `--category waiting_list`), so a
//! typo is refused by name before anything is sent.

use crate::domain::*;
use clap::builder::PossibleValuesParser;
use clap::{Args, Parser, Subcommand};
use std::path::PathBuf;

#[derive(Debug, Parser)]
#[command(
    name = "expertnet-node",
    version,
    about = "A regional expertnet node and its client"
)]
pub struct Cli {
    #[command(flatten)]
    pub client: ClientArgs,
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Clone, Args)]
pub struct ClientArgs {
    /// The node to talk to.
    #[arg(
        long,
        global = true,
        env = "EXPERTNET_NODE",
        default_value = "http://127.0.0.1:50051"
    )]
    pub node: String,
    /// Print canonical protobuf JSON instead of tables.
    #[arg(long, global = true)]
    pub json: bool,
    /// Who is acting (recorded in the case history); defaults to $USER.
    #[arg(long, global = true, env = "EXPERTNET_ACTOR")]
    pub actor: Option<String>,
    /// File holding your API token (from `user add`). The token may also come from EXPERTNET_TOKEN; it is
    /// never taken from the command line, where other users of the machine could read it.
    #[arg(long, global = true, env = "EXPERTNET_TOKEN_FILE")]
    pub token_file: Option<PathBuf>,
    /// The CA certificate (PEM) a node's https:// team API must be signed by.
    #[arg(long, global = true, env = "EXPERTNET_CA")]
    pub ca: Option<PathBuf>,
}

impl ClientArgs {
    pub fn actor(&self) -> anyhow::Result<String> {
        self.actor
            .clone()
            .or_else(|| std::env::var("USER").ok())
            .filter(|a| !a.trim().is_empty())
            .ok_or_else(|| anyhow::anyhow!("--actor: say who is acting (or set EXPERTNET_ACTOR)"))
    }
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run the node's gRPC server.
    Serve(ServeArgs),
    /// Fill a node's database with deterministic synthetic cases (no real person's data).
    Seed(SeedArgs),
    /// The keys of the youth's encrypted identifiers: status, rotation, pruning (run on the node's machine).
    #[command(subcommand)]
    Keys(KeysCommand),
    /// Copy the node's SQLite database while it serves, and its keyring to a separate file; both are checked.
    Backup(BackupArgs),
    /// Bring a backup and its keyring into an empty data folder, checked before a node serves from it.
    Restore(RestoreArgs),
    /// The node's users and their API tokens (run on the node's machine, against its database).
    #[command(subcommand)]
    User(UserCommand),
    /// The audit trail: check its hash chain, export it, report who accessed a case (auditor role).
    #[command(subcommand)]
    Audit(AuditCommand),
    /// Destroy now what the retention policy says is past keeping (the node also does it every hour).
    #[command(subcommand)]
    Retention(RetentionCommand),
    /// Cases: submit, intake, discuss, plan, close, find.
    #[command(subcommand)]
    Case(CaseCommand),
    /// Table sessions, agendas and attendance.
    #[command(subcommand)]
    Session(SessionCommand),
    /// Consultation and advice.
    #[command(subcommand)]
    Consult(ConsultCommand),
    /// Open commitments and tasks past their due date, across the node.
    Overdue(OverdueArgs),
    /// The region's own yearly review: every figure of its cases, to read, print or save as a PDF.
    Review(ReviewArgs),
    /// Handing cases to other regions: consent, escalation, and what came in.
    #[command(subcommand)]
    Escalation(EscalationCommand),
    /// What waits to cross to other regions, and the dead letters.
    #[command(subcommand)]
    Outbox(OutboxCommand),
}

#[derive(Debug, Subcommand)]
pub enum EscalationCommand {
    /// Record the consent (or legal ground) that allows handing a case to another region.
    Consent {
        case_id: String,
        #[arg(long, value_parser = words(LegalBasis::ALL))]
        basis: String,
        /// Who consented (youth of 16 or older, parent, legal_representative), or which legal ground applies.
        #[arg(long)]
        given_by: String,
        #[arg(long, default_value = "")]
        note: String,
        /// What it allows.
        #[arg(long, value_parser = words(ConsentScope::ALL), default_value = "escalate")]
        scope: String,
        /// The region an escalation consent allows, or the provider a share consent allows.
        #[arg(long, default_value = "")]
        to: String,
        /// The last day it holds (YYYY-MM-DD); without it, until withdrawn.
        #[arg(long, default_value = "")]
        valid_until: String,
    },
    /// Withdraw a consent (by its number): escalations it allowed that have not left yet are stopped.
    Withdraw {
        case_id: String,
        sequence: i64,
        #[arg(long)]
        reason: String,
    },
    /// Hand a case to another region: the minimum dataset goes through the outbox and the gateway.
    Send {
        case_id: String,
        /// The receiving region, e.g. rivierenland.
        #[arg(long)]
        to: String,
        #[arg(long)]
        reason: String,
        /// What crosses as the question, instead of the case's own text (which may name the youth).
        #[arg(long)]
        question: Option<String>,
        /// What crosses as "tried so far", instead of the case's own text.
        #[arg(long)]
        tried: Option<String>,
    },
    /// Escalations this node sent and received, with their status.
    List {
        #[arg(long, value_parser = words(EscalationDirection::ALL))]
        direction: Option<String>,
    },
}

#[derive(Debug, Subcommand)]
pub enum OutboxCommand {
    /// Envelopes not yet delivered (or only those in --state).
    List {
        #[arg(long, value_parser = words(DeliveryState::ALL))]
        state: Option<String>,
        #[arg(long, default_value_t = 100)]
        limit: u32,
    },
    /// Put a dead letter back in line for delivery.
    Replay { key: String },
}

#[derive(Debug, Clone, Args)]
pub struct DatabaseArgs {
    /// TOML configuration file.
    #[arg(long, env = "EXPERTNET_CONFIG")]
    pub config: Option<PathBuf>,
    /// Database URL: sqlite://file.db or postgres://user@host/db.
    #[arg(long, env = "EXPERTNET_DATABASE_URL")]
    pub database_url: Option<String>,
}

#[derive(Debug, Args)]
pub struct BackupArgs {
    #[command(flatten)]
    pub database: DatabaseArgs,
    /// The file the database is copied to (must not exist).
    #[arg(long)]
    pub out: PathBuf,
    /// The file the keyring is exported to (must not exist): keep it apart from the database copy.
    #[arg(long)]
    pub keyring_out: PathBuf,
}

#[derive(Debug, Args)]
pub struct RestoreArgs {
    /// The configuration of the node to restore: its `database.url` and keyring must not exist yet.
    #[command(flatten)]
    pub database: DatabaseArgs,
    /// The database copy made by `backup --out`.
    #[arg(long)]
    pub from: PathBuf,
    /// The keyring exported by `backup --keyring-out`.
    #[arg(long)]
    pub keyring: PathBuf,
}

#[derive(Debug, Args)]
pub struct ServeArgs {
    #[command(flatten)]
    pub database: DatabaseArgs,
    /// Address to listen on, e.g. 127.0.0.1:50051.
    #[arg(long, env = "EXPERTNET_LISTEN")]
    pub listen: Option<String>,
    /// Log as JSON lines.
    #[arg(long)]
    pub log_json: bool,
}

#[derive(Debug, Args)]
pub struct SeedArgs {
    #[command(flatten)]
    pub database: DatabaseArgs,
    /// How many cases to make.
    #[arg(long, default_value_t = 1000)]
    pub count: u32,
    /// Same seed, same data.
    #[arg(long, default_value_t = 42)]
    pub seed: u64,
}

#[derive(Debug, Subcommand)]
pub enum KeysCommand {
    /// The keyring's keys and how many youths' identifiers each one seals.
    Status(DatabaseArgs),
    /// Make a new current key and re-encrypt every youth's identifiers with it. Older keys stay in the
    /// keyring (a running node may still seal with one) until `keys prune`, after the nodes have restarted.
    Rotate(DatabaseArgs),
    /// Drop the keys that no row uses any more.
    Prune(DatabaseArgs),
}

fn words(all: &'static [impl Copy + Into<&'static str>]) -> PossibleValuesParser {
    PossibleValuesParser::new(all.iter().map(|w| (*w).into()))
}

macro_rules! into_word {
    ($($t:ty),*) => {$(
        impl From<$t> for &'static str {
            fn from(v: $t) -> &'static str { v.as_str() }
        }
    )*};
}
into_word!(
    BottleneckCategory,
    ConsentScope,
    Role,
    ReferrerKind,
    Outcome,
    AttendeeRole,
    TaskStatus,
    CommitmentStatus,
    AskerKind,
    ConsultationStatus,
    LegalBasis,
    EscalationDirection,
    DeliveryState
);

fn states() -> PossibleValuesParser {
    PossibleValuesParser::new(CaseState::ALL.iter().map(|s| s.as_str()))
}

#[derive(Debug, Subcommand)]
pub enum CaseCommand {
    /// Bring a case to the table.
    Submit(SubmitArgs),
    /// Start the intake of a submitted case.
    Intake { case_id: String },
    /// Accept a case at intake: it belongs at the table.
    Accept { case_id: String },
    /// Hand a case back to the referrer.
    Return {
        case_id: String,
        #[arg(long)]
        reason: String,
    },
    /// Show a case with its whole history.
    Show { case_id: String },
    /// List and filter cases.
    List(ListArgs),
    /// Show the youth's identifiers (name, BSN, date of birth).
    Identity { case_id: String },
    /// Record the table's discussion; a next step is required.
    Discuss(DiscussArgs),
    /// Record a provider's commitment.
    Commit(CommitArgs),
    /// Mark a commitment delivered or withdrawn.
    Commitment {
        commitment_id: String,
        #[arg(long, value_parser = words(&[CommitmentStatus::Delivered, CommitmentStatus::Withdrawn]))]
        status: String,
    },
    /// Appoint the procesregisseur.
    Procesregisseur {
        case_id: String,
        #[arg(long)]
        name: String,
        #[arg(long)]
        organisation: String,
        #[arg(long)]
        replacement_reason: Option<String>,
    },
    /// Set the one case manager of a care arrangement.
    CaseManager {
        case_id: String,
        #[arg(long)]
        arrangement: String,
        #[arg(long)]
        name: String,
        #[arg(long)]
        organisation: String,
    },
    /// Start following the plan (discussed → in progress).
    Plan { case_id: String },
    /// Tasks of the plan.
    #[command(subcommand)]
    Task(TaskCommand),
    /// Add a progress note.
    Note {
        case_id: String,
        #[arg(long)]
        text: String,
    },
    /// Close a case with its outcome.
    Close {
        case_id: String,
        #[arg(long, value_parser = words(Outcome::ALL))]
        outcome: String,
        #[arg(long, default_value = "")]
        note: String,
    },
}

#[derive(Debug, Args)]
pub struct SubmitArgs {
    /// Idempotency key: a retry with the same key returns the same case.
    #[arg(long)]
    pub request_id: Option<String>,
    /// The referring organisation (a social team or a care provider).
    #[arg(long)]
    pub referrer: String,
    #[arg(long, value_parser = words(ReferrerKind::ALL))]
    pub referrer_kind: String,
    /// The youth's name (stored only in the node's identity table). On a shared machine prefer
    /// `--youth-stdin`: arguments show in the process list.
    #[arg(long, required_unless_present = "youth_stdin")]
    pub name: Option<String>,
    #[arg(long, default_value = "", conflicts_with = "youth_stdin")]
    pub bsn: String,
    /// YYYY-MM-DD
    #[arg(long, default_value = "", conflicts_with = "youth_stdin")]
    pub date_of_birth: String,
    /// Read the youth's identifiers from standard input as JSON
    /// (`{"name": "…", "bsn": "…", "date_of_birth": "YYYY-MM-DD"}`), so they never appear in the process list.
    #[arg(long, conflicts_with = "name")]
    pub youth_stdin: bool,
    #[arg(long)]
    pub age: u32,
    #[arg(long)]
    pub municipality: String,
    /// The question the referrer is stuck on.
    #[arg(long)]
    pub question: String,
    /// What has been tried so far.
    #[arg(long)]
    pub tried: String,
    /// Bottleneck category; repeat for more.
    #[arg(long = "category", required = true, value_parser = words(BottleneckCategory::ALL))]
    pub categories: Vec<String>,
}

#[derive(Debug, Args)]
pub struct ListArgs {
    #[arg(long, value_parser = states())]
    pub state: Option<String>,
    #[arg(long, value_parser = words(BottleneckCategory::ALL))]
    pub category: Option<String>,
    #[arg(long)]
    pub municipality: Option<String>,
    #[arg(long)]
    pub session: Option<String>,
    /// Only cases with open work past its due date.
    #[arg(long)]
    pub overdue: bool,
    #[arg(long, default_value_t = 50)]
    pub page_size: u32,
    #[arg(long, default_value = "")]
    pub page_token: String,
}

#[derive(Debug, Args)]
pub struct DiscussArgs {
    pub case_id: String,
    #[arg(long)]
    pub session: String,
    /// The next step the table agreed on (required).
    #[arg(long)]
    pub next_step: String,
    #[arg(long, default_value = "")]
    pub summary: String,
    /// Who keeps direction; default the referring team.
    #[arg(long, default_value = "")]
    pub regie: String,
    /// A commitment as 'provider=..; due=YYYY-MM-DD; what=..; authority=yes|no'; repeat for more.
    #[arg(long = "commitment")]
    pub commitments: Vec<String>,
}

#[derive(Debug, Args)]
pub struct CommitArgs {
    pub case_id: String,
    #[arg(long)]
    pub provider: String,
    #[arg(long)]
    pub what: String,
    /// YYYY-MM-DD
    #[arg(long)]
    pub due: String,
    /// The provider's person at the table can deliver this (doorzettingsmacht).
    #[arg(long)]
    pub authority_confirmed: bool,
}

#[derive(Debug, Subcommand)]
pub enum TaskCommand {
    Add {
        case_id: String,
        #[arg(long)]
        what: String,
        #[arg(long)]
        owner: String,
        /// YYYY-MM-DD
        #[arg(long)]
        due: String,
    },
    Update {
        task_id: String,
        #[arg(long, value_parser = words(TaskStatus::ALL))]
        status: String,
    },
}

#[derive(Debug, Args)]
pub struct ReviewArgs {
    /// The calendar year; default this year (reviewed up to today).
    #[arg(long)]
    pub year: Option<i32>,
    /// Write the whole review as a standalone HTML file here; without it, a short table of the year's flow.
    #[arg(long)]
    pub out: Option<std::path::PathBuf>,
}

#[derive(Debug, Args)]
pub struct OverdueArgs {
    /// YYYY-MM-DD; default today at the node.
    #[arg(long, default_value = "")]
    pub as_of: String,
    #[arg(long, default_value_t = 50)]
    pub limit: u32,
}

#[derive(Debug, Subcommand)]
pub enum SessionCommand {
    /// Plan a table session (default two hours).
    Create {
        /// YYYY-MM-DD
        #[arg(long)]
        date: String,
        /// HH:MM
        #[arg(long)]
        start: String,
        #[arg(long, default_value_t = 0)]
        duration_minutes: u32,
        #[arg(long)]
        location: String,
        #[arg(long)]
        chair: String,
    },
    Show {
        session_id: String,
    },
    List {
        #[arg(long, default_value = "")]
        from: String,
        #[arg(long, default_value = "")]
        to: String,
    },
    /// Put an accepted case on the agenda.
    AgendaAdd {
        session_id: String,
        case_id: String,
    },
    /// Record who sat at the table for a case.
    Attendance {
        session_id: String,
        case_id: String,
        /// ROLE or ROLE:ORGANISATION, e.g. provider:Accare; repeat for more.
        #[arg(long = "attendee")]
        attendees: Vec<String>,
        #[arg(long)]
        youth_present: bool,
        #[arg(long)]
        parents_present: bool,
    },
}

#[derive(Debug, Subcommand)]
pub enum ConsultCommand {
    /// Ask the node's experts a question.
    Ask {
        #[arg(long)]
        question: String,
        #[arg(long = "tag")]
        tags: Vec<String>,
        #[arg(long, value_parser = words(AskerKind::ALL), default_value = "professional")]
        asker: String,
        #[arg(long, default_value = "")]
        organisation: String,
        #[arg(long, default_value = "")]
        case: String,
        #[arg(long, default_value = "")]
        request_id: String,
        /// Ask other regions' experts through the gateway (by the tags given).
        #[arg(long)]
        network: bool,
        /// Ask one named region's experts through the gateway.
        #[arg(long, default_value = "")]
        region: String,
    },
    Answer {
        consultation_id: String,
        #[arg(long)]
        expert: String,
        #[arg(long)]
        answer: String,
    },
    Show {
        consultation_id: String,
    },
    List {
        #[arg(long, value_parser = words(ConsultationStatus::ALL))]
        status: Option<String>,
        #[arg(long, default_value_t = 50)]
        page_size: u32,
        #[arg(long, default_value = "")]
        page_token: String,
    },
}

#[derive(Debug, Subcommand)]
pub enum UserCommand {
    /// Add a user and print their first API token (shown once; only its hash is kept).
    Add(UserAddArgs),
    /// Print a new API token for a user.
    Token(UserTokenArgs),
    /// Disable a user and revoke all their tokens.
    Revoke(UserRevokeArgs),
    /// Set a user's password for the web board, read from EXPERTNET_PASSWORD or standard input (never from the
    /// command line); their board sessions end.
    Password(UserRevokeArgs),
    /// Remove a user's second factor (a lost phone): they set up a new one at their next sign-in.
    ResetSecondFactor(UserRevokeArgs),
    /// The users, their roles and how many valid tokens each holds.
    List(DatabaseArgs),
}

#[derive(Debug, Args)]
pub struct UserAddArgs {
    #[command(flatten)]
    pub database: DatabaseArgs,
    /// The user's name as the audit trail shows it, e.g. j.jansen.
    pub name: String,
    #[arg(long)]
    pub organisation: String,
    /// A role (repeat for more).
    #[arg(long = "role", required = true, value_parser = words(Role::ALL))]
    pub roles: Vec<String>,
    /// Days the token stays valid (default: until revoked).
    #[arg(long)]
    pub valid_days: Option<u32>,
}

#[derive(Debug, Args)]
pub struct UserTokenArgs {
    #[command(flatten)]
    pub database: DatabaseArgs,
    pub name: String,
    #[arg(long)]
    pub valid_days: Option<u32>,
    /// Revoke the user's earlier tokens.
    #[arg(long)]
    pub revoke_others: bool,
}

#[derive(Debug, Args)]
pub struct UserRevokeArgs {
    #[command(flatten)]
    pub database: DatabaseArgs,
    pub name: String,
}

#[derive(Debug, Subcommand)]
pub enum AuditCommand {
    /// Check the whole hash chain; names the first edited, missing or misplaced event.
    Verify,
    /// Every event as one JSON object per line.
    Export {
        /// Start after this event number.
        #[arg(long, default_value_t = 0)]
        after: i64,
    },
    /// Every access to one case on record, for a youth's access request (AVG art. 15).
    AccessReport { case_id: String },
}

#[derive(Debug, Subcommand)]
pub enum RetentionCommand {
    /// Destroy expired case files, envelopes and audit events, and say what went.
    Run(DatabaseArgs),
}
