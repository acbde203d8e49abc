//! `SessionService`: table sessions, agendas and attendance.

use super::convert::{self, optional_date, required_date, required_enum};
use super::subject::{acting, audited};
use crate::domain::{self, AttendeeRole, validate};
use crate::error::{Error, Result};
use crate::workflow::Workflow;
use expertnet_proto::v1 as wire;
use expertnet_proto::v1::session_service_server::SessionService;
use tonic::{Request, Response, Status};

/// A table meets for two hours unless planned otherwise.
pub const DEFAULT_DURATION_MINUTES: u32 = 120;
const MAX_DURATION_MINUTES: u32 = 12 * 60;
const MAX_ATTENDEES: usize = 60;

#[derive(Debug, Clone)]
pub struct SessionApi {
    workflow: Workflow,
}

impl SessionApi {
    pub fn new(workflow: Workflow) -> SessionApi {
        SessionApi { workflow }
    }
}

type Reply<T> = std::result::Result<Response<T>, Status>;

/// A session to plan: a date, a start, a place and a chair; two hours unless said otherwise.
pub fn parse_new_session(req: wire::CreateSessionRequest) -> Result<domain::NewSession> {
    let duration_minutes = match req.duration_minutes {
        0 => DEFAULT_DURATION_MINUTES,
        n if n > MAX_DURATION_MINUTES => {
            return Err(Error::invalid(
                "duration_minutes",
                format!("must be at most {MAX_DURATION_MINUTES}"),
            ));
        }
        n => n,
    };
    Ok(domain::NewSession {
        date: required_date("date", req.date.as_ref())?,
        start_time: validate::time_of_day("start_time", &req.start_time)?,
        duration_minutes,
        location: validate::short_text("location", &req.location)?,
        chair: validate::short_text("chair", &req.chair)?,
    })
}

/// Youth and parents are recorded by role only; professionals by the organisation they represent.
pub fn parse_attendees(attendees: &[wire::Attendee]) -> Result<Vec<domain::Attendee>> {
    if attendees.len() > MAX_ATTENDEES {
        return Err(Error::invalid(
            "attendees",
            format!("at most {MAX_ATTENDEES}"),
        ));
    }
    attendees
        .iter()
        .enumerate()
        .map(|(i, a)| {
            let role: AttendeeRole = required_enum(&format!("attendees[{i}].role"), a.role)?;
            let field = format!("attendees[{i}].organisation");
            let organisation = match role {
                AttendeeRole::Youth | AttendeeRole::Parent => {
                    if !a.organisation.trim().is_empty() {
                        return Err(Error::invalid(
                            field,
                            "must be empty for the youth and parents",
                        ));
                    }
                    String::new()
                }
                _ => validate::short_text(&field, &a.organisation)?,
            };
            Ok(domain::Attendee { role, organisation })
        })
        .collect()
}

#[tonic::async_trait]
impl SessionService for SessionApi {
    async fn create_session(
        &self,
        request: Request<wire::CreateSessionRequest>,
    ) -> Reply<wire::TableSession> {
        audited(&request);
        let session = parse_new_session(request.into_inner())?;
        Ok(Response::new(convert::session(
            self.workflow.create_session(session).await?,
        )))
    }

    async fn get_session(
        &self,
        request: Request<wire::GetSessionRequest>,
    ) -> Reply<wire::TableSession> {
        audited(&request);
        let id = validate::id("session_id", &request.into_inner().session_id)?;
        Ok(Response::new(convert::session(
            self.workflow.session(&id).await?,
        )))
    }

    async fn list_sessions(
        &self,
        request: Request<wire::ListSessionsRequest>,
    ) -> Reply<wire::ListSessionsResponse> {
        audited(&request);
        let req = request.into_inner();
        let from = optional_date("from", req.from.as_ref())?;
        let to = optional_date("to", req.to.as_ref())?;
        if let (Some(from), Some(to)) = (from, to)
            && from > to
        {
            return Err(Error::invalid("to", "lies before from").into());
        }
        let sessions = self.workflow.list_sessions(from, to).await?;
        Ok(Response::new(wire::ListSessionsResponse {
            sessions: sessions.into_iter().map(convert::session).collect(),
        }))
    }

    async fn add_to_agenda(
        &self,
        request: Request<wire::AddToAgendaRequest>,
    ) -> Reply<wire::TableSession> {
        audited(&request);
        let actor = acting(&request)?;
        let req = request.into_inner();
        let session_id = validate::id("session_id", &req.session_id)?;
        let case_id = validate::id("case_id", &req.case_id)?;
        let session = self
            .workflow
            .add_to_agenda(&session_id, &case_id, &actor)
            .await?;
        Ok(Response::new(convert::session(session)))
    }

    async fn record_attendance(
        &self,
        request: Request<wire::RecordAttendanceRequest>,
    ) -> Reply<wire::Attendance> {
        audited(&request);
        let actor = acting(&request)?;
        let req = request.into_inner();
        let attendance = domain::Attendance {
            session_id: validate::id("session_id", &req.session_id)?,
            case_id: validate::id("case_id", &req.case_id)?,
            attendees: parse_attendees(&req.attendees)?,
            youth_present: req.youth_present,
            parents_present: req.parents_present,
        };
        let recorded = self.workflow.record_attendance(attendance, &actor).await?;
        Ok(Response::new(wire::Attendance {
            session_id: recorded.session_id,
            case_id: recorded.case_id,
            attendees: recorded
                .attendees
                .into_iter()
                .map(convert::attendee)
                .collect(),
            youth_present: recorded.youth_present,
            parents_present: recorded.parents_present,
        }))
    }
}
