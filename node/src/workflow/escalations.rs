//! Handing a case to another region: consent on record first, then the case moves to ESCALATED and the
//! minimum dataset enters the outbox in the same transaction. The receiving region's news comes back through
//! the inbox; news this node owes a sender leaves through [`Workflow::report_to_sender`].

use super::{OpenChange, Workflow, new_id, no_fields};
use crate::domain::federation::{Crossing, Destination, MinimumDataset, Outgoing};
use crate::domain::*;
use crate::error::{Error, Result};
use crate::storage::cases::CaseFields;
use crate::storage::escalations::StatusChange;
use crate::storage::{self, Transaction};

impl Workflow {
    /// Records a consent or legal ground. Consent comes from the youth (16 or older), a parent or another legal
    /// representative; an escalation consent names its region, a share names its provider.
    pub async fn record_consent(
        &self,
        case_id: &str,
        actor: &str,
        new: NewConsent,
    ) -> Result<Consent> {
        if new.basis == LegalBasis::Consent && ConsentGiver::parse(&new.given_by).is_none() {
            return Err(Error::invalid(
                "given_by",
                "consent is given by youth (16 or older), parent or legal_representative",
            ));
        }
        match (new.scope, &new.scope_target) {
            (ConsentScope::Escalate, Some(region)) => {
                self.link()?.check_partner("scope_target", region)?;
            }
            (ConsentScope::Escalate, None) => {
                return Err(Error::invalid(
                    "scope_target",
                    "an escalation consent names the region it allows",
                ));
            }
            (ConsentScope::ShareWithProvider, None) => {
                return Err(Error::invalid(
                    "scope_target",
                    "a share consent names the provider it allows",
                ));
            }
            (ConsentScope::ConsultWithIdentifiers, Some(_)) => {
                return Err(Error::invalid(
                    "scope_target",
                    "consult_with_identifiers names no target",
                ));
            }
            _ => {}
        }
        if let Some(last) = new.valid_until
            && last < self.clock.today()
        {
            return Err(Error::invalid("valid_until", "lies in the past"));
        }
        let reason = format!("{}: {} ({})", new.basis, new.given_by, new.scope);
        let mut open = self
            .begin_change(case_id, actor, Action::RecordConsent, &reason, |case| {
                if new.given_by == ConsentGiver::Youth.as_str() && case.age < 16 {
                    return Err(Error::invalid(
                        "given_by",
                        format!(
                            "a youth consents from 16; this youth is {}: a parent or legal representative consents",
                            case.age
                        ),
                    ));
                }
                Ok(CaseFields::default())
            })
            .await?;
        let mut consent = Consent {
            case_id: case_id.to_owned(),
            sequence: 0,
            basis: new.basis,
            given_by: new.given_by,
            note: new.note,
            scope: new.scope,
            scope_target: new.scope_target,
            valid_until: new.valid_until,
            recorded_by: actor.to_owned(),
            recorded_at: self.now(),
            withdrawal: None,
        };
        consent.sequence = storage::escalations::insert_consent(&mut open.tx, &consent).await?;
        open.tx.commit().await?;
        Ok(consent)
    }

    /// Withdraws consent `sequence` of a case. Escalations it allowed that are still in this node's outbox are
    /// stopped — their envelopes cancelled, the escalation marked withdrawn, the case back in progress; those
    /// already delivered are reported, not recalled.
    pub async fn withdraw_consent(
        &self,
        case_id: &str,
        sequence: i64,
        actor: &str,
        reason: String,
    ) -> Result<WithdrawalOutcome> {
        let consent = storage::escalations::consents(self.storage.pool(), case_id)
            .await?
            .into_iter()
            .find(|c| c.sequence == sequence)
            .ok_or_else(|| Error::not_found("consent", format!("{case_id}#{sequence}")))?;
        if consent.withdrawal.is_some() {
            return Err(Error::FailedPrecondition(format!(
                "consent {sequence} of case {case_id} was withdrawn already"
            )));
        }
        let region = match (consent.scope, &consent.scope_target) {
            (ConsentScope::Escalate, Some(region)) => Some(region.clone()),
            _ => None,
        };
        let summary = storage::cases::summary(self.storage.pool(), case_id).await?;
        let stops_escalation = region.is_some() && summary.state == CaseState::Escalated;
        let action = if stops_escalation {
            Action::EscalationWithdrawn
        } else {
            Action::WithdrawConsent
        };
        let history = format!("consent {sequence} withdrawn: {reason}");
        let OpenChange { mut tx, .. } = self
            .begin_change(case_id, actor, action, &history, no_fields)
            .await?;
        let now = self.now();
        let withdrawal = ConsentWithdrawal {
            at: now,
            by: actor.to_owned(),
            reason: reason.clone(),
        };
        let consent =
            storage::escalations::withdraw_consent(&mut tx, case_id, sequence, &withdrawal).await?;
        let mut stopped = Vec::new();
        let mut delivered = Vec::new();
        if let Some(region) = &region {
            for (escalation_id, key) in
                storage::escalations::sent_to(&mut tx, case_id, region).await?
            {
                if storage::outbox::cancel(&mut tx, &key, now).await? {
                    storage::escalations::set_status(
                        &mut tx,
                        StatusChange {
                            id: &escalation_id,
                            status: EscalationStatus::Withdrawn,
                            status_reason: &reason,
                            partner_ref: None,
                            last_key: None,
                            at: now,
                        },
                    )
                    .await?;
                    stopped.push(escalation_id);
                } else {
                    delivered.push(escalation_id);
                }
            }
        }
        if stops_escalation && stopped.is_empty() {
            // Everything it allowed had left already: the case stays escalated.
            drop(tx);
            return self
                .withdraw_consent_only(case_id, sequence, actor, reason, delivered)
                .await;
        }
        tx.commit().await?;
        tracing::info!(
            case_id,
            sequence,
            stopped = stopped.len(),
            delivered = delivered.len(),
            "consent withdrawn"
        );
        Ok(WithdrawalOutcome {
            consent,
            stopped,
            delivered,
        })
    }

    /// A withdrawal that stops nothing (what it allowed has been delivered): recorded without a state change.
    async fn withdraw_consent_only(
        &self,
        case_id: &str,
        sequence: i64,
        actor: &str,
        reason: String,
        delivered: Vec<String>,
    ) -> Result<WithdrawalOutcome> {
        let history = format!("consent {sequence} withdrawn: {reason}");
        let OpenChange { mut tx, .. } = self
            .begin_change(case_id, actor, Action::WithdrawConsent, &history, no_fields)
            .await?;
        let withdrawal = ConsentWithdrawal {
            at: self.now(),
            by: actor.to_owned(),
            reason,
        };
        let consent =
            storage::escalations::withdraw_consent(&mut tx, case_id, sequence, &withdrawal).await?;
        tx.commit().await?;
        tracing::info!(
            case_id,
            sequence,
            delivered = delivered.len(),
            "consent withdrawn"
        );
        Ok(WithdrawalOutcome {
            consent,
            stopped: Vec::new(),
            delivered,
        })
    }

    /// Hands `case_id` to `to_region`. `question` and `tried_so_far` replace the case's own text in the minimum
    /// dataset when given; whatever crosses is checked for identifiers first.
    pub async fn escalate_case(
        &self,
        case_id: &str,
        actor: &str,
        to_region: &str,
        texts: EscalationTexts,
    ) -> Result<Escalation> {
        let link = self.link()?;
        link.check_covenant("to_region", to_region)?;
        let EscalationTexts {
            reason,
            question,
            tried_so_far,
        } = texts;
        let (case_question, case_tried) =
            storage::cases::question_and_tried(self.storage.pool(), case_id).await?;
        let question = question.unwrap_or(case_question);
        let tried_so_far = tried_so_far.unwrap_or(case_tried);
        self.check_leaves_no_identifiers(
            Some(case_id),
            &[
                ("reason", &reason),
                ("question", &question),
                ("tried_so_far", &tried_so_far),
            ],
        )
        .await?;
        let history = format!("to {to_region}: {reason}");
        let OpenChange { mut tx, before } = self
            .begin_change(case_id, actor, Action::Escalate, &history, no_fields)
            .await?;
        let today = self.clock.today();
        let consent = storage::escalations::consents(&mut *tx, case_id)
            .await?
            .into_iter()
            .rev()
            .find(|c| c.allows_escalation_to(to_region, today))
            .ok_or_else(|| {
                Error::PermissionDenied(format!(
                    "case {case_id} has no valid consent or legal ground on record for escalating to \
                     {to_region} (none recorded, expired or withdrawn); record one before escalating"
                ))
            })?;
        let now = self.now();
        let escalation = Escalation {
            id: new_id(),
            direction: EscalationDirection::Outgoing,
            case_id: case_id.to_owned(),
            partner_region: to_region.to_owned(),
            partner_ref: None,
            legal_basis: consent.basis,
            status: EscalationStatus::Sent,
            reason: reason.clone(),
            status_reason: String::new(),
            created_at: now,
            updated_at: now,
            delivery: Some(DeliveryState::Pending),
        };
        let outgoing = Outgoing {
            key: format!("escalation:{}", escalation.id),
            destination: Destination::Region(to_region.to_owned()),
            crossing: Crossing::Escalation(MinimumDataset {
                escalation_id: escalation.id.clone(),
                legal_basis: consent.basis,
                reason,
                referrer_kind: before.referrer.kind,
                contact_organisation: before.referrer.organisation.clone(),
                age: before.age,
                municipality: before.municipality.clone(),
                categories: before.categories.clone(),
                question,
                tried_so_far,
                escalated_at: now,
            }),
        };
        self.enqueue(&mut tx, &outgoing).await?;
        storage::escalations::insert(&mut tx, &escalation, &outgoing.key).await?;
        tx.commit().await?;
        self.wake_courier();
        tracing::info!(case_id, escalation_id = %escalation.id, to = to_region, "case escalated");
        Ok(escalation)
    }

    pub async fn escalation(&self, id: &str) -> Result<Escalation> {
        storage::escalations::get(self.storage.pool(), id).await
    }

    /// Every consent and legal ground on record for a case, oldest first.
    pub async fn consents(&self, case_id: &str) -> Result<Vec<Consent>> {
        storage::escalations::consents(self.storage.pool(), case_id).await
    }

    pub async fn list_escalations(
        &self,
        direction: Option<EscalationDirection>,
    ) -> Result<Vec<Escalation>> {
        storage::escalations::list(self.storage.pool(), direction).await
    }

    /// The escalations of one case, out and in, newest first (all of them, however many the node holds).
    pub async fn case_escalations(&self, case_id: &str) -> Result<Vec<Escalation>> {
        storage::escalations::of_case(self.storage.pool(), case_id).await
    }

    /// When a linked case is accepted, returned or closed here, the region that escalated it hears so:
    /// the status enters the outbox in the transaction of the change.
    pub(crate) async fn report_to_sender(
        &self,
        tx: &mut Transaction,
        case_id: &str,
        action: Action,
        reason: &str,
    ) -> Result<()> {
        let status = match action {
            Action::Accept => EscalationStatus::Accepted,
            Action::Return => EscalationStatus::Returned,
            Action::Close => EscalationStatus::Closed,
            _ => return Ok(()),
        };
        let Some(escalation) = storage::escalations::incoming_for_case(&mut **tx, case_id).await?
        else {
            return Ok(());
        };
        let now = self.now();
        let outgoing = Outgoing {
            key: format!("escalation-status:{}:{status}", escalation.id),
            destination: Destination::Region(escalation.partner_region.clone()),
            crossing: Crossing::EscalationStatus {
                escalation_id: escalation.partner_ref.clone().unwrap_or_default(),
                status,
                reason: reason.to_owned(),
                linked_case_id: case_id.to_owned(),
                at: now,
            },
        };
        self.enqueue(tx, &outgoing).await?;
        storage::escalations::set_status(
            tx,
            StatusChange {
                id: &escalation.id,
                status,
                status_reason: reason,
                partner_ref: None,
                last_key: Some(&outgoing.key),
                at: now,
            },
        )
        .await
    }
}
