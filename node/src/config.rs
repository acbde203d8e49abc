//! The node's configuration: defaults → TOML file → `EXPERTNET_*` environment → command-line flags, validated
//! once at start. The defaults run a node for Lekstroom on a local SQLite file. A bad value stops start-up with a
//! message naming the key.
//!
//! Environment keys nest with `__`: `EXPERTNET_REGION`, `EXPERTNET_SERVER__LISTEN`, `EXPERTNET_DATABASE__URL`,
//! `EXPERTNET_DATABASE__MAX_CONNECTIONS`, `EXPERTNET_IDENTITY__KEYRING`, `EXPERTNET_RETENTION__CASE_YEARS`.

use crate::error::{Error, Result};
use crate::federation::runtime::FederationConfig;
use crate::storage::Backend;
use crate::vault::Vault;
use crate::vault::keyring::Keyring;
use crate::workflow::{RetentionPolicy, SignInPolicy};
use expertnet_federation::ServerIdentity;
use expertnet_federation::metrics::MetricsConfig;
use expertnet_federation::settings::load_layered;
use figment::providers::Env;
use serde::{Deserialize, Serialize};
use sqlx::sqlite::SqliteConnectOptions;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::str::FromStr;

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct NodeConfig {
    /// The region this node serves, e.g. `lekstroom`.
    pub region: String,
    pub server: ServerConfig,
    pub database: DatabaseConfig,
    /// Membership of the federation; without it the node runs on its own.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub federation: Option<FederationConfig>,
    #[serde(default)]
    pub identity: IdentityConfig,
    /// How long case files and audit events are kept.
    #[serde(default)]
    pub retention: RetentionPolicy,
    /// The web board.
    #[serde(default)]
    pub web: WebConfig,
    /// The Prometheus endpoint (`GET /metrics`, plain HTTP: keep it on an address only the scraper reaches).
    #[serde(default)]
    pub metrics: MetricsConfig,
}

/// The web board: where it listens (HTTPS with `server.tls` when given) and how sign-in behaves.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct WebConfig {
    /// Address the board binds, e.g. `127.0.0.1:8051`; empty for no board.
    pub listen: String,
    #[serde(default)]
    pub sign_in: SignInPolicy,
}

impl Default for WebConfig {
    fn default() -> WebConfig {
        WebConfig {
            listen: "127.0.0.1:8051".into(),
            sign_in: SignInPolicy::default(),
        }
    }
}

/// Where the keys of the youth's encrypted identifiers are.
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct IdentityConfig {
    /// The keyring file (made, mode 0600, on first start if missing). Without it, an SQLite node keeps its
    /// keyring beside the database file (`<file>.keys.toml`); a PostgreSQL node must name one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub keyring: Option<PathBuf>,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct ServerConfig {
    /// Address the gRPC server binds, e.g. `127.0.0.1:50051`.
    pub listen: String,
    /// The team API's certificate and key. Required unless `listen` is a loopback address: API tokens never
    /// cross a network in clear.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tls: Option<ServerIdentity>,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct DatabaseConfig {
    /// `sqlite://path/to/file.db` or `postgres://user@host/db`.
    pub url: String,
    pub max_connections: u32,
}

impl Default for NodeConfig {
    fn default() -> NodeConfig {
        NodeConfig {
            region: "lekstroom".into(),
            server: ServerConfig {
                listen: "127.0.0.1:50051".into(),
                tls: None,
            },
            database: DatabaseConfig {
                url: "sqlite://data/expertnet-node.db".into(),
                max_connections: 8,
            },
            federation: None,
            identity: IdentityConfig::default(),
            retention: RetentionPolicy::default(),
            web: WebConfig::default(),
            metrics: MetricsConfig::default(),
        }
    }
}

/// Values given on the command line; they win over file and environment.
#[derive(Debug, Clone, Default)]
pub struct Overrides {
    pub listen: Option<String>,
    pub database_url: Option<String>,
}

impl NodeConfig {
    /// Loads and validates. `file` must exist when given.
    pub fn load(file: Option<&Path>, overrides: &Overrides) -> Result<NodeConfig> {
        // Only configuration keys: EXPERTNET_TOKEN, EXPERTNET_NODE and the like are the CLI's, not the node's.
        let env = Env::prefixed("EXPERTNET_")
            .filter(|key| {
                let key = key.as_str().to_ascii_lowercase();
                key == "region"
                    || [
                        "server__",
                        "database__",
                        "federation__",
                        "identity__",
                        "retention__",
                        "web__",
                        "metrics__",
                    ]
                    .iter()
                    .any(|section| key.starts_with(section))
            })
            .split("__");
        let config: NodeConfig = load_layered(NodeConfig::default(), file, env, |mut figment| {
            if let Some(listen) = &overrides.listen {
                figment = figment.merge(("server.listen", listen));
            }
            if let Some(url) = &overrides.database_url {
                figment = figment.merge(("database.url", url));
            }
            figment
        })
        .map_err(Error::Config)?;
        config.validate()?;
        Ok(config)
    }

    pub fn validate(&self) -> Result<()> {
        let region_ok = !self.region.is_empty()
            && self.region.len() <= 64
            && self
                .region
                .chars()
                .all(|c| c.is_ascii_lowercase() || c == '-');
        if !region_ok {
            return Err(Error::Config(format!(
                "region: '{}' must be 1-64 of a-z and '-' (e.g. lekstroom)",
                self.region
            )));
        }
        let listen = self.listen_addr()?;
        if self.server.tls.is_none() && !listen.ip().is_loopback() {
            return Err(Error::Config(format!(
                "server.tls: the team API on {listen} would carry API tokens in clear; give server.tls.cert \
                 and server.tls.key (plaintext is only allowed on a loopback address)"
            )));
        }
        if Backend::of_url(&self.database.url).is_none() {
            return Err(Error::Config(
                "database.url: must start with sqlite:, postgres:// or postgresql://".into(),
            ));
        }
        if !(1..=64).contains(&self.database.max_connections) {
            return Err(Error::Config(format!(
                "database.max_connections: {} is not between 1 and 64",
                self.database.max_connections
            )));
        }
        if let Some(federation) = &self.federation {
            federation.validate()?;
        }
        if let Some(problem) = self.retention.problem() {
            return Err(Error::Config(problem));
        }
        self.metrics_addr()?;
        if let Some(web) = self.web_addr()?
            && self.server.tls.is_none()
            && !web.ip().is_loopback()
        {
            return Err(Error::Config(format!(
                "server.tls: the web board on {web} would carry passwords in clear; give server.tls.cert and \
                 server.tls.key (plaintext is only allowed on a loopback address)"
            )));
        }
        if let Some(problem) = self.web.sign_in.problem("web") {
            return Err(Error::Config(problem));
        }
        Ok(())
    }

    /// The board's address, or `None` when `web.listen` is empty (no board).
    pub fn web_addr(&self) -> Result<Option<SocketAddr>> {
        if self.web.listen.trim().is_empty() {
            return Ok(None);
        }
        self.web.listen.parse().map(Some).map_err(|_| {
            Error::Config(format!(
                "web.listen: '{}' is not an address like 127.0.0.1:8051",
                self.web.listen
            ))
        })
    }

    /// The metrics endpoint's address, or `None` when `metrics.listen` is empty (the default).
    pub fn metrics_addr(&self) -> Result<Option<SocketAddr>> {
        self.metrics.addr("metrics").map_err(Error::Config)
    }

    /// The keyring file: `identity.keyring`, or beside an SQLite database file.
    pub fn keyring_path(&self) -> Result<PathBuf> {
        if let Some(path) = &self.identity.keyring {
            return Ok(path.clone());
        }
        match Backend::of_url(&self.database.url) {
            Some(Backend::Sqlite) => Ok(self.sqlite_file()?.with_extension("keys.toml")),
            _ => Err(Error::Config(
                "identity.keyring: a node on PostgreSQL needs a keyring file for the youth's encrypted \
                 identifiers (EXPERTNET_IDENTITY__KEYRING)"
                    .into(),
            )),
        }
    }

    /// The database file of a node on SQLite, as `database.url` names it.
    pub fn sqlite_file(&self) -> Result<PathBuf> {
        let options = SqliteConnectOptions::from_str(&self.database.url)
            .map_err(|e| Error::Config(format!("database.url: {e}")))?;
        Ok(options.get_filename().to_path_buf())
    }

    /// Loads the keyring (making one on first start) and opens the vault with it.
    pub fn vault(&self) -> Result<Vault> {
        let path = self.keyring_path()?;
        let keyring = Keyring::load_or_create(&path)
            .map_err(|e| Error::Config(format!("identity.keyring: {e}")))?;
        Vault::new(&keyring).map_err(|e| Error::Config(format!("identity.keyring: {e}")))
    }

    pub fn listen_addr(&self) -> Result<SocketAddr> {
        self.server.listen.parse().map_err(|_| {
            Error::Config(format!(
                "server.listen: '{}' is not an address like 127.0.0.1:50051",
                self.server.listen
            ))
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;

    fn config_file(text: &str) -> tempfile::NamedTempFile {
        let mut file = tempfile::NamedTempFile::new().unwrap();
        file.write_all(text.as_bytes()).unwrap();
        file
    }

    /// Runs a test that reads the environment under figment's `Jail` lock, so no other test's
    /// `EXPERTNET_` variables leak into it while they are set.
    #[allow(clippy::result_large_err)] // figment's Jail fixes the closure's error type
    fn in_jail(test: impl FnOnce()) {
        let mut test = Some(test);
        figment::Jail::expect_with(|_jail| {
            (test.take().expect("run once"))();
            Ok(())
        });
    }

    #[test]
    fn defaults_are_valid() {
        NodeConfig::default().validate().unwrap();
    }

    #[test]
    fn file_then_flags() {
        in_jail(|| {
            let file = config_file(
                "region = \"rivierenland\"\n[server]\nlisten = \"127.0.0.1:7000\"\n[database]\nurl = \"sqlite://x.db\"\nmax_connections = 4\n",
            );
            let overrides = Overrides {
                listen: Some("127.0.0.1:7001".into()),
                database_url: None,
            };
            let config = NodeConfig::load(Some(file.path()), &overrides).unwrap();
            assert_eq!(config.region, "rivierenland");
            assert_eq!(config.server.listen, "127.0.0.1:7001");
            assert_eq!(config.database.max_connections, 4);
        });
    }

    #[test]
    #[allow(clippy::result_large_err)] // figment's Jail fixes the closure's error type
    fn environment_overrides_file_and_names_bad_keys() {
        figment::Jail::expect_with(|jail| {
            jail.set_env("EXPERTNET_DATABASE__MAX_CONNECTIONS", "3");
            jail.set_env("EXPERTNET_REGION", "flevoland-utrecht");
            jail.set_env("EXPERTNET_NODE", "http://ignored:1");
            jail.set_env("EXPERTNET_METRICS__LISTEN", "127.0.0.1:9151");
            let config = NodeConfig::load(None, &Overrides::default()).unwrap();
            assert_eq!(config.database.max_connections, 3);
            assert_eq!(config.region, "flevoland-utrecht");
            assert_eq!(config.metrics.listen, "127.0.0.1:9151");
            jail.set_env("EXPERTNET_SERVER__LISEN", "x");
            let err = NodeConfig::load(None, &Overrides::default()).unwrap_err();
            assert!(err.to_string().contains("lisen"), "{err}");
            Ok(())
        });
    }

    #[test]
    #[allow(clippy::result_large_err)] // figment's Jail fixes the closure's error type
    fn the_gateway_is_one_url_or_a_list_of_replicas() {
        figment::Jail::expect_with(|jail| {
            jail.create_file(
                "node.toml",
                "[federation]\nlisten = \"127.0.0.1:50061\"\ngateway = \"https://a:50060\"\n\
                 registry = \"r.toml\"\n[federation.tls]\nca = \"ca\"\ncert = \"c\"\nkey = \"k\"\n",
            )?;
            let file = Some(Path::new("node.toml"));
            let one = NodeConfig::load(file, &Overrides::default()).unwrap();
            assert_eq!(
                one.federation.unwrap().gateway.as_slice(),
                ["https://a:50060"]
            );
            jail.set_env(
                "EXPERTNET_FEDERATION__GATEWAY",
                "[\"https://a:50060\", \"https://b:50060\"]",
            );
            let two = NodeConfig::load(file, &Overrides::default()).unwrap();
            assert_eq!(
                two.federation.unwrap().gateway.as_slice(),
                ["https://a:50060", "https://b:50060"]
            );
            for (value, message) in [
                ("[]", "federation.gateway: names no gateway"),
                (
                    "[\"https://a:50060\", \"http://b:50060\"]",
                    "federation.gateway: 'http://b:50060' must be an https:// URL",
                ),
                ("5", "federation.gateway"),
            ] {
                jail.set_env("EXPERTNET_FEDERATION__GATEWAY", value);
                let err = NodeConfig::load(file, &Overrides::default()).unwrap_err();
                assert!(err.to_string().contains(message), "{value}: {err}");
            }
            Ok(())
        });
    }

    #[test]
    fn unknown_key_is_named() {
        in_jail(|| {
            let file = config_file("[server]\nlisen = \"127.0.0.1:7000\"\n");
            let err = NodeConfig::load(Some(file.path()), &Overrides::default()).unwrap_err();
            assert!(err.to_string().contains("lisen"), "{err}");
        });
    }

    #[test]
    fn bad_values_name_the_key() {
        in_jail(|| {
            let file = config_file("[server]\nlisten = \"nowhere\"\n");
            let err = NodeConfig::load(Some(file.path()), &Overrides::default()).unwrap_err();
            assert!(err.to_string().contains("server.listen"), "{err}");
            let file = config_file("[database]\nurl = \"mysql://x\"\n");
            let err = NodeConfig::load(Some(file.path()), &Overrides::default()).unwrap_err();
            assert!(err.to_string().contains("database.url"), "{err}");
            let file = config_file("[metrics]\nlisten = \"port 9151\"\n");
            let err = NodeConfig::load(Some(file.path()), &Overrides::default()).unwrap_err();
            assert!(err.to_string().contains("metrics.listen"), "{err}");
            let file = config_file("[database]\nmax_connections = \"many\"\n");
            let err = NodeConfig::load(Some(file.path()), &Overrides::default()).unwrap_err();
            assert!(
                err.to_string().contains("database.max_connections"),
                "{err}"
            );
            let err =
                NodeConfig::load(Some(Path::new("/no/such/file.toml")), &Overrides::default())
                    .unwrap_err();
            assert!(err.to_string().contains("--config"), "{err}");
        });
    }

    #[test]
    fn the_board_off_loopback_needs_tls_and_sane_limits() {
        let mut config = NodeConfig::default();
        config.web.listen = "0.0.0.0:8051".into();
        let message = config.validate().unwrap_err().to_string();
        assert!(
            message.contains("server.tls") && message.contains("web board"),
            "{message}"
        );
        config.web.listen = "somewhere".into();
        assert!(
            config
                .validate()
                .unwrap_err()
                .to_string()
                .contains("web.listen")
        );
        config.web.listen = String::new();
        assert!(config.validate().is_ok(), "no board at all");
        config.web.sign_in.idle_minutes = 0;
        assert!(
            config
                .validate()
                .unwrap_err()
                .to_string()
                .contains("web.idle_minutes")
        );
    }

    #[test]
    fn a_team_api_off_loopback_needs_tls() {
        let mut config = NodeConfig::default();
        config.server.listen = "0.0.0.0:50051".into();
        let message = config.validate().unwrap_err().to_string();
        assert!(message.contains("server.tls"), "{message}");
        config.server.tls = Some(ServerIdentity {
            cert: "node.pem".into(),
            key: "node.key".into(),
        });
        assert!(config.validate().is_ok());
        config.server.tls = None;
        config.server.listen = "[::1]:50051".into();
        assert!(config.validate().is_ok(), "loopback may stay plaintext");
    }
}
