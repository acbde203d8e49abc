//! `ConsultationService`: questions to the node's experts and their answers.

use super::convert::{self, optional_enum, required_enum};
use super::subject::audited;
use crate::domain::{self, AskerKind, validate};
use crate::error::{Error, Result};
use crate::workflow::Workflow;
use expertnet_federation::registry::is_region_id;
use expertnet_proto::v1 as wire;
use expertnet_proto::v1::consultation_service_server::ConsultationService;
use tonic::{Request, Response, Status};

const MAX_TAGS: usize = 10;
const MAX_TAG_LENGTH: usize = 40;

#[derive(Debug, Clone)]
pub struct ConsultationApi {
    workflow: Workflow,
}

impl ConsultationApi {
    pub fn new(workflow: Workflow) -> ConsultationApi {
        ConsultationApi { workflow }
    }
}

type Reply<T> = std::result::Result<Response<T>, Status>;

/// Expertise tags are lowercase words joined by '-' (e.g. `lvb`, `residential-outflow`), so routing can match
/// them exactly.
fn parse_tags(tags: &[String]) -> Result<Vec<String>> {
    if tags.len() > MAX_TAGS {
        return Err(Error::invalid(
            "expertise_tags",
            format!("at most {MAX_TAGS}"),
        ));
    }
    let mut parsed: Vec<String> = Vec::with_capacity(tags.len());
    for (i, tag) in tags.iter().enumerate() {
        let tag = tag.trim().to_ascii_lowercase();
        let valid = !tag.is_empty()
            && tag.len() <= MAX_TAG_LENGTH
            && tag
                .chars()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-');
        if !valid {
            return Err(Error::invalid(
                format!("expertise_tags[{i}]"),
                format!("must be 1-{MAX_TAG_LENGTH} of a-z, 0-9 and '-'"),
            ));
        }
        if !parsed.contains(&tag) {
            parsed.push(tag);
        }
    }
    Ok(parsed)
}

/// A question to this node's experts, one region's or the network's.
pub fn parse_new_consultation(
    req: wire::AskConsultationRequest,
) -> Result<domain::NewConsultation> {
    let asker_kind: AskerKind = required_enum("asker_kind", req.asker_kind)?;
    let asker_organisation = match asker_kind {
        AskerKind::Professional => {
            validate::short_text("asker_organisation", &req.asker_organisation)?
        }
        AskerKind::Parent | AskerKind::Youth => {
            if !req.asker_organisation.trim().is_empty() {
                return Err(Error::invalid(
                    "asker_organisation",
                    "must be empty when a parent or youth asks",
                ));
            }
            String::new()
        }
    };
    Ok(domain::NewConsultation {
        request_id: validate::request_id("request_id", &req.request_id)?,
        asker_kind,
        asker_organisation,
        question: validate::long_text("question", &req.question)?,
        expertise_tags: parse_tags(&req.expertise_tags)?,
        case_id: match req.case_id.as_str() {
            "" => None,
            id => Some(validate::id("case_id", id)?),
        },
        to_network: req.to_network,
        target_region: match req.target_region.trim() {
            "" => None,
            region if is_region_id(region) => Some(region.to_owned()),
            _ => {
                return Err(Error::invalid(
                    "target_region",
                    "is not a region id (a-z and '-')",
                ));
            }
        },
    })
}

#[tonic::async_trait]
impl ConsultationService for ConsultationApi {
    async fn ask_consultation(
        &self,
        request: Request<wire::AskConsultationRequest>,
    ) -> Reply<wire::Consultation> {
        audited(&request);
        let new = parse_new_consultation(request.into_inner())?;
        Ok(Response::new(convert::consultation(
            self.workflow.ask_consultation(new).await?,
        )))
    }

    async fn answer_consultation(
        &self,
        request: Request<wire::AnswerConsultationRequest>,
    ) -> Reply<wire::Consultation> {
        audited(&request);
        let req = request.into_inner();
        let id = validate::id("consultation_id", &req.consultation_id)?;
        let expert = validate::short_text("expert", &req.expert)?;
        let answer = validate::long_text("answer", &req.answer)?;
        Ok(Response::new(convert::consultation(
            self.workflow
                .answer_consultation(&id, expert, answer)
                .await?,
        )))
    }

    async fn get_consultation(
        &self,
        request: Request<wire::GetConsultationRequest>,
    ) -> Reply<wire::Consultation> {
        audited(&request);
        let id = validate::id("consultation_id", &request.into_inner().consultation_id)?;
        Ok(Response::new(convert::consultation(
            self.workflow.consultation(&id).await?,
        )))
    }

    async fn list_consultations(
        &self,
        request: Request<wire::ListConsultationsRequest>,
    ) -> Reply<wire::ListConsultationsResponse> {
        audited(&request);
        let req = request.into_inner();
        let status = optional_enum("status", req.status)?;
        let limit = convert::page_size("page_size", req.page_size, 50, 500)?;
        let after = convert::page_after(&req.page_token)?;
        let page = self
            .workflow
            .list_consultations(status, after.as_deref(), limit)
            .await?;
        Ok(Response::new(wire::ListConsultationsResponse {
            consultations: page.items.into_iter().map(convert::consultation).collect(),
            next_page_token: convert::page_token(page.next_after),
        }))
    }
}
