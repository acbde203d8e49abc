//! `CaseService`: parses each request into domain input, calls the workflow, maps the result.

use super::convert::{self, optional_enum, required_date, required_enum};
use super::subject::{acting, audited};
use crate::domain::{self, validate};
use crate::error::{Error, Result};
use crate::workflow::Workflow;
use expertnet_proto::v1 as wire;
use expertnet_proto::v1::case_service_server::CaseService;
use tonic::{Request, Response, Status};

/// Largest page of cases one call returns.
pub const MAX_PAGE_SIZE: u32 = 500;
const DEFAULT_PAGE_SIZE: u32 = 50;
const MAX_CATEGORIES: usize = 10;

#[derive(Debug, Clone)]
pub struct CaseApi {
    workflow: Workflow,
}

impl CaseApi {
    pub fn new(workflow: Workflow) -> CaseApi {
        CaseApi { workflow }
    }
}

fn case_id(value: &str) -> Result<String> {
    validate::id("case_id", value)
}

pub fn parse_new_case(req: wire::SubmitCaseRequest) -> Result<domain::NewCase> {
    let referrer = req
        .referrer
        .ok_or_else(|| Error::invalid("referrer", "must be given"))?;
    let youth = req
        .youth
        .ok_or_else(|| Error::invalid("youth", "must be given"))?;
    if req.age > validate::MAX_AGE {
        return Err(Error::invalid(
            "age",
            format!("must be between 0 and {}", validate::MAX_AGE),
        ));
    }
    if req.categories.is_empty() {
        return Err(Error::invalid(
            "categories",
            "name at least one bottleneck category",
        ));
    }
    if req.categories.len() > MAX_CATEGORIES {
        return Err(Error::invalid(
            "categories",
            format!("at most {MAX_CATEGORIES}"),
        ));
    }
    let mut categories = Vec::with_capacity(req.categories.len());
    for (i, value) in req.categories.iter().enumerate() {
        let category: domain::BottleneckCategory =
            required_enum(&format!("categories[{i}]"), *value)?;
        if categories.contains(&category) {
            return Err(Error::invalid(
                format!("categories[{i}]"),
                format!("{category} is named twice"),
            ));
        }
        categories.push(category);
    }
    Ok(domain::NewCase {
        request_id: validate::request_id("request_id", &req.request_id)?,
        referrer: domain::Referrer {
            organisation: validate::short_text("referrer.organisation", &referrer.organisation)?,
            kind: required_enum("referrer.kind", referrer.kind)?,
        },
        youth: domain::YouthIdentity {
            name: validate::short_text("youth.name", &youth.name)?,
            bsn: match youth.bsn.trim() {
                "" => None,
                bsn => Some(validate::bsn("youth.bsn", bsn)?),
            },
            date_of_birth: match youth.date_of_birth.trim() {
                "" => None,
                dob => Some(validate::date("youth.date_of_birth", dob)?),
            },
        },
        age: req.age,
        municipality: validate::short_text("municipality", &req.municipality)?,
        question: validate::long_text("question", &req.question)?,
        tried_so_far: validate::long_text("tried_so_far", &req.tried_so_far)?,
        categories,
    })
}

/// A discussion as the table recorded it, under `actor`: it must end in a next step.
pub fn parse_discussion(
    req: wire::RecordDiscussionRequest,
    actor: String,
) -> Result<domain::NewDiscussion> {
    Ok(domain::NewDiscussion {
        case_id: case_id(&req.case_id)?,
        session_id: validate::id("session_id", &req.session_id)?,
        actor,
        summary: validate::optional_long_text("summary", &req.summary)?,
        next_step: if req.next_step.trim().is_empty() {
            return Err(Error::invalid(
                "next_step",
                "every discussion must end in a recorded next step",
            ));
        } else {
            validate::long_text("next_step", &req.next_step)?
        },
        regie_holder: validate::optional_short_text("regie_holder", &req.regie_holder)?,
        commitments: req
            .commitments
            .iter()
            .enumerate()
            .map(|(i, c)| parse_new_commitment(&format!("commitments[{i}]"), c))
            .collect::<Result<_>>()?,
    })
}

/// A provider's commitment; `prefix` names it in errors (`commitment`, `commitments[0]`).
pub fn parse_new_commitment(
    prefix: &str,
    c: &wire::NewCommitment,
) -> Result<domain::NewCommitment> {
    Ok(domain::NewCommitment {
        provider: validate::short_text(&format!("{prefix}.provider"), &c.provider)?,
        description: validate::long_text(&format!("{prefix}.description"), &c.description)?,
        due: required_date(&format!("{prefix}.due"), c.due.as_ref())?,
        authority_confirmed: c.authority_confirmed,
    })
}

fn parse_filter(req: &wire::ListCasesRequest, today: time::Date) -> Result<domain::CaseFilter> {
    Ok(domain::CaseFilter {
        state: optional_enum("state", req.state)?,
        category: optional_enum("category", req.category)?,
        municipality: validate::optional_short_text("municipality", &req.municipality)?,
        session_id: match req.session_id.as_str() {
            "" => None,
            id => Some(validate::id("session_id", id)?),
        },
        overdue_before: req.overdue_only.then_some(today),
    })
}

type Reply<T> = std::result::Result<Response<T>, Status>;

fn summary_reply(case: Result<domain::CaseSummary>) -> Reply<wire::CaseSummary> {
    Ok(Response::new(convert::summary(case?)))
}

#[tonic::async_trait]
impl CaseService for CaseApi {
    async fn submit_case(
        &self,
        request: Request<wire::SubmitCaseRequest>,
    ) -> Reply<wire::CaseSummary> {
        let audit = audited(&request);
        let submitted_by = acting(&request)?;
        let new = parse_new_case(request.into_inner())?;
        let outcome = self.workflow.submit_case(new, &submitted_by).await?;
        audit.note(&outcome.case().id, "");
        Ok(Response::new(convert::summary(outcome.case().clone())))
    }

    async fn start_intake(&self, request: Request<wire::CaseRef>) -> Reply<wire::CaseSummary> {
        audited(&request);
        let actor = acting(&request)?;
        let req = request.into_inner();
        let id = case_id(&req.case_id)?;
        summary_reply(self.workflow.start_intake(&id, &actor).await)
    }

    async fn accept_case(&self, request: Request<wire::CaseRef>) -> Reply<wire::CaseSummary> {
        audited(&request);
        let actor = acting(&request)?;
        let req = request.into_inner();
        let id = case_id(&req.case_id)?;
        summary_reply(self.workflow.accept_case(&id, &actor).await)
    }

    async fn return_case(
        &self,
        request: Request<wire::ReturnCaseRequest>,
    ) -> Reply<wire::CaseSummary> {
        audited(&request);
        let actor = acting(&request)?;
        let req = request.into_inner();
        let id = case_id(&req.case_id)?;
        let reason = validate::long_text("reason", &req.reason)?;
        summary_reply(self.workflow.return_case(&id, &actor, &reason).await)
    }

    async fn get_case(&self, request: Request<wire::GetCaseRequest>) -> Reply<wire::CaseDetail> {
        audited(&request);
        let id = case_id(&request.into_inner().case_id)?;
        Ok(Response::new(convert::detail(
            self.workflow.case_detail(&id).await?,
        )))
    }

    async fn list_cases(
        &self,
        request: Request<wire::ListCasesRequest>,
    ) -> Reply<wire::ListCasesResponse> {
        audited(&request);
        let req = request.into_inner();
        let filter = parse_filter(&req, self.workflow.clock().today())?;
        let limit =
            convert::page_size("page_size", req.page_size, DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE)?;
        let after = convert::page_after(&req.page_token)?;
        let page = self
            .workflow
            .list_cases(&filter, after.as_deref(), limit)
            .await?;
        Ok(Response::new(wire::ListCasesResponse {
            cases: page.items.into_iter().map(convert::summary).collect(),
            next_page_token: convert::page_token(page.next_after),
        }))
    }

    async fn get_youth_identity(
        &self,
        request: Request<wire::GetYouthIdentityRequest>,
    ) -> Reply<wire::YouthIdentity> {
        audited(&request);
        let id = case_id(&request.into_inner().case_id)?;
        let youth = self.workflow.youth_identity(&id).await?;
        Ok(Response::new(wire::YouthIdentity {
            name: youth.name,
            bsn: youth.bsn.unwrap_or_default(),
            date_of_birth: youth
                .date_of_birth
                .map(validate::format_date)
                .unwrap_or_default(),
        }))
    }

    async fn record_discussion(
        &self,
        request: Request<wire::RecordDiscussionRequest>,
    ) -> Reply<wire::CaseSummary> {
        audited(&request);
        let actor = acting(&request)?;
        let discussion = parse_discussion(request.into_inner(), actor)?;
        summary_reply(self.workflow.record_discussion(discussion).await)
    }

    async fn add_commitment(
        &self,
        request: Request<wire::AddCommitmentRequest>,
    ) -> Reply<wire::Commitment> {
        audited(&request);
        let actor = acting(&request)?;
        let req = request.into_inner();
        let id = case_id(&req.case_id)?;
        let new = req
            .commitment
            .as_ref()
            .ok_or_else(|| Error::invalid("commitment", "must be given"))
            .and_then(|c| parse_new_commitment("commitment", c))?;
        let commitment = self.workflow.add_commitment(&id, &actor, new).await?;
        Ok(Response::new(convert::commitment(commitment)))
    }

    async fn update_commitment(
        &self,
        request: Request<wire::UpdateCommitmentRequest>,
    ) -> Reply<wire::Commitment> {
        let audit = audited(&request);
        let actor = acting(&request)?;
        let req = request.into_inner();
        let id = validate::id("commitment_id", &req.commitment_id)?;
        let status = required_enum("status", req.status)?;
        let commitment = self.workflow.update_commitment(&id, &actor, status).await?;
        audit.note(&commitment.case_id, "");
        Ok(Response::new(convert::commitment(commitment)))
    }

    async fn appoint_procesregisseur(
        &self,
        request: Request<wire::AppointProcesregisseurRequest>,
    ) -> Reply<wire::Procesregisseur> {
        audited(&request);
        let actor = acting(&request)?;
        let req = request.into_inner();
        let id = case_id(&req.case_id)?;
        let name = validate::short_text("name", &req.name)?;
        let organisation = validate::short_text("organisation", &req.organisation)?;
        let replacement =
            validate::optional_short_text("replacement_reason", &req.replacement_reason)?;
        let appointed = self
            .workflow
            .appoint_procesregisseur(&id, &actor, name, organisation, replacement)
            .await?;
        Ok(Response::new(convert::procesregisseur(appointed)))
    }

    async fn assign_case_manager(
        &self,
        request: Request<wire::AssignCaseManagerRequest>,
    ) -> Reply<wire::CareArrangement> {
        audited(&request);
        let actor = acting(&request)?;
        let req = request.into_inner();
        let id = case_id(&req.case_id)?;
        let arrangement = validate::short_text("arrangement", &req.arrangement)?;
        let manager = validate::short_text("case_manager", &req.case_manager)?;
        let organisation = validate::short_text("organisation", &req.organisation)?;
        let assigned = self
            .workflow
            .assign_case_manager(&id, &actor, arrangement, manager, organisation)
            .await?;
        Ok(Response::new(convert::care_arrangement(assigned)))
    }

    async fn start_plan(&self, request: Request<wire::CaseRef>) -> Reply<wire::CaseSummary> {
        audited(&request);
        let actor = acting(&request)?;
        let req = request.into_inner();
        let id = case_id(&req.case_id)?;
        summary_reply(self.workflow.start_plan(&id, &actor).await)
    }

    async fn add_task(&self, request: Request<wire::AddTaskRequest>) -> Reply<wire::Task> {
        audited(&request);
        let actor = acting(&request)?;
        let req = request.into_inner();
        let id = case_id(&req.case_id)?;
        let description = validate::long_text("description", &req.description)?;
        let owner = validate::short_text("owner", &req.owner)?;
        let due = required_date("due", req.due.as_ref())?;
        let task = self
            .workflow
            .add_task(&id, &actor, description, owner, due)
            .await?;
        Ok(Response::new(convert::task(task)))
    }

    async fn update_task(&self, request: Request<wire::UpdateTaskRequest>) -> Reply<wire::Task> {
        let audit = audited(&request);
        let actor = acting(&request)?;
        let req = request.into_inner();
        let id = validate::id("task_id", &req.task_id)?;
        let status = required_enum("status", req.status)?;
        let task = self.workflow.update_task(&id, &actor, status).await?;
        audit.note(&task.case_id, "");
        Ok(Response::new(convert::task(task)))
    }

    async fn add_progress_note(
        &self,
        request: Request<wire::AddProgressNoteRequest>,
    ) -> Reply<wire::ProgressNote> {
        audited(&request);
        let author = acting(&request)?;
        let req = request.into_inner();
        let id = case_id(&req.case_id)?;
        let text = validate::long_text("text", &req.text)?;
        Ok(Response::new(convert::note(
            self.workflow.add_progress_note(&id, &author, text).await?,
        )))
    }

    async fn close_case(
        &self,
        request: Request<wire::CloseCaseRequest>,
    ) -> Reply<wire::CaseSummary> {
        audited(&request);
        let actor = acting(&request)?;
        let req = request.into_inner();
        let id = case_id(&req.case_id)?;
        let outcome = required_enum("outcome", req.outcome)?;
        let note = validate::optional_long_text("closing_note", &req.closing_note)?;
        summary_reply(self.workflow.close_case(&id, &actor, outcome, &note).await)
    }

    async fn list_overdue(
        &self,
        request: Request<wire::ListOverdueRequest>,
    ) -> Reply<wire::ListOverdueResponse> {
        audited(&request);
        let req = request.into_inner();
        let as_of = convert::optional_date("as_of", req.as_of.as_ref())?;
        let limit = convert::page_size("limit", req.limit, DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE)?;
        let (day, overdue) = self.workflow.overdue(as_of, limit).await?;
        Ok(Response::new(wire::ListOverdueResponse {
            commitments: overdue
                .commitments
                .into_iter()
                .map(convert::commitment)
                .collect(),
            tasks: overdue.tasks.into_iter().map(convert::task).collect(),
            as_of: convert::wire_date(day),
        }))
    }
}
