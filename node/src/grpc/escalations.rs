//! `EscalationService` and `OutboxService`: consent records, handing cases to other regions, and the outbox
//! as an operator sees it.

use super::convert::{self, optional_enum, required_enum};
use super::subject::{acting, audited};
use crate::domain::{ConsentScope, DeliveryState, EscalationTexts, NewConsent, validate};
use crate::error::{Error, Result};
use crate::workflow::Workflow;
use expertnet_federation::registry::is_region_id;
use expertnet_proto::v1 as wire;
use expertnet_proto::v1::escalation_service_server::EscalationService;
use expertnet_proto::v1::outbox_service_server::OutboxService;
use tonic::{Request, Response, Status};

const DEFAULT_OUTBOX_LIMIT: u32 = 100;
const MAX_OUTBOX_LIMIT: u32 = 1000;

type Reply<T> = std::result::Result<Response<T>, Status>;

#[derive(Debug, Clone)]
pub struct EscalationApi {
    workflow: Workflow,
}

impl EscalationApi {
    pub fn new(workflow: Workflow) -> EscalationApi {
        EscalationApi { workflow }
    }
}

fn region(field: &str, value: &str) -> Result<String> {
    let value = value.trim();
    if value.is_empty() {
        return Err(Error::invalid(field, "must not be empty"));
    }
    if !is_region_id(value) {
        return Err(Error::invalid(field, "is not a region id (a-z and '-')"));
    }
    Ok(value.to_owned())
}

/// A consent or legal ground as recorded: who gave it, for what, until when.
pub fn parse_new_consent(req: &wire::RecordConsentRequest) -> Result<NewConsent> {
    let scope = if req.scope.trim().is_empty() {
        ConsentScope::Escalate
    } else {
        ConsentScope::parse(req.scope.trim()).ok_or_else(|| {
            Error::invalid(
                "scope",
                "must be escalate, consult_with_identifiers or share_with_provider",
            )
        })?
    };
    Ok(NewConsent {
        basis: required_enum("basis", req.basis)?,
        given_by: validate::short_text("given_by", &req.given_by)?,
        note: validate::optional_long_text("note", &req.note)?,
        scope,
        scope_target: (!req.scope_target.trim().is_empty())
            .then(|| validate::short_text("scope_target", &req.scope_target))
            .transpose()?,
        valid_until: convert::optional_date("valid_until", req.valid_until.as_ref())?,
    })
}

/// Where an escalation goes and the texts that cross: why, and what replaces the case's own question and what
/// was tried when those may not leave the node.
pub fn parse_escalation(req: &wire::EscalateCaseRequest) -> Result<(String, EscalationTexts)> {
    let to_region = region("to_region", &req.to_region)?;
    let optional = |field: &str, text: &str| {
        (!text.trim().is_empty())
            .then(|| validate::long_text(field, text))
            .transpose()
    };
    let texts = EscalationTexts {
        reason: validate::long_text("reason", &req.reason)?,
        question: optional("question", &req.question)?,
        tried_so_far: optional("tried_so_far", &req.tried_so_far)?,
    };
    Ok((to_region, texts))
}

#[tonic::async_trait]
impl EscalationService for EscalationApi {
    async fn record_consent(
        &self,
        request: Request<wire::RecordConsentRequest>,
    ) -> Reply<wire::Consent> {
        audited(&request);
        let actor = acting(&request)?;
        let req = request.into_inner();
        let case_id = validate::id("case_id", &req.case_id)?;
        let new = parse_new_consent(&req)?;
        let consent = self.workflow.record_consent(&case_id, &actor, new).await?;
        Ok(Response::new(convert::consent(consent)))
    }

    async fn withdraw_consent(
        &self,
        request: Request<wire::WithdrawConsentRequest>,
    ) -> Reply<wire::WithdrawConsentReply> {
        audited(&request);
        let actor = acting(&request)?;
        let req = request.into_inner();
        let case_id = validate::id("case_id", &req.case_id)?;
        if req.sequence < 1 {
            return Err(
                Error::invalid("sequence", "must be a consent's number (1 or more)").into(),
            );
        }
        let reason = validate::long_text("reason", &req.reason)?;
        let outcome = self
            .workflow
            .withdraw_consent(&case_id, req.sequence, &actor, reason)
            .await?;
        Ok(Response::new(wire::WithdrawConsentReply {
            consent: Some(convert::consent(outcome.consent)),
            stopped_escalation_ids: outcome.stopped,
            delivered_escalation_ids: outcome.delivered,
        }))
    }

    async fn escalate_case(
        &self,
        request: Request<wire::EscalateCaseRequest>,
    ) -> Reply<wire::Escalation> {
        audited(&request);
        let actor = acting(&request)?;
        let req = request.into_inner();
        let case_id = validate::id("case_id", &req.case_id)?;
        let (to_region, texts) = parse_escalation(&req)?;
        let escalation = self
            .workflow
            .escalate_case(&case_id, &actor, &to_region, texts)
            .await?;
        Ok(Response::new(convert::escalation(escalation)))
    }

    async fn list_escalations(
        &self,
        request: Request<wire::ListEscalationsRequest>,
    ) -> Reply<wire::ListEscalationsResponse> {
        audited(&request);
        let direction = optional_enum("direction", request.into_inner().direction)?;
        let escalations = self.workflow.list_escalations(direction).await?;
        Ok(Response::new(wire::ListEscalationsResponse {
            escalations: escalations.into_iter().map(convert::escalation).collect(),
        }))
    }
}

#[derive(Debug, Clone)]
pub struct OutboxApi {
    workflow: Workflow,
}

impl OutboxApi {
    pub fn new(workflow: Workflow) -> OutboxApi {
        OutboxApi { workflow }
    }
}

#[tonic::async_trait]
impl OutboxService for OutboxApi {
    async fn list_outbox(
        &self,
        request: Request<wire::ListOutboxRequest>,
    ) -> Reply<wire::ListOutboxResponse> {
        audited(&request);
        let req = request.into_inner();
        let state: Option<DeliveryState> = optional_enum("state", req.state)?;
        let limit = convert::page_size("limit", req.limit, DEFAULT_OUTBOX_LIMIT, MAX_OUTBOX_LIMIT)?;
        let entries = self.workflow.list_outbox(state, limit).await?;
        Ok(Response::new(wire::ListOutboxResponse {
            entries: entries.into_iter().map(convert::outbox_entry).collect(),
        }))
    }

    async fn replay_dead_letter(
        &self,
        request: Request<wire::ReplayDeadLetterRequest>,
    ) -> Reply<wire::OutboxEntry> {
        audited(&request);
        let actor = acting(&request)?;
        let req = request.into_inner();
        let key = validate::short_text("key", &req.key)?;
        let entry = self.workflow.replay_dead_letter(&key, &actor).await?;
        Ok(Response::new(convert::outbox_entry(entry)))
    }
}
