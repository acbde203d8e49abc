//! Tafels: the table's sessions — a month calendar, planning one, and its agenda in the chair's order. The chair's
//! mode for the two hours is in [`super::chair`], the minutes in [`super::minutes`].

use super::calendar::{CalendarDay, calendar, month_start, month_text};
use super::cases::CaseRow;
use super::error::WebError;
use super::form::Fields;
use super::i18n::{filters, tf};
use super::session::{Frame, SignedIn};
use super::wording;
use crate::domain::{CaseFilter, CaseState, SessionListing, TableSession};
use crate::error::Error;
use askama::Template;
use axum::extract::{Path, Query};
use axum::response::{Html, IntoResponse, Redirect, Response};
use expertnet_proto::v1 as wire;
use std::collections::HashMap;

pub struct SessionRow {
    pub id: String,
    pub when: String,
    pub location: String,
    pub chair: String,
    pub cases: u64,
}

impl From<&TableSession> for SessionRow {
    fn from(session: &TableSession) -> SessionRow {
        SessionRow::from(&SessionListing::from(session))
    }
}

impl From<&SessionListing> for SessionRow {
    fn from(session: &SessionListing) -> SessionRow {
        SessionRow {
            id: session.id.clone(),
            when: tf(
                "{datum} om {tijd} ({duur} min.)",
                &[
                    ("datum", &wording::date(session.date)),
                    ("tijd", &session.start_time),
                    ("duur", &session.duration_minutes),
                ],
            ),
            location: session.location.clone(),
            chair: session.chair.clone(),
            cases: session.on_agenda,
        }
    }
}

/// What was typed into the new-session form.
#[derive(Default)]
struct SessionTyped {
    date: String,
    start_time: String,
    duration: String,
    location: String,
    chair: String,
}

#[derive(Template)]
#[template(path = "tables.html")]
struct TablesPage {
    frame: Option<Frame>,
    month: String,
    previous_month: String,
    next_month: String,
    weeks: Vec<Vec<CalendarDay>>,
    csrf: String,
    upcoming: Vec<SessionRow>,
    past: Vec<SessionRow>,
    may_plan: bool,
    typed: SessionTyped,
    error: Option<String>,
}

pub async fn list(
    signed_in: SignedIn,
    Query(query): Query<HashMap<String, String>>,
) -> Result<Response, WebError> {
    let mut page = tables_page(&signed_in, SessionTyped::default(), None).await?;
    if let Some(month) = query.get("maand").and_then(|m| month_start(m)) {
        page.show_month(&signed_in, month).await?;
    }
    Ok(Html(page.render()?).into_response())
}

async fn tables_page(
    signed_in: &SignedIn,
    typed: SessionTyped,
    error: Option<String>,
) -> Result<TablesPage, WebError> {
    signed_in.require("SessionService/ListSessions").await?;
    let workflow = &signed_in.board.workflow;
    let today = workflow.clock().today();
    let sessions = workflow.session_overview(None, None).await?;
    signed_in
        .audit("SessionService/ListSessions", None, "ok")
        .await?;
    let (mut past, upcoming): (Vec<_>, Vec<_>) = sessions.iter().partition(|s| s.date < today);
    past.reverse();
    let first = today.replace_day(1).unwrap_or(today);
    let mut page = TablesPage {
        frame: Some(signed_in.frame("/tafels")),
        month: String::new(),
        previous_month: String::new(),
        next_month: String::new(),
        weeks: Vec::new(),
        csrf: signed_in.session.csrf.clone(),
        upcoming: upcoming.into_iter().map(SessionRow::from).collect(),
        past: past.into_iter().map(SessionRow::from).collect(),
        may_plan: signed_in.may("SessionService/CreateSession"),
        typed,
        error,
    };
    page.set_month(first, today, &sessions);
    Ok(page)
}

impl TablesPage {
    fn set_month(&mut self, first: time::Date, today: time::Date, sessions: &[SessionListing]) {
        let previous = first
            .previous_day()
            .and_then(|d| d.replace_day(1).ok())
            .unwrap_or(first);
        let next = first
            .replace_day(28)
            .ok()
            .and_then(|d| d.checked_add(time::Duration::days(4)))
            .and_then(|d| d.replace_day(1).ok())
            .unwrap_or(first);
        let name = wording::date(first);
        self.month = name
            .split_once(' ')
            .map_or(name.clone(), |(_, m)| m.to_owned());
        self.previous_month = month_text(previous);
        self.next_month = month_text(next);
        self.weeks = calendar(first, today, sessions);
    }

    async fn show_month(
        &mut self,
        signed_in: &SignedIn,
        first: time::Date,
    ) -> Result<(), WebError> {
        let workflow = &signed_in.board.workflow;
        let sessions = workflow.session_overview(None, None).await?;
        self.set_month(first, workflow.clock().today(), &sessions);
        Ok(())
    }
}

pub async fn create(signed_in: SignedIn, fields: Fields) -> Result<Response, WebError> {
    signed_in.require("SessionService/CreateSession").await?;
    signed_in.check_csrf(&fields)?;
    let typed = SessionTyped {
        date: fields.get("date").to_owned(),
        start_time: fields.get("start_time").to_owned(),
        duration: fields.get("duration").to_owned(),
        location: fields.get("location").to_owned(),
        chair: fields.get("chair").to_owned(),
    };
    let created = async {
        let duration_minutes = match typed.duration.trim() {
            "" => 0,
            minutes => minutes
                .parse()
                .map_err(|_| Error::invalid("duration_minutes", "is not a number of minutes"))?,
        };
        let request = wire::CreateSessionRequest {
            date: Some(wire::Date {
                iso: typed.date.clone(),
            }),
            start_time: typed.start_time.clone(),
            duration_minutes,
            location: typed.location.clone(),
            chair: typed.chair.clone(),
            actor: String::new(),
        };
        let new = crate::grpc::parse_new_session(request)?;
        signed_in.board.workflow.create_session(new).await
    }
    .await;
    match created {
        Ok(session) => {
            signed_in
                .audit("SessionService/CreateSession", None, "ok")
                .await?;
            Ok(Redirect::to(&format!("/tafels/{}", session.id)).into_response())
        }
        Err(err @ Error::InvalidArgument { .. }) => {
            let status = wording::status_of(&err);
            let page = tables_page(&signed_in, typed, Some(wording::error(&err))).await?;
            Ok((status, Html(page.render()?)).into_response())
        }
        Err(err) => Err(err.into()),
    }
}

#[derive(Template)]
#[template(path = "table.html")]
struct TablePage {
    frame: Option<Frame>,
    may_reorder: bool,
    csrf: String,
    session: SessionRow,
    agenda: Vec<CaseRow>,
    candidates: Vec<CaseRow>,
    may_chair: bool,
    error: Option<String>,
}

pub(super) async fn session_of(signed_in: &SignedIn, id: &str) -> Result<TableSession, WebError> {
    let id = crate::domain::validate::id("session_id", id).map_err(|_| WebError::NotFound)?;
    match signed_in.board.workflow.session(&id).await {
        Ok(session) => Ok(session),
        Err(Error::NotFound { .. }) => Err(WebError::NotFound),
        Err(err) => Err(err.into()),
    }
}

async fn table_page(
    signed_in: &SignedIn,
    session: TableSession,
    error: Option<String>,
) -> Result<TablePage, WebError> {
    let workflow = &signed_in.board.workflow;
    let mut agenda = Vec::new();
    for case_id in &session.agenda {
        agenda.push(CaseRow::from(&workflow.case_detail(case_id).await?.summary));
    }
    let may_chair = signed_in.may("SessionService/AddToAgenda");
    let mut candidates = Vec::new();
    if may_chair {
        for state in [
            CaseState::Intake,
            CaseState::Discussed,
            CaseState::InProgress,
        ] {
            let filter = CaseFilter {
                state: Some(state),
                ..CaseFilter::default()
            };
            let page = workflow.list_cases(&filter, None, 200).await?;
            candidates.extend(
                page.items
                    .iter()
                    .filter(|c| c.state != CaseState::Intake || c.intake_accepted)
                    .filter(|c| !session.agenda.contains(&c.id))
                    .map(CaseRow::from),
            );
        }
    }
    Ok(TablePage {
        frame: Some(signed_in.frame("/tafels")),
        may_reorder: signed_in.may("Board/ReorderAgenda") && session.agenda.len() > 1,
        csrf: signed_in.session.csrf.clone(),
        session: SessionRow::from(&session),
        agenda,
        candidates,
        may_chair,
        error,
    })
}

pub async fn page(signed_in: SignedIn, Path(id): Path<String>) -> Result<Response, WebError> {
    signed_in.require("SessionService/GetSession").await?;
    let session = session_of(&signed_in, &id).await?;
    signed_in
        .audit("SessionService/GetSession", None, "ok")
        .await?;
    let page = table_page(&signed_in, session, None).await?;
    Ok(Html(page.render()?).into_response())
}

pub async fn add_to_agenda(
    signed_in: SignedIn,
    Path(id): Path<String>,
    fields: Fields,
) -> Result<Response, WebError> {
    let rpc = "SessionService/AddToAgenda";
    signed_in.require(rpc).await?;
    signed_in.check_csrf(&fields)?;
    let session = session_of(&signed_in, &id).await?;
    let case_id = fields.get("case_id");
    let added = match crate::domain::validate::id("case_id", case_id) {
        Ok(case_id) => {
            signed_in
                .board
                .workflow
                .add_to_agenda(&session.id, &case_id, &signed_in.actor(rpc))
                .await
        }
        Err(err) => Err(err),
    };
    match added {
        Ok(_) => {
            signed_in.audit(rpc, Some(case_id), "ok").await?;
            Ok(Redirect::to(&format!("/tafels/{}", session.id)).into_response())
        }
        Err(err) => {
            let (status, reason) = signed_in.refusal(rpc, Some(case_id), err).await?;
            let page = table_page(&signed_in, session, Some(reason)).await?;
            Ok((status, Html(page.render()?)).into_response())
        }
    }
}

/// Moves a case one place up or down the agenda (the chair's order for the session).
pub async fn reorder(
    signed_in: SignedIn,
    Path(id): Path<String>,
    fields: Fields,
) -> Result<Response, WebError> {
    let action = "Board/ReorderAgenda";
    signed_in.require(action).await?;
    signed_in.check_csrf(&fields)?;
    let session = session_of(&signed_in, &id).await?;
    let case_id = crate::domain::validate::id("case_id", fields.get("case_id"))
        .map_err(|_| WebError::BadForm)?;
    let earlier = fields.get("richting") == "op";
    signed_in
        .board
        .workflow
        .move_on_agenda(&session.id, &case_id, earlier)
        .await?;
    signed_in.audit(action, Some(&case_id), "ok").await?;
    Ok(Redirect::to(&format!("/tafels/{}#agenda", session.id)).into_response())
}
