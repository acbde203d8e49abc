//! The chair's mode for the two hours at the table: one case after the other — who is there (youth and parents
//! too), the discussion with its required next step, who keeps regie and each provider's commitment — then on to
//! the next. Every form goes through the API's own parsers and the same workflow functions.

use super::cases::CaseRow;
use super::error::WebError;
use super::form::Fields;
use super::i18n::{filters, tf};
use super::session::{Frame, SignedIn};
use super::tables::{SessionRow, session_of};
use super::wording;
use crate::domain::{AttendeeRole, TableSession};
use crate::grpc::convert::wire_enum;
use askama::Template;
use axum::extract::{Path, Query};
use axum::response::{Html, IntoResponse, Redirect, Response};
use expertnet_proto::v1 as wire;
use std::collections::HashMap;

/// How many commitment rows the discussion form offers at once.
const COMMITMENT_ROWS: usize = 3;

/// A choice of attendee role with the organisation typed for it.
struct Professional {
    value: &'static str,
    label: &'static str,
    organisation: String,
}

/// What was typed into the discussion form.
#[derive(Default)]
struct DiscussionTyped {
    summary: String,
    next_step: String,
    regie_holder: String,
    commitments: Vec<CommitmentTyped>,
}

#[derive(Default, Clone)]
struct CommitmentTyped {
    provider: String,
    description: String,
    due: String,
    authority: bool,
}

/// One case at the table, as the chair's mode shows it.
#[derive(Template)]
#[template(path = "chair.html")]
struct ChairPage {
    frame: Option<Frame>,
    csrf: String,
    session: SessionRow,
    /// Position on the agenda (0-based) and the agenda's length.
    nr: usize,
    total: usize,
    case: CaseRow,
    question: String,
    tried_so_far: String,
    youth_present: bool,
    parents_present: bool,
    professionals: Vec<Professional>,
    /// The discussion recorded at this session, if any: next step, regie, summary.
    discussed: Option<(String, String, String)>,
    typed: DiscussionTyped,
    error: Option<String>,
}

impl ChairPage {
    fn next_nr(&self) -> usize {
        self.nr + 1
    }

    /// "casus 2 van 5": where the chair is on the agenda.
    fn position(&self) -> String {
        tf(
            "casus {nr} van {totaal}",
            &[("nr", &(self.nr + 1)), ("totaal", &self.total)],
        )
    }
}

async fn chair_page(
    signed_in: &SignedIn,
    session: TableSession,
    nr: usize,
    typed: DiscussionTyped,
    error: Option<String>,
) -> Result<ChairPage, WebError> {
    let case_id = session.agenda.get(nr).ok_or(WebError::NotFound)?.clone();
    let workflow = &signed_in.board.workflow;
    let detail = workflow.case_detail(&case_id).await?;
    let attendance = workflow.attendance(&session.id, &case_id).await?;
    let professionals = AttendeeRole::ALL
        .iter()
        .filter(|role| !matches!(role, AttendeeRole::Youth | AttendeeRole::Parent))
        .map(|role| Professional {
            value: role.as_str(),
            label: wording::attendee_role(*role),
            organisation: attendance
                .attendees
                .iter()
                .filter(|a| a.role == *role)
                .map(|a| a.organisation.clone())
                .collect::<Vec<_>>()
                .join("; "),
        })
        .collect();
    let discussed = detail
        .discussions
        .iter()
        .find(|d| d.session_id == session.id)
        .map(|d| {
            (
                d.next_step.clone(),
                d.regie_holder.clone(),
                d.summary.clone(),
            )
        });
    let mut typed = typed;
    typed
        .commitments
        .resize(COMMITMENT_ROWS, CommitmentTyped::default());
    Ok(ChairPage {
        frame: Some(signed_in.frame("/tafels")),
        csrf: signed_in.session.csrf.clone(),
        nr,
        total: session.agenda.len(),
        session: SessionRow::from(&session),
        case: CaseRow::from(&detail.summary),
        question: detail.question,
        tried_so_far: detail.tried_so_far,
        youth_present: attendance.youth_present,
        parents_present: attendance.parents_present,
        professionals,
        discussed,
        typed,
        error,
    })
}

fn position(query: &HashMap<String, String>, fields: Option<&Fields>) -> usize {
    fields
        .map(|f| f.get("nr").to_owned())
        .or_else(|| query.get("nr").cloned())
        .and_then(|nr| nr.parse().ok())
        .unwrap_or(0)
}

pub async fn page(
    signed_in: SignedIn,
    Path(id): Path<String>,
    Query(query): Query<HashMap<String, String>>,
) -> Result<Response, WebError> {
    signed_in.require("CaseService/RecordDiscussion").await?;
    let session = session_of(&signed_in, &id).await?;
    let nr = position(&query, None);
    let case_id = session.agenda.get(nr).cloned();
    let page = chair_page(&signed_in, session, nr, DiscussionTyped::default(), None).await?;
    signed_in
        .audit("CaseService/GetCase", case_id.as_deref(), "ok")
        .await?;
    Ok(Html(page.render()?).into_response())
}

pub async fn attendance(
    signed_in: SignedIn,
    Path(id): Path<String>,
    fields: Fields,
) -> Result<Response, WebError> {
    let rpc = "SessionService/RecordAttendance";
    signed_in.require(rpc).await?;
    signed_in.check_csrf(&fields)?;
    let session = session_of(&signed_in, &id).await?;
    let nr = position(&HashMap::new(), Some(&fields));
    let case_id = session.agenda.get(nr).ok_or(WebError::NotFound)?.clone();
    let mut attendees = Vec::new();
    for role in AttendeeRole::ALL {
        for organisation in fields
            .get(&format!("org_{}", role.as_str()))
            .split(';')
            .map(str::trim)
            .filter(|o| !o.is_empty())
        {
            attendees.push(wire::Attendee {
                role: wire_enum(*role),
                organisation: organisation.to_owned(),
            });
        }
    }
    let youth_present = !fields.get("youth_present").is_empty();
    let parents_present = !fields.get("parents_present").is_empty();
    let recorded = async {
        let attendance = crate::domain::Attendance {
            session_id: session.id.clone(),
            case_id: case_id.clone(),
            attendees: crate::grpc::parse_attendees(&attendees)?,
            youth_present,
            parents_present,
        };
        signed_in
            .board
            .workflow
            .record_attendance(attendance, &signed_in.actor(rpc))
            .await
    }
    .await;
    match recorded {
        Ok(_) => {
            signed_in.audit(rpc, Some(&case_id), "ok").await?;
            Ok(Redirect::to(&format!(
                "/tafels/{}/voorzitter?nr={nr}#bespreking",
                session.id
            ))
            .into_response())
        }
        Err(err) => {
            let (status, reason) = signed_in.refusal(rpc, Some(&case_id), err).await?;
            let page = chair_page(
                &signed_in,
                session,
                nr,
                DiscussionTyped::default(),
                Some(reason),
            )
            .await?;
            Ok((status, Html(page.render()?)).into_response())
        }
    }
}

pub async fn discussion(
    signed_in: SignedIn,
    Path(id): Path<String>,
    fields: Fields,
) -> Result<Response, WebError> {
    let rpc = "CaseService/RecordDiscussion";
    signed_in.require(rpc).await?;
    signed_in.check_csrf(&fields)?;
    let session = session_of(&signed_in, &id).await?;
    let nr = position(&HashMap::new(), Some(&fields));
    let case_id = session.agenda.get(nr).ok_or(WebError::NotFound)?.clone();
    let typed = DiscussionTyped {
        summary: fields.get("summary").to_owned(),
        next_step: fields.get("next_step").to_owned(),
        regie_holder: fields.get("regie_holder").to_owned(),
        commitments: (0..COMMITMENT_ROWS)
            .map(|i| CommitmentTyped {
                provider: fields.get(&format!("c{i}_provider")).to_owned(),
                description: fields.get(&format!("c{i}_description")).to_owned(),
                due: fields.get(&format!("c{i}_due")).to_owned(),
                authority: !fields.get(&format!("c{i}_authority")).is_empty(),
            })
            .collect(),
    };
    let request = wire::RecordDiscussionRequest {
        case_id: case_id.clone(),
        session_id: session.id.clone(),
        actor: String::new(),
        summary: typed.summary.clone(),
        next_step: typed.next_step.clone(),
        regie_holder: typed.regie_holder.clone(),
        commitments: typed
            .commitments
            .iter()
            .filter(|c| {
                !(c.provider.trim().is_empty()
                    && c.description.trim().is_empty()
                    && c.due.trim().is_empty())
            })
            .map(|c| wire::NewCommitment {
                provider: c.provider.clone(),
                description: c.description.clone(),
                due: Some(wire::Date { iso: c.due.clone() }),
                authority_confirmed: c.authority,
            })
            .collect(),
    };
    let recorded = match crate::grpc::parse_discussion(request, signed_in.actor(rpc)) {
        Ok(discussion) => signed_in.board.workflow.record_discussion(discussion).await,
        Err(err) => Err(err),
    };
    match recorded {
        Ok(_) => {
            signed_in.audit(rpc, Some(&case_id), "ok").await?;
            let next = if nr + 1 < session.agenda.len() {
                format!("/tafels/{}/voorzitter?nr={}", session.id, nr + 1)
            } else {
                format!("/tafels/{}", session.id)
            };
            Ok(Redirect::to(&next).into_response())
        }
        Err(err) => {
            let (status, reason) = signed_in.refusal(rpc, Some(&case_id), err).await?;
            let page = chair_page(&signed_in, session, nr, typed, Some(reason)).await?;
            Ok((status, Html(page.render()?)).into_response())
        }
    }
}
