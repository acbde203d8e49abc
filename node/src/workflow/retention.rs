//! Retention: a case's file is kept for the legal period after help ended (Jeugdwet art. 7.3.8: 20 years by
//! default) and then destroyed; the audit trail is kept at least 5 years (NEN 7513). Each destruction is
//! itself on record.

use super::Workflow;
use crate::audit::NewAuditEvent;
use crate::error::Result;
use crate::storage::{self, retention};
use time::OffsetDateTime;

/// Cases destroyed per transaction.
const BATCH: i64 = 200;

/// How long things are kept, in years.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RetentionPolicy {
    /// Years a case's file is kept after help ended.
    #[serde(default = "defaults::case_years")]
    pub case_years: u32,
    /// Years audit events are kept; at least [`MIN_AUDIT_YEARS`].
    #[serde(default = "defaults::audit_years")]
    pub audit_years: u32,
    /// How often the node looks for what has expired, in seconds.
    #[serde(default = "defaults::interval_secs")]
    pub interval_secs: u64,
}

/// NEN 7513 asks for at least five years of access logging.
pub const MIN_AUDIT_YEARS: u32 = 5;

mod defaults {
    pub fn case_years() -> u32 {
        20
    }
    pub fn audit_years() -> u32 {
        super::MIN_AUDIT_YEARS
    }
    pub fn interval_secs() -> u64 {
        3600
    }
}

impl Default for RetentionPolicy {
    fn default() -> RetentionPolicy {
        RetentionPolicy {
            case_years: defaults::case_years(),
            audit_years: defaults::audit_years(),
            interval_secs: defaults::interval_secs(),
        }
    }
}

impl RetentionPolicy {
    /// The problem with the policy, naming the key, if any.
    pub fn problem(&self) -> Option<String> {
        if !(1..=100).contains(&self.case_years) {
            return Some(format!(
                "retention.case_years: {} is not between 1 and 100",
                self.case_years
            ));
        }
        if !(MIN_AUDIT_YEARS..=100).contains(&self.audit_years) {
            return Some(format!(
                "retention.audit_years: {} is not between {MIN_AUDIT_YEARS} (NEN 7513) and 100",
                self.audit_years
            ));
        }
        if !(60..=7 * 86_400).contains(&self.interval_secs) {
            return Some(format!(
                "retention.interval_secs: {} is not between 60 and 604800",
                self.interval_secs
            ));
        }
        None
    }
}

/// What one run destroyed.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PurgeReport {
    pub cases: Vec<String>,
    pub envelopes: u64,
    pub audit_events: u64,
}

/// The moment `years` calendar years before `now_ms` (29 February becomes 28 February).
pub fn years_before(now_ms: i64, years: u32) -> i64 {
    let now = OffsetDateTime::from_unix_timestamp_nanos(i128::from(now_ms) * 1_000_000)
        .unwrap_or(OffsetDateTime::UNIX_EPOCH);
    let year = now.year() - years as i32;
    let then = now
        .replace_year(year)
        .or_else(|_| now.replace_day(28).and_then(|d| d.replace_year(year)))
        .unwrap_or(OffsetDateTime::UNIX_EPOCH);
    (then.unix_timestamp_nanos() / 1_000_000) as i64
}

impl Workflow {
    /// Destroys what `policy` says is past keeping, as of the workflow's clock.
    pub async fn purge_expired(&self, policy: &RetentionPolicy) -> Result<PurgeReport> {
        let now = self.now();
        let case_cutoff = years_before(now, policy.case_years);
        let mut report = PurgeReport::default();
        loop {
            let mut tx = self.storage().begin().await?;
            // A writing transaction starts with a write (see `storage`): the envelopes go first.
            report.envelopes += retention::delete_old_envelopes(&mut tx, case_cutoff).await?;
            let expired = retention::expired_cases(&mut tx, case_cutoff, BATCH).await?;
            let mut events = Vec::with_capacity(expired.len());
            for case_id in &expired {
                retention::delete_case_file(&mut tx, case_id).await?;
                events.push(self.purge_event(case_id));
            }
            if !events.is_empty() {
                storage::audit::append(&mut tx, events).await?;
            }
            tx.commit().await?;
            let done = (expired.len() as i64) < BATCH;
            report.cases.extend(expired);
            if done {
                break;
            }
        }
        let mut tx = self.storage().begin().await?;
        let audit_cutoff = years_before(now, policy.audit_years);
        report.audit_events = retention::delete_old_audit_events(&mut tx, audit_cutoff).await?;
        if report.audit_events > 0 {
            let mut event = self.purge_event("");
            event.case_id = None;
            event.action = format!("retention purge {} audit events", report.audit_events);
            storage::audit::append(&mut tx, vec![event]).await?;
        }
        tx.commit().await?;
        if !report.cases.is_empty() || report.audit_events > 0 || report.envelopes > 0 {
            tracing::info!(
                cases = report.cases.len(),
                envelopes = report.envelopes,
                audit_events = report.audit_events,
                "retention: expired data destroyed"
            );
        }
        Ok(report)
    }

    fn purge_event(&self, case_id: &str) -> NewAuditEvent {
        NewAuditEvent {
            at_ms: self.now(),
            user: "retention".into(),
            organisation: String::new(),
            roles: "scheduler".into(),
            on_behalf_of: String::new(),
            action: "retention purge case file".into(),
            case_id: Some(case_id.to_owned()),
            access_point: "node".into(),
            outcome: "ok".into(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn years_are_calendar_years() {
        // 2026-03-02T09:00Z minus 20 years is 2006-03-02T09:00Z.
        assert_eq!(years_before(1_772_442_000_000, 20), 1_141_290_000_000);
        // 2024-02-29 minus one year is 2023-02-28.
        assert_eq!(years_before(1_709_164_800_000, 1), 1_677_542_400_000);
    }

    #[test]
    fn a_policy_below_the_legal_minimum_is_refused_by_key() {
        let short = RetentionPolicy {
            audit_years: 2,
            ..RetentionPolicy::default()
        };
        assert!(
            short
                .problem()
                .unwrap()
                .starts_with("retention.audit_years")
        );
        assert_eq!(RetentionPolicy::default().problem(), None);
    }
}
