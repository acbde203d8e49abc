//! expertnet's regional node: one region's expert table — cases, sessions, plans and consultations — on its own
//! database, served over gRPC.

pub mod access;
pub mod audit;
pub mod backup;
pub mod cli;
pub mod clock;
pub mod config;
pub mod domain;
pub mod error;
pub mod federation;
pub mod grpc;
pub mod housekeeping;
pub mod metrics;
pub mod server;
pub mod storage;
pub mod synthetic;
pub mod vault;
pub mod web;
pub mod workflow;

pub use error::{Error, Result};
