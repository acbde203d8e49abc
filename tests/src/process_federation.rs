//! A federation of real processes: the `expertnet-gateway` and `expertnet-node` binaries of this workspace,
//! each started from the TOML configuration an operator would write, so that a test can `kill -9` one of them
//! in the middle of its work and start it again on the same ports and data.

use crate::federation::{TeamClients, deployed_registry};
use crate::workspace_binary;
use expertnet_federation::metrics::MetricsConfig;
use expertnet_federation::pki::Pki;
use expertnet_federation::{Peer, Registry, ServerIdentity};
use expertnet_gateway::config::{DashboardConfig, GatewayConfig};
use expertnet_node::config::{DatabaseConfig, IdentityConfig, NodeConfig, ServerConfig, WebConfig};
use expertnet_node::federation::gateways::GatewayUrls;
use expertnet_node::federation::runtime::FederationConfig;
use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::{Duration, Instant};
use tokio::process::{Child, Command};

/// How long a started process may take to accept connections.
const READY_WITHIN: Duration = Duration::from_secs(20);

/// Heartbeat and retry timing of a process federation.
#[derive(Debug, Clone, Copy)]
pub struct Timing {
    pub heartbeat_secs: u32,
    /// The longest wait of a node's courier between two delivery attempts.
    pub max_backoff_ms: u64,
}

impl Timing {
    /// Quick heartbeats and retries, for tests.
    pub const QUICK: Timing = Timing {
        heartbeat_secs: 1,
        max_backoff_ms: 200,
    };
    /// The defaults a deployment runs with (`deploy/node/*.toml`).
    pub const DEPLOYED: Timing = Timing {
        heartbeat_secs: 5,
        max_backoff_ms: 1000,
    };
}

/// One spawned binary with the configuration it restarts from.
#[derive(Debug)]
pub struct Spawned {
    name: String,
    binary: PathBuf,
    config: PathBuf,
    log: PathBuf,
    /// The port that answers once the process is ready.
    ready_port: u16,
    /// Extra environment, e.g. the OTLP endpoint.
    env: Vec<(String, String)>,
    child: Option<Child>,
    starts: u32,
}

impl Spawned {
    pub async fn start(&mut self) {
        self.starts += 1;
        let log = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(&self.log)
            .expect("open the process log");
        let child = Command::new(&self.binary)
            .args(["serve", "--config"])
            .arg(&self.config)
            .env(
                "RUST_LOG",
                std::env::var("RUST_LOG").unwrap_or_else(|_| "info".into()),
            )
            .envs(self.env.iter().map(|(k, v)| (k, v)))
            .stdin(Stdio::null())
            .stdout(log.try_clone().expect("log handle"))
            .stderr(log)
            .kill_on_drop(true)
            .spawn()
            .unwrap_or_else(|e| panic!("start {}: {e}", self.name));
        self.child = Some(child);
        let started = Instant::now();
        while tokio::net::TcpStream::connect(("127.0.0.1", self.ready_port))
            .await
            .is_err()
        {
            if started.elapsed() > READY_WITHIN {
                panic!(
                    "{} did not listen on {} within {READY_WITHIN:?}; its log:\n{}",
                    self.name,
                    self.ready_port,
                    std::fs::read_to_string(&self.log).unwrap_or_default()
                );
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }

    /// `kill -9`: the process gets no chance to finish anything.
    pub async fn kill(&mut self) {
        if let Some(mut child) = self.child.take() {
            child.start_kill().expect("send SIGKILL");
            child.wait().await.expect("reap the killed process");
        }
    }

    pub async fn restart(&mut self) {
        self.kill().await;
        self.start().await;
    }

    /// Everything the process logged, over all its starts.
    pub fn log_text(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }

    /// The running process's id, as `/proc` names it.
    pub fn pid(&self) -> String {
        self.child
            .as_ref()
            .and_then(Child::id)
            .map(|pid| pid.to_string())
            .unwrap_or_else(|| panic!("{} is not running", self.name))
    }

    /// How often this process was started.
    pub fn starts(&self) -> u32 {
        self.starts
    }
}

/// A spawned node and the address of its team API.
#[derive(Debug)]
pub struct SpawnedNode {
    pub process: Spawned,
    pub team_addr: SocketAddr,
    /// The node's federation inbox (mutual TLS; only the gateway may deliver).
    pub inbox_addr: SocketAddr,
    /// The node's Prometheus endpoint.
    pub metrics_addr: SocketAddr,
    pub database_url: String,
    /// The API token of the test user (every role).
    pub token: String,
}

/// The gateway (one or more replicas) and nodes for some regions of `deploy/registry.toml`, as separate
/// processes.
#[derive(Debug)]
pub struct ProcessFederation {
    pub dir: tempfile::TempDir,
    pub pki: Pki,
    /// The gateway's replicas; every node names them all, in this order.
    pub gateways: Vec<Spawned>,
    pub gateway_addrs: Vec<SocketAddr>,
    /// The replicas' Prometheus endpoints.
    pub gateway_metrics_addrs: Vec<SocketAddr>,
    pub nodes: BTreeMap<String, SpawnedNode>,
}

/// How a process federation is started.
#[derive(Debug, Clone)]
pub struct Launch {
    pub timing: Timing,
    /// Added to every process's environment.
    pub env: Vec<(String, String)>,
    /// Regions whose nodes are sent to this URL instead of the gateway (a recording proxy, say).
    pub gateway_for: BTreeMap<String, String>,
    /// How many gateway replicas run; more than one needs a shared `statistics_database`.
    pub replicas: usize,
    /// The replicas' statistics store; an SQLite file in the federation's folder when not given.
    pub statistics_database: Option<String>,
    /// The registry the regions are taken from (covenants and areas kept among them); `deploy/registry.toml`
    /// when not given.
    pub registry: Option<Registry>,
    /// Synthetic cases written into a region's database (`expertnet-node seed`) before its node first starts.
    pub synthetic_cases: BTreeMap<String, u32>,
}

impl Default for Launch {
    fn default() -> Launch {
        Launch {
            timing: Timing::QUICK,
            env: Vec::new(),
            gateway_for: BTreeMap::new(),
            replicas: 1,
            statistics_database: None,
            registry: None,
            synthetic_cases: BTreeMap::new(),
        }
    }
}

impl ProcessFederation {
    /// Makes a PKI, writes a registry of `regions` (covenants among them kept) and every configuration, and
    /// starts the gateway and the nodes.
    pub async fn start(regions: &[&str]) -> ProcessFederation {
        ProcessFederation::launch(regions, Launch::default()).await
    }

    /// Like [`ProcessFederation::start`], with other heartbeat and retry timing.
    pub async fn start_with(regions: &[&str], timing: Timing) -> ProcessFederation {
        ProcessFederation::launch(
            regions,
            Launch {
                timing,
                ..Launch::default()
            },
        )
        .await
    }

    /// Like [`ProcessFederation::start`], started as `launch` says.
    pub async fn launch(regions: &[&str], launch: Launch) -> ProcessFederation {
        let Launch {
            timing,
            env,
            gateway_for,
            replicas,
            statistics_database,
            registry: source,
            synthetic_cases,
        } = launch;
        assert!(
            replicas == 1 || statistics_database.is_some(),
            "gateway replicas share one statistics store"
        );
        expertnet_federation::install_crypto_provider();
        let dir = tempfile::tempdir().expect("temporary folder");
        let pki = Pki::at(dir.path().join("pki"));
        let mut parties = vec![Peer::Gateway];
        parties.extend(regions.iter().map(|r| Peer::Region((*r).to_owned())));
        pki.ensure(&parties).expect("dev PKI");

        let gateway_ports: Vec<(u16, u16)> =
            (0..replicas).map(|_| (free_port(), free_port())).collect();
        let mut ports = BTreeMap::new();
        let mut listed = Vec::new();
        let source = source.unwrap_or_else(deployed_registry);
        for region in source.regions() {
            if !regions.contains(&region.id.as_str()) {
                continue;
            }
            let (team, inbox) = (free_port(), free_port());
            let mut region = region.clone();
            region.endpoint = format!("https://127.0.0.1:{inbox}");
            region.covenants.retain(|c| regions.contains(&c.as_str()));
            ports.insert(region.id.clone(), (team, inbox));
            listed.push(region);
        }
        let areas = source
            .areas()
            .iter()
            .cloned()
            .map(|mut area| {
                area.regions.retain(|r| regions.contains(&r.as_str()));
                area
            })
            .filter(|area| !area.regions.is_empty())
            .collect();
        let registry = Registry::new(listed)
            .and_then(|registry| registry.with_areas(areas))
            .expect("registry of the chosen regions");
        let registry_file = dir.path().join("registry.toml");
        std::fs::write(&registry_file, registry.to_toml()).expect("write the registry");

        let statistics_database = statistics_database.unwrap_or_else(|| {
            format!(
                "sqlite://{}",
                dir.path().join("gateway-statistics.db").display()
            )
        });
        let mut gateways = Vec::new();
        for (replica, (port, metrics_port)) in gateway_ports.iter().enumerate() {
            let name = if replica == 0 {
                "gateway".to_owned()
            } else {
                format!("gateway-{}", replica + 1)
            };
            let config = GatewayConfig {
                listen: format!("127.0.0.1:{port}"),
                registry: registry_file.clone(),
                tls: pki.files(&Peer::Gateway),
                heartbeat_interval_secs: timing.heartbeat_secs,
                down_after_secs: 3 * timing.heartbeat_secs,
                statistics_database: statistics_database.clone(),
                metrics: MetricsConfig {
                    listen: format!("127.0.0.1:{metrics_port}"),
                },
                dashboard: DashboardConfig {
                    listen: format!("127.0.0.1:{}", free_port()),
                    ..DashboardConfig::default()
                },
                ..GatewayConfig::default()
            };
            let mut gateway = Spawned {
                binary: workspace_binary("expertnet-gateway"),
                config: write_toml(dir.path(), &format!("{name}.toml"), &config),
                log: dir.path().join(format!("{name}.log")),
                name,
                ready_port: *port,
                env: env.clone(),
                child: None,
                starts: 0,
            };
            gateway.start().await;
            gateways.push(gateway);
        }
        let gateway_urls = GatewayUrls::replicas(
            gateway_ports
                .iter()
                .map(|(port, _)| format!("https://127.0.0.1:{port}")),
        );

        let mut nodes = BTreeMap::new();
        for (region, (team, inbox)) in ports {
            let metrics = free_port();
            let database_url = format!(
                "sqlite://{}",
                dir.path().join(format!("{region}.db")).display()
            );
            let config = NodeConfig {
                region: region.clone(),
                server: ServerConfig {
                    listen: format!("127.0.0.1:{team}"),
                    tls: Some(ServerIdentity {
                        cert: pki.files(&Peer::Region(region.clone())).cert,
                        key: pki.files(&Peer::Region(region.clone())).key,
                    }),
                },
                database: DatabaseConfig {
                    url: database_url.clone(),
                    max_connections: 4,
                },
                federation: Some(FederationConfig {
                    listen: format!("127.0.0.1:{inbox}"),
                    gateway: gateway_for
                        .get(&region)
                        .map(GatewayUrls::one)
                        .unwrap_or_else(|| gateway_urls.clone()),
                    registry: registry_file.clone(),
                    tls: pki.files(&Peer::Region(region.clone())),
                    heartbeat_secs: timing.heartbeat_secs,
                    dead_letter_after_secs: 3600,
                    max_backoff_ms: timing.max_backoff_ms,
                    signals_secs: u64::from(timing.heartbeat_secs),
                }),
                identity: IdentityConfig::default(),
                retention: Default::default(),
                // The processes' boards are not under test here; they would share one default port.
                web: WebConfig {
                    listen: String::new(),
                    ..WebConfig::default()
                },
                metrics: MetricsConfig {
                    listen: format!("127.0.0.1:{metrics}"),
                },
            };
            let config_file = write_toml(dir.path(), &format!("{region}.toml"), &config);
            let config_arg = config_file.to_str().expect("UTF-8 path");
            if let Some(count) = synthetic_cases.get(&region) {
                crate::process::seed_cases(config_arg, *count);
            }
            let token = crate::process::add_test_user(&["--config", config_arg], &[]);
            let mut process = Spawned {
                name: region.clone(),
                binary: workspace_binary("expertnet-node"),
                config: config_file,
                log: dir.path().join(format!("{region}.log")),
                ready_port: team,
                env: env.clone(),
                child: None,
                starts: 0,
            };
            process.start().await;
            nodes.insert(
                region,
                SpawnedNode {
                    process,
                    team_addr: SocketAddr::from(([127, 0, 0, 1], team)),
                    inbox_addr: SocketAddr::from(([127, 0, 0, 1], inbox)),
                    metrics_addr: SocketAddr::from(([127, 0, 0, 1], metrics)),
                    database_url,
                    token,
                },
            );
        }
        let local = |port: u16| SocketAddr::from(([127, 0, 0, 1], port));
        ProcessFederation {
            dir,
            pki,
            gateways,
            gateway_addrs: gateway_ports.iter().map(|(p, _)| local(*p)).collect(),
            gateway_metrics_addrs: gateway_ports.iter().map(|(_, m)| local(*m)).collect(),
            nodes,
        }
    }

    /// The first (or only) gateway replica.
    pub fn gateway(&mut self) -> &mut Spawned {
        &mut self.gateways[0]
    }

    pub fn node(&mut self, region: &str) -> &mut SpawnedNode {
        self.nodes
            .get_mut(region)
            .unwrap_or_else(|| panic!("no node process for {region}"))
    }

    /// Clients for a node's team API; they reconnect by themselves after the node restarts.
    pub fn team(&self, region: &str) -> TeamClients {
        let node = &self.nodes[region];
        TeamClients::connect_lazy(
            &format!("https://{}", node.team_addr),
            &node.token,
            &self.pki.files(&Peer::Gateway).ca,
        )
    }

    /// Kills every process.
    pub async fn stop(mut self) {
        for gateway in &mut self.gateways {
            gateway.kill().await;
        }
        for node in self.nodes.values_mut() {
            node.process.kill().await;
        }
    }
}

fn write_toml(dir: &Path, name: &str, value: &impl serde::Serialize) -> PathBuf {
    let path = dir.join(name);
    std::fs::write(
        &path,
        toml::to_string(value).expect("configuration as TOML"),
    )
    .expect("write the configuration");
    path
}

/// A port no one listens on now and that this test process has not handed out before, below the kernel's range
/// for outgoing connections (32768 and up on Linux): a port from that range can be taken by a connection some
/// other process opens before ours binds it, which the 42 regions' heartbeats did.
pub fn free_port() -> u16 {
    static GIVEN: std::sync::Mutex<std::collections::BTreeSet<u16>> =
        std::sync::Mutex::new(std::collections::BTreeSet::new());
    let mut given = GIVEN
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner);
    let mut rng = rand::rng();
    for _ in 0..1000 {
        let port = rand::Rng::random_range(&mut rng, 20_000..32_000);
        if !given.contains(&port) && std::net::TcpListener::bind(("127.0.0.1", port)).is_ok() {
            given.insert(port);
            return port;
        }
    }
    panic!("no free port between 20000 and 32000")
}

/// Rows of (text, count) a query reads from a node's database file while the node runs (read-only).
async fn read_pairs(database_url: &str, sql: &'static str) -> Vec<(String, i64)> {
    let pool = sqlx::SqlitePool::connect(&format!("{database_url}?mode=ro"))
        .await
        .expect("open the node's database read-only");
    let rows = sqlx::query_as(sql)
        .fetch_all(&pool)
        .await
        .unwrap_or_else(|e| panic!("{sql}: {e}"));
    pool.close().await;
    rows
}

/// A receiving node's incoming escalations per sender's escalation id, and its cases.
pub async fn incoming_escalations(database_url: &str) -> (BTreeMap<String, i64>, i64) {
    let rows = read_pairs(
        database_url,
        "SELECT partner_ref, COUNT(*) FROM escalations WHERE direction = 'incoming' GROUP BY partner_ref",
    )
    .await;
    let cases = read_pairs(database_url, "SELECT 'cases', COUNT(*) FROM cases").await;
    (rows.into_iter().collect(), cases[0].1)
}

/// A receiving node's incoming consultations per asker's consultation id.
pub async fn incoming_consultations(database_url: &str) -> BTreeMap<String, i64> {
    read_pairs(
        database_url,
        "SELECT origin_id, COUNT(*) FROM consultations WHERE origin_id IS NOT NULL GROUP BY origin_id",
    )
    .await
    .into_iter()
    .collect()
}

/// Every envelope a node's outbox delivered: its kind and the milliseconds from writing it to its delivery.
pub async fn delivery_times(database_url: &str) -> Vec<(String, i64)> {
    read_pairs(
        database_url,
        "SELECT kind, delivered_at - created_at FROM outbox WHERE delivered_at IS NOT NULL",
    )
    .await
}
