//! Handing a case to another region: consent on record first, then the case moves to ESCALATED and the
//! minimum dataset enters the outbox in the same transaction. The receiving region's news comes back through
//! the inbox; news this node owes a sender leaves through [`Workflow::report_to_sender`].

use super::{OpenChange, Workflow, new_id, no_fields};
use crate::domain::federation::{Crossing, Destination, MinimumDataset, Outgoing};
use crate::domain::*;
use crate::error::{Error, Result};
use crate::storage::escalations::StatusChange;
use crate::storage::{self, Transaction};

impl Workflow {
    pub async fn record_consent(
        &self,
        case_id: &str,
        actor: &str,
        basis: LegalBasis,
        given_by: String,
        note: String,
    ) -> Result<Consent> {
        let reason = format!("{basis}: {given_by}");
        let mut open = self
            .begin_change(case_id, actor, Action::RecordConsent, &reason, no_fields)
            .await?;
        let consent = Consent {
            case_id: case_id.to_owned(),
            basis,
            given_by,
            note,
            recorded_by: actor.to_owned(),
            recorded_at: self.now(),
        };
        storage::escalations::insert_consent(&mut open.tx, &consent).await?;
        open.tx.commit().await?;
        Ok(consent)
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
        let consent = storage::escalations::latest_consent(&mut tx, case_id)
            .await?
            .ok_or_else(|| {
                Error::PermissionDenied(format!(
                    "case {case_id} has no consent or legal ground on record; record one before escalating"
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

    pub async fn list_escalations(
        &self,
        direction: Option<EscalationDirection>,
    ) -> Result<Vec<Escalation>> {
        storage::escalations::list(self.storage.pool(), direction).await
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
