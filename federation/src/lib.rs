//! What the nodes and the gateway share: to trust each other, and to report.
//!
//! - [`registry`]: which regions form the network and what they have agreed (configuration in `deploy/`);
//! - [`pki`]: the federation's certificate authority and a certificate per node, the gateway and coordinators;
//! - [`peer`]: who a certificate names (the region is bound into its SAN, never taken from a request field);
//! - [`tls`]: mutual-TLS configuration for servers and clients on both sides;
//! - [`charts`]: the SVG charts of the yearly reviews (a region's own at its node, the published one at the
//!   gateway).

pub mod charts;
pub mod metrics;
pub mod peer;
pub mod pki;
pub mod registry;
pub mod served;
pub mod settings;
pub mod shutdown;
pub mod telemetry;
pub mod tls;
pub mod trace;

pub use peer::{Peer, PeerError};
pub use registry::{Area, Region, Registry, RegistryError};
pub use tls::{ServerIdentity, TlsError, TlsFiles, install_crypto_provider};
