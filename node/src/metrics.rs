//! What the node tells Prometheus, on `metrics.listen` (off unless configured): its RPCs (the shared
//! [`expertnet_federation::metrics`] layer on the team API and the inbox), what its courier delivers and how long
//! that took from writing, what came in, sign-ins and refusals, and — read at each scrape — the depths of its
//! outbox and inbox and its database pool. Labels are fixed words: no identifier, name or text of a case.

use crate::domain::EnvelopeKind;
use crate::workflow::Workflow;
use expertnet_federation::metrics::Metrics;
use std::future::Future;
use std::time::Duration;

pub const OUTBOX_ENVELOPES: &str = "expertnet_outbox_envelopes";
pub const INBOX_WAITING: &str = "expertnet_inbox_waiting";
pub const POOL_CONNECTIONS: &str = "expertnet_database_pool_connections";
pub const DELIVERY_ATTEMPTS: &str = "expertnet_outbox_delivery_attempts_total";
pub const DELIVERY_SECONDS: &str = "expertnet_outbox_delivery_seconds";
pub const ENVELOPES_RECEIVED: &str = "expertnet_inbox_envelopes_total";
pub const SIGN_INS: &str = "expertnet_sign_ins_total";
pub const ACCESS_REFUSALS: &str = "expertnet_access_refusals_total";

/// A new registry for a node, knowing the node's RPCs, with every metric described.
pub fn registry() -> Metrics {
    let metrics = Metrics::new(expertnet_federation::served::DESCRIPTOR_SETS);
    metrics.record(|| {
        use metrics::{Unit, describe_counter, describe_gauge, describe_histogram};
        describe_gauge!(
            OUTBOX_ENVELOPES,
            "Envelopes in the outbox not yet delivered: pending, or dead letters waiting for an operator"
        );
        describe_gauge!(
            INBOX_WAITING,
            "Consultation questions and escalations from other regions waiting for this team"
        );
        describe_gauge!(
            POOL_CONNECTIONS,
            "Database connections of the node's pool, in use or idle"
        );
        describe_counter!(
            DELIVERY_ATTEMPTS,
            "Attempts of the courier to hand an envelope to the gateway, by kind and outcome"
        );
        describe_histogram!(
            DELIVERY_SECONDS,
            Unit::Seconds,
            "Time from writing an envelope to the outbox to its delivery, by kind"
        );
        describe_counter!(
            ENVELOPES_RECEIVED,
            "Envelopes received from other regions, by kind and receipt (taken, or a duplicate)"
        );
        describe_counter!(
            SIGN_INS,
            "Sign-in steps at the web board (password, second factor), by outcome"
        );
        describe_counter!(
            ACCESS_REFUSALS,
            "Team API calls refused before any handler ran, by reason"
        );
    });
    metrics
}

/// One attempt of the courier: `delivered`, `transient` (tried again later) or `refused`.
pub fn delivery_attempt(metrics: &Metrics, kind: EnvelopeKind, outcome: &'static str) {
    metrics.record(|| {
        metrics::counter!(DELIVERY_ATTEMPTS, "kind" => kind.as_str(), "outcome" => outcome)
            .increment(1);
    });
}

/// An envelope delivered `waited` after it was written.
pub fn delivered(metrics: &Metrics, kind: EnvelopeKind, waited: Duration) {
    metrics.record(|| {
        metrics::histogram!(DELIVERY_SECONDS, "kind" => kind.as_str()).record(waited.as_secs_f64());
    });
}

/// An envelope from another region: `taken`, or a `duplicate` of one taken before.
pub fn envelope_received(metrics: &Metrics, kind: EnvelopeKind, receipt: &'static str) {
    metrics.record(|| {
        metrics::counter!(ENVELOPES_RECEIVED, "kind" => kind.as_str(), "receipt" => receipt)
            .increment(1);
    });
}

/// A sign-in step at the board (`password` or `second_factor`) and how it ended (`ok`, `refused`, `locked`).
pub fn sign_in(metrics: &Metrics, step: &'static str, outcome: &'static str) {
    metrics.record(|| {
        metrics::counter!(SIGN_INS, "step" => step, "outcome" => outcome).increment(1);
    });
}

/// A team API call refused by the guard: `unauthenticated`, `rate-limited`, `denied` or `unavailable`.
pub fn access_refused(metrics: &Metrics, reason: &str) {
    let reason = match reason {
        "unauthenticated" => "unauthenticated",
        "rate-limited" => "rate_limited",
        "denied" => "denied",
        _ => "unavailable",
    };
    metrics.record(|| {
        metrics::counter!(ACCESS_REFUSALS, "reason" => reason).increment(1);
    });
}

/// Sets the gauges that are read from the node's state at scrape time.
pub async fn collect(workflow: &Workflow) {
    let pool = workflow.storage().pool();
    let (size, idle) = (pool.size(), pool.num_idle() as u32);
    let report = workflow.node_report().await;
    workflow.metrics().record(|| {
        metrics::gauge!(POOL_CONNECTIONS, "state" => "in_use")
            .set(f64::from(size.saturating_sub(idle)));
        metrics::gauge!(POOL_CONNECTIONS, "state" => "idle").set(f64::from(idle));
        match &report {
            Ok(report) => {
                metrics::gauge!(OUTBOX_ENVELOPES, "state" => "pending")
                    .set(report.outbox_depth as f64);
                metrics::gauge!(OUTBOX_ENVELOPES, "state" => "dead")
                    .set(report.dead_letters as f64);
                metrics::gauge!(INBOX_WAITING).set(report.inbox_depth as f64);
            }
            Err(err) => tracing::warn!(error = %err, "metrics: the queue depths could not be read"),
        }
    });
}

/// Serves the node's metrics on `listener` until `shutdown`.
pub async fn serve(
    listener: tokio::net::TcpListener,
    workflow: Workflow,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    let metrics = workflow.metrics().clone();
    let collecting = move || {
        let workflow = workflow.clone();
        async move { collect(&workflow).await }
    };
    expertnet_federation::metrics::serve(listener, metrics, collecting, shutdown).await
}
