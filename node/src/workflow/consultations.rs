//! Consultation and advice: a question to the node's experts, from a professional, a parent or a youth; or,
//! through the gateway, to other regions' experts, whose answers come back the same way.

use super::{Workflow, new_id};
use crate::domain::federation::{Crossing, Destination, Outgoing};
use crate::domain::*;
use crate::error::{Error, Result};
use crate::storage::consultations::Routing;
use crate::storage::{self, is_unique_violation};

impl Workflow {
    pub async fn ask_consultation(&self, new: NewConsultation) -> Result<Consultation> {
        if let Some(request_id) = &new.request_id
            && let Some(id) =
                storage::consultations::id_for_request(self.storage.pool(), request_id).await?
        {
            return self.replay_consultation(&id, &new).await;
        }
        if let Some(case_id) = &new.case_id {
            storage::cases::summary(self.storage.pool(), case_id).await?;
        }
        let to_network = new.to_network || new.target_region.is_some();
        let destination = if to_network {
            self.check_leaves_no_identifiers(
                new.case_id.as_deref(),
                &[("question", &new.question)],
            )
            .await?;
            Some(self.network_destination(&new)?)
        } else {
            None
        };
        let consultation = Consultation {
            id: new_id(),
            asker_kind: new.asker_kind,
            asker_organisation: new.asker_organisation.clone(),
            question: new.question.clone(),
            expertise_tags: new.expertise_tags.clone(),
            case_id: new.case_id.clone(),
            status: ConsultationStatus::Open,
            asked_at: self.now(),
            answers: Vec::new(),
            origin_region: None,
            to_network,
            target_region: new.target_region.clone(),
            routed_to: Vec::new(),
            delivery: to_network.then_some(DeliveryState::Pending),
        };
        let key = format!("consultation:{}", consultation.id);
        let mut tx = self.storage.begin().await?;
        let routing = Routing {
            request_id: new.request_id.as_deref(),
            outbox_key: to_network.then_some(key.as_str()),
            ..Routing::default()
        };
        match storage::consultations::insert(&mut tx, &consultation, routing).await {
            Ok(()) => {}
            Err(Error::Storage(err)) if is_unique_violation(&err) => {
                drop(tx);
                let request_id = new.request_id.as_deref().unwrap_or_default();
                let id = storage::consultations::id_for_request(self.storage.pool(), request_id)
                    .await?
                    .ok_or(Error::Storage(err))?;
                return self.replay_consultation(&id, &new).await;
            }
            Err(err) => return Err(err),
        }
        if let Some(destination) = destination {
            // The question leaves without its case link: only what the asker typed and the tags.
            let outgoing = Outgoing {
                key,
                destination,
                crossing: Crossing::ConsultationQuestion {
                    consultation_id: consultation.id.clone(),
                    asker_kind: consultation.asker_kind,
                    asker_organisation: consultation.asker_organisation.clone(),
                    question: consultation.question.clone(),
                    expertise_tags: consultation.expertise_tags.clone(),
                    asked_at: consultation.asked_at,
                },
            };
            self.enqueue(&mut tx, &outgoing).await?;
        }
        tx.commit().await?;
        self.wake_courier();
        tracing::info!(consultation_id = %consultation.id, to_network, "consultation asked");
        Ok(consultation)
    }

    /// Where a question to the network goes, after checking it may leave the node.
    fn network_destination(&self, new: &NewConsultation) -> Result<Destination> {
        let link = self.link()?;
        match &new.target_region {
            Some(region) => {
                link.check_partner("target_region", region)?;
                Ok(Destination::Region(region.clone()))
            }
            None if new.expertise_tags.is_empty() => Err(Error::invalid(
                "expertise_tags",
                "give at least one, or a target_region, to ask other regions",
            )),
            None => Ok(Destination::Expertise(new.expertise_tags.clone())),
        }
    }

    /// The consultation an earlier try with the same request id made, if it asked the same thing.
    async fn replay_consultation(&self, id: &str, new: &NewConsultation) -> Result<Consultation> {
        let prior = storage::consultations::get(&self.storage, id).await?;
        let same = prior.asker_kind == new.asker_kind
            && prior.asker_organisation == new.asker_organisation
            && prior.question == new.question
            && prior.expertise_tags == new.expertise_tags
            && prior.case_id == new.case_id
            && prior.to_network == (new.to_network || new.target_region.is_some())
            && prior.target_region == new.target_region;
        if !same {
            return Err(Error::AlreadyExists {
                field: "request_id".into(),
                message: "was used before for a consultation with other content".into(),
            });
        }
        Ok(prior)
    }

    /// Records an expert's answer. An answer to another region's question goes back to it through the outbox,
    /// in the same transaction.
    pub async fn answer_consultation(
        &self,
        id: &str,
        expert: String,
        answer: String,
    ) -> Result<Consultation> {
        let answer = ConsultationAnswer {
            expert,
            answer,
            answered_at: self.now(),
            region: None,
        };
        let mut tx = self.storage.begin().await?;
        let origin = storage::consultations::origin(&mut tx, id).await?;
        let key = origin
            .as_ref()
            .map(|_| format!("consultation-reply:{}", new_id()));
        storage::consultations::add_answer(&mut tx, id, &answer, key.as_deref()).await?;
        if let (Some((region, origin_id)), Some(key)) = (origin, key) {
            let outgoing = Outgoing {
                key,
                destination: Destination::Region(region),
                crossing: Crossing::ConsultationReply {
                    consultation_id: origin_id,
                    expert: answer.expert.clone(),
                    answer: answer.answer.clone(),
                    answered_at: answer.answered_at,
                },
            };
            self.enqueue(&mut tx, &outgoing).await?;
        }
        tx.commit().await?;
        self.wake_courier();
        self.consultation(id).await
    }

    pub async fn consultation(&self, id: &str) -> Result<Consultation> {
        storage::consultations::get(&self.storage, id).await
    }

    pub async fn list_consultations(
        &self,
        status: Option<ConsultationStatus>,
        after: Option<&str>,
        limit: u32,
    ) -> Result<Page<Consultation>> {
        storage::consultations::list(&self.storage, status, after, limit).await
    }
}
