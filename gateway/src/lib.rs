//! The supra-regional gateway: it knows the regions (registry), routes consultations and escalations between
//! their nodes, and shows coordinators the network. It holds no case data: only the registry, what nodes
//! report in their heartbeats, and the aggregated, disclosure-protected counts of the statistics.

pub mod cli;
pub mod config;
pub mod coordination;
pub mod dashboard;
pub mod error;
pub mod forwarding;
pub mod grpc;
pub mod metrics;
pub mod network;
pub mod nodes;
pub mod people;
pub mod routing;
pub mod server;
pub mod statistics;
pub mod transport;

pub use config::GatewayConfig;
pub use error::Error;
