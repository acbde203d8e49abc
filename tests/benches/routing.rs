//! The federation's hops, measured with the release binaries as separate processes, mutual TLS everywhere:
//!
//! 1. one consultation question delivered to Flevoland-Utrecht's inbox — routed by the gateway (Lekstroom's
//!    certificate → gateway → inbox), sent straight to the inbox, through a bare `h2` pass-through on the
//!    gateway's upstream connection code in a process of its own (the floor of its stack), and through nginx's
//!    `grpc_pass` (TLS in or plaintext in, mutual TLS out, upstream keepalive on); sequential latency with the
//!    paths taking turns call by call (p50/p99) and throughput with 32 calls in flight;
//! 2. the time from a receiving node's return to the delivery of the escalations that waited for it, with the
//!    retry timing a deployment runs;
//! 3. routed calls while a coordinator asks for statistics that must first be released (combined and put
//!    through disclosure control), against the same calls with nothing else to do: that work runs off the
//!    gateway's forwarding thread, so routing should hardly notice it;
//! 4. the gateway's CPU time per routed call while it holds a connection to every node of the network: four
//!    regions, then the whole country's 42, the calls spread over every other region.
//!
//! `cargo bench -p expertnet-tests --bench routing`; needs `nginx` on the PATH (Debian's package) for the nginx
//! paths, and skips them with a note otherwise. Figures go to docs/BENCHMARKS.md.

use expertnet_federation::peer::{GATEWAY_HOST, node_host};
use expertnet_federation::{Peer, TlsFiles};
use expertnet_gateway::transport::upstream::Upstream;
use expertnet_local::national::{self, NATIONAL_REGIONS};
use expertnet_proto::v1 as pb;
use expertnet_proto::v1::coordinator_service_client::CoordinatorServiceClient;
use expertnet_proto::v1::gateway_service_client::GatewayServiceClient;
use expertnet_proto::v1::inbox_service_client::InboxServiceClient;
use expertnet_tests::federation::deployed_registry;
use expertnet_tests::federation::{
    FLEVOLAND_UTRECHT, LEKSTROOM, RIVIERENLAND, case_ready_to_escalate, escalate, mtls_channel,
};
use expertnet_tests::fixtures::signals_quarter;
use expertnet_tests::process_federation::{Launch, ProcessFederation, Timing, free_port};
use expertnet_tests::{cpu_time, memory_kb};
use std::path::Path;
use std::process::Stdio;
use std::sync::Arc;
use std::time::{Duration, Instant};
use tonic::transport::{Channel, Endpoint};

/// Rounds of the hop benchmark; `EXPERTNET_BENCH_ROUNDS` changes it for a quick look.
const ROUNDS: usize = 5;

fn rounds() -> usize {
    std::env::var("EXPERTNET_BENCH_ROUNDS")
        .ok()
        .and_then(|v| v.parse().ok())
        .filter(|n| *n > 0)
        .unwrap_or(ROUNDS)
}
const SEQUENTIAL_PER_ROUND: usize = 1000;
const CONCURRENCY: usize = 32;
const THROUGHPUT_PER_ROUND: usize = 4000;
const RETURN_TRIALS: usize = 5;
/// Quarters with signals for the statistics benchmark; each one's first table is a new release.
const STATISTICS_QUARTERS: usize = 100;
const ROUTED_BESIDE_STATISTICS: usize = 2000;
const WAITING_ESCALATIONS: usize = 20;
/// Routed calls per network size in the national part, and how long the gateway's idle CPU is watched.
const NATIONAL_CALLS: usize = 20_000;
const IDLE_WATCH: Duration = Duration::from_secs(10);

/// A way for one consultation question to reach the target node's inbox.
#[derive(Clone)]
enum Hop {
    Gateway(GatewayServiceClient<Channel>),
    Direct(InboxServiceClient<Channel>),
    /// nginx or the bare pass-through, in front of the inbox.
    Proxy(InboxServiceClient<Channel>),
}

impl Hop {
    async fn deliver(&self, envelope: pb::Envelope) {
        match self {
            Hop::Gateway(client) => {
                let reply = client.clone().route(envelope).await.expect("route");
                assert_eq!(reply.into_inner().delivered_to, [FLEVOLAND_UTRECHT]);
            }
            Hop::Direct(client) | Hop::Proxy(client) => {
                let receipt = client.clone().deliver(envelope).await.expect("deliver");
                assert!(!receipt.into_inner().duplicate);
            }
        }
    }
}

/// A fresh question (its key and id unique, so every call is a real delivery that writes to the database).
fn question() -> pb::Envelope {
    question_to(FLEVOLAND_UTRECHT)
}

/// A fresh question from Lekstroom to `region`.
fn question_to(region: &str) -> pb::Envelope {
    let id = uuid::Uuid::now_v7().to_string();
    pb::Envelope {
        key: format!("consultation-question:{id}"),
        from_region: LEKSTROOM.into(),
        to_region: region.into(),
        expertise_tags: vec![],
        body: Some(pb::envelope::Body::ConsultationQuestion(
            pb::ConsultationQuestion {
                consultation_id: id,
                asker_kind: pb::AskerKind::Professional as i32,
                asker_organisation: "Sociaal team Houten".into(),
                question: "Wie heeft ervaring met een passende plek na uitstroom uit de residentiële zorg, \
                           voor een jongere met een licht verstandelijke beperking die al maanden thuiszit? \
                           Ambulante begeleiding en twee crisisplaatsingen zijn geprobeerd."
                    .into(),
                expertise_tags: vec!["residential-outflow".into()],
                asked_at_ms: 1_795_000_000_000,
            },
        )),
    }
}

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    sorted[((sorted.len() as f64 - 1.0) * p).round() as usize]
}

fn micros(d: Duration) -> String {
    format!("{:.0} µs", d.as_secs_f64() * 1e6)
}

async fn sequential(hop: &Hop, calls: usize) -> Vec<Duration> {
    let mut times = Vec::with_capacity(calls);
    for _ in 0..calls {
        times.push(timed(hop).await);
    }
    times
}

async fn timed(hop: &Hop) -> Duration {
    let envelope = question();
    let started = Instant::now();
    hop.deliver(envelope).await;
    started.elapsed()
}

/// `calls` sequential calls per path, the paths taking turns call by call: on a shared machine whose speed
/// drifts from second to second, every path then meets the same conditions (blocks of calls per path met
/// different ones, and the drift showed as differences between paths).
async fn sequential_interleaved(hops: &[(&'static str, Hop)], calls: usize) -> Vec<Vec<Duration>> {
    let mut times = vec![Vec::with_capacity(calls); hops.len()];
    for _ in 0..calls {
        for (i, (_, hop)) in hops.iter().enumerate() {
            times[i].push(timed(hop).await);
        }
    }
    times
}

async fn throughput(hop: &Hop, total: usize) -> f64 {
    let started = Instant::now();
    let mut workers = Vec::new();
    for w in 0..CONCURRENCY {
        let hop = hop.clone();
        let share = total / CONCURRENCY + usize::from(w < total % CONCURRENCY);
        workers.push(tokio::spawn(async move {
            for _ in 0..share {
                hop.deliver(question()).await;
            }
        }));
    }
    for worker in workers {
        worker.await.expect("worker");
    }
    total as f64 / started.elapsed().as_secs_f64()
}

/// nginx with its own configuration, pid and logs under `dir`: TLS in on `tls_port` (the gateway's server
/// certificate, client certificates from the federation CA required), plaintext HTTP/2 in on `plain_port`, and
/// mutual TLS out to the inbox with the gateway's client certificate over kept-alive upstream connections.
struct Nginx {
    binary: std::path::PathBuf,
    conf: std::path::PathBuf,
    dir: std::path::PathBuf,
    child: tokio::process::Child,
}

impl Nginx {
    async fn start(
        dir: &Path,
        gateway: &TlsFiles,
        inbox: std::net::SocketAddr,
        tls_port: u16,
        plain_port: u16,
    ) -> Option<Nginx> {
        let nginx = which("nginx")?;
        let conf = dir.join("nginx.conf");
        let location = format!(
            "location / {{
                grpc_pass grpcs://inbox;
                grpc_ssl_certificate {cert};
                grpc_ssl_certificate_key {key};
                grpc_ssl_trusted_certificate {ca};
                grpc_ssl_verify on;
                grpc_ssl_name {name};
                grpc_ssl_server_name on;
                grpc_ssl_session_reuse on;
            }}",
            cert = gateway.cert.display(),
            key = gateway.key.display(),
            ca = gateway.ca.display(),
            name = node_host(FLEVOLAND_UTRECHT),
        );
        let d = dir.display();
        std::fs::write(
            &conf,
            format!(
                "daemon off;
                 worker_processes auto;
                 pid {d}/nginx.pid;
                 error_log {d}/nginx-error.log warn;
                 events {{ worker_connections 1024; }}
                 http {{
                     access_log off;
                     client_body_temp_path {d}/nginx-body;
                     upstream inbox {{
                         server {inbox};
                         keepalive 64;
                         keepalive_requests 10000000;
                     }}
                     server {{
                         listen 127.0.0.1:{tls_port} ssl http2;
                         ssl_certificate {cert};
                         ssl_certificate_key {key};
                         ssl_client_certificate {ca};
                         ssl_verify_client on;
                         keepalive_requests 10000000;
                         {location}
                     }}
                     server {{
                         listen 127.0.0.1:{plain_port} http2;
                         keepalive_requests 10000000;
                         {location}
                     }}
                 }}",
                cert = gateway.cert.display(),
                key = gateway.key.display(),
                ca = gateway.ca.display(),
            ),
        )
        .expect("write nginx.conf");
        let child = tokio::process::Command::new(&nginx)
            .arg("-c")
            .arg(&conf)
            .arg("-p")
            .arg(dir)
            .stdin(Stdio::null())
            .kill_on_drop(true)
            .spawn()
            .expect("start nginx");
        listening(plain_port, &format!("nginx (see {d}/nginx-error.log)")).await;
        Some(Nginx {
            binary: nginx,
            conf,
            dir: dir.to_owned(),
            child,
        })
    }

    /// `nginx -s stop`: the master stops its workers too (a SIGKILL would leave them running).
    async fn stop(mut self) {
        let _ = tokio::process::Command::new(&self.binary)
            .arg("-c")
            .arg(&self.conf)
            .arg("-p")
            .arg(&self.dir)
            .args(["-s", "stop"])
            .status()
            .await;
        let _ = self.child.wait().await;
    }
}

fn which(program: &str) -> Option<std::path::PathBuf> {
    std::env::var_os("PATH")?
        .to_str()?
        .split(':')
        .chain(["/usr/sbin"])
        .map(|dir| Path::new(dir).join(program))
        .find(|path| path.is_file())
}

/// Waits until something listens on `port`: what was started as `what` has come up.
async fn listening(port: u16, what: &str) {
    let started = Instant::now();
    while tokio::net::TcpStream::connect(("127.0.0.1", port))
        .await
        .is_err()
    {
        assert!(
            started.elapsed() < Duration::from_secs(10),
            "{what} did not start"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

async fn hops(fed: &ProcessFederation) -> (Vec<(&'static str, Hop)>, Option<Nginx>, BareProxy) {
    let lekstroom = fed.pki.files(&Peer::Region(LEKSTROOM.into()));
    let gateway = fed.pki.files(&Peer::Gateway);
    let inbox = fed.nodes[FLEVOLAND_UTRECHT].inbox_addr;
    let target = node_host(FLEVOLAND_UTRECHT);
    let routed = mtls_channel(
        &format!("https://{}", fed.gateway_addrs[0]),
        &lekstroom,
        GATEWAY_HOST,
    )
    .await
    .expect("connect to the gateway");
    let direct = mtls_channel(&format!("https://{inbox}"), &gateway, &target)
        .await
        .expect("connect to the inbox");
    let mut hops = vec![
        (
            "node → gateway → node",
            Hop::Gateway(GatewayServiceClient::new(routed)),
        ),
        (
            "direct to the node",
            Hop::Direct(InboxServiceClient::new(direct)),
        ),
    ];
    let bare = BareProxy::start(fed.dir.path(), &gateway, inbox).await;
    let as_lekstroom = async |port: u16| {
        mtls_channel(
            &format!("https://127.0.0.1:{port}"),
            &lekstroom,
            GATEWAY_HOST,
        )
        .await
        .unwrap_or_else(|err| panic!("connect to 127.0.0.1:{port} as Lekstroom: {err}"))
    };
    let via_bare = as_lekstroom(bare.port).await;
    hops.push((
        "bare h2 pass-through",
        Hop::Proxy(InboxServiceClient::new(via_bare)),
    ));
    let (tls_port, plain_port) = (free_port(), free_port());
    let nginx = Nginx::start(fed.dir.path(), &gateway, inbox, tls_port, plain_port).await;
    match nginx {
        Some(_) => {
            let via_tls = as_lekstroom(tls_port).await;
            let via_plain = Endpoint::from_shared(format!("http://127.0.0.1:{plain_port}"))
                .expect("URL")
                .connect()
                .await
                .expect("connect to nginx");
            hops.push((
                "nginx grpc_pass, TLS in",
                Hop::Proxy(InboxServiceClient::new(via_tls)),
            ));
            hops.push((
                "nginx grpc_pass, plaintext in",
                Hop::Proxy(InboxServiceClient::new(via_plain)),
            ));
        }
        None => println!("nginx not found: the nginx paths are skipped"),
    }
    (hops, nginx, bare)
}

async fn hop_benchmark() {
    let fed =
        ProcessFederation::start_with(&[LEKSTROOM, FLEVOLAND_UTRECHT], Timing::DEPLOYED).await;
    let (hops, nginx, bare) = hops(&fed).await;
    let rounds = rounds();
    for (_, hop) in &hops {
        sequential(hop, 200).await;
    }
    println!(
        "consultation question to Flevoland-Utrecht's inbox: {rounds} rounds interleaved; \
         {SEQUENTIAL_PER_ROUND} sequential calls per path (the paths taking turns call by call) and \
         {THROUGHPUT_PER_ROUND} calls with {CONCURRENCY} in flight per path per round"
    );
    let mut latencies = vec![Vec::new(); hops.len()];
    let mut rates = vec![Vec::new(); hops.len()];
    for round in 0..rounds {
        let mut round_times = sequential_interleaved(&hops, SEQUENTIAL_PER_ROUND).await;
        for (i, (name, hop)) in hops.iter().enumerate() {
            let times = &mut round_times[i];
            times.sort();
            let rate = throughput(hop, THROUGHPUT_PER_ROUND).await;
            println!(
                "  round {round} {name:<30} p50 {:>8}  p99 {:>8}  {rate:>6.0} req/s",
                micros(percentile(times, 0.5)),
                micros(percentile(times, 0.99)),
            );
            latencies[i].extend(times.iter());
            rates[i].push(rate);
        }
    }
    println!("  all rounds:");
    for (i, (name, _)) in hops.iter().enumerate() {
        latencies[i].sort();
        rates[i].sort_by(f64::total_cmp);
        println!(
            "    {name:<30} p50 {:>8}  p99 {:>8}  median {:>6.0} req/s",
            micros(percentile(&latencies[i], 0.5)),
            micros(percentile(&latencies[i], 0.99)),
            rates[i][rounds / 2],
        );
    }
    if let Some(nginx) = nginx {
        nginx.stop().await;
    }
    bare.stop().await;
    fed.stop().await;
}

/// Escalations wait in Lekstroom's outbox while Rivierenland is down; measured from the moment Rivierenland
/// listens again until all of them are in its database.
async fn return_benchmark() {
    let mut fed = ProcessFederation::start_with(&[LEKSTROOM, RIVIERENLAND], Timing::DEPLOYED).await;
    let lekstroom = fed.team(LEKSTROOM);
    let rivierenland = fed.team(RIVIERENLAND);
    let mut times = Vec::new();
    let mut delivered = 0;
    for trial in 0..RETURN_TRIALS {
        fed.node(RIVIERENLAND).process.kill().await;
        for i in 0..WAITING_ESCALATIONS {
            let case_id =
                case_ready_to_escalate(&lekstroom, &format!("return-{trial}-{i}"), RIVIERENLAND)
                    .await;
            escalate(&lekstroom, &case_id, RIVIERENLAND)
                .await
                .expect("escalate");
        }
        // Long enough for the courier to reach its longest wait between attempts.
        tokio::time::sleep(Duration::from_secs(3)).await;
        fed.node(RIVIERENLAND).process.start().await;
        let back = Instant::now();
        delivered += WAITING_ESCALATIONS;
        loop {
            let incoming = rivierenland
                .escalations
                .clone()
                .list_escalations(pb::ListEscalationsRequest {
                    direction: pb::EscalationDirection::Incoming as i32,
                })
                .await
                .map(|r| r.into_inner().escalations.len())
                .unwrap_or(0);
            if incoming == delivered {
                break;
            }
            assert!(back.elapsed() < Duration::from_secs(30), "not delivered");
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
        times.push(back.elapsed());
    }
    times.sort();
    println!(
        "return to delivery: {WAITING_ESCALATIONS} waiting escalations, {RETURN_TRIALS} trials, courier's longest wait 1 s: \
         median {:.0} ms, max {:.0} ms",
        times[RETURN_TRIALS / 2].as_secs_f64() * 1e3,
        times[RETURN_TRIALS - 1].as_secs_f64() * 1e3,
    );
    fed.stop().await;
}

/// Routed calls alone, then while a coordinator asks for tables of quarters not released yet.
async fn statistics_benchmark() {
    let fed =
        ProcessFederation::start_with(&[LEKSTROOM, FLEVOLAND_UTRECHT], Timing::DEPLOYED).await;
    let coordinator = Peer::Coordinator("coordinator".into());
    fed.pki
        .ensure(std::slice::from_ref(&coordinator))
        .expect("coordinator certificate");
    let url = format!("https://{}", fed.gateway_addrs[0]);
    let periods: Vec<String> = (0..STATISTICS_QUARTERS)
        .map(|n| format!("{}-Q{}", 2000 + n / 4, n % 4 + 1))
        .collect();
    for region in [LEKSTROOM, FLEVOLAND_UTRECHT] {
        let channel = mtls_channel(
            &url,
            &fed.pki.files(&Peer::Region(region.into())),
            GATEWAY_HOST,
        )
        .await
        .expect("connect to the gateway");
        let mut client = GatewayServiceClient::new(channel);
        for (n, period) in periods.iter().enumerate() {
            // Small counts, many of them under the threshold: disclosure control has work to do.
            client
                .push_snapshot(signals_quarter(region, period, 1 + n as u64 % 4))
                .await
                .expect("push a quarter");
        }
    }
    let routed = Hop::Gateway(GatewayServiceClient::new(
        mtls_channel(
            &url,
            &fed.pki.files(&Peer::Region(LEKSTROOM.into())),
            GATEWAY_HOST,
        )
        .await
        .expect("connect to the gateway"),
    ));
    let statistics = CoordinatorServiceClient::new(
        mtls_channel(&url, &fed.pki.files(&coordinator), GATEWAY_HOST)
            .await
            .expect("connect to the gateway"),
    );
    sequential(&routed, 200).await;
    let mut alone = sequential(&routed, ROUTED_BESIDE_STATISTICS).await;
    alone.sort();

    let stop = Arc::new(std::sync::atomic::AtomicBool::new(false));
    let asking = tokio::spawn({
        let stop = stop.clone();
        let mut client = statistics.clone();
        async move {
            let mut answered = 0;
            let mut slowest = Duration::ZERO;
            let started = Instant::now();
            'periods: for period in &periods {
                for table in ["category_by_outcome", "flows"] {
                    if stop.load(std::sync::atomic::Ordering::Relaxed) {
                        break 'periods;
                    }
                    let asked = Instant::now();
                    client
                        .statistics_table(pb::StatisticsTableRequest {
                            period: period.clone(),
                            table: table.into(),
                            ..Default::default()
                        })
                        .await
                        .expect("a table");
                    slowest = slowest.max(asked.elapsed());
                    answered += 1;
                }
            }
            (answered, slowest, started.elapsed())
        }
    });
    let started = Instant::now();
    let mut beside = sequential(&routed, ROUTED_BESIDE_STATISTICS).await;
    let routing_took = started.elapsed();
    stop.store(true, std::sync::atomic::Ordering::Relaxed);
    let (answered, slowest, busy) = asking.await.expect("statistics task");
    beside.sort();
    println!(
        "routed calls beside statistics: {ROUTED_BESIDE_STATISTICS} sequential calls each; alone p50 {} p99 {}; \
         while a coordinator asked for new releases p50 {} p99 {} ({answered} tables released and answered in \
         {busy:.1?} of the {routing_took:.1?} of routing, the slowest in {slowest:.1?})",
        micros(percentile(&alone, 0.5)),
        micros(percentile(&alone, 0.99)),
        micros(percentile(&beside, 0.5)),
        micros(percentile(&beside, 0.99)),
    );
    assert!(
        answered as usize >= 2 * STATISTICS_QUARTERS / 4,
        "the statistics kept the gateway busy for the whole run"
    );
    fed.stop().await;
}

/// Routed calls spread over every other region, with the gateway connected to every node: its CPU time per
/// call (less what it spends idle in the same time: heartbeats), with four regions and with 42.
async fn national_benchmark() {
    for regions in [4, NATIONAL_REGIONS] {
        let registry =
            national::registry(&deployed_registry(), regions).expect("national registry");
        let ids: Vec<String> = registry.regions().map(|r| r.id.clone()).collect();
        let started = Instant::now();
        let fed = ProcessFederation::launch(
            &ids.iter().map(String::as_str).collect::<Vec<_>>(),
            Launch {
                timing: Timing::DEPLOYED,
                registry: Some(registry),
                ..Launch::default()
            },
        )
        .await;
        let start_up = started.elapsed();
        let client = GatewayServiceClient::new(
            mtls_channel(
                &format!("https://{}", fed.gateway_addrs[0]),
                &fed.pki.files(&Peer::Region(LEKSTROOM.into())),
                GATEWAY_HOST,
            )
            .await
            .expect("connect to the gateway"),
        );
        let targets: Vec<String> = ids.into_iter().filter(|id| id != LEKSTROOM).collect();
        // Every node connected, and the paths warm.
        for target in &targets {
            for _ in 0..20 {
                route_to(&client, target).await;
            }
        }
        let pid = fed.gateways[0].pid();
        let idle_from = cpu_time(&pid);
        tokio::time::sleep(IDLE_WATCH).await;
        let idle_per_sec = (cpu_time(&pid) - idle_from).as_secs_f64() / IDLE_WATCH.as_secs_f64();

        let before = cpu_time(&pid);
        let started = Instant::now();
        let mut workers = Vec::new();
        for w in 0..CONCURRENCY {
            let (client, targets) = (client.clone(), targets.clone());
            workers.push(tokio::spawn(async move {
                for call in (w..NATIONAL_CALLS).step_by(CONCURRENCY) {
                    route_to(&client, &targets[call % targets.len()]).await;
                }
            }));
        }
        for worker in workers {
            worker.await.expect("worker");
        }
        let wall = started.elapsed();
        let busy = (cpu_time(&pid) - before).as_secs_f64();
        let routing = busy - idle_per_sec * wall.as_secs_f64();
        println!(
            "{regions} regions (started in {:.1} s): {NATIONAL_CALLS} routed calls over {} regions, {CONCURRENCY} in \
             flight, in {:.1} s ({:.0} calls/s); gateway CPU {:.2} s, idle {:.1} ms/s, so {:.1} µs per call; \
             gateway RSS {} MB",
            start_up.as_secs_f64(),
            targets.len(),
            wall.as_secs_f64(),
            NATIONAL_CALLS as f64 / wall.as_secs_f64(),
            busy,
            idle_per_sec * 1e3,
            routing / NATIONAL_CALLS as f64 * 1e6,
            memory_kb(&pid, "VmRSS") / 1024,
        );
        fed.stop().await;
    }
}

async fn route_to(client: &GatewayServiceClient<Channel>, region: &str) {
    let reply = client
        .clone()
        .route(question_to(region))
        .await
        .expect("route");
    assert_eq!(reply.into_inner().delivered_to, [region]);
}

fn main() {
    expertnet_federation::install_crypto_provider();
    if bare_process_main() {
        return;
    }
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("runtime");
    // EXPERTNET_BENCH_ONLY=hops, =return, =statistics or =national runs one part, for a quick look.
    let only = std::env::var("EXPERTNET_BENCH_ONLY").ok();
    let runs = |part: &str| only.as_deref().is_none_or(|only| only == part);
    runtime.block_on(async {
        if runs("hops") {
            hop_benchmark().await;
        }
        if runs("return") {
            return_benchmark().await;
        }
        if runs("statistics") {
            statistics_benchmark().await;
        }
        if runs("national") {
            national_benchmark().await;
        }
    });
}

/// The floor of the gateway's stack: a bare HTTP/2 pass-through — TLS in with the gateway's certificate, the
/// call passed on unread over the gateway's own upstream connection (`expertnet_gateway::transport::upstream`), the answer
/// passed back — with no identity, no checks, no spans and no deadline, on one thread with a current-thread
/// runtime as the gateway's. It tells the gateway's own work apart from what `h2`, `rustls` and `tokio` cost
/// for one hop.
///
/// It runs in a process of its own, from a copy of this binary, as the gateway does: run in the benchmark's
/// process it shared its code with the client that had just run it, found that code in the CPU's caches, and
/// was cheaper by a margin the gateway cannot have (docs/BENCHMARKS.md).
struct BareProxy {
    port: u16,
    process: tokio::process::Child,
}

/// The argument that makes this binary the bare pass-through alone: `--bare-proxy PORT INBOX CA CERT KEY`.
const BARE_PROXY_ARG: &str = "--bare-proxy";

impl BareProxy {
    /// A copy of this binary (so no code is shared with the client), started with [`BARE_PROXY_ARG`].
    async fn start(dir: &Path, gateway: &TlsFiles, inbox: std::net::SocketAddr) -> BareProxy {
        let copy = dir.join("bare-proxy");
        std::fs::copy(std::env::current_exe().expect("exe"), &copy).expect("copy the benchmark");
        let port = free_port();
        let process = tokio::process::Command::new(&copy)
            .arg(BARE_PROXY_ARG)
            .arg(port.to_string())
            .arg(inbox.to_string())
            .args([&gateway.ca, &gateway.cert, &gateway.key])
            .stdin(Stdio::null())
            .kill_on_drop(true)
            .spawn()
            .expect("start the bare pass-through");
        listening(port, "the bare pass-through").await;
        BareProxy { port, process }
    }

    async fn stop(mut self) {
        let _ = self.process.kill().await;
    }
}

/// Runs the bare pass-through as the whole process, if this process was started as one.
fn bare_process_main() -> bool {
    let args: Vec<String> = std::env::args().collect();
    let [_, flag, port, inbox, ca, cert, key] = &args[..] else {
        return false;
    };
    if flag != BARE_PROXY_ARG {
        return false;
    }
    let listener =
        std::net::TcpListener::bind(("127.0.0.1", port.parse().expect("port"))).expect("bind");
    let files = TlsFiles {
        ca: ca.into(),
        cert: cert.into(),
        key: key.into(),
    };
    serve_bare(listener, &files, inbox.parse().expect("inbox address"));
    true
}

/// Serves the bare pass-through on `listener` on this thread, with a current-thread runtime.
fn serve_bare(listener: std::net::TcpListener, gateway: &TlsFiles, inbox: std::net::SocketAddr) {
    listener.set_nonblocking(true).expect("nonblocking");
    let acceptor = expertnet_tests::tap::acceptor(gateway);
    let upstream = Arc::new(
        Upstream::new(
            &format!("https://{inbox}"),
            &node_host(FLEVOLAND_UTRECHT),
            gateway.rustls_client().expect("client"),
            Duration::from_secs(2),
        )
        .expect("upstream"),
    );
    let serve = async move {
        let listener = tokio::net::TcpListener::from_std(listener).expect("listener");
        loop {
            let (tcp, _) = listener.accept().await.expect("accept");
            tcp.set_nodelay(true).expect("nodelay");
            tokio::spawn(bare_connection(tcp, acceptor.clone(), upstream.clone()));
        }
    };
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime")
        .block_on(serve)
}

/// One client connection of the bare pass-through: every call goes on to the inbox, a task each.
async fn bare_connection(
    tcp: tokio::net::TcpStream,
    acceptor: tokio_rustls::TlsAcceptor,
    upstream: Arc<Upstream>,
) {
    // The benchmark's check that the process listens connects and goes without a handshake.
    let Ok(tls) = acceptor.accept(tcp).await else {
        return;
    };
    let Ok(mut connection) = h2::server::handshake(tls).await else {
        return;
    };
    while let Some(Ok((request, respond))) = connection.accept().await {
        tokio::spawn(bare_call(request, respond, upstream.clone()));
    }
}

/// One call of the bare pass-through: the body read whole, sent to the inbox, the answer sent back as it came.
async fn bare_call(
    request: http::Request<h2::RecvStream>,
    mut respond: h2::server::SendResponse<bytes::Bytes>,
    upstream: Arc<Upstream>,
) {
    let mut body = request.into_body();
    let mut data = bytes::BytesMut::new();
    while let Some(chunk) = body.data().await {
        let chunk = chunk.expect("chunk");
        let _ = body.flow_control().release_capacity(chunk.len());
        data.extend_from_slice(&chunk);
    }
    let mut headers = http::HeaderMap::new();
    headers.insert(
        "content-type",
        http::HeaderValue::from_static("application/grpc"),
    );
    headers.insert("te", http::HeaderValue::from_static("trailers"));
    let connection = upstream.connection().await.expect("dial");
    let reply = connection
        .unary("/expertnet.v1.InboxService/Deliver", headers, data.freeze())
        .await
        .expect("call");
    let response = http::Response::from_parts(reply.head, ());
    let mut send = respond.send_response(response, false).expect("respond");
    send.send_data(reply.body, false).expect("data");
    send.send_trailers(reply.trailers.unwrap_or_default())
        .expect("trailers");
}
