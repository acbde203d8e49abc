//! Consultation and advice: a question to the node's experts, from a professional, a parent or a youth.

use super::{Workflow, new_id};
use crate::domain::*;
use crate::error::{Error, Result};
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
        };
        let mut tx = self.storage.begin().await?;
        match storage::consultations::insert(&mut tx, &consultation, new.request_id.as_deref())
            .await
        {
            Ok(()) => tx.commit().await?,
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
        tracing::info!(consultation_id = %consultation.id, "consultation asked");
        Ok(consultation)
    }

    /// The consultation an earlier try with the same request id made, if it asked the same thing.
    async fn replay_consultation(&self, id: &str, new: &NewConsultation) -> Result<Consultation> {
        let prior = storage::consultations::get(self.storage.pool(), id).await?;
        let same = prior.asker_kind == new.asker_kind
            && prior.asker_organisation == new.asker_organisation
            && prior.question == new.question
            && prior.expertise_tags == new.expertise_tags
            && prior.case_id == new.case_id;
        if !same {
            return Err(Error::AlreadyExists {
                field: "request_id".into(),
                message: "was used before for a consultation with other content".into(),
            });
        }
        Ok(prior)
    }

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
        };
        let mut tx = self.storage.begin().await?;
        storage::consultations::add_answer(&mut tx, id, &answer).await?;
        tx.commit().await?;
        self.consultation(id).await
    }

    pub async fn consultation(&self, id: &str) -> Result<Consultation> {
        storage::consultations::get(self.storage.pool(), id).await
    }

    pub async fn list_consultations(
        &self,
        status: Option<ConsultationStatus>,
        after: Option<&str>,
        limit: u32,
    ) -> Result<Page<Consultation>> {
        storage::consultations::list(self.storage.pool(), status, after, limit).await
    }
}
