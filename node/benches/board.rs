//! Web board benchmark, figures printed for `docs/BENCHMARKS.md`: a node holding 100 000 synthetic cases
//! (SQLite, WAL) serves its board to 50 people browsing at once — each signed in, each loading the case list (a
//! random filter and page) and a case page in turn. Two runs: as fast as the board answers (a saturation test:
//! the machine's two cores are the limit, and the times are mostly the queue for them), then with a pause of a
//! quarter to a whole second after each page (still far quicker than anyone reads one).
//!
//! Measured: the board's own time per page (its `Server-Timing` header: drawing the page and writing its audit
//! event), the time the client saw, and what a page weighs over the wire (gzip) and unpacked, without images.
//! Client, server and database share this machine's two cores. Run with
//! `cargo bench -p expertnet-node --bench board`; timing is reported, never asserted.

use expertnet_node::access::password::Password;
use expertnet_node::clock::SystemClock;
use expertnet_node::domain::people::Role;
use expertnet_node::domain::{CaseFilter, CaseState};
use expertnet_node::storage::Storage;
use expertnet_node::vault::Vault;
use expertnet_node::web::Board;
use expertnet_node::workflow::{NewUser, SignInPolicy, Workflow};
use http_body_util::{BodyExt, Full};
use hyper_util::client::legacy::Client;
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::rt::TokioExecutor;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use std::sync::Arc;
use std::time::{Duration, Instant};

const CASES: u64 = 100_000;
const PEOPLE: usize = 50;
const RUN: Duration = Duration::from_secs(30);
/// The second run: each person pauses between clicks, still far quicker than anyone reads a page.
const PACED_RUN: Duration = Duration::from_secs(60);
const PACE_MS: std::ops::Range<u64> = 250..1000;
const PASSWORD: &str = "benchmark wachtwoord";

type HttpClient = Client<HttpConnector, Full<bytes::Bytes>>;

/// One page load: which page, the board's time, the client's time, bytes over the wire and unpacked.
struct Sample {
    case_page: bool,
    server_ms: f64,
    client_ms: f64,
    wire_bytes: usize,
}

#[tokio::main]
async fn main() {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}", dir.path().join("node.db").display());
    let storage = Storage::connect(&url, 8, Vault::ephemeral()).await.unwrap();
    let started = Instant::now();
    expertnet_node::synthetic::fill(&storage, "lekstroom", CASES, 11, |_| {})
        .await
        .unwrap();
    println!(
        "{CASES} synthetic cases written in {:.1} s",
        started.elapsed().as_secs_f64()
    );

    let workflow = Workflow::new(storage, Arc::new(SystemClock));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let board = Board {
        workflow: workflow.clone(),
        policy: SignInPolicy {
            idle_minutes: 60,
            ..SignInPolicy::default()
        },
        region: "lekstroom".into(),
        secure: false,
    };
    tokio::spawn(expertnet_node::web::serve(
        listener,
        board,
        None,
        std::future::pending(),
    ));
    let base = format!("http://{addr}");

    let mut case_ids = Vec::new();
    for state in [CaseState::Closed, CaseState::InProgress, CaseState::Intake] {
        let filter = CaseFilter {
            state: Some(state),
            ..CaseFilter::default()
        };
        case_ids.extend(
            workflow
                .list_cases(&filter, None, 100)
                .await
                .unwrap()
                .items
                .into_iter()
                .map(|c| c.id),
        );
    }
    let case_ids = Arc::new(case_ids);

    let client: HttpClient = Client::builder(TokioExecutor::new()).build_http();
    let mut cookies = Vec::new();
    for i in 0..PEOPLE {
        let name = format!("lid{i}");
        let new = NewUser {
            name: name.clone(),
            organisation: "Benchmark".into(),
            roles: vec![Role::TableMember],
        };
        workflow.add_user("bench", new, None).await.unwrap();
        workflow
            .set_password("bench", &name, Password::new(PASSWORD))
            .await
            .unwrap();
        cookies.push(sign_in(&client, &base, &name).await);
    }

    let cookies = Arc::new(cookies);
    println!(
        "{PEOPLE} people browsing as fast as the board answers, for {} s ...",
        RUN.as_secs()
    );
    let samples = browse(&client, &base, &cookies, &case_ids, RUN, None).await;
    report("case list", samples.iter().filter(|s| !s.case_page));
    report("case page", samples.iter().filter(|s| s.case_page));
    println!(
        "{PEOPLE} people browsing with {}-{} ms between clicks, for {} s ...",
        PACE_MS.start,
        PACE_MS.end,
        PACED_RUN.as_secs()
    );
    let samples = browse(
        &client,
        &base,
        &cookies,
        &case_ids,
        PACED_RUN,
        Some(PACE_MS),
    )
    .await;
    report("case list", samples.iter().filter(|s| !s.case_page));
    report("case page", samples.iter().filter(|s| s.case_page));

    // What one page weighs: the page itself and what it loads (CSS and script), over the wire and unpacked.
    let cookie = sign_in(&client, &base, "lid0").await;
    for (what, path) in [
        ("case list", "/casussen".to_owned()),
        ("case page", format!("/casussen/{}", case_ids[0])),
    ] {
        let (wire, raw) = weigh(&client, &format!("{base}{path}"), &cookie).await;
        let mut total_wire = wire;
        let mut total_raw = raw;
        for asset in [
            "/assets/utrecht.css",
            "/assets/theme.css",
            "/assets/board.css",
            "/assets/board.js",
        ] {
            let (w, r) = weigh(&client, &format!("{base}{asset}"), &cookie).await;
            total_wire += w;
            total_raw += r;
        }
        println!(
            "{what}: page {:.1} KB over the wire ({:.1} KB unpacked); with CSS and script {:.1} KB ({:.1} KB unpacked)",
            wire as f64 / 1024.0,
            raw as f64 / 1024.0,
            total_wire as f64 / 1024.0,
            total_raw as f64 / 1024.0
        );
    }
}

/// Every person, each on their own task, loads the case list (a random filter) and a random case page in turn
/// until `run` is over, pausing a random time in `pace` after each page when given.
async fn browse(
    client: &HttpClient,
    base: &str,
    cookies: &Arc<Vec<String>>,
    case_ids: &Arc<Vec<String>>,
    run: Duration,
    pace: Option<std::ops::Range<u64>>,
) -> Vec<Sample> {
    let deadline = Instant::now() + run;
    let mut tasks = Vec::new();
    for person in 0..cookies.len() {
        let (client, base, cookies, case_ids, pace) = (
            client.clone(),
            base.to_owned(),
            cookies.clone(),
            case_ids.clone(),
            pace.clone(),
        );
        tasks.push(tokio::spawn(async move {
            let cookie = &cookies[person];
            let mut samples = Vec::new();
            let mut rng = ChaCha8Rng::seed_from_u64(person as u64);
            let states = ["", "closed", "in_progress", "intake", "submitted"];
            while Instant::now() < deadline {
                let list = format!(
                    "{base}/casussen?status={}",
                    states[rng.random_range(0..states.len())]
                );
                let id = &case_ids[rng.random_range(0..case_ids.len())];
                for (url, case_page) in [(list, false), (format!("{base}/casussen/{id}"), true)] {
                    samples.push(load(&client, &url, cookie, case_page).await);
                    if let Some(pace) = &pace {
                        let pause = rng.random_range(pace.clone());
                        tokio::time::sleep(Duration::from_millis(pause)).await;
                    }
                }
            }
            samples
        }));
    }
    let mut samples = Vec::new();
    for task in tasks {
        samples.extend(task.await.unwrap());
    }
    samples
}

async fn sign_in(client: &HttpClient, base: &str, name: &str) -> String {
    let body = format!("name={name}&password={}", PASSWORD.replace(' ', "+"));
    let request = http::Request::post(format!("{base}/aanmelden"))
        .header("content-type", "application/x-www-form-urlencoded")
        .body(Full::from(body))
        .unwrap();
    let response = client.request(request).await.unwrap();
    response
        .headers()
        .get("set-cookie")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split(';').next())
        .expect("a session cookie")
        .to_owned()
}

async fn load(client: &HttpClient, url: &str, cookie: &str, case_page: bool) -> Sample {
    let started = Instant::now();
    let request = http::Request::get(url)
        .header("cookie", cookie)
        .header("accept-encoding", "gzip")
        .body(Full::default())
        .unwrap();
    let response = client.request(request).await.unwrap();
    assert!(
        response.status().is_success(),
        "{url}: {}",
        response.status()
    );
    let server_ms = response
        .headers()
        .get("server-timing")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("app;dur="))
        .and_then(|v| v.parse().ok())
        .unwrap_or(f64::NAN);
    let body = response.into_body().collect().await.unwrap().to_bytes();
    Sample {
        case_page,
        server_ms,
        client_ms: started.elapsed().as_secs_f64() * 1000.0,
        wire_bytes: body.len(),
    }
}

/// Bytes over the wire (gzip) and unpacked.
async fn weigh(client: &HttpClient, url: &str, cookie: &str) -> (usize, usize) {
    let mut sizes = [0; 2];
    for (i, encoding) in ["gzip", "identity"].into_iter().enumerate() {
        let request = http::Request::get(url)
            .header("cookie", cookie)
            .header("accept-encoding", encoding)
            .body(Full::default())
            .unwrap();
        let response = client.request(request).await.unwrap();
        sizes[i] = response
            .into_body()
            .collect()
            .await
            .unwrap()
            .to_bytes()
            .len();
    }
    (sizes[0], sizes[1])
}

fn report<'a>(what: &str, samples: impl Iterator<Item = &'a Sample>) {
    let samples: Vec<&Sample> = samples.collect();
    let mut server: Vec<f64> = samples.iter().map(|s| s.server_ms).collect();
    let mut client: Vec<f64> = samples.iter().map(|s| s.client_ms).collect();
    server.sort_by(f64::total_cmp);
    client.sort_by(f64::total_cmp);
    let at = |v: &[f64], q: f64| v[((v.len() as f64 - 1.0) * q) as usize];
    let wire = samples.iter().map(|s| s.wire_bytes).sum::<usize>() / samples.len().max(1);
    println!(
        "{what}: {} loads; board time p50 {:.1} ms, p95 {:.1} ms, p99 {:.1} ms; client saw p50 {:.1} ms, p99 {:.1} ms; \
         {:.1} KB over the wire on average",
        samples.len(),
        at(&server, 0.5),
        at(&server, 0.95),
        at(&server, 0.99),
        at(&client, 0.5),
        at(&client, 0.99),
        wire as f64 / 1024.0
    );
}
