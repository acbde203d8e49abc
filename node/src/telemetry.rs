//! Logging set-up: structured `tracing` to stderr, filtered by `RUST_LOG` (default `info`). Log fields carry
//! ids, never names, BSNs or other personal data.

use std::io::IsTerminal;
use tracing_subscriber::EnvFilter;

pub fn init(json: bool) {
    let filter =
        EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info,sqlx=warn"));
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_target(false)
        .with_ansi(std::io::stderr().is_terminal());
    let result = if json {
        builder.json().try_init()
    } else {
        builder.try_init()
    };
    // A second init (tests, embedded use) keeps the first subscriber.
    let _ = result;
}
