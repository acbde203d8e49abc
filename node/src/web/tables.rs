//! Tafels: the table's sessions — planning one, its agenda, and the chair's mode for the two hours: one case
//! after the other, who was there (youth and parents too), what was discussed, the next step and what each
//! provider commits to. Every form goes through the API's own parsers and the same workflow functions; the
//! agenda and minutes print without identifiers (the page holds none).

use super::cases::CaseRow;
use super::dutch;
use super::error::WebError;
use super::form::Fields;
use super::session::{Frame, SignedIn};
use crate::domain::{AttendeeRole, CaseFilter, CaseState, TableSession};
use crate::error::Error;
use crate::grpc::convert::wire_enum;
use askama::Template;
use axum::extract::{Path, Query};
use axum::response::{Html, IntoResponse, Redirect, Response};
use expertnet_proto::v1 as wire;
use std::collections::HashMap;

/// How many commitment rows the discussion form offers at once.
const COMMITMENT_ROWS: usize = 3;

pub struct SessionRow {
    pub id: String,
    pub when: String,
    pub location: String,
    pub chair: String,
    pub cases: usize,
}

impl From<&TableSession> for SessionRow {
    fn from(session: &TableSession) -> SessionRow {
        SessionRow {
            id: session.id.clone(),
            when: format!(
                "{} om {} ({} min.)",
                dutch::date(session.date),
                session.start_time,
                session.duration_minutes
            ),
            location: session.location.clone(),
            chair: session.chair.clone(),
            cases: session.agenda.len(),
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
    let sessions = workflow.list_sessions(None, None).await?;
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

/// `2026-03` as the first day of that month.
fn month_start(text: &str) -> Option<time::Date> {
    let (year, month) = text.split_once('-')?;
    let month = time::Month::try_from(month.parse::<u8>().ok()?).ok()?;
    time::Date::from_calendar_date(year.parse().ok()?, month, 1).ok()
}

fn month_text(first: time::Date) -> String {
    format!("{}-{:02}", first.year(), u8::from(first.month()))
}

impl TablesPage {
    fn set_month(&mut self, first: time::Date, today: time::Date, sessions: &[TableSession]) {
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
        let name = dutch::date(first);
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
        let sessions = workflow.list_sessions(None, None).await?;
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
            let status = dutch::status_of(&err);
            let page = tables_page(&signed_in, typed, Some(dutch::error(&err))).await?;
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

async fn session_of(signed_in: &SignedIn, id: &str) -> Result<TableSession, WebError> {
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
            label: dutch::attendee_role(*role),
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

pub async fn chair(
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

/// What the minutes print instead of a text that could name the youth.
const WITHHELD: &str = "(niet afgedrukt: de tekst noemt mogelijk de jongere; zie de casus)";

/// One case in the minutes: who was there and what was decided, without identifiers.
struct MinutesItem {
    case: CaseRow,
    present: String,
    next_step: Option<String>,
    regie: String,
    summary: String,
    commitments: Vec<String>,
}

#[derive(Template)]
#[template(path = "minutes.html")]
struct MinutesPage {
    frame: Option<Frame>,
    session: SessionRow,
    items: Vec<MinutesItem>,
}

/// The session's minutes, to print: per case on the agenda, who was at the table, the next step, who keeps regie
/// and the commitments. Every case read is on the audit trail.
pub async fn minutes(signed_in: SignedIn, Path(id): Path<String>) -> Result<Response, WebError> {
    signed_in.require("SessionService/GetSession").await?;
    signed_in.require("CaseService/GetCase").await?;
    let session = session_of(&signed_in, &id).await?;
    let workflow = &signed_in.board.workflow;
    let mut items = Vec::new();
    for case_id in &session.agenda {
        let detail = workflow.case_detail(case_id).await?;
        let attendance = workflow.attendance(&session.id, case_id).await?;
        signed_in
            .audit("CaseService/GetCase", Some(case_id), "ok")
            .await?;
        let mut present = Vec::new();
        if attendance.youth_present {
            present.push("de jongere".to_owned());
        }
        if attendance.parents_present {
            present.push("ouder(s)".to_owned());
        }
        present.extend(
            attendance
                .attendees
                .iter()
                .map(|a| format!("{} ({})", dutch::attendee_role(a.role), a.organisation)),
        );
        let discussion = detail
            .discussions
            .iter()
            .find(|d| d.session_id == session.id);
        let commitments: Vec<String> = detail
            .commitments
            .iter()
            .map(|c| {
                format!(
                    "{}: {} (uiterlijk {}{})",
                    c.provider,
                    c.description,
                    dutch::date(c.due),
                    if c.authority_confirmed {
                        ", met doorzettingsmacht"
                    } else {
                        ""
                    }
                )
            })
            .collect();
        let next_step = discussion.map(|d| d.next_step.clone());
        let regie = discussion
            .map(|d| d.regie_holder.clone())
            .unwrap_or_default();
        let summary = discussion.map(|d| d.summary.clone()).unwrap_or_default();
        // Free text is what the table typed: whatever in it could name the youth stays off the paper.
        let mut texts: Vec<&str> = vec![next_step.as_deref().unwrap_or(""), &regie, &summary];
        texts.extend(commitments.iter().map(String::as_str));
        let printable = workflow.printable(case_id, &texts).await?;
        let shown = |text: &str, ok: bool| {
            if ok {
                text.to_owned()
            } else {
                WITHHELD.to_owned()
            }
        };
        items.push(MinutesItem {
            case: CaseRow::from(&detail.summary),
            present: if present.is_empty() {
                "niet vastgelegd".into()
            } else {
                present.join(", ")
            },
            next_step: next_step.as_deref().map(|t| shown(t, printable[0])),
            regie: shown(&regie, printable[1]),
            summary: shown(&summary, printable[2]),
            commitments: commitments
                .iter()
                .zip(&printable[3..])
                .map(|(text, ok)| shown(text, *ok))
                .collect(),
        });
    }
    let page = MinutesPage {
        frame: Some(signed_in.frame("/tafels")),
        session: SessionRow::from(&session),
        items,
    };
    Ok(Html(page.render()?).into_response())
}

/// One day in the month calendar, with the sessions held that day.
pub struct CalendarDay {
    pub day: Option<u8>,
    pub today: bool,
    pub sessions: Vec<(String, String)>,
}

/// The weeks of the month of `first` (Monday first), each day with its sessions.
fn calendar(
    first: time::Date,
    today: time::Date,
    sessions: &[TableSession],
) -> Vec<Vec<CalendarDay>> {
    let lead = first.weekday().number_days_from_monday();
    let mut days: Vec<CalendarDay> = (0..lead)
        .map(|_| CalendarDay {
            day: None,
            today: false,
            sessions: Vec::new(),
        })
        .collect();
    let mut day = first;
    while day.month() == first.month() {
        days.push(CalendarDay {
            day: Some(day.day()),
            today: day == today,
            sessions: sessions
                .iter()
                .filter(|s| s.date == day)
                .map(|s| (s.id.clone(), format!("{} {}", s.start_time, s.location)))
                .collect(),
        });
        match day.next_day() {
            Some(next) => day = next,
            None => break,
        }
    }
    while !days.len().is_multiple_of(7) {
        days.push(CalendarDay {
            day: None,
            today: false,
            sessions: Vec::new(),
        });
    }
    let mut weeks = Vec::new();
    let mut days = days.into_iter();
    loop {
        let week: Vec<CalendarDay> = days.by_ref().take(7).collect();
        if week.is_empty() {
            break;
        }
        weeks.push(week);
    }
    weeks
}
