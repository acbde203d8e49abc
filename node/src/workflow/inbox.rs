//! Taking in what other regions send through the gateway. Every envelope's key is recorded in the same
//! transaction as its effect, so a redelivery (after a lost reply, a restart, a retry) changes nothing.

use super::{Workflow, new_id};
use crate::domain::federation::{Crossing, Destination, MinimumDataset, Outgoing};
use crate::domain::*;
use crate::error::{Error, Result};
use crate::federation::envelope::Incoming;
use crate::storage::cases::CaseFields;
use crate::storage::consultations::Routing;
use crate::storage::escalations::StatusChange;
use crate::storage::{self, Transaction};

/// What became of a delivered envelope.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Receipt {
    Taken,
    Duplicate,
}

impl Workflow {
    pub async fn receive(&self, incoming: Incoming) -> Result<Receipt> {
        let Incoming {
            key,
            from_region,
            crossing,
        } = incoming;
        self.link()?;
        let kind = crossing.kind();
        let receipt = match crossing {
            Crossing::EscalationStatus {
                escalation_id,
                status,
                reason,
                linked_case_id,
                at: _,
            } => {
                let news = EscalationNews {
                    escalation_id: &escalation_id,
                    status,
                    reason: &reason,
                    linked_case_id: &linked_case_id,
                };
                let receipt = self.take_escalation_news(&key, &from_region, news).await?;
                if receipt == Receipt::Taken {
                    let event = self.crossing_event(
                        "receive",
                        kind.as_str(),
                        &key,
                        &format!("from {from_region}"),
                    );
                    self.audit().record(event).await?;
                }
                receipt
            }
            other => {
                let mut tx = self.storage.begin().await?;
                if storage::inbox::take(&mut tx, &key, &from_region, kind, self.now()).await? {
                    self.take(&mut tx, &from_region, other).await?;
                    let event = self.crossing_event(
                        "receive",
                        kind.as_str(),
                        &key,
                        &format!("from {from_region}"),
                    );
                    storage::audit::append(&mut tx, vec![event]).await?;
                    tx.commit().await?;
                    Receipt::Taken
                } else {
                    Receipt::Duplicate
                }
            }
        };
        self.wake_courier();
        tracing::info!(from = %from_region, kind = kind.as_str(), ?receipt, "envelope received");
        let counted = match receipt {
            Receipt::Taken => "taken",
            Receipt::Duplicate => "duplicate",
        };
        crate::metrics::envelope_received(self.metrics(), kind, counted);
        Ok(receipt)
    }

    async fn take(&self, tx: &mut Transaction, from: &str, crossing: Crossing) -> Result<()> {
        match crossing {
            Crossing::ConsultationQuestion {
                consultation_id,
                asker_kind,
                asker_organisation,
                question,
                expertise_tags,
                asked_at,
            } => {
                let consultation = Consultation {
                    id: new_id(),
                    asker_kind,
                    asker_organisation,
                    question,
                    expertise_tags,
                    case_id: None,
                    status: ConsultationStatus::Open,
                    asked_at,
                    answers: Vec::new(),
                    origin_region: Some(from.to_owned()),
                    to_network: false,
                    target_region: None,
                    routed_to: Vec::new(),
                    delivery: None,
                };
                let routing = Routing {
                    origin_id: Some(&consultation_id),
                    ..Routing::default()
                };
                storage::consultations::insert(tx, &consultation, routing).await
            }
            Crossing::ConsultationReply {
                consultation_id,
                expert,
                answer,
                answered_at,
            } => {
                let asked = storage::consultations::get(&self.storage, &consultation_id).await?;
                let was_asked = asked.to_network
                    && (asked.routed_to.iter().any(|r| r == from)
                        || asked.target_region.as_deref() == Some(from)
                        || asked.routed_to.is_empty() && asked.target_region.is_none());
                if !was_asked {
                    return Err(Error::PermissionDenied(format!(
                        "consultation {consultation_id} was not asked to region {from}"
                    )));
                }
                let answer = ConsultationAnswer {
                    expert,
                    answer,
                    answered_at,
                    region: Some(from.to_owned()),
                };
                storage::consultations::add_answer(tx, &consultation_id, &answer, None).await
            }
            Crossing::Escalation(dataset) => self.open_linked_case(tx, from, dataset).await,
            Crossing::EscalationStatus { .. } => unreachable!("handled by take_escalation_news"),
        }
    }

    /// Opens a linked case in intake for an escalation from `from`, and tells the sender it was received.
    async fn open_linked_case(
        &self,
        tx: &mut Transaction,
        from: &str,
        dataset: MinimumDataset,
    ) -> Result<()> {
        self.link()?.check_covenant("from_region", from)?;
        let now = self.now();
        let case_id = new_id();
        storage::cases::insert_linked(tx, self.storage.backend(), &case_id, from, &dataset, now)
            .await?;
        let escalation = Escalation {
            id: new_id(),
            direction: EscalationDirection::Incoming,
            case_id: case_id.clone(),
            partner_region: from.to_owned(),
            partner_ref: Some(dataset.escalation_id.clone()),
            legal_basis: dataset.legal_basis,
            status: EscalationStatus::Received,
            reason: dataset.reason.clone(),
            status_reason: String::new(),
            created_at: now,
            updated_at: now,
            delivery: None,
        };
        let outgoing = Outgoing {
            key: format!("escalation-status:{}:received", escalation.id),
            destination: Destination::Region(from.to_owned()),
            crossing: Crossing::EscalationStatus {
                escalation_id: dataset.escalation_id,
                status: EscalationStatus::Received,
                reason: String::new(),
                linked_case_id: case_id,
                at: now,
            },
        };
        self.enqueue(tx, &outgoing).await?;
        storage::escalations::insert(tx, &escalation, &outgoing.key).await
    }

    /// The receiving region's news about an escalation this node sent: the escalation's status and, where it
    /// ends there, the case here moves on.
    async fn take_escalation_news(
        &self,
        key: &str,
        from: &str,
        news: EscalationNews<'_>,
    ) -> Result<Receipt> {
        let escalation = storage::escalations::get(self.storage.pool(), news.escalation_id).await?;
        if escalation.direction != EscalationDirection::Outgoing
            || escalation.partner_region != from
        {
            return Err(Error::PermissionDenied(format!(
                "escalation {} was not sent to region {from}",
                news.escalation_id
            )));
        }
        let now = self.now();
        let mut tx = if news.status.rank() <= escalation.status.rank() {
            // Older news arriving late: keep the key, change nothing.
            self.storage.begin().await?
        } else {
            let (action, fields) = match news.status {
                EscalationStatus::Sent | EscalationStatus::Withdrawn => {
                    return Err(Error::invalid(
                        "escalation_status.status",
                        format!("{} is not news from the receiving region", news.status),
                    ));
                }
                EscalationStatus::Received | EscalationStatus::Accepted => {
                    (Action::EscalationNews, CaseFields::default())
                }
                EscalationStatus::Returned => (Action::EscalationReturned, CaseFields::default()),
                EscalationStatus::Closed => (
                    Action::EscalationClosed,
                    CaseFields {
                        outcome: Some(Outcome::Escalated),
                        closing_note: Some(news.reason.to_owned()),
                        closed_at: Some(now),
                        ..CaseFields::default()
                    },
                ),
            };
            let history = if news.reason.is_empty() {
                format!("{} by {from}", news.status)
            } else {
                format!("{} by {from}: {}", news.status, news.reason)
            };
            let actor = format!("region {from}");
            let mut open = self
                .begin_change(&escalation.case_id, &actor, action, &history, |_| {
                    Ok(fields.clone())
                })
                .await?;
            storage::escalations::set_status(
                &mut open.tx,
                StatusChange {
                    id: &escalation.id,
                    status: news.status,
                    status_reason: news.reason,
                    partner_ref: Some(news.linked_case_id),
                    last_key: None,
                    at: now,
                },
            )
            .await?;
            open.tx
        };
        if !storage::inbox::take(&mut tx, key, from, EnvelopeKind::EscalationStatus, now).await? {
            return Ok(Receipt::Duplicate);
        }
        tx.commit().await?;
        Ok(Receipt::Taken)
    }
}

/// An escalation status update as it arrived.
#[derive(Debug, Clone, Copy)]
struct EscalationNews<'a> {
    escalation_id: &'a str,
    status: EscalationStatus,
    reason: &'a str,
    linked_case_id: &'a str,
}
