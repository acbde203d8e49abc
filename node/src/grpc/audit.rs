//! `AuditService`: the auditor's view of the trail.

use super::convert;
use crate::audit::AuditEvent;
use crate::domain::validate;
use crate::workflow::Workflow;
use expertnet_proto::v1 as wire;
use expertnet_proto::v1::audit_service_server::AuditService;
use tonic::{Request, Response, Status};

const DEFAULT_PAGE: u32 = 1000;
const MAX_PAGE: u32 = 10_000;

type Reply<T> = std::result::Result<Response<T>, Status>;

#[derive(Debug, Clone)]
pub struct AuditApi {
    workflow: Workflow,
}

impl AuditApi {
    pub fn new(workflow: Workflow) -> AuditApi {
        AuditApi { workflow }
    }
}

fn wire_event(event: AuditEvent) -> wire::AuditEvent {
    let entry = event.entry;
    wire::AuditEvent {
        seq: event.seq,
        at_ms: entry.at_ms,
        user: entry.user,
        organisation: entry.organisation,
        roles: entry.roles,
        on_behalf_of: entry.on_behalf_of,
        action: entry.action,
        case_id: entry.case_id.unwrap_or_default(),
        access_point: entry.access_point,
        outcome: entry.outcome,
        prev_hash: event.prev_hash,
        hash: event.hash,
    }
}

#[tonic::async_trait]
impl AuditService for AuditApi {
    async fn verify_audit(
        &self,
        _request: Request<wire::VerifyAuditRequest>,
    ) -> Reply<wire::VerifyAuditReply> {
        let check = self.workflow.verify_audit_trail().await?;
        let (intact, events, problem) = match check.result {
            Ok(verified) => (true, verified.events, String::new()),
            Err(problem) => (false, 0, problem.to_string()),
        };
        Ok(Response::new(wire::VerifyAuditReply {
            intact,
            events,
            head_seq: check.head_seq,
            head_hash: check.head_hash,
            problem,
        }))
    }

    async fn export_audit(
        &self,
        request: Request<wire::ExportAuditRequest>,
    ) -> Reply<wire::ExportAuditReply> {
        let req = request.into_inner();
        if req.after_seq < 0 {
            return Err(Status::invalid_argument("after_seq: must not be negative"));
        }
        let limit = convert::page_size("page_size", req.page_size, DEFAULT_PAGE, MAX_PAGE)?;
        let events = self.workflow.audit_events(req.after_seq, limit).await?;
        let next_after_seq = if events.len() == limit as usize {
            events.last().map_or(0, |e| e.seq)
        } else {
            0
        };
        Ok(Response::new(wire::ExportAuditReply {
            events: events.into_iter().map(wire_event).collect(),
            next_after_seq,
        }))
    }

    async fn access_report(
        &self,
        request: Request<wire::AccessReportRequest>,
    ) -> Reply<wire::AccessReportReply> {
        let case_id = validate::id("case_id", &request.into_inner().case_id)?;
        let accesses = self.workflow.access_report(&case_id).await?;
        Ok(Response::new(wire::AccessReportReply {
            case_id,
            accesses: accesses
                .into_iter()
                .map(|a| wire::CaseAccess {
                    at_ms: a.at_ms,
                    organisation: a.organisation,
                    roles: a.roles,
                    purpose: a.purpose.to_owned(),
                    action: a.action,
                    outcome: a.outcome,
                })
                .collect(),
        }))
    }
}
