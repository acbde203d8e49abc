//! Node benchmarks, one run, figures printed for `docs/BENCHMARKS.md`:
//!
//! 1. case submit through gRPC (case row, categories, identity and history row in one transaction) against a
//!    bare sqlx insert of the same case row, interleaved in rounds, both on SQLite (WAL, synchronous=NORMAL);
//! 2. list-cases latency with 100 000 synthetic cases in the node (and how long seeding them took);
//! 3. start-to-serving time and idle RSS of the real `expertnet-node serve` binary.
//!
//! Run with `cargo bench -p expertnet-node --bench node`. Timing is reported, never asserted.

use expertnet_node::access::{BearerToken, SignedChannel};
use expertnet_node::clock::SystemClock;
use expertnet_node::domain::people::Role;
use expertnet_node::storage::Storage;
use expertnet_node::vault::Vault;
use expertnet_node::vault::keyring::Keyring;
use expertnet_node::workflow::NewUser;
use expertnet_node::workflow::Workflow;
use expertnet_proto::v1 as pb;
use expertnet_proto::v1::case_service_client::CaseServiceClient;
use sqlx::ConnectOptions;
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteSynchronous};
use std::str::FromStr;
use std::sync::Arc;
use std::time::{Duration, Instant};
use tonic::transport::Channel;

const CONCURRENCY: usize = 32;
const SUBMITS_PER_ROUND: usize = 4_000;
const ROUNDS: usize = 3;
const LIST_CASES: u64 = 100_000;
const LIST_CALLS: usize = 400;

fn submit_request() -> pb::SubmitCaseRequest {
    pb::SubmitCaseRequest {
        request_id: String::new(),
        referrer: Some(pb::Referrer { organisation: "Sociaal team Houten".into(), kind: 1 }),
        youth: Some(pb::YouthIdentity {
            name: "Bench Jongere".into(),
            bsn: "999990019".into(),
            date_of_birth: String::new(),
        }),
        age: 15,
        municipality: "Houten".into(),
        question: "Geen passende plek na uitstroom uit de residentiële zorg; wachtlijsten bij alle aanbieders.".into(),
        tried_so_far: "Ambulante begeleiding, twee crisisplaatsingen, overleg met het onderwijs.".into(),
        categories: vec![1, 3],
    }
}

/// A node on `url` and a channel signed in as a user holding every role.
async fn start_node(url: &str) -> (SignedChannel, tokio::sync::oneshot::Sender<()>) {
    let storage = Storage::connect(url, 8, Vault::ephemeral())
        .await
        .expect("storage");
    let workflow = Workflow::new(storage, Arc::new(SystemClock));
    let user = NewUser {
        name: "bench".into(),
        organisation: "bench".into(),
        roles: Role::ALL.to_vec(),
    };
    let (_, token) = workflow.add_user("bench", user, None).await.unwrap();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    tokio::spawn(expertnet_node::server::serve(
        listener,
        workflow,
        None,
        async move {
            let _ = stopped.await;
        },
    ));
    let channel = Channel::from_shared(format!("http://{addr}"))
        .unwrap()
        .connect()
        .await
        .unwrap();
    (BearerToken::new(token.reveal()).sign(channel), stop)
}

/// Runs `total` calls of `call` with `CONCURRENCY` in flight; returns calls per second.
async fn throughput<F, Fut>(total: usize, call: F) -> f64
where
    F: Fn() -> Fut + Clone + Send + 'static,
    Fut: std::future::Future<Output = ()> + Send,
{
    let started = Instant::now();
    let mut workers = Vec::new();
    for w in 0..CONCURRENCY {
        let call = call.clone();
        let share = total / CONCURRENCY + usize::from(w < total % CONCURRENCY);
        workers.push(tokio::spawn(async move {
            for _ in 0..share {
                call().await;
            }
        }));
    }
    for w in workers {
        w.await.unwrap();
    }
    total as f64 / started.elapsed().as_secs_f64()
}

async fn grpc_submits(dir: &std::path::Path, round: usize) -> f64 {
    let url = format!(
        "sqlite://{}",
        dir.join(format!("grpc-{round}.db")).display()
    );
    let (channel, stop) = start_node(&url).await;
    let client = CaseServiceClient::new(channel);
    let rate = throughput(SUBMITS_PER_ROUND, move || {
        let mut client = client.clone();
        async move {
            client.submit_case(submit_request()).await.expect("submit");
        }
    })
    .await;
    let _ = stop.send(());
    rate
}

async fn bare_inserts(dir: &std::path::Path, round: usize) -> f64 {
    let url = format!(
        "sqlite://{}",
        dir.join(format!("bare-{round}.db")).display()
    );
    // Same schema (migrations) and the same SQLite settings as the node.
    Storage::connect(&url, 1, Vault::ephemeral())
        .await
        .expect("schema")
        .close()
        .await;
    let options = SqliteConnectOptions::from_str(&url)
        .unwrap()
        .journal_mode(SqliteJournalMode::Wal)
        .synchronous(SqliteSynchronous::Normal)
        .disable_statement_logging();
    let pool = SqlitePoolOptions::new()
        .max_connections(8)
        .connect_with(options)
        .await
        .unwrap();
    let request = submit_request();
    let question = request.question.clone();
    let tried = request.tried_so_far.clone();
    throughput(SUBMITS_PER_ROUND, move || {
        let pool = pool.clone();
        let (question, tried) = (question.clone(), tried.clone());
        async move {
            let id = uuid::Uuid::now_v7().to_string();
            sqlx::query(
                "INSERT INTO cases (id, request_id, request_fingerprint, state, referrer_organisation, referrer_kind, \
                 age, municipality, question, tried_so_far, categories, intake_accepted, submitted_at, updated_at, \
                 version) VALUES ($1, NULL, '', 'submitted', 'Sociaal team Houten', 'social_team', 15, 'Houten', $2, \
                 $3, 'residential_outflow,waiting_list', 0, 1, 1, 1)",
            )
            .bind(id)
            .bind(question)
            .bind(tried)
            .execute(&pool)
            .await
            .expect("insert");
        }
    })
    .await
}

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    sorted[((sorted.len() as f64 - 1.0) * p).round() as usize]
}

async fn list_latency(dir: &std::path::Path) {
    let url = format!("sqlite://{}", dir.join("list.db").display());
    // The keyring where `serve` looks for it, so the start-up measurement below opens the same rows.
    let keyring = Keyring::load_or_create(&dir.join("list.keys.toml")).unwrap();
    let storage = Storage::connect(&url, 8, Vault::new(&keyring).unwrap())
        .await
        .unwrap();
    let started = Instant::now();
    expertnet_node::synthetic::fill(&storage, "lekstroom", LIST_CASES, 42, |_| {})
        .await
        .unwrap();
    let seeded = started.elapsed();
    println!(
        "seed: {LIST_CASES} synthetic cases in {:.1} s ({:.0} cases/s)",
        seeded.as_secs_f64(),
        LIST_CASES as f64 / seeded.as_secs_f64()
    );
    storage.close().await;
    let (channel, stop) = start_node(&url).await;
    let mut client = CaseServiceClient::new(channel);
    let filters: Vec<(&str, pb::ListCasesRequest)> = vec![
        ("newest 50", pb::ListCasesRequest::default()),
        (
            "state=in_progress",
            pb::ListCasesRequest {
                state: pb::CaseState::InProgress as i32,
                ..Default::default()
            },
        ),
        (
            "category=funding_dispute",
            pb::ListCasesRequest {
                category: pb::BottleneckCategory::FundingDispute as i32,
                ..Default::default()
            },
        ),
        (
            "municipality=Lopik",
            pb::ListCasesRequest {
                municipality: "Lopik".into(),
                ..Default::default()
            },
        ),
        (
            "overdue only",
            pb::ListCasesRequest {
                overdue_only: true,
                ..Default::default()
            },
        ),
        (
            "page 500",
            pb::ListCasesRequest {
                page_size: 500,
                ..Default::default()
            },
        ),
    ];
    // Interleave the filters so that noise hits them alike.
    let mut samples: Vec<Vec<Duration>> = vec![Vec::new(); filters.len()];
    let mut deep_token = String::new();
    for round in 0..LIST_CALLS {
        for (i, (_, request)) in filters.iter().enumerate() {
            let mut request = request.clone();
            if i == 0 && round % 2 == 1 {
                request.page_token = deep_token.clone();
            }
            let t = Instant::now();
            let reply = client.list_cases(request).await.unwrap().into_inner();
            samples[i].push(t.elapsed());
            if i == 0 {
                deep_token = reply.next_page_token;
            }
        }
    }
    println!(
        "list cases over gRPC with {LIST_CASES} cases ({LIST_CALLS} calls each, interleaved):"
    );
    for ((name, _), mut s) in filters.iter().zip(samples) {
        s.sort();
        println!(
            "  {name:<26} p50 {:>7.2} ms  p99 {:>7.2} ms  max {:>7.2} ms",
            percentile(&s, 0.5).as_secs_f64() * 1e3,
            percentile(&s, 0.99).as_secs_f64() * 1e3,
            s.last().unwrap().as_secs_f64() * 1e3
        );
    }
    let _ = stop.send(());
}

fn rss_kib(pid: u32) -> u64 {
    std::fs::read_to_string(format!("/proc/{pid}/status"))
        .unwrap_or_default()
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))
        .and_then(|v| v.split_whitespace().next()?.parse().ok())
        .unwrap_or(0)
}

/// Starts the real binary and polls until it answers a health check.
async fn startup_and_rss(dir: &std::path::Path, database: &str, label: &str) {
    let binary = env!("CARGO_BIN_EXE_expertnet-node");
    let port = {
        let probe = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        probe.local_addr().unwrap().port()
    };
    let mut times = Vec::new();
    let mut rss = 0;
    for _ in 0..5 {
        let started = Instant::now();
        let mut child = std::process::Command::new(binary)
            .args([
                "serve",
                "--listen",
                &format!("127.0.0.1:{port}"),
                "--database-url",
                database,
            ])
            .current_dir(dir)
            .stderr(std::process::Stdio::null())
            .spawn()
            .unwrap();
        loop {
            if let Ok(channel) = Channel::from_shared(format!("http://127.0.0.1:{port}"))
                .unwrap()
                .connect()
                .await
            {
                let mut health = tonic_health::pb::health_client::HealthClient::new(channel);
                if health
                    .check(tonic_health::pb::HealthCheckRequest::default())
                    .await
                    .is_ok()
                {
                    break;
                }
            }
            tokio::time::sleep(Duration::from_millis(2)).await;
        }
        times.push(started.elapsed());
        tokio::time::sleep(Duration::from_secs(1)).await;
        rss = rss.max(rss_kib(child.id()));
        std::process::Command::new("kill")
            .args(["-TERM", &child.id().to_string()])
            .status()
            .unwrap();
        child.wait().unwrap();
    }
    times.sort();
    println!(
        "serve ({label}): start to serving median {:.0} ms, max {:.0} ms over 5 starts; idle RSS {:.1} MiB",
        percentile(&times, 0.5).as_secs_f64() * 1e3,
        times.last().unwrap().as_secs_f64() * 1e3,
        rss as f64 / 1024.0
    );
}

fn main() {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .unwrap();
    let dir = tempfile::tempdir().unwrap();
    runtime.block_on(async {
        println!("submit: {SUBMITS_PER_ROUND} per round, {CONCURRENCY} in flight, {ROUNDS} rounds interleaved");
        let mut grpc = Vec::new();
        let mut bare = Vec::new();
        for round in 0..ROUNDS {
            let g = grpc_submits(dir.path(), round).await;
            let b = bare_inserts(dir.path(), round).await;
            println!("  round {round}: gRPC submit {g:>7.0}/s   bare sqlx insert {b:>7.0}/s   ratio {:.2}", g / b);
            grpc.push(g);
            bare.push(b);
        }
        grpc.sort_by(f64::total_cmp);
        bare.sort_by(f64::total_cmp);
        println!(
            "  median: gRPC submit {:.0}/s, bare insert {:.0}/s, ratio {:.2}",
            grpc[ROUNDS / 2],
            bare[ROUNDS / 2],
            grpc[ROUNDS / 2] / bare[ROUNDS / 2]
        );
        startup_and_rss(dir.path(), "sqlite://fresh.db", "empty SQLite").await;
        list_latency(dir.path()).await;
        let list_db = format!("sqlite://{}", dir.path().join("list.db").display());
        startup_and_rss(dir.path(), &list_db, "100 000 cases").await;
    });
}
