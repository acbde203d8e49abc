//! Submitting, intake, closing and finding cases.

use super::{Workflow, new_id, no_fields};
use crate::domain::validate::age_on;
use crate::domain::*;
use crate::error::{Error, Result};
use crate::storage::cases::{CaseFields, Submission};
use crate::storage::{self, identity, is_unique_violation};
use sha2::{Digest, Sha256};

/// A submit either made a new case or found the one an earlier try with the same request id made.
#[derive(Debug, Clone)]
pub enum SubmitOutcome {
    Created(CaseSummary),
    Replayed(CaseSummary),
}

impl SubmitOutcome {
    pub fn case(&self) -> &CaseSummary {
        match self {
            SubmitOutcome::Created(c) | SubmitOutcome::Replayed(c) => c,
        }
    }
}

/// What identifies a submission's content for idempotency. It leaves out the youth's identifiers on purpose:
/// a hash of a BSN could be reversed by trying all of them.
fn fingerprint(case: &NewCase) -> String {
    let categories: Vec<&str> = case.categories.iter().map(|c| c.as_str()).collect();
    let age = case.age.to_string();
    let parts = [
        case.referrer.organisation.as_str(),
        case.referrer.kind.as_str(),
        age.as_str(),
        case.municipality.as_str(),
        case.question.as_str(),
        case.tried_so_far.as_str(),
        &categories.join(","),
    ];
    hex::encode(Sha256::digest(parts.join("\u{1f}")))
}

impl Workflow {
    /// Registers a case, or finds the one an earlier try with the same request id made. `submitted_by` is the
    /// signed-in person the history names.
    pub async fn submit_case(&self, case: NewCase, submitted_by: &str) -> Result<SubmitOutcome> {
        if let Some(dob) = case.youth.date_of_birth {
            let today = self.clock.today();
            if dob > today {
                return Err(Error::invalid("youth.date_of_birth", "lies in the future"));
            }
            if age_on(dob, today) != case.age as i32 {
                return Err(Error::invalid("age", "does not match youth.date_of_birth"));
            }
        }
        let fingerprint = fingerprint(&case);
        if let Some(replayed) = self.replay(&case, &fingerprint).await? {
            return Ok(replayed);
        }
        let submission = Submission {
            id: new_id(),
            case,
            fingerprint,
            at: self.now(),
            submitted_by: submitted_by.to_owned(),
        };
        let summary = CaseSummary::submitted(&submission.id, &submission.case, submission.at);
        let retry_key = submission.case.request_id.is_some();
        let case = submission.case.clone();
        match self.case_writer.write(submission).await {
            Ok(()) => {}
            Err(Error::Storage(err)) if is_unique_violation(&err) && retry_key => {
                let fingerprint = self::fingerprint(&case);
                return self
                    .replay(&case, &fingerprint)
                    .await?
                    .ok_or(Error::Storage(err));
            }
            Err(err) => return Err(err),
        }
        tracing::info!(case_id = %summary.id, "case submitted");
        Ok(SubmitOutcome::Created(summary))
    }

    async fn replay(&self, case: &NewCase, fingerprint: &str) -> Result<Option<SubmitOutcome>> {
        let Some(request_id) = &case.request_id else {
            return Ok(None);
        };
        let Some(prior) = storage::cases::prior_submit(self.storage.pool(), request_id).await?
        else {
            return Ok(None);
        };
        if prior.fingerprint != fingerprint
            || !identity::same_youth(&self.storage, &prior.case_id, &case.youth).await?
        {
            return Err(Error::AlreadyExists {
                field: "request_id".into(),
                message: "was used before for a submission with other content".into(),
            });
        }
        let summary = storage::cases::summary(self.storage.pool(), &prior.case_id).await?;
        Ok(Some(SubmitOutcome::Replayed(summary)))
    }

    pub async fn start_intake(&self, case_id: &str, actor: &str) -> Result<CaseSummary> {
        self.change(case_id, actor, Action::StartIntake, "", no_fields)
            .await
    }

    pub async fn accept_case(&self, case_id: &str, actor: &str) -> Result<CaseSummary> {
        self.change(case_id, actor, Action::Accept, "", |case| {
            if case.intake_accepted {
                return Err(Error::FailedPrecondition(format!(
                    "case {} was already accepted at intake",
                    case.id
                )));
            }
            Ok(CaseFields {
                intake_accepted: Some(true),
                ..CaseFields::default()
            })
        })
        .await
    }

    pub async fn return_case(
        &self,
        case_id: &str,
        actor: &str,
        reason: &str,
    ) -> Result<CaseSummary> {
        self.change(case_id, actor, Action::Return, reason, |_| {
            Ok(CaseFields {
                return_reason: Some(reason.to_owned()),
                ..CaseFields::default()
            })
        })
        .await
    }

    pub async fn close_case(
        &self,
        case_id: &str,
        actor: &str,
        outcome: Outcome,
        closing_note: &str,
    ) -> Result<CaseSummary> {
        let at = self.now();
        let reason = if closing_note.is_empty() {
            outcome.as_str().to_owned()
        } else {
            format!("{outcome}: {closing_note}")
        };
        self.change(case_id, actor, Action::Close, &reason, |_| {
            Ok(CaseFields {
                outcome: Some(outcome),
                closing_note: Some(closing_note.to_owned()),
                closed_at: Some(at),
                ..CaseFields::default()
            })
        })
        .await
    }

    pub async fn start_plan(&self, case_id: &str, actor: &str) -> Result<CaseSummary> {
        self.change(case_id, actor, Action::StartPlan, "", no_fields)
            .await
    }

    /// The case's file, with the other cases about the same youth at this node.
    pub async fn case_detail(&self, case_id: &str) -> Result<CaseDetail> {
        let (mut detail, earlier_cases) = tokio::try_join!(
            storage::cases::detail(self.storage.pool(), case_id),
            identity::earlier_cases(&self.storage, case_id),
        )?;
        detail.earlier_cases = earlier_cases;
        Ok(detail)
    }

    pub async fn list_cases(
        &self,
        filter: &CaseFilter,
        after: Option<&str>,
        limit: u32,
    ) -> Result<Page<CaseSummary>> {
        storage::cases::list(self.storage.pool(), filter, after, limit).await
    }

    /// The youth's identifiers; the only read of them. A case escalated here from another region has none:
    /// they stay with the sender.
    pub async fn youth_identity(&self, case_id: &str) -> Result<YouthIdentity> {
        match identity::get(&self.storage, case_id).await {
            Err(Error::NotFound { .. }) => {
                let incoming =
                    storage::escalations::incoming_for_case(self.storage.pool(), case_id).await?;
                Err(match incoming {
                    Some(escalation) => Error::FailedPrecondition(format!(
                        "case {case_id} was escalated here by {}; the youth's identifiers stay there",
                        escalation.partner_region
                    )),
                    None => Error::not_found("case", case_id),
                })
            }
            other => other,
        }
    }
}
