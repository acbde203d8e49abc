//! What the gateway tells Prometheus, on `metrics.listen` (off unless configured): every RPC it answers, routed
//! calls included (the shared [`expertnet_federation::metrics`] timer), and — read at each scrape — the regions
//! as their heartbeats report them, the statistics releases kept and the privacy budget the network has spent.
//! Region ids come from the registry and periods are quarters: no label holds anything a caller wrote.

use crate::server::Gateway;
use expertnet_federation::metrics::Metrics;
use std::future::Future;
use std::time::SystemTime;

pub const REGION_UP: &str = "expertnet_gateway_region_up";
pub const REGION_OUTBOX: &str = "expertnet_gateway_region_outbox_envelopes";
pub const REGION_DEAD_LETTERS: &str = "expertnet_gateway_region_dead_letters";
pub const REGION_INBOX: &str = "expertnet_gateway_region_inbox_waiting";
pub const RELEASES: &str = "expertnet_statistics_releases";
pub const EPSILON_SPENT: &str = "expertnet_privacy_epsilon_spent";
pub const DASHBOARD_SIGN_INS: &str = "expertnet_dashboard_sign_ins_total";

/// A new registry for the gateway, knowing its RPCs, with every metric described.
pub fn registry() -> Metrics {
    let metrics = Metrics::new(expertnet_federation::served::DESCRIPTOR_SETS);
    metrics.record(|| {
        use metrics::{describe_counter, describe_gauge};
        describe_counter!(
            DASHBOARD_SIGN_INS,
            "Sign-in steps at the coordinators' dashboard (password, second factor), by outcome"
        );
        describe_gauge!(REGION_UP, "1 while the region's node reports in time, else 0");
        describe_gauge!(
            REGION_OUTBOX,
            "Envelopes waiting in the region's outbox, as its last heartbeat said"
        );
        describe_gauge!(
            REGION_DEAD_LETTERS,
            "Dead letters in the region's outbox, as its last heartbeat said"
        );
        describe_gauge!(
            REGION_INBOX,
            "Questions and escalations waiting for the region's team, as its last heartbeat said"
        );
        describe_gauge!(
            RELEASES,
            "Statistics releases kept (a quarter's family of tables, released once)"
        );
        describe_gauge!(
            EPSILON_SPENT,
            "Differential-privacy ε all coordinators together have spent on a quarter's noisy tables"
        );
    });
    metrics
}

/// A sign-in step at the dashboard (`password` or `second_factor`) and how it ended (`ok`, `refused`, `locked`).
pub fn dashboard_sign_in(metrics: &Metrics, step: &'static str, outcome: &'static str) {
    metrics.record(|| {
        metrics::counter!(DASHBOARD_SIGN_INS, "step" => step, "outcome" => outcome).increment(1);
    });
}

/// Sets the gauges read from the gateway's state at scrape time.
pub async fn collect(gateway: &Gateway) {
    let view = gateway.network.view(SystemTime::now());
    let ledger = gateway.statistics.ledger().await;
    gateway.metrics.record(|| {
        for region in &view.regions {
            let id = region.id.clone();
            metrics::gauge!(REGION_UP, "region" => id.clone()).set(if region.up {
                1.0
            } else {
                0.0
            });
            metrics::gauge!(REGION_OUTBOX, "region" => id.clone())
                .set(region.report.outbox_depth as f64);
            metrics::gauge!(REGION_DEAD_LETTERS, "region" => id.clone())
                .set(region.report.dead_letters as f64);
            metrics::gauge!(REGION_INBOX, "region" => id).set(region.report.inbox_depth as f64);
        }
        match &ledger {
            Ok(ledger) => {
                metrics::gauge!(RELEASES).set(ledger.releases as f64);
                for (period, spent) in &ledger.epsilon_spent {
                    metrics::gauge!(EPSILON_SPENT, "period" => period.clone()).set(*spent);
                }
            }
            Err(err) => {
                tracing::warn!(error = %err, "metrics: the statistics store could not be read")
            }
        }
    });
}

/// Serves the gateway's metrics on `listener` until `shutdown`.
pub async fn serve(
    listener: tokio::net::TcpListener,
    gateway: Gateway,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    let metrics = gateway.metrics.clone();
    let collecting = move || {
        let gateway = gateway.clone();
        async move { collect(&gateway).await }
    };
    expertnet_federation::metrics::serve(listener, metrics, collecting, shutdown).await
}
