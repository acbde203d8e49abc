//! The one test harness: fresh databases (an SQLite file, or a PostgreSQL database of its own) and nodes
//! started in-process on port 0, the way zero2prod's `spawn_app` does it. Every end-to-end test goes through
//! here, so every test talks to a real server over a real socket.

pub mod browser;
pub mod federation;
pub mod fixtures;
pub mod gateway;
pub mod plain_http;
pub mod process;
pub mod process_federation;
pub mod scrape;
pub mod tap;

use expertnet_node::access::{BearerToken, SignedChannel};
use expertnet_node::clock::ManualClock;
use expertnet_node::domain::people::Role;
use expertnet_node::storage::Storage;
use expertnet_node::workflow::Workflow;
use expertnet_proto::v1::case_service_client::CaseServiceClient;
use expertnet_proto::v1::consultation_service_client::ConsultationServiceClient;
use expertnet_proto::v1::session_service_client::SessionServiceClient;
use sqlx::Connection;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;
use tokio::sync::oneshot;
use tokio::task::JoinHandle;
use tonic::transport::Channel;

/// Environment variable with the URL of a PostgreSQL server the tests may create databases on, e.g.
/// `postgres://postgres@127.0.0.1:5432/test`.
pub const POSTGRES_URL_ENV: &str = "EXPERTNET_TEST_POSTGRES_URL";

/// Every table of the node's schema, for tests that count or scan rows.
pub const TABLES: &[&str] = &[
    "cases",
    "case_categories",
    "youth_identities",
    "case_events",
    "table_sessions",
    "agenda_items",
    "attendees",
    "discussions",
    "commitments",
    "tasks",
    "progress_notes",
    "care_arrangements",
    "procesregisseurs",
    "consultations",
    "consultation_answers",
    "outbox",
    "inbox",
    "consents",
    "escalations",
];

/// The moment test nodes believe it is: Monday 2 March 2026, 09:00 UTC.
pub const TEST_NOW_MS: i64 = 1_772_442_000_000;

/// A database that exists for one test.
#[derive(Debug)]
pub struct TestDb {
    pub url: String,
    kind: DbKind,
}

#[derive(Debug)]
enum DbKind {
    Sqlite(#[allow(dead_code)] tempfile::TempDir),
    Postgres { admin_url: String, name: String },
}

impl TestDb {
    /// A new SQLite file in a temporary folder.
    pub fn sqlite() -> TestDb {
        let dir = tempfile::tempdir().expect("temporary folder");
        let url = format!("sqlite://{}", dir.path().join("node.db").display());
        TestDb {
            url,
            kind: DbKind::Sqlite(dir),
        }
    }

    /// A new, empty PostgreSQL database; `None` when no server is configured (outside CI).
    pub async fn postgres() -> Option<TestDb> {
        let admin_url = match std::env::var(POSTGRES_URL_ENV) {
            Ok(url) if !url.is_empty() => url,
            _ if std::env::var("CI").is_ok() => {
                panic!(
                    "{POSTGRES_URL_ENV} must be set in CI: the PostgreSQL half of the suite may not be skipped"
                )
            }
            _ => {
                eprintln!("skipping the PostgreSQL variant: {POSTGRES_URL_ENV} is not set");
                return None;
            }
        };
        let name = format!("expertnet_test_{}", uuid::Uuid::new_v4().simple());
        let mut admin = sqlx::PgConnection::connect(&admin_url)
            .await
            .expect("connect to the PostgreSQL test server");
        sqlx::query(sqlx::AssertSqlSafe(format!("CREATE DATABASE {name}")))
            .execute(&mut admin)
            .await
            .expect("create test database");
        admin.close().await.ok();
        let (base, _) = admin_url
            .rsplit_once('/')
            .expect("URL with a database name");
        Some(TestDb {
            url: format!("{base}/{name}"),
            kind: DbKind::Postgres { admin_url, name },
        })
    }

    pub fn is_postgres(&self) -> bool {
        matches!(self.kind, DbKind::Postgres { .. })
    }

    /// Drops a PostgreSQL test database (an SQLite folder goes with the value).
    pub async fn remove(self) {
        if let DbKind::Postgres { admin_url, name } = &self.kind
            && let Ok(mut admin) = sqlx::PgConnection::connect(admin_url).await
        {
            let _ = sqlx::query(sqlx::AssertSqlSafe(format!(
                "DROP DATABASE IF EXISTS {name} WITH (FORCE)"
            )))
            .execute(&mut admin)
            .await;
        }
    }
}

/// A workflow on a fresh database with a manual clock, without a server: for the storage suite.
pub async fn workflow_on(db: &TestDb) -> (Workflow, ManualClock) {
    workflow_with_vault(db, expertnet_node::vault::Vault::ephemeral()).await
}

/// Like [`workflow_on`], with the identifiers sealed by `vault`.
pub async fn workflow_with_vault(
    db: &TestDb,
    vault: expertnet_node::vault::Vault,
) -> (Workflow, ManualClock) {
    let storage = Storage::connect(&db.url, 4, vault)
        .await
        .expect("open test database");
    let clock = ManualClock::at_ms(TEST_NOW_MS);
    (Workflow::new(storage, Arc::new(clock.clone())), clock)
}

/// A node serving on 127.0.0.1, port chosen by the OS, with typed clients connected to it.
#[derive(Debug)]
pub struct TestNode {
    pub addr: SocketAddr,
    pub url: String,
    pub clock: ManualClock,
    pub workflow: Workflow,
    pub cases: CaseServiceClient<SignedChannel>,
    pub sessions: SessionServiceClient<SignedChannel>,
    pub consultations: ConsultationServiceClient<SignedChannel>,
    /// Signed in as [`TEST_USER`], who holds every role.
    pub channel: SignedChannel,
    /// The connection without a credential, for tests that sign in otherwise.
    pub raw_channel: Channel,
    pub db: TestDb,
    shutdown: Option<oneshot::Sender<()>>,
    server: Option<JoinHandle<expertnet_node::Result<()>>>,
}

/// The user the test harness signs in as.
pub const TEST_USER: &str = "test.user";

/// Adds a user with `roles` at the node behind `workflow`; returns their token.
pub async fn add_user(workflow: &Workflow, name: &str, roles: &[Role]) -> String {
    let new = expertnet_node::workflow::NewUser {
        name: name.into(),
        organisation: "Test organisation".into(),
        roles: roles.to_vec(),
    };
    let (_, token) = workflow
        .add_user("test-operator", new, None)
        .await
        .expect("add a test user");
    token.reveal().to_owned()
}

/// Starts a node on a fresh SQLite file.
pub async fn spawn_node() -> TestNode {
    spawn_node_on(TestDb::sqlite()).await
}

pub async fn spawn_node_on(db: TestDb) -> TestNode {
    let (workflow, clock) = workflow_on(&db).await;
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind port 0");
    let addr = listener.local_addr().expect("local address");
    let (shutdown, stopped) = oneshot::channel::<()>();
    let server = tokio::spawn(expertnet_node::server::serve(
        listener,
        workflow.clone(),
        None,
        async move {
            let _ = stopped.await;
        },
    ));
    let url = format!("http://{addr}");
    let raw_channel = Channel::from_shared(url.clone())
        .expect("valid URL")
        .connect()
        .await
        .expect("connect to the test node");
    let token = add_user(&workflow, TEST_USER, Role::ALL).await;
    let channel = BearerToken::new(&token).sign(raw_channel.clone());
    TestNode {
        addr,
        url,
        clock,
        cases: CaseServiceClient::new(channel.clone()),
        sessions: SessionServiceClient::new(channel.clone()),
        consultations: ConsultationServiceClient::new(channel.clone()),
        channel,
        raw_channel,
        workflow,
        db,
        shutdown: Some(shutdown),
        server: Some(server),
    }
}

impl TestNode {
    /// Stops the server gracefully and removes its database.
    pub async fn stop(mut self) {
        if let Some(shutdown) = self.shutdown.take() {
            let _ = shutdown.send(());
        }
        if let Some(server) = self.server.take() {
            server
                .await
                .expect("server task")
                .expect("server ends cleanly");
        }
        self.workflow.storage().close().await;
        self.db.remove().await;
    }

    /// Counts rows in a table, straight from the database: to prove that refused requests wrote nothing.
    pub async fn rows(&self, table: &str) -> i64 {
        sqlx::query_scalar(sqlx::AssertSqlSafe(format!("SELECT COUNT(*) FROM {table}")))
            .fetch_one(self.workflow.storage().pool())
            .await
            .expect("count rows")
    }
}

/// The `expertnet-node` binary of this workspace, built on first use if `cargo test` did not build it.
pub fn node_binary() -> PathBuf {
    workspace_binary("expertnet-node")
}

/// A binary of the workspace, built on first use. All of them are built in one `cargo build --workspace`,
/// so the features match those of the test build and nothing is compiled twice.
pub fn workspace_binary(name: &str) -> PathBuf {
    let exe = std::env::current_exe().expect("test executable path");
    let target_profile = exe
        .parent()
        .and_then(|deps| deps.parent())
        .expect("target/<profile>/deps")
        .to_path_buf();
    static BUILD: std::sync::Once = std::sync::Once::new();
    BUILD.call_once(|| {
        let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
        let mut build = std::process::Command::new(cargo);
        build.args(["build", "--quiet", "--workspace", "--bins"]);
        if target_profile.ends_with("release") {
            build.arg("--release");
        }
        // Cargo sets these for the test process; passed on, they would make build scripts that watch them
        // (ring's) rebuild, and then `cargo test` rebuild again.
        for (key, _) in std::env::vars() {
            if key.starts_with("CARGO_PKG_")
                || key.starts_with("CARGO_MANIFEST_")
                || matches!(
                    key.as_str(),
                    "CARGO_CRATE_NAME" | "CARGO_PRIMARY_PACKAGE" | "CARGO_TARGET_TMPDIR"
                )
            {
                build.env_remove(key);
            }
        }
        let status = build.status().expect("run cargo build");
        assert!(status.success(), "building the workspace's binaries failed");
    });
    target_profile.join(name)
}

/// The node's web board on 127.0.0.1, port chosen by the OS, plain HTTP (loopback); it serves until the test's
/// runtime ends. Returns its base URL.
pub async fn spawn_board(workflow: &Workflow, region: &str) -> String {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind port 0");
    let addr = listener.local_addr().expect("local address");
    let board = expertnet_node::web::Board {
        workflow: workflow.clone(),
        policy: expertnet_node::workflow::SignInPolicy::default(),
        region: region.to_owned(),
        secure: false,
    };
    tokio::spawn(expertnet_node::web::serve(
        listener,
        board,
        None,
        std::future::pending(),
    ));
    format!("http://{addr}")
}

/// Adds a person who signs in to the board with `password`; returns nothing they need besides it.
pub async fn add_person(workflow: &Workflow, name: &str, roles: &[Role], password: &str) {
    add_user(workflow, name, roles).await;
    workflow
        .set_password(
            "test-operator",
            name,
            expertnet_node::access::password::Password::new(password),
        )
        .await
        .expect("set a test password");
}

/// This process's resident memory in KiB (Linux; 0 elsewhere): tests with an in-process server bound its growth.
pub fn rss_kb() -> u64 {
    memory_kb("self", "VmRSS")
}

/// A memory figure of process `pid` ("self" for this one) from `/proc/<pid>/status`, in KiB: `VmRSS` for its
/// resident memory now, `VmHWM` for its peak. 0 where there is no such file.
pub fn memory_kb(pid: &str, field: &str) -> u64 {
    std::fs::read_to_string(format!("/proc/{pid}/status"))
        .ok()
        .and_then(|status| {
            status
                .lines()
                .find(|l| l.strip_prefix(field).is_some_and(|r| r.starts_with(':')))
                .and_then(|l| l.split_whitespace().nth(1))
                .and_then(|kb| kb.parse().ok())
        })
        .unwrap_or(0)
}

/// The CPU time a process has used so far, user and system, over all its threads (`/proc/PID/stat`, which
/// Linux counts in ticks of 10 ms); zero once it is gone.
pub fn cpu_time(pid: &str) -> std::time::Duration {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap_or_default();
    // The command name stands in parentheses and may hold spaces: fields are counted after its closing one,
    // where the process state is field 3; utime and stime are fields 14 and 15.
    let ticks: u64 = stat
        .rsplit_once(')')
        .map(|(_, rest)| {
            rest.split_whitespace()
                .skip(11)
                .take(2)
                .filter_map(|t| t.parse::<u64>().ok())
                .sum()
        })
        .unwrap_or(0);
    std::time::Duration::from_millis(ticks * 10)
}

/// A count a long trial reads from the environment variable `name`, `default` when it is unset or not a number:
/// CI runs the default, a person the full length (e.g. `EXPERTNET_FAULT_TRIALS=100`).
pub fn count_from_env(name: &str, default: usize) -> usize {
    std::env::var(name)
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(default)
}

/// The seed of a randomised trial: `EXPERTNET_FAULT_SEED` repeats a run, otherwise a new one.
pub fn fault_seed() -> u64 {
    std::env::var("EXPERTNET_FAULT_SEED")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or_else(rand::random)
}

/// How many of `answers` to guesses sent at once were refused (checked and wrong) and how many met the lock; the
/// sign-in of the board and of the dashboard answer alike. Panics on an error or a started session.
pub fn refused_and_locked<E: std::fmt::Debug>(
    answers: &[Result<expertnet_web::sign_in::SignIn, E>],
) -> (usize, usize) {
    use expertnet_web::sign_in::SignIn;
    answers
        .iter()
        .fold((0, 0), |(refused, locked), answer| match answer {
            Ok(SignIn::Refused) => (refused + 1, locked),
            Ok(SignIn::Locked { .. }) => (refused, locked + 1),
            other => panic!("a guess got {other:?}"),
        })
}
