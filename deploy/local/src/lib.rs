//! A whole federation in one process: the gateway and a node per region of a registry, each node on its own
//! database, all talking mutual TLS over real sockets with certificates from a dev PKI. `expertnet-local`
//! runs it for people trying expertnet; the end-to-end tests run it on ports chosen by the OS.

pub mod national;

use expertnet_federation::pki::Pki;
use expertnet_federation::{Peer, Registry, ServerIdentity};
use expertnet_gateway::config::GatewayConfig;
use expertnet_gateway::server::Gateway;
use expertnet_node::clock::Clock;
use expertnet_node::domain::people::Role;
use expertnet_node::federation::gateways::GatewayUrls;
use expertnet_node::federation::runtime::{FederationConfig, FederationRuntime};
use expertnet_node::storage::Storage;
use expertnet_node::vault::Vault;
use expertnet_node::vault::keyring::Keyring;
use expertnet_node::workflow::{NewUser, Workflow};
use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use tokio::net::TcpListener;
use tokio::sync::oneshot;
use tokio::task::JoinHandle;

#[derive(Debug, thiserror::Error)]
pub enum LocalError {
    #[error("{0}")]
    Setup(String),
    #[error(transparent)]
    Node(#[from] expertnet_node::error::Error),
    #[error(transparent)]
    Gateway(#[from] expertnet_gateway::Error),
    #[error(transparent)]
    Pki(#[from] expertnet_federation::pki::PkiError),
    #[error("{what}: {source}")]
    Io {
        what: String,
        source: std::io::Error,
    },
}

pub type Result<T, E = LocalError> = std::result::Result<T, E>;

/// How to lay the federation out.
#[derive(Debug, Clone)]
pub struct Settings {
    /// Everything lives under this folder: `pki/`, `registry.toml`, and a database per region.
    pub dir: PathBuf,
    /// The regions; their endpoints are replaced by the local ones.
    pub registry: Registry,
    /// The gateway's port; 0 lets the OS choose.
    pub gateway_port: u16,
    /// The coordinators' dashboard (HTTPS with the gateway's certificate); 0 lets the OS choose.
    pub dashboard_port: u16,
    /// The first region's team API port, the next region's one higher; 0 lets the OS choose.
    pub team_base_port: u16,
    /// The first region's inbox port, the next region's one higher; 0 lets the OS choose.
    pub inbox_base_port: u16,
    /// The first region's web board port, the next region's one higher; 0 lets the OS choose.
    pub web_base_port: u16,
    /// The gateway's metrics port; the first region's is one higher, the next region's one higher again; 0 lets
    /// the OS choose.
    pub metrics_base_port: u16,
    /// Database URL per region; regions not listed get an SQLite file under `dir`.
    pub databases: BTreeMap<String, String>,
    pub heartbeat_secs: u32,
    pub down_after_secs: u32,
    pub max_backoff_ms: u64,
    pub dead_letter_after_secs: u64,
    /// How often each node pushes its signals to the gateway.
    pub signals_secs: u64,
    /// Synthetic cases (no real person's data) written into each region's new, empty database, so that signals,
    /// statistics and yearly reviews have something to show.
    pub synthetic_cases: u64,
    /// Synthetic cases for these regions instead of `synthetic_cases`.
    pub synthetic_by_region: BTreeMap<String, u64>,
}

impl Settings {
    /// The local federation's usual layout: gateway on 50060, team APIs from 50051, inboxes from 50061; with
    /// more than nine regions those would meet, and team APIs start at 51001, inboxes at 52001.
    pub fn local(dir: impl Into<PathBuf>, registry: Registry) -> Settings {
        let many = registry.regions().count() > 9;
        Settings {
            dir: dir.into(),
            registry,
            gateway_port: 50060,
            dashboard_port: 8050,
            team_base_port: if many { 51_001 } else { 50_051 },
            inbox_base_port: if many { 52_001 } else { 50_061 },
            web_base_port: 8051,
            metrics_base_port: 9150,
            databases: BTreeMap::new(),
            heartbeat_secs: 5,
            down_after_secs: 15,
            max_backoff_ms: 1000,
            dead_letter_after_secs: 24 * 3600,
            signals_secs: 60,
            synthetic_cases: 0,
            synthetic_by_region: BTreeMap::new(),
        }
    }

    /// Everything on ports the OS chooses, with quick heartbeats: for tests.
    pub fn ephemeral(dir: impl Into<PathBuf>, registry: Registry) -> Settings {
        Settings {
            gateway_port: 0,
            dashboard_port: 0,
            team_base_port: 0,
            inbox_base_port: 0,
            web_base_port: 0,
            metrics_base_port: 0,
            heartbeat_secs: 1,
            down_after_secs: 3,
            max_backoff_ms: 200,
            signals_secs: 1,
            ..Settings::local(dir, registry)
        }
    }

    fn port(base: u16, index: usize) -> u16 {
        if base == 0 { 0 } else { base + index as u16 }
    }
}

async fn bind(port: u16, what: &str) -> Result<TcpListener> {
    TcpListener::bind(("127.0.0.1", port))
        .await
        .map_err(|source| LocalError::Io {
            what: format!("{what}: cannot bind 127.0.0.1:{port}"),
            source,
        })
}

/// A running gateway.
#[derive(Debug)]
pub struct GatewayHandle {
    pub addr: SocketAddr,
    /// Its Prometheus endpoint (`GET /metrics`, plain HTTP on loopback).
    pub metrics_addr: SocketAddr,
    /// The coordinators' dashboard (HTTPS with the gateway's certificate).
    pub dashboard_addr: SocketAddr,
    /// The demo coordinators' dashboard passwords by person (`dashboard-NAME.password` in the folder, mode
    /// 0600): `coordinator` (national) and each area's coordinators, each named as their coordinator identity.
    pub coordinator_passwords: BTreeMap<String, String>,
    dashboard: Option<Served>,
    pub gateway: Gateway,
    config: GatewayConfig,
    shutdown: Option<oneshot::Sender<()>>,
    server: Option<JoinHandle<expertnet_gateway::error::Result<()>>>,
    metrics: Option<Served>,
}

/// A node's four ports: the team API, the federation inbox, the web board and the metrics.
#[derive(Debug)]
struct Listeners {
    team: TcpListener,
    inbox: TcpListener,
    web: TcpListener,
    metrics: TcpListener,
}

/// A node's web board or a metrics endpoint, and how to stop it.
#[derive(Debug)]
struct Served {
    shutdown: oneshot::Sender<()>,
    server: JoinHandle<std::io::Result<()>>,
}

impl Served {
    fn spawn<F>(serve: impl FnOnce(oneshot::Receiver<()>) -> F) -> Served
    where
        F: std::future::Future<Output = std::io::Result<()>> + Send + 'static,
    {
        let (shutdown, stopped) = oneshot::channel();
        Served {
            shutdown,
            server: tokio::spawn(serve(stopped)),
        }
    }

    async fn stop(self, what: &str) {
        let _ = self.shutdown.send(());
        if let Ok(Err(err)) = self.server.await {
            tracing::error!(error = %err, "{what} stopped with an error");
        }
    }
}

/// A running node.
#[derive(Debug)]
pub struct NodeHandle {
    pub region: String,
    pub team_addr: SocketAddr,
    pub inbox_addr: SocketAddr,
    /// The web board (HTTPS with the region's certificate).
    pub web_addr: SocketAddr,
    /// The Prometheus endpoint (`GET /metrics`, plain HTTP on loopback).
    pub metrics_addr: SocketAddr,
    /// The demo team user's password for the board (`team.password` beside the database, mode 0600).
    pub team_password: String,
    pub workflow: Workflow,
    pub database_url: String,
    /// The keyring of the youth's encrypted identifiers (made on first start).
    pub keyring_path: PathBuf,
    /// The API token of the region's demo team user (`team.token` beside the database).
    pub team_token: String,
    /// Where the team's and the auditor's tokens are kept (mode 0600).
    pub team_token_file: PathBuf,
    pub auditor_token_file: PathBuf,
    config: FederationConfig,
    runtime: Option<FederationRuntime>,
    shutdown: Option<oneshot::Sender<()>>,
    server: Option<JoinHandle<expertnet_node::Result<()>>>,
    web: Option<Served>,
    metrics: Option<Served>,
}

/// The whole federation.
#[derive(Debug)]
pub struct LocalFederation {
    pub dir: PathBuf,
    pub pki: Pki,
    pub registry_file: PathBuf,
    registry: Registry,
    pub gateway: GatewayHandle,
    pub nodes: BTreeMap<String, NodeHandle>,
    clock: Arc<dyn Clock>,
}

impl LocalFederation {
    /// Makes the dev PKI (first run only), binds every port, writes the registry with the local endpoints,
    /// and starts the gateway and the nodes.
    pub async fn start(settings: Settings, clock: Arc<dyn Clock>) -> Result<LocalFederation> {
        expertnet_federation::install_crypto_provider();
        std::fs::create_dir_all(&settings.dir).map_err(|source| LocalError::Io {
            what: format!("cannot create {}", settings.dir.display()),
            source,
        })?;
        let pki = Pki::at(settings.dir.join("pki"));
        let parties =
            expertnet_federation::pki::parties(&settings.registry, &["coordinator".into()]);
        pki.ensure(&parties)?;

        let gateway_listener = bind(settings.gateway_port, "gateway").await?;
        let gateway_addr = local_addr(&gateway_listener)?;
        let gateway_metrics = bind(settings.metrics_base_port, "gateway metrics").await?;
        let mut listeners = Vec::new();
        let mut regions = Vec::new();
        for (i, region) in settings.registry.regions().enumerate() {
            let team = bind(Settings::port(settings.team_base_port, i), &region.id).await?;
            let inbox = bind(Settings::port(settings.inbox_base_port, i), &region.id).await?;
            let web = bind(Settings::port(settings.web_base_port, i), &region.id).await?;
            let metrics = bind(
                Settings::port(settings.metrics_base_port, i + 1),
                &region.id,
            )
            .await?;
            let mut region = region.clone();
            region.endpoint = format!("https://{}", local_addr(&inbox)?);
            regions.push(region);
            listeners.push(Listeners {
                team,
                inbox,
                web,
                metrics,
            });
        }
        let registry = Registry::new(regions)
            .and_then(|r| r.with_areas(settings.registry.areas().to_vec()))
            .map_err(|e| LocalError::Setup(e.to_string()))?;
        let registry_file = settings.dir.join("registry.toml");
        std::fs::write(&registry_file, registry.to_toml()).map_err(|source| LocalError::Io {
            what: format!("cannot write {}", registry_file.display()),
            source,
        })?;

        let gateway_config = GatewayConfig {
            listen: gateway_addr.to_string(),
            registry: registry_file.clone(),
            tls: pki.files(&Peer::Gateway),
            heartbeat_interval_secs: settings.heartbeat_secs,
            down_after_secs: settings.down_after_secs,
            statistics_database: format!(
                "sqlite://{}",
                settings.dir.join("gateway-statistics.db").display()
            ),
            ..GatewayConfig::default()
        };
        let dashboard = bind(settings.dashboard_port, "dashboard").await?;
        let gateway = GatewayHandle::start(
            gateway_config,
            GatewayListeners {
                gateway: gateway_listener,
                metrics: gateway_metrics,
                dashboard,
            },
            &settings.dir,
        )
        .await?;

        let mut nodes = BTreeMap::new();
        for (index, (region, listeners)) in registry.regions().zip(listeners).enumerate() {
            let database_url = settings
                .databases
                .get(&region.id)
                .cloned()
                .unwrap_or_else(|| {
                    format!(
                        "sqlite://{}",
                        settings.dir.join(&region.id).join("node.db").display()
                    )
                });
            let config = FederationConfig {
                listen: local_addr(&listeners.inbox)?.to_string(),
                gateway: GatewayUrls::one(format!("https://{gateway_addr}")),
                registry: registry_file.clone(),
                tls: pki.files(&Peer::Region(region.id.clone())),
                heartbeat_secs: settings.heartbeat_secs,
                dead_letter_after_secs: settings.dead_letter_after_secs,
                max_backoff_ms: settings.max_backoff_ms,
                signals_secs: settings.signals_secs,
            };
            let keyring = settings.dir.join(&region.id).join("identity-keys.toml");
            let synthetic = Synthetic {
                cases: settings
                    .synthetic_by_region
                    .get(&region.id)
                    .copied()
                    .unwrap_or(settings.synthetic_cases),
                seed: 2026 + index as u64,
            };
            let node = NodeHandle::start(
                &region.id,
                config,
                database_url,
                &keyring,
                listeners,
                clock.clone(),
                synthetic,
            )
            .await?;
            nodes.insert(region.id.clone(), node);
        }
        Ok(LocalFederation {
            dir: settings.dir,
            pki,
            registry_file,
            registry,
            gateway,
            nodes,
            clock,
        })
    }

    /// The registry as the federation runs it (local endpoints).
    pub fn registry(&self) -> &Registry {
        &self.registry
    }

    pub fn node(&self, region: &str) -> &NodeHandle {
        self.nodes
            .get(region)
            .unwrap_or_else(|| panic!("no node for region {region}"))
    }

    /// Stops one node (its database stays); [`LocalFederation::restart_node`] brings it back on the same ports.
    pub async fn stop_node(&mut self, region: &str) {
        if let Some(node) = self.nodes.get_mut(region) {
            node.stop().await;
        }
    }

    pub async fn restart_node(&mut self, region: &str) -> Result<()> {
        let old = self
            .nodes
            .remove(region)
            .ok_or_else(|| LocalError::Setup(format!("no node for region {region}")))?;
        let listeners = Listeners {
            team: bind(old.team_addr.port(), region).await?,
            inbox: bind(old.inbox_addr.port(), region).await?,
            web: bind(old.web_addr.port(), region).await?,
            metrics: bind(old.metrics_addr.port(), region).await?,
        };
        let node = NodeHandle::start(
            region,
            old.config.clone(),
            old.database_url.clone(),
            &old.keyring_path.clone(),
            listeners,
            self.clock.clone(),
            Synthetic::NONE,
        )
        .await?;
        self.nodes.insert(region.to_owned(), node);
        Ok(())
    }

    pub async fn stop_gateway(&mut self) {
        self.gateway.stop().await;
    }

    pub async fn restart_gateway(&mut self) -> Result<()> {
        let listeners = GatewayListeners {
            gateway: bind(self.gateway.addr.port(), "gateway").await?,
            metrics: bind(self.gateway.metrics_addr.port(), "gateway metrics").await?,
            dashboard: bind(self.gateway.dashboard_addr.port(), "dashboard").await?,
        };
        self.gateway =
            GatewayHandle::start(self.gateway.config.clone(), listeners, &self.dir).await?;
        Ok(())
    }

    /// Stops everything; databases and PKI stay in the folder.
    pub async fn stop(mut self) {
        for node in self.nodes.values_mut() {
            node.stop().await;
        }
        self.gateway.stop().await;
    }
}

fn local_addr(listener: &TcpListener) -> Result<SocketAddr> {
    listener.local_addr().map_err(|source| LocalError::Io {
        what: "local address".into(),
        source,
    })
}

/// The gateway's three ports.
#[derive(Debug)]
struct GatewayListeners {
    gateway: TcpListener,
    metrics: TcpListener,
    dashboard: TcpListener,
}

impl GatewayHandle {
    async fn start(
        config: GatewayConfig,
        listeners: GatewayListeners,
        dir: &Path,
    ) -> Result<GatewayHandle> {
        let GatewayListeners {
            gateway: listener,
            metrics: metrics_listener,
            dashboard: dashboard_listener,
        } = listeners;
        let addr = local_addr(&listener)?;
        let metrics_addr = local_addr(&metrics_listener)?;
        let dashboard_addr = local_addr(&dashboard_listener)?;
        let gateway = Gateway::from_config(&config).await?;
        let board = gateway.dashboard(config.dashboard.sign_in, true);
        let mut coordinator_passwords = BTreeMap::new();
        let registry = gateway.network.registry();
        let mut coordinators = vec!["coordinator".to_owned()];
        coordinators.extend(registry.areas().iter().flat_map(|a| a.coordinators.clone()));
        for coordinator in coordinators {
            let path = dir.join(format!("dashboard-{coordinator}.password"));
            let password = ensure_coordinator(&board.people, &path, &coordinator).await?;
            coordinator_passwords.insert(coordinator, password);
        }
        let browser_tls = ServerIdentity {
            cert: config.tls.cert.clone(),
            key: config.tls.key.clone(),
        }
        .rustls_browser()
        .map_err(|e| LocalError::Setup(format!("dashboard TLS: {e}")))?;
        let dashboard = Served::spawn(|stopped| {
            expertnet_gateway::dashboard::serve(
                dashboard_listener,
                board,
                Some(browser_tls),
                async move {
                    let _ = stopped.await;
                },
            )
        });
        let metrics = Served::spawn(|stopped| {
            expertnet_gateway::metrics::serve(metrics_listener, gateway.clone(), async move {
                let _ = stopped.await;
            })
        });
        let (shutdown, stopped) = oneshot::channel::<()>();
        let server = tokio::spawn(expertnet_gateway::server::serve(
            listener,
            gateway.clone(),
            async move {
                let _ = stopped.await;
            },
        ));
        Ok(GatewayHandle {
            addr,
            metrics_addr,
            dashboard_addr,
            coordinator_passwords,
            dashboard: Some(dashboard),
            gateway,
            config,
            shutdown: Some(shutdown),
            server: Some(server),
            metrics: Some(metrics),
        })
    }

    pub async fn stop(&mut self) {
        if let Some(metrics) = self.metrics.take() {
            metrics.stop("gateway metrics").await;
        }
        if let Some(dashboard) = self.dashboard.take() {
            dashboard.stop("dashboard").await;
        }
        if let Some(shutdown) = self.shutdown.take() {
            let _ = shutdown.send(());
        }
        if let Some(server) = self.server.take()
            && let Ok(Err(err)) = server.await
        {
            tracing::error!(error = %err, "gateway stopped with an error");
        }
    }
}

/// Synthetic cases for a new node.
#[derive(Debug, Clone, Copy)]
struct Synthetic {
    cases: u64,
    seed: u64,
}

impl Synthetic {
    const NONE: Synthetic = Synthetic { cases: 0, seed: 0 };
}

impl NodeHandle {
    async fn start(
        region: &str,
        config: FederationConfig,
        database_url: String,
        keyring_path: &Path,
        Listeners {
            team,
            inbox,
            web,
            metrics,
        }: Listeners,
        clock: Arc<dyn Clock>,
        synthetic: Synthetic,
    ) -> Result<NodeHandle> {
        let keyring = Keyring::load_or_create(keyring_path)
            .map_err(|e| LocalError::Setup(format!("{region}: {e}")))?;
        let vault =
            Vault::new(&keyring).map_err(|e| LocalError::Setup(format!("{region}: {e}")))?;
        let storage = Storage::connect(&database_url, 4, vault).await?;
        if synthetic.cases > 0 && storage.is_empty().await? {
            tracing::info!(
                region,
                cases = synthetic.cases,
                "writing synthetic cases into a new node"
            );
            expertnet_node::synthetic::fill(
                &storage,
                region,
                synthetic.cases,
                synthetic.seed,
                |_| {},
            )
            .await?;
        }
        let workflow = Workflow::new(storage, clock).federated(config.link(region)?);
        let folder = keyring_path.parent().unwrap_or(Path::new("."));
        let team_token_file = folder.join("team.token");
        let team_token = ensure_token(&workflow, &team_token_file, "team", TEAM_ROLES).await?;
        let auditor_token_file = folder.join("auditor.token");
        ensure_token(&workflow, &auditor_token_file, "auditor", &[Role::Auditor]).await?;
        let team_password =
            ensure_password(&workflow, &folder.join("team.password"), "team").await?;
        ensure_password(&workflow, &folder.join("auditor.password"), "auditor").await?;
        let team_addr = local_addr(&team)?;
        let web_addr = local_addr(&web)?;
        let metrics_addr = local_addr(&metrics)?;
        let metrics = Served::spawn(|stopped| {
            expertnet_node::metrics::serve(metrics, workflow.clone(), async move {
                let _ = stopped.await;
            })
        });
        let runtime = FederationRuntime::start(workflow.clone(), &config, inbox)?;
        let (shutdown, stopped) = oneshot::channel::<()>();
        // The team API speaks TLS with the region's certificate from the dev PKI (it names 127.0.0.1 too).
        let team_tls = ServerIdentity {
            cert: config.tls.cert.clone(),
            key: config.tls.key.clone(),
        }
        .server()
        .map_err(|e| LocalError::Setup(format!("{region}: team API TLS: {e}")))?;
        let server = tokio::spawn(expertnet_node::server::serve(
            team,
            workflow.clone(),
            Some(team_tls),
            async move {
                let _ = stopped.await;
            },
        ));
        let browser_tls = ServerIdentity {
            cert: config.tls.cert.clone(),
            key: config.tls.key.clone(),
        }
        .rustls_browser()
        .map_err(|e| LocalError::Setup(format!("{region}: web board TLS: {e}")))?;
        let board = expertnet_node::web::Board {
            workflow: workflow.clone(),
            policy: expertnet_node::workflow::SignInPolicy::default(),
            region: region.to_owned(),
            secure: true,
        };
        let web = Served::spawn(|stopped| {
            expertnet_node::web::serve(web, board, Some(browser_tls), async move {
                let _ = stopped.await;
            })
        });
        Ok(NodeHandle {
            region: region.to_owned(),
            team_addr,
            inbox_addr: runtime.inbox_addr,
            web_addr,
            metrics_addr,
            team_password,
            workflow,
            database_url,
            keyring_path: keyring_path.to_owned(),
            team_token,
            team_token_file,
            auditor_token_file,
            config,
            runtime: Some(runtime),
            shutdown: Some(shutdown),
            server: Some(server),
            web: Some(web),
            metrics: Some(metrics),
        })
    }

    /// The web board's URL (HTTPS; browsers trust [`NodeHandle::ca`] or are told to accept it).
    pub fn board_url(&self) -> String {
        format!("https://{}", self.web_addr)
    }

    /// The team API's URL (TLS; clients trust [`NodeHandle::ca`]).
    pub fn url(&self) -> String {
        format!("https://{}", self.team_addr)
    }

    /// The CA certificate the team API's certificate is signed by (the federation's dev CA).
    pub fn ca(&self) -> &Path {
        &self.config.tls.ca
    }

    pub async fn stop(&mut self) {
        if let Some(metrics) = self.metrics.take() {
            metrics.stop("node metrics").await;
        }
        if let Some(web) = self.web.take() {
            web.stop("web board").await;
        }
        if let Some(shutdown) = self.shutdown.take() {
            let _ = shutdown.send(());
        }
        if let Some(server) = self.server.take()
            && let Ok(Err(err)) = server.await
        {
            tracing::error!(region = %self.region, error = %err, "node stopped with an error");
        }
        if let Some(runtime) = self.runtime.take() {
            runtime.stop().await;
        }
        self.workflow.storage().close().await;
    }
}

/// The demo team user's roles: everything the expert table does, and running the node; not the auditor's.
const TEAM_ROLES: &[Role] = &[
    Role::Intake,
    Role::TableMember,
    Role::Chair,
    Role::Procesregisseur,
    Role::Administrator,
];

/// The token kept in `path`, or (first run) a new user `name` with `roles` and their token written there
/// with mode 0600. A user whose file went missing gets a fresh token and loses the old ones.
async fn ensure_token(
    workflow: &Workflow,
    path: &Path,
    name: &str,
    roles: &[Role],
) -> Result<String> {
    if let Ok(token) = std::fs::read_to_string(path) {
        return Ok(token.trim().to_owned());
    }
    let new = NewUser {
        name: name.to_owned(),
        organisation: "expertnet-local".into(),
        roles: roles.to_vec(),
    };
    let token = match workflow.add_user("expertnet-local", new, None).await {
        Ok((_, token)) => token,
        Err(expertnet_node::Error::AlreadyExists { .. }) => {
            workflow
                .issue_token("expertnet-local", name, None, true)
                .await?
        }
        Err(err) => return Err(err.into()),
    };
    write_private(path, token.reveal())?;
    Ok(token.reveal().to_owned())
}

/// The demo password kept in `path`, or (first run) a new random one set for `name` and written there with mode
/// 0600, so the demo people can sign in to the board at once.
async fn ensure_password(workflow: &Workflow, path: &Path, name: &str) -> Result<String> {
    if let Ok(password) = std::fs::read_to_string(path) {
        return Ok(password.trim().to_owned());
    }
    let password = demo_password();
    workflow
        .set_password(
            "expertnet-local",
            name,
            expertnet_node::access::password::Password::new(password.clone()),
        )
        .await?;
    write_private(path, &password)?;
    Ok(password)
}

/// The demo password of the dashboard's person `coordinator` (acting as the coordinator of that name) kept in
/// `path`, or (first run) a new random one, set and written there with mode 0600.
async fn ensure_coordinator(
    people: &expertnet_gateway::people::CoordinatorPeople,
    path: &Path,
    coordinator: &str,
) -> Result<String> {
    if let Ok(password) = std::fs::read_to_string(path) {
        return Ok(password.trim().to_owned());
    }
    let password = demo_password();
    let now_ms = expertnet_gateway::network::now_ms();
    let new = expertnet_web::password::Password::new(password.clone());
    match people.add(coordinator, coordinator, new, now_ms).await {
        Ok(()) => {}
        Err(expertnet_gateway::Error::AlreadyExists(_)) => {
            let again = expertnet_web::password::Password::new(password.clone());
            people.set_password(coordinator, again).await?;
        }
        Err(err) => return Err(err.into()),
    }
    write_private(path, &password)?;
    Ok(password)
}

/// Sixteen letters and digits people can read aloud (no 0/O or 1/l).
fn demo_password() -> String {
    use rand::Rng;
    const ALPHABET: &[u8] = b"abcdefghjkmnpqrstuvwxyz23456789";
    let mut rng = rand::rng();
    (0..16)
        .map(|i| {
            let c = ALPHABET[rng.random_range(0..ALPHABET.len())] as char;
            if i > 0 && i % 4 == 0 {
                format!("-{c}")
            } else {
                c.to_string()
            }
        })
        .collect()
}

fn write_private(path: &Path, text: &str) -> Result<()> {
    use std::io::Write;
    use std::os::unix::fs::OpenOptionsExt;
    let io = |source| LocalError::Io {
        what: format!("cannot write {}", path.display()),
        source,
    };
    let mut file = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(path)
        .map_err(io)?;
    file.write_all(format!("{text}\n").as_bytes()).map_err(io)
}

/// Reads the registry template (normally `deploy/registry.toml`).
pub fn load_registry(path: &Path) -> Result<Registry> {
    Registry::load(path).map_err(|e| LocalError::Setup(e.to_string()))
}
