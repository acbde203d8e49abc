//! The outbox as the courier and the operator use it: what is due, what was delivered, what failed and
//! when to try again, dead letters and their replay, and the node's report for its heartbeat.

use super::Workflow;
use crate::domain::*;
use crate::error::Result;
use crate::storage::{self, outbox::Due};
use std::collections::BTreeMap;
use std::time::Duration;

/// How the courier retries.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DeliveryPolicy {
    /// The first retry waits this long; each next one twice as long, up to `max_backoff`.
    pub first_backoff: Duration,
    pub max_backoff: Duration,
    /// An envelope still undelivered this long after it was written becomes a dead letter.
    pub dead_letter_after: Duration,
}

impl Default for DeliveryPolicy {
    fn default() -> DeliveryPolicy {
        DeliveryPolicy {
            first_backoff: Duration::from_millis(100),
            max_backoff: Duration::from_secs(1),
            dead_letter_after: Duration::from_secs(24 * 3600),
        }
    }
}

impl DeliveryPolicy {
    /// The wait before attempt `attempts + 1`, with up to a fifth of jitter so that many senders do not
    /// retry in step.
    pub fn backoff(&self, attempts: u32) -> Duration {
        let base = self
            .first_backoff
            .saturating_mul(1u32 << attempts.min(16))
            .min(self.max_backoff);
        let jitter = base.mul_f64(rand::random::<f64>() * 0.2);
        base.saturating_sub(jitter)
    }
}

/// What a node tells the gateway in its heartbeat: counts only.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct NodeReport {
    pub outbox_depth: u64,
    pub dead_letters: u64,
    pub inbox_depth: u64,
    /// Per partner region: consultations and escalations in flight.
    pub in_flight: BTreeMap<String, InFlight>,
}

/// What a node has in flight with one partner region.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct InFlight {
    pub consultations: u64,
    pub escalations: u64,
    /// When the oldest of them was asked or sent.
    pub oldest_since: Millis,
}

/// Why an attempt failed, as the courier judged it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Failure {
    /// The gateway or the target node could not be reached or was busy: try again later.
    Transient,
    /// The envelope was refused (no covenant, bad content): retrying cannot help.
    Permanent,
}

impl Workflow {
    pub async fn due_envelopes(&self, limit: u32) -> Result<Vec<Due>> {
        storage::outbox::due(self.storage.pool(), self.now(), limit).await
    }

    /// Milliseconds until the next envelope falls due, if any waits.
    pub async fn next_due_in(&self) -> Result<Option<Duration>> {
        let next = storage::outbox::next_due(self.storage.pool()).await?;
        Ok(next.map(|at| Duration::from_millis(u64::try_from(at - self.now()).unwrap_or(0))))
    }

    /// Records a delivery; for a question asked to the network, also the regions it reached.
    pub async fn delivered(&self, due: &Due, delivered_to: &[String]) -> Result<()> {
        let mut tx = self.storage.begin().await?;
        storage::outbox::mark_delivered(&mut tx, &due.key, self.now()).await?;
        if due.kind == EnvelopeKind::ConsultationQuestion {
            storage::consultations::set_routed_to(&mut tx, &due.key, delivered_to).await?;
        }
        let to = if delivered_to.is_empty() {
            "to gateway".to_owned()
        } else {
            format!("to {}", delivered_to.join(","))
        };
        let event = self.crossing_event("send", due.kind.as_str(), &due.key, &to);
        storage::audit::append(&mut tx, vec![event]).await?;
        tx.commit().await
    }

    /// Records a failed attempt and when to try again, or makes the envelope a dead letter.
    pub async fn delivery_failed(
        &self,
        due: &Due,
        failure: Failure,
        error: &str,
        policy: &DeliveryPolicy,
    ) -> Result<()> {
        let now = self.now();
        let age = Duration::from_millis(u64::try_from(now - due.created_at).unwrap_or(0));
        let dead = failure == Failure::Permanent || age >= policy.dead_letter_after;
        let next = now + policy.backoff(due.attempts).as_millis() as i64;
        if dead {
            tracing::warn!(key = %due.key, kind = due.kind.as_str(), error, "envelope is now a dead letter");
        }
        storage::outbox::mark_failed(
            self.storage.pool(),
            &due.key,
            error,
            next,
            dead.then_some(now),
        )
        .await
    }

    pub async fn list_outbox(
        &self,
        state: Option<DeliveryState>,
        limit: u32,
    ) -> Result<Vec<OutboxEntry>> {
        storage::outbox::list(self.storage.pool(), state, limit).await
    }

    /// Puts a dead letter back in line for delivery.
    pub async fn replay_dead_letter(&self, key: &str, actor: &str) -> Result<OutboxEntry> {
        let entry = storage::outbox::replay(self.storage.pool(), key, self.now()).await?;
        tracing::info!(key, actor, "dead letter replayed");
        self.wake_courier();
        Ok(entry)
    }

    pub async fn node_report(&self) -> Result<NodeReport> {
        let pool = self.storage.pool();
        let (outbox_depth, dead_letters) = storage::outbox::depths(pool).await?;
        let inbox_depth = storage::consultations::waiting_incoming(pool).await?
            + storage::escalations::waiting_incoming(pool).await?;
        let mut in_flight: BTreeMap<String, InFlight> = BTreeMap::new();
        let mut add = |region: String, consultations, escalations, since: Millis| {
            let flight = in_flight.entry(region).or_insert(InFlight {
                consultations: 0,
                escalations: 0,
                oldest_since: since,
            });
            flight.consultations += consultations;
            flight.escalations += escalations;
            flight.oldest_since = flight.oldest_since.min(since);
        };
        for (region, count, since) in storage::consultations::in_flight(pool).await? {
            add(region, count, 0, since);
        }
        for (region, count, since) in storage::escalations::in_flight(pool).await? {
            add(region, 0, count, since);
        }
        Ok(NodeReport {
            outbox_depth,
            dead_letters,
            inbox_depth,
            in_flight,
        })
    }
}
