//! Casussen: the list with the API's filters and paging, opening a case by its number, and the submission form.
//! No list, URL or title ever carries a youth's identifiers: rows show number, state, age, municipality and
//! categories only.

use super::error::WebError;
use super::form::Fields;
use super::i18n::filters;
use super::session::{Frame, SignedIn};
use super::wording;
use crate::domain::{
    BottleneckCategory, CaseFilter, CaseState, CaseSummary, ReferrerKind, validate,
};
use crate::error::Error;
use crate::workflow::SubmitOutcome;
use askama::Template;
use axum::extract::Query;
use axum::response::{Html, IntoResponse, Redirect, Response};
use expertnet_proto::v1 as wire;
use std::collections::HashMap;

/// Cases on one page of the list.
const PAGE_SIZE: u32 = 25;

/// One row of a case list.
pub struct CaseRow {
    pub id: String,
    pub short_id: String,
    pub state: &'static str,
    pub age: u32,
    pub municipality: String,
    pub categories: String,
    pub submitted: String,
}

impl From<&CaseSummary> for CaseRow {
    fn from(case: &CaseSummary) -> CaseRow {
        CaseRow {
            id: case.id.clone(),
            short_id: short_id(&case.id),
            state: wording::state(case.state),
            age: case.age,
            municipality: case.municipality.clone(),
            categories: case
                .categories
                .iter()
                .map(|c| wording::category(*c))
                .collect::<Vec<_>>()
                .join(", "),
            submitted: wording::moment(case.submitted_at),
        }
    }
}

/// The last part of a case number: enough to tell cases apart on a page, the whole number is in the link.
pub fn short_id(id: &str) -> String {
    id.rsplit('-').next().unwrap_or(id).to_owned()
}

/// A choice in a select or a group of boxes.
pub struct Choice {
    pub value: String,
    pub label: String,
    pub chosen: bool,
}

#[derive(Template)]
#[template(path = "cases.html")]
struct ListPage {
    frame: Option<Frame>,
    rows: Vec<CaseRow>,
    states: Vec<Choice>,
    categories: Vec<Choice>,
    sessions: Vec<Choice>,
    municipality: String,
    overdue: bool,
    next: Option<String>,
    error: Option<String>,
}

pub async fn list(
    signed_in: SignedIn,
    Query(query): Query<HashMap<String, String>>,
) -> Result<Response, WebError> {
    signed_in.require("CaseService/ListCases").await?;
    let get = |key: &str| query.get(key).map(|v| v.trim()).unwrap_or("");
    if !get("open").is_empty() {
        let id = validate::id("case_id", get("open")).map_err(WebError::Workflow)?;
        return Ok(Redirect::to(&format!("/casussen/{id}")).into_response());
    }
    let state = CaseState::parse(get("status"));
    let category = BottleneckCategory::parse(get("knelpunt"));
    let workflow = &signed_in.board.workflow;
    let filter = CaseFilter {
        state,
        category,
        municipality: validate::optional_short_text("municipality", get("gemeente"))?,
        session_id: match get("tafel") {
            "" => None,
            session => Some(validate::id("session_id", session)?),
        },
        overdue_before: (get("verlopen") == "ja").then(|| workflow.clock().today()),
    };
    let after = match get("na") {
        "" => None,
        after => Some(validate::id("page_token", after)?),
    };
    let page = workflow
        .list_cases(&filter, after.as_deref(), PAGE_SIZE)
        .await?;
    signed_in.audit("CaseService/ListCases", None, "ok").await?;
    let mut next_query = url_query(&[
        ("status", get("status")),
        ("knelpunt", get("knelpunt")),
        ("gemeente", get("gemeente")),
        ("verlopen", get("verlopen")),
        ("tafel", get("tafel")),
    ]);
    let next = page.next_after.map(|after| {
        next_query.push_str(&format!("&na={after}"));
        next_query
    });
    let page = ListPage {
        frame: Some(signed_in.frame("/casussen")),
        rows: page.items.iter().map(CaseRow::from).collect(),
        states: CaseState::ALL
            .iter()
            .map(|s| Choice {
                value: s.as_str().into(),
                label: wording::state(*s).into(),
                chosen: Some(*s) == state,
            })
            .collect(),
        categories: category_choices(&category.into_iter().collect::<Vec<_>>()),
        sessions: workflow
            .session_choices(None, None)
            .await?
            .iter()
            .rev()
            .map(|s| Choice {
                chosen: s.id == get("tafel"),
                value: s.id.clone(),
                label: format!("{} ({})", wording::date(s.date), s.location),
            })
            .collect(),
        municipality: get("gemeente").to_owned(),
        overdue: get("verlopen") == "ja",
        next,
        error: None,
    };
    Ok(Html(page.render()?).into_response())
}

/// The filters as a query string (`?status=…&…`), empty values left out.
fn url_query(pairs: &[(&str, &str)]) -> String {
    let given: Vec<&(&str, &str)> = pairs.iter().filter(|(_, v)| !v.is_empty()).collect();
    format!(
        "?{}",
        serde_urlencoded::to_string(given).unwrap_or_default()
    )
}

pub fn category_choices(chosen: &[BottleneckCategory]) -> Vec<Choice> {
    BottleneckCategory::ALL
        .iter()
        .map(|c| Choice {
            value: c.as_str().into(),
            label: wording::category(*c).into(),
            chosen: chosen.contains(c),
        })
        .collect()
}

/// What was typed into the submission form, kept when it comes back with an error.
#[derive(Default)]
struct Typed {
    request_id: String,
    organisation: String,
    kind: String,
    name: String,
    bsn: String,
    date_of_birth: String,
    age: String,
    municipality: String,
    question: String,
    tried_so_far: String,
    categories: Vec<String>,
}

#[derive(Template)]
#[template(path = "new_case.html")]
struct NewCasePage {
    frame: Option<Frame>,
    csrf: String,
    typed: Typed,
    kinds: Vec<Choice>,
    categories: Vec<Choice>,
    /// The field at fault (as the workflow names it) and why, in Dutch.
    error: Option<(String, String)>,
}

impl NewCasePage {
    /// The error message when `field` is the one at fault.
    fn error_for(&self, field: &str) -> Option<&str> {
        self.error
            .as_ref()
            .filter(|(at, _)| at == field || at.starts_with(&format!("{field}[")))
            .map(|(_, message)| message.as_str())
    }

    fn page(frame: Frame, typed: Typed, error: Option<(String, String)>) -> NewCasePage {
        let kinds = ReferrerKind::ALL
            .iter()
            .map(|k| Choice {
                value: k.as_str().into(),
                label: wording::referrer_kind(*k).into(),
                chosen: typed.kind == k.as_str(),
            })
            .collect();
        let chosen: Vec<BottleneckCategory> = typed
            .categories
            .iter()
            .filter_map(|c| BottleneckCategory::parse(c))
            .collect();
        NewCasePage {
            csrf: frame.csrf.clone(),
            frame: Some(frame),
            kinds,
            categories: category_choices(&chosen),
            typed,
            error,
        }
    }
}

pub async fn new_form(signed_in: SignedIn) -> Result<Response, WebError> {
    signed_in.require("CaseService/SubmitCase").await?;
    let typed = Typed {
        request_id: uuid::Uuid::new_v4().to_string(),
        kind: ReferrerKind::SocialTeam.as_str().into(),
        ..Typed::default()
    };
    let page = NewCasePage::page(signed_in.frame("/casussen/nieuw"), typed, None);
    Ok(Html(page.render()?).into_response())
}

/// A submission: the API's own request, checked by the API's own parser, so the rules are the same.
pub async fn submit(signed_in: SignedIn, fields: Fields) -> Result<Response, WebError> {
    signed_in.require("CaseService/SubmitCase").await?;
    signed_in.check_csrf(&fields)?;
    let typed = Typed {
        request_id: fields.get("request_id").to_owned(),
        organisation: fields.get("organisation").to_owned(),
        kind: fields.get("kind").to_owned(),
        name: fields.get("name").to_owned(),
        bsn: fields.get("bsn").to_owned(),
        date_of_birth: fields.get("date_of_birth").to_owned(),
        age: fields.get("age").to_owned(),
        municipality: fields.get("municipality").to_owned(),
        question: fields.get("question").to_owned(),
        tried_so_far: fields.get("tried_so_far").to_owned(),
        categories: fields
            .all("category")
            .into_iter()
            .map(str::to_owned)
            .collect(),
    };
    let outcome = submitted(&signed_in, &typed).await;
    match outcome {
        Ok(outcome) => {
            let case_id = outcome.case().id.clone();
            signed_in
                .audit("CaseService/SubmitCase", Some(&case_id), "ok")
                .await?;
            Ok(Redirect::to(&format!("/casussen/{case_id}")).into_response())
        }
        Err(err @ (Error::InvalidArgument { .. } | Error::AlreadyExists { .. })) => {
            let field = match &err {
                Error::InvalidArgument { field, .. } | Error::AlreadyExists { field, .. } => {
                    field.clone()
                }
                _ => String::new(),
            };
            let status = wording::status_of(&err);
            let message = wording::error(&err);
            let page = NewCasePage::page(
                signed_in.frame("/casussen/nieuw"),
                typed,
                Some((field, message)),
            );
            Ok((status, Html(page.render()?)).into_response())
        }
        Err(err) => Err(WebError::Workflow(err)),
    }
}

async fn submitted(signed_in: &SignedIn, typed: &Typed) -> Result<SubmitOutcome, Error> {
    let age = match typed.age.trim() {
        "" => return Err(Error::invalid("age", "must not be empty")),
        age => age.parse::<u32>().map_err(|_| {
            Error::invalid(
                "age",
                format!("must be between 0 and {}", validate::MAX_AGE),
            )
        })?,
    };
    let mut categories = Vec::new();
    for value in &typed.categories {
        let category = BottleneckCategory::parse(value)
            .ok_or_else(|| Error::invalid("categories", "name at least one bottleneck category"))?;
        categories.push(crate::grpc::convert::wire_enum(category));
    }
    let kind = ReferrerKind::parse(&typed.kind)
        .ok_or_else(|| Error::invalid("referrer.kind", "must be given"))?;
    let request = wire::SubmitCaseRequest {
        request_id: typed.request_id.clone(),
        referrer: Some(wire::Referrer {
            organisation: typed.organisation.clone(),
            kind: crate::grpc::convert::wire_enum(kind),
        }),
        youth: Some(wire::YouthIdentity {
            name: typed.name.clone(),
            bsn: typed.bsn.clone(),
            date_of_birth: typed.date_of_birth.clone(),
        }),
        age,
        municipality: typed.municipality.clone(),
        question: typed.question.clone(),
        tried_so_far: typed.tried_so_far.clone(),
        categories,
    };
    let new = crate::grpc::parse_new_case(request)?;
    signed_in
        .board
        .workflow
        .submit_case(new, &signed_in.actor("CaseService/SubmitCase"))
        .await
}
