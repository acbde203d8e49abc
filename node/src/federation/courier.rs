//! The courier: carries outbox envelopes to the gateway, one at a time, oldest first. A failed attempt is
//! retried with backoff; an envelope the gateway refuses outright, or one still undelivered after the policy's
//! time, becomes a dead letter for an operator to inspect and replay. Nothing is removed from the outbox: a
//! delivered envelope is marked so, in the node's database.

use super::envelope;
use super::gateways::Gateways;
use crate::metrics;
use crate::storage::outbox::Due;
use crate::workflow::{DeliveryPolicy, Failure, Workflow};
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::{Notify, watch};
use tonic::Code;
use tracing::Instrument;

/// How many due envelopes one round takes.
const BATCH: u32 = 32;
/// The longest the courier sleeps without looking at the outbox.
const IDLE_POLL: Duration = Duration::from_secs(1);
/// How long one delivery attempt may take through one gateway replica.
const ATTEMPT: Duration = Duration::from_secs(10);

#[derive(Debug, Clone)]
pub struct Courier {
    workflow: Workflow,
    gateways: Gateways,
    policy: DeliveryPolicy,
    outbox_ready: Arc<Notify>,
}

impl Courier {
    pub fn new(
        workflow: Workflow,
        gateways: Gateways,
        policy: DeliveryPolicy,
        outbox_ready: Arc<Notify>,
    ) -> Courier {
        Courier {
            workflow,
            gateways,
            policy,
            outbox_ready,
        }
    }

    /// Delivers until `stop` turns true.
    pub async fn run(mut self, mut stop: watch::Receiver<bool>) {
        while !*stop.borrow() {
            let wait = match self.round().await {
                Ok(true) => continue,
                Ok(false) => self
                    .workflow
                    .next_due_in()
                    .await
                    .ok()
                    .flatten()
                    .map_or(IDLE_POLL, |d| d.min(IDLE_POLL)),
                Err(err) => {
                    tracing::error!(error = %err, "courier cannot read the outbox");
                    IDLE_POLL
                }
            };
            tokio::select! {
                _ = self.outbox_ready.notified() => {}
                _ = tokio::time::sleep(wait) => {}
                _ = stop.changed() => {}
            }
        }
    }

    /// One round over what is due; `true` when there may be more.
    async fn round(&mut self) -> crate::error::Result<bool> {
        let due = self.workflow.due_envelopes(BATCH).await?;
        let full = due.len() == BATCH as usize;
        for item in due {
            let span = tracing::info_span!("deliver", key = %item.key, kind = item.kind.as_str());
            expertnet_federation::trace::continue_trace(&span, &item.traceparent);
            self.deliver(item).instrument(span).await?;
        }
        Ok(full)
    }

    async fn deliver(&mut self, item: Due) -> crate::error::Result<()> {
        let envelope = match envelope::from_json(&item.envelope) {
            Ok(envelope) => envelope,
            Err(err) => {
                let error = format!("unreadable envelope: {err}");
                return self
                    .workflow
                    .delivery_failed(&item, Failure::Permanent, &error, &self.policy)
                    .await;
            }
        };
        let routed = self
            .gateways
            .call(ATTEMPT, |mut gateway| {
                let mut request = tonic::Request::new(envelope.clone());
                request.set_timeout(ATTEMPT);
                expertnet_federation::trace::inject(request.metadata_mut());
                async move { gateway.route(request).await }
            })
            .await;
        match routed {
            Ok(reply) => {
                let delivered_to = reply.into_inner().delivered_to;
                tracing::info!(to = ?delivered_to, attempts = item.attempts + 1, "delivered");
                let registry = self.workflow.metrics();
                metrics::delivery_attempt(registry, item.kind, "delivered");
                let written = self.workflow.clock().now_ms() - item.created_at;
                metrics::delivered(
                    registry,
                    item.kind,
                    Duration::from_millis(u64::try_from(written).unwrap_or(0)),
                );
                self.workflow.delivered(&item, &delivered_to).await
            }
            Err(status) => {
                let failure = match status.code() {
                    Code::Unavailable
                    | Code::DeadlineExceeded
                    | Code::ResourceExhausted
                    | Code::Aborted
                    | Code::Internal
                    | Code::Unknown
                    | Code::Cancelled => Failure::Transient,
                    _ => Failure::Permanent,
                };
                let error = format!("{:?}: {}", status.code(), status.message());
                tracing::info!(%error, attempts = item.attempts + 1, "not delivered");
                let outcome = match failure {
                    Failure::Transient => "transient",
                    Failure::Permanent => "refused",
                };
                metrics::delivery_attempt(self.workflow.metrics(), item.kind, outcome);
                self.workflow
                    .delivery_failed(&item, failure, &error, &self.policy)
                    .await
            }
        }
    }
}
