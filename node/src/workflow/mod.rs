//! The use cases of the expert table. Each function takes validated input, checks the lifecycle, and writes
//! through storage in one transaction. No transport here: the gRPC layer and the tests call these directly.

mod audit;
mod cases;
mod consultations;
mod escalations;
mod inbox;
mod link;
mod outbox;
mod people;
mod plan;
mod retention;
mod review;
mod sessions;
mod sign_in;
mod signals;

pub use audit::{Access, TrailCheck, purpose_of};
pub use cases::SubmitOutcome;
pub use inbox::Receipt;
pub use link::FederationLink;
pub use outbox::{DeliveryPolicy, Failure, NodeReport};
pub use people::{MAX_TOKEN_DAYS, NewUser, Operator, user_name};
pub use retention::{MIN_AUDIT_YEARS, PurgeReport, RetentionPolicy, years_before};
pub use sign_in::{CodeCheck, SignIn, SignInPolicy, Stage, WebSession};

use crate::audit::{AuditTrail, NewAuditEvent};
use crate::clock::Clock;
use crate::domain::{Action, CaseSummary};
use crate::error::{Error, Result};
use crate::storage::case_writer::CaseWriter;
use crate::storage::cases::{CaseFields, Change};
use crate::storage::{self, Storage, Transaction};
use expertnet_federation::metrics::Metrics;
use std::sync::Arc;

/// How often a change is retried when a concurrent request moved the case first.
const CONFLICT_RETRIES: usize = 3;

#[derive(Debug, Clone)]
pub struct Workflow {
    storage: Storage,
    clock: Arc<dyn Clock>,
    case_writer: CaseWriter,
    audit: AuditTrail,
    federation: Option<FederationLink>,
    metrics: Metrics,
}

/// A change of a case that has been checked and applied inside an open transaction; the caller adds its own
/// writes and commits, or drops it to write nothing.
pub(crate) struct OpenChange {
    pub tx: Transaction,
    pub before: CaseSummary,
}

impl Workflow {
    /// Must be called inside a tokio runtime: it starts the group-commit writer for new cases.
    pub fn new(storage: Storage, clock: Arc<dyn Clock>) -> Workflow {
        let case_writer = CaseWriter::start(storage.clone());
        let audit = AuditTrail::start(storage.clone());
        Workflow {
            storage,
            clock,
            case_writer,
            audit,
            federation: None,
            metrics: crate::metrics::registry(),
        }
    }

    pub fn storage(&self) -> &Storage {
        &self.storage
    }

    /// The node's metrics registry: what its servers, courier and board count.
    pub fn metrics(&self) -> &Metrics {
        &self.metrics
    }

    /// The audit event of an envelope crossing this node's border (`direction` is `send` or `receive`).
    pub(crate) fn crossing_event(
        &self,
        direction: &str,
        kind: &str,
        key: &str,
        peer: &str,
    ) -> NewAuditEvent {
        let region = self
            .federation
            .as_ref()
            .map_or("", |link| link.region.as_str());
        NewAuditEvent {
            at_ms: self.now(),
            user: format!("node {region}"),
            organisation: region.to_owned(),
            roles: "federation".into(),
            on_behalf_of: String::new(),
            action: format!("federation {direction} {kind} {key}"),
            case_id: None,
            access_point: format!("federation {peer}"),
            outcome: "ok".into(),
        }
    }

    /// The audit trail every access and border crossing is written to.
    pub fn audit(&self) -> &AuditTrail {
        &self.audit
    }

    pub fn clock(&self) -> &Arc<dyn Clock> {
        &self.clock
    }

    fn now(&self) -> i64 {
        self.clock.now_ms()
    }

    /// Which of `texts` about a case may be printed: none that holds a BSN, a date that could be a birth date or —
    /// when the case has identifiers here — the youth's name (the border's detector, for paper that leaves the
    /// room). The identifiers are read only to compare, never returned.
    pub async fn printable(&self, case_id: &str, texts: &[&str]) -> Result<Vec<bool>> {
        let youth = match crate::storage::identity::get(&self.storage, case_id).await {
            Ok(youth) => Some(youth),
            Err(Error::NotFound { .. }) => None,
            Err(err) => return Err(err),
        };
        let today = self.clock.today();
        Ok(texts
            .iter()
            .map(|text| {
                crate::domain::disclosure::identifying(text, youth.as_ref(), today).is_none()
            })
            .collect())
    }

    /// Refuses free text about to leave the node when it carries a BSN, a date of birth or — for a case with
    /// identifiers here — the youth's name; the error names the field, never the text.
    pub(crate) async fn check_leaves_no_identifiers(
        &self,
        case_id: Option<&str>,
        fields: &[(&str, &str)],
    ) -> Result<()> {
        let youth = match case_id {
            Some(case_id) => match crate::storage::identity::get(&self.storage, case_id).await {
                Ok(youth) => Some(youth),
                // A case escalated here from elsewhere has no identifiers at this node.
                Err(Error::NotFound { .. }) => None,
                Err(err) => return Err(err),
            },
            None => None,
        };
        let today = self.clock.today();
        for (field, text) in fields {
            if let Some(finding) =
                crate::domain::disclosure::identifying(text, youth.as_ref(), today)
            {
                return Err(Error::invalid(
                    *field,
                    format!(
                        "{}; what leaves this node carries no identifiers",
                        finding.describe()
                    ),
                ));
            }
        }
        Ok(())
    }

    /// Checks `action` against the case's current state (and `check` against the case), then applies it in a
    /// new transaction. Retries when another request changed the case in between.
    pub(crate) async fn begin_change(
        &self,
        case_id: &str,
        actor: &str,
        action: Action,
        reason: &str,
        check: impl Fn(&CaseSummary) -> Result<CaseFields>,
    ) -> Result<OpenChange> {
        let mut attempt = 0;
        loop {
            attempt += 1;
            let before = storage::cases::summary(self.storage.pool(), case_id).await?;
            let to = action.apply(before.state)?;
            let fields = check(&before)?;
            let mut tx = self.storage.begin().await?;
            let change = Change {
                case_id,
                actor,
                action,
                from: before.state,
                version: before.version,
                to,
                reason,
                at: self.now(),
                fields,
            };
            match storage::cases::apply(&mut tx, change).await {
                Ok(()) => {
                    self.report_to_sender(&mut tx, case_id, action, reason)
                        .await?;
                    return Ok(OpenChange { tx, before });
                }
                Err(Error::Conflict(_)) if attempt < CONFLICT_RETRIES => continue,
                Err(err) => return Err(err),
            }
        }
    }

    /// A change that needs no writes besides the case row and its history entry.
    async fn change(
        &self,
        case_id: &str,
        actor: &str,
        action: Action,
        reason: &str,
        check: impl Fn(&CaseSummary) -> Result<CaseFields>,
    ) -> Result<CaseSummary> {
        let open = self
            .begin_change(case_id, actor, action, reason, check)
            .await?;
        open.tx.commit().await?;
        self.wake_courier();
        storage::cases::summary(self.storage.pool(), case_id).await
    }
}

pub(crate) fn new_id() -> String {
    uuid::Uuid::now_v7().hyphenated().to_string()
}

fn no_fields(_: &CaseSummary) -> Result<CaseFields> {
    Ok(CaseFields::default())
}
