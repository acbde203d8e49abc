//! Logging and tracing set-up shared by nodes and the gateway: structured `tracing` to stderr, filtered by
//! `RUST_LOG` (default `info`), and OpenTelemetry spans. Log fields carry ids, never names, BSNs or other
//! personal data.
//!
//! Spans always get W3C trace ids, so a consultation or escalation is one trace across node → gateway → node
//! (see [`crate::trace`]); they are exported over OTLP only when `OTEL_EXPORTER_OTLP_ENDPOINT` is set.
//! A process that exports records every span; one that does not records none: the ids still travel, so the
//! next process's spans join the trace, but no span data is built for nobody (on the gateway's forwarding
//! path that was a few per cent of its CPU).

use opentelemetry::trace::TracerProvider as _;
use opentelemetry_sdk::Resource;
use opentelemetry_sdk::propagation::TraceContextPropagator;
use opentelemetry_sdk::trace::{Sampler, SdkTracerProvider};
use std::io::IsTerminal;
use tracing_subscriber::EnvFilter;
use tracing_subscriber::layer::SubscriberExt;
use tracing_subscriber::util::SubscriberInitExt;

/// Keeps the tracer provider alive; dropping it flushes spans still waiting for export.
#[derive(Debug)]
pub struct Telemetry {
    provider: SdkTracerProvider,
}

impl Drop for Telemetry {
    fn drop(&mut self) {
        let _ = self.provider.shutdown();
    }
}

/// Whether spans are exported: the standard OpenTelemetry switch.
pub fn export_configured() -> bool {
    std::env::var_os("OTEL_EXPORTER_OTLP_ENDPOINT").is_some_and(|v| !v.is_empty())
        || std::env::var_os("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT").is_some_and(|v| !v.is_empty())
}

/// Sets up logging and tracing for the process `service` (e.g. `expertnet-node`). A second call (tests,
/// embedded use) keeps the first subscriber.
pub fn init(service: &str, json: bool) -> Telemetry {
    opentelemetry::global::set_text_map_propagator(TraceContextPropagator::new());
    let mut builder = SdkTracerProvider::builder().with_resource(
        Resource::builder()
            .with_service_name(service.to_owned())
            .build(),
    );
    builder = builder.with_sampler(if export_configured() {
        Sampler::AlwaysOn
    } else {
        Sampler::AlwaysOff
    });
    if export_configured() {
        match opentelemetry_otlp::SpanExporter::builder()
            .with_tonic()
            .build()
        {
            Ok(exporter) => builder = builder.with_batch_exporter(exporter),
            Err(err) => eprintln!("warning: OTLP export is off: {err}"),
        }
    }
    let provider = builder.build();
    let otel = tracing_opentelemetry::layer().with_tracer(provider.tracer("expertnet"));
    let filter = EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| EnvFilter::new("info,sqlx=warn,h2=warn"));
    let fmt = tracing_subscriber::fmt::layer()
        .with_writer(std::io::stderr)
        .with_target(false)
        .with_ansi(std::io::stderr().is_terminal());
    let registry = tracing_subscriber::registry().with(filter).with(otel);
    let _ = if json {
        registry.with(fmt.json()).try_init()
    } else {
        registry.with(fmt).try_init()
    };
    Telemetry { provider }
}
