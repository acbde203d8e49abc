//! The gateway's configuration: defaults → TOML file → `EXPERTNET_GATEWAY_*` environment → command-line flags,
//! validated once at start. The defaults run the local federation's gateway (`deploy/gateway.toml`). A bad value
//! stops start-up with a message naming the key.

use crate::error::{Error, Result};
use crate::transport::ServerLimits;
use expertnet_federation::metrics::MetricsConfig;
use expertnet_federation::settings::load_layered;
use expertnet_federation::{Registry, TlsFiles};
use expertnet_web::sign_in::SignInPolicy;
use figment::providers::Env;
use serde::{Deserialize, Serialize};
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::time::Duration;

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct GatewayConfig {
    /// Address the gateway binds (mutual TLS only), e.g. `127.0.0.1:50060`.
    pub listen: String,
    /// The region registry (TOML).
    pub registry: PathBuf,
    /// The gateway's certificate, key and the federation CA.
    pub tls: TlsFiles,
    /// How often nodes should report.
    pub heartbeat_interval_secs: u32,
    /// A region that has not reported for this long is shown as down.
    pub down_after_secs: u32,
    /// How long a delivery to a node's inbox may take before the sender is told to try again.
    pub forward_timeout_ms: u64,
    /// The largest envelope the gateway accepts.
    pub max_message_bytes: usize,
    /// Threads serving requests. 1 (the default) runs everything on one thread, like an nginx worker: no
    /// hand-overs between threads, the lowest latency and CPU per call (docs/BENCHMARKS.md); the network's load
    /// is far below what one thread carries. More threads use a work-stealing runtime.
    pub worker_threads: usize,
    /// The statistics store: `sqlite://file.db` or `postgres://user@host/db`.
    pub statistics_database: String,
    /// The smallest count the statistics show; 1 to k - 1 are hidden, with what would give them away.
    pub statistics_k: u64,
    /// The differential-privacy budget: the ε each coordinator may spend on noisy tables of one quarter.
    pub statistics_privacy_budget: f64,
    /// The ε all coordinators together may spend on noisy tables of one quarter: what colluding coordinators (or
    /// one person with several certificates) could learn together is bounded by it.
    pub statistics_privacy_budget_total: f64,
    /// A connection to a node is PINGed after this long without one and dropped when the node does not answer
    /// within 10 s, so a node that vanished is found before a call waits on it. 0: no PINGs.
    pub node_keepalive_secs: u64,
    /// How the port holds its clients to account: connections, calls in flight, HTTP/2 limits, timeouts.
    #[serde(default)]
    pub server: ServerLimits,
    /// The Prometheus endpoint (`GET /metrics`, plain HTTP: keep it on an address only the scraper reaches).
    #[serde(default)]
    pub metrics: MetricsConfig,
    /// The coordinators' dashboard in the browser.
    #[serde(default)]
    pub dashboard: DashboardConfig,
}

/// `[dashboard]`: where coordinators sign in with a browser (HTTPS with the gateway's own certificate and key).
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields, default)]
pub struct DashboardConfig {
    /// Address of the dashboard, e.g. `127.0.0.1:8050` (the default, beside the node boards' 8051); empty for
    /// none.
    pub listen: String,
    /// Failures before a lock, the lock's length and the sessions' lifetimes.
    pub sign_in: SignInPolicy,
}

impl Default for DashboardConfig {
    fn default() -> DashboardConfig {
        DashboardConfig {
            listen: "127.0.0.1:8050".into(),
            sign_in: SignInPolicy::default(),
        }
    }
}

impl DashboardConfig {
    /// The address to serve on, or `None` when there is no dashboard.
    pub fn addr(&self) -> Result<Option<SocketAddr>> {
        if self.listen.trim().is_empty() {
            return Ok(None);
        }
        self.listen.parse().map(Some).map_err(|_| {
            Error::Config(format!(
                "dashboard.listen: '{}' is not an address like 127.0.0.1:8050",
                self.listen
            ))
        })
    }
}

impl Default for GatewayConfig {
    fn default() -> GatewayConfig {
        GatewayConfig {
            listen: "127.0.0.1:50060".into(),
            registry: "deploy/registry.toml".into(),
            tls: TlsFiles {
                ca: "data/federation/pki/ca.pem".into(),
                cert: "data/federation/pki/gateway.pem".into(),
                key: "data/federation/pki/gateway.key".into(),
            },
            heartbeat_interval_secs: 5,
            down_after_secs: 15,
            forward_timeout_ms: 5_000,
            max_message_bytes: 64 * 1024,
            worker_threads: 1,
            statistics_database: "sqlite://data/expertnet-gateway-statistics.db".into(),
            statistics_k: 5,
            statistics_privacy_budget: 1.0,
            statistics_privacy_budget_total: 3.0,
            node_keepalive_secs: 30,
            server: ServerLimits::default(),
            metrics: MetricsConfig::default(),
            dashboard: DashboardConfig::default(),
        }
    }
}

/// Values given on the command line; they win over file and environment.
#[derive(Debug, Clone, Default)]
pub struct Overrides {
    pub listen: Option<String>,
    pub registry: Option<PathBuf>,
}

impl GatewayConfig {
    pub fn load(file: Option<&Path>, overrides: &Overrides) -> Result<GatewayConfig> {
        // EXPERTNET_GATEWAY_CONFIG and EXPERTNET_GATEWAY_URL name the file and the gateway for the CLI; they are
        // not configuration keys.
        let env = Env::prefixed("EXPERTNET_GATEWAY_")
            .filter(|key| !matches!(key.as_str().to_ascii_lowercase().as_str(), "config" | "url"))
            .split("__");
        let config: GatewayConfig =
            load_layered(GatewayConfig::default(), file, env, |mut figment| {
                if let Some(listen) = &overrides.listen {
                    figment = figment.merge(("listen", listen));
                }
                if let Some(registry) = &overrides.registry {
                    figment = figment.merge(("registry", registry));
                }
                figment
            })
            .map_err(Error::Config)?;
        config.validate()?;
        Ok(config)
    }

    /// How long a node connection may be silent before it is PINGed; `None` when never.
    pub fn node_keepalive(&self) -> Option<Duration> {
        (self.node_keepalive_secs > 0).then(|| Duration::from_secs(self.node_keepalive_secs))
    }

    pub fn validate(&self) -> Result<()> {
        self.listen_addr()?;
        if !(1..=3600).contains(&self.heartbeat_interval_secs) {
            return Err(Error::Config(
                "heartbeat_interval_secs: must be between 1 and 3600".into(),
            ));
        }
        if self.down_after_secs <= self.heartbeat_interval_secs {
            return Err(Error::Config(
                "down_after_secs: must be longer than heartbeat_interval_secs".into(),
            ));
        }
        if !(100..=60_000).contains(&self.forward_timeout_ms) {
            return Err(Error::Config(
                "forward_timeout_ms: must be between 100 and 60000".into(),
            ));
        }
        if !(1..=256).contains(&self.worker_threads) {
            return Err(Error::Config(
                "worker_threads: must be between 1 and 256".into(),
            ));
        }
        let database = &self.statistics_database;
        if !(database.starts_with("sqlite:")
            || database.starts_with("postgres://")
            || database.starts_with("postgresql://"))
        {
            return Err(Error::Config(
                "statistics_database: must start with sqlite:, postgres:// or postgresql://".into(),
            ));
        }
        if !(3..=100).contains(&self.statistics_k) {
            return Err(Error::Config(
                "statistics_k: must be between 3 and 100".into(),
            ));
        }
        if !(0.01..=10.0).contains(&self.statistics_privacy_budget) {
            return Err(Error::Config(
                "statistics_privacy_budget: must be between 0.01 and 10".into(),
            ));
        }
        if !(self.statistics_privacy_budget..=100.0).contains(&self.statistics_privacy_budget_total)
        {
            return Err(Error::Config(
                "statistics_privacy_budget_total: must be between statistics_privacy_budget and 100".into(),
            ));
        }
        if !(1024..=16 * 1024 * 1024).contains(&self.max_message_bytes) {
            return Err(Error::Config(
                "max_message_bytes: must be between 1024 and 16777216".into(),
            ));
        }
        self.server.validate().map_err(Error::Config)?;
        self.metrics.addr("metrics").map_err(Error::Config)?;
        self.dashboard.addr()?;
        if let Some(problem) = self.dashboard.sign_in.problem("dashboard.sign_in") {
            return Err(Error::Config(problem));
        }
        Ok(())
    }

    pub fn listen_addr(&self) -> Result<SocketAddr> {
        self.listen.parse().map_err(|_| {
            Error::Config(format!(
                "listen: '{}' is not an address like 127.0.0.1:50060",
                self.listen
            ))
        })
    }

    pub fn load_registry(&self) -> Result<Registry> {
        Registry::load(&self.registry).map_err(|e| Error::Config(e.to_string()))
    }

    pub fn forward_timeout(&self) -> Duration {
        Duration::from_millis(self.forward_timeout_ms)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_are_valid() {
        GatewayConfig::default().validate().unwrap();
    }

    #[test]
    #[allow(clippy::result_large_err)] // figment's Jail fixes the closure's error type
    fn file_environment_and_flags_layer_and_bad_keys_are_named() {
        figment::Jail::expect_with(|jail| {
            jail.create_file(
                "gateway.toml",
                "listen = \"127.0.0.1:7000\"\ndown_after_secs = 30\n[tls]\nca = \"a\"\ncert = \"b\"\nkey = \"c\"\n",
            )?;
            jail.set_env("EXPERTNET_GATEWAY_HEARTBEAT_INTERVAL_SECS", "7");
            jail.set_env("EXPERTNET_GATEWAY_CONFIG", "gateway.toml");
            jail.set_env("EXPERTNET_GATEWAY_URL", "https://127.0.0.1:7001");
            let overrides = Overrides {
                listen: Some("127.0.0.1:7001".into()),
                registry: None,
            };
            let config = GatewayConfig::load(Some(Path::new("gateway.toml")), &overrides).unwrap();
            assert_eq!(config.listen, "127.0.0.1:7001");
            assert_eq!(config.heartbeat_interval_secs, 7);
            assert_eq!(config.down_after_secs, 30);
            assert_eq!(config.tls.key, PathBuf::from("c"));

            jail.create_file("bad.toml", "listen = \"nowhere\"\n")?;
            let err = GatewayConfig::load(Some(Path::new("bad.toml")), &Overrides::default())
                .unwrap_err();
            assert!(err.to_string().contains("listen"), "{err}");
            jail.create_file("threads.toml", "worker_threads = 0\n")?;
            let err = GatewayConfig::load(Some(Path::new("threads.toml")), &Overrides::default())
                .unwrap_err();
            assert!(err.to_string().contains("worker_threads"), "{err}");
            jail.create_file("budget.toml", "statistics_privacy_budget = 0.0\n")?;
            let err = GatewayConfig::load(Some(Path::new("budget.toml")), &Overrides::default())
                .unwrap_err();
            assert!(
                err.to_string()
                    .contains("statistics_privacy_budget: must be between 0.01 and 10"),
                "{err}"
            );
            jail.create_file(
                "total.toml",
                "statistics_privacy_budget = 2.0\nstatistics_privacy_budget_total = 1.0\n",
            )?;
            let err = GatewayConfig::load(Some(Path::new("total.toml")), &Overrides::default())
                .unwrap_err();
            assert!(
                err.to_string()
                    .contains("statistics_privacy_budget_total: must be between"),
                "{err}"
            );
            for (file, text, key) in [
                (
                    "limits.toml",
                    "[server]\nmax_calls_in_flight = 0\n",
                    "server.max_calls_in_flight: must be at least 1",
                ),
                (
                    "window.toml",
                    "[server]\nreceive_window_bytes = 100\n",
                    "server.receive_window_bytes",
                ),
                (
                    "metrics.toml",
                    "[metrics]\nlisten = \"port 9150\"\n",
                    "metrics.listen",
                ),
            ] {
                jail.create_file(file, text)?;
                let err =
                    GatewayConfig::load(Some(Path::new(file)), &Overrides::default()).unwrap_err();
                assert!(err.to_string().contains(key), "{file}: {err}");
            }
            jail.create_file("typo.toml", "[tls]\nkee = \"x\"\n")?;
            let err = GatewayConfig::load(Some(Path::new("typo.toml")), &Overrides::default())
                .unwrap_err();
            assert!(err.to_string().contains("kee"), "{err}");
            jail.set_env("EXPERTNET_GATEWAY_DOWN_AFTER_SECS", "3");
            let err = GatewayConfig::load(None, &Overrides::default()).unwrap_err();
            assert!(err.to_string().contains("down_after_secs"), "{err}");
            Ok(())
        });
    }
}
