//! Reading the audit trail: the chain check, the export, and the access report for a youth's request under
//! AVG article 15.

use super::Workflow;
use crate::audit::chain::ChainWalk;
use crate::audit::{AuditEvent, ChainBreak, Verified};
use crate::error::Result;
use crate::storage::audit;

/// Events read per page while checking the whole chain.
const VERIFY_PAGE: i64 = 10_000;

/// The outcome of a check of the whole trail, with the head's hash (worth writing down outside the node: a
/// trail rewritten from some event on up to a new head can only be caught against an earlier head).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TrailCheck {
    pub result: std::result::Result<Verified, ChainBreak>,
    pub head_seq: i64,
    pub head_hash: String,
}

/// One access to a case, as told to the youth: organisation, role, when, what for; no staff names.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Access {
    pub at_ms: i64,
    pub organisation: String,
    pub roles: String,
    pub purpose: &'static str,
    pub action: String,
    pub outcome: String,
}

impl Workflow {
    pub async fn verify_audit_trail(&self) -> Result<TrailCheck> {
        let pool = self.storage().pool();
        let (floor, head) = audit::ends(pool).await?;
        let mut walk = ChainWalk::from(&floor);
        let mut after = floor.seq;
        let result = loop {
            let page = audit::page(pool, after, VERIFY_PAGE).await?;
            let Some(last) = page.last() else {
                break walk.finish(&head);
            };
            after = last.seq;
            if let Err(broken) = page.iter().try_for_each(|event| walk.next(event)) {
                break Err(broken);
            }
        };
        Ok(TrailCheck {
            result,
            head_seq: head.seq,
            head_hash: head.hash,
        })
    }

    /// Up to `limit` events after `after_seq`.
    pub async fn audit_events(&self, after_seq: i64, limit: u32) -> Result<Vec<AuditEvent>> {
        audit::page(self.storage().pool(), after_seq, i64::from(limit)).await
    }

    /// Every access to `case_id` on record. Knows nothing about other cases, so it cannot reveal them.
    pub async fn access_report(&self, case_id: &str) -> Result<Vec<Access>> {
        crate::storage::cases::summary(self.storage().pool(), case_id).await?;
        Ok(audit::of_case(self.storage().pool(), case_id)
            .await?
            .into_iter()
            .map(|event| Access {
                at_ms: event.entry.at_ms,
                organisation: event.entry.organisation,
                roles: event.entry.roles,
                purpose: purpose_of(&event.entry.action),
                action: event.entry.action,
                outcome: event.entry.outcome,
            })
            .collect())
    }
}

/// What an access was for, in words a youth or parent can read.
pub fn purpose_of(action: &str) -> &'static str {
    let method = action.rsplit('/').next().unwrap_or(action);
    match method {
        "SubmitCase" => "registering the case at the expert table",
        "StartIntake" | "AcceptCase" | "ReturnCase" => {
            "intake: deciding whether the table takes the case"
        }
        "GetCase" => "reading the case file",
        "GetYouthIdentity" => "reading the youth's name, BSN and date of birth",
        "RecordDiscussion" | "AddToAgenda" | "RecordAttendance" => {
            "discussing the case at the table"
        }
        "AddCommitment" | "UpdateCommitment" => "recording what a provider committed to",
        "AppointProcesregisseur" | "AssignCaseManager" => "appointing who coordinates the help",
        "StartPlan" | "AddTask" | "UpdateTask" | "AddProgressNote" => "carrying out the plan",
        "CloseCase" => "closing the case",
        "RecordConsent" | "WithdrawConsent" => "recording consent",
        "EscalateCase" => "handing the case to another region",
        "AskConsultation" | "AnswerConsultation" | "GetConsultation" => {
            "asking other experts for advice"
        }
        _ => "other handling of the case",
    }
}
