//! Consultatie: ask this node's experts, one region or the network (by expertise), answer the questions that
//! wait here — also those from other regions — and follow one's own, whose status a small script keeps up to
//! date. A question that leaves the node is checked for identifiers by the workflow, as over the API.

use super::cases::Choice;
use super::error::WebError;
use super::form::Fields;
use super::i18n::{filters, t, tf};
use super::session::{Frame, SignedIn};
use super::wording;
use crate::domain::{AskerKind, Consultation, ConsultationStatus};
use crate::error::Error;
use crate::grpc::convert::wire_enum;
use askama::Template;
use axum::extract::Path;
use axum::response::{Html, IntoResponse, Redirect, Response};
use expertnet_proto::v1 as wire;

/// Questions listed per group.
const LISTED: u32 = 50;

pub struct QuestionRow {
    pub id: String,
    pub question: String,
    pub from: String,
    pub when: String,
    pub status: String,
}

impl QuestionRow {
    fn of(c: &Consultation) -> QuestionRow {
        QuestionRow {
            id: c.id.clone(),
            question: c.question.clone(),
            from: match &c.origin_region {
                Some(region) => tf("regio {regio}", &[("regio", region)]),
                None if c.asker_organisation.is_empty() => t("een ouder of jongere").into(),
                None => c.asker_organisation.clone(),
            },
            when: wording::moment(c.asked_at),
            status: status_line(c),
        }
    }
}

fn status_line(c: &Consultation) -> String {
    let mut line = wording::consultation_status(c.status).to_owned();
    if !c.answers.is_empty() {
        line.push_str(&format!(
            " ({} {})",
            c.answers.len(),
            if c.answers.len() == 1 {
                t("antwoord")
            } else {
                t("antwoorden")
            }
        ));
    }
    if let Some(delivery) = c.delivery
        && delivery != crate::domain::DeliveryState::Delivered
    {
        line.push_str(&format!("; {}", wording::delivery(delivery)));
    }
    line
}

/// Whether this node's experts answer `c`: a question from another region, or one to this node's own experts.
fn answered_here(c: &Consultation) -> bool {
    c.origin_region.is_some() || (!c.to_network && c.target_region.is_none())
}

#[derive(Default)]
struct AskTyped {
    /// Sent with the form, so a form sent twice asks once.
    request_id: String,
    question: String,
    tags: String,
    to: String,
    region: String,
}

#[derive(Template)]
#[template(path = "consultations.html")]
struct ConsultationsPage {
    frame: Option<Frame>,
    csrf: String,
    to_answer: Vec<QuestionRow>,
    asked: Vec<QuestionRow>,
    regions: Vec<Choice>,
    may_ask: bool,
    typed: AskTyped,
    error: Option<String>,
}

async fn consultations_page(
    signed_in: &SignedIn,
    typed: AskTyped,
    error: Option<String>,
) -> Result<ConsultationsPage, WebError> {
    signed_in
        .require("ConsultationService/ListConsultations")
        .await?;
    let workflow = &signed_in.board.workflow;
    let mut to_answer = Vec::new();
    let mut asked = Vec::new();
    for status in [ConsultationStatus::Open, ConsultationStatus::Answered] {
        for c in workflow
            .list_consultations(Some(status), None, LISTED)
            .await?
            .items
        {
            if answered_here(&c) && status == ConsultationStatus::Open {
                to_answer.push(QuestionRow::of(&c));
            }
            if c.origin_region.is_none() {
                asked.push(QuestionRow::of(&c));
            }
        }
    }
    signed_in
        .audit("ConsultationService/ListConsultations", None, "ok")
        .await?;
    let regions = workflow
        .federation()
        .map(|link| {
            link.registry
                .regions()
                .filter(|r| r.id != link.region)
                .map(|r| Choice {
                    value: r.id.clone(),
                    label: format!("{} ({})", r.name, r.expertise.join(", ")),
                    chosen: r.id == typed.region,
                })
                .collect()
        })
        .unwrap_or_default();
    Ok(ConsultationsPage {
        frame: Some(signed_in.frame("/consultatie")),
        csrf: signed_in.session.csrf.clone(),
        to_answer,
        asked,
        regions,
        may_ask: signed_in.may("ConsultationService/AskConsultation"),
        typed,
        error,
    })
}

pub async fn list(signed_in: SignedIn) -> Result<Response, WebError> {
    let typed = AskTyped {
        request_id: uuid::Uuid::new_v4().to_string(),
        ..AskTyped::default()
    };
    let page = consultations_page(&signed_in, typed, None).await?;
    Ok(Html(page.render()?).into_response())
}

pub async fn ask(signed_in: SignedIn, fields: Fields) -> Result<Response, WebError> {
    let rpc = "ConsultationService/AskConsultation";
    signed_in.require(rpc).await?;
    signed_in.check_csrf(&fields)?;
    let typed = AskTyped {
        request_id: fields.get("request_id").to_owned(),
        question: fields.get("question").to_owned(),
        tags: fields.get("tags").to_owned(),
        to: fields.get("to").to_owned(),
        region: fields.get("region").to_owned(),
    };
    let request = wire::AskConsultationRequest {
        request_id: typed.request_id.clone(),
        asker_kind: wire_enum(AskerKind::Professional),
        asker_organisation: signed_in.session.caller.organisation.clone(),
        question: typed.question.clone(),
        expertise_tags: typed
            .tags
            .split([',', ' '])
            .map(str::trim)
            .filter(|t| !t.is_empty())
            .map(str::to_owned)
            .collect(),
        case_id: String::new(),
        to_network: typed.to == "netwerk" || typed.to == "regio",
        target_region: if typed.to == "regio" {
            typed.region.clone()
        } else {
            String::new()
        },
    };
    let asked = match crate::grpc::parse_new_consultation(request) {
        Ok(new) => signed_in.board.workflow.ask_consultation(new).await,
        Err(err) => Err(err),
    };
    match asked {
        Ok(consultation) => {
            signed_in.audit(rpc, None, "ok").await?;
            Ok(Redirect::to(&format!("/consultatie/{}", consultation.id)).into_response())
        }
        Err(err) => {
            let (status, reason) = signed_in.refusal(rpc, None, err).await?;
            let page = consultations_page(&signed_in, typed, Some(reason)).await?;
            Ok((status, Html(page.render()?)).into_response())
        }
    }
}

struct AnswerRow {
    expert: String,
    answer: String,
    when: String,
}

#[derive(Template)]
#[template(path = "consultation.html")]
struct ConsultationPage {
    frame: Option<Frame>,
    csrf: String,
    row: QuestionRow,
    tags: String,
    routed: String,
    answers: Vec<AnswerRow>,
    may_answer: bool,
    error: Option<String>,
}

async fn consultation_of(signed_in: &SignedIn, id: &str) -> Result<Consultation, WebError> {
    let id = crate::domain::validate::id("consultation_id", id).map_err(|_| WebError::NotFound)?;
    match signed_in.board.workflow.consultation(&id).await {
        Ok(c) => Ok(c),
        Err(Error::NotFound { .. }) => Err(WebError::NotFound),
        Err(err) => Err(err.into()),
    }
}

fn consultation_page(
    signed_in: &SignedIn,
    c: &Consultation,
    error: Option<String>,
) -> ConsultationPage {
    ConsultationPage {
        frame: Some(signed_in.frame("/consultatie")),
        csrf: signed_in.session.csrf.clone(),
        row: QuestionRow::of(c),
        tags: c.expertise_tags.join(", "),
        routed: match (&c.target_region, c.to_network) {
            (Some(region), _) => tf("gesteld aan regio {regio}", &[("regio", region)]),
            (None, true) if c.routed_to.is_empty() => t("gesteld aan het netwerk").into(),
            (None, true) => tf(
                "gesteld aan het netwerk: {regios}",
                &[("regios", &c.routed_to.join(", "))],
            ),
            (None, false) if c.origin_region.is_some() => t("gesteld aan onze experts").into(),
            (None, false) => t("gesteld aan de experts van deze regio").into(),
        },
        answers: c
            .answers
            .iter()
            .map(|a| AnswerRow {
                expert: match &a.region {
                    Some(region) => tf(
                        "{expert} (regio {regio})",
                        &[("expert", &a.expert), ("regio", region)],
                    ),
                    None => a.expert.clone(),
                },
                answer: a.answer.clone(),
                when: wording::moment(a.answered_at),
            })
            .collect(),
        may_answer: answered_here(c) && signed_in.may("ConsultationService/AnswerConsultation"),
        error,
    }
}

pub async fn page(signed_in: SignedIn, Path(id): Path<String>) -> Result<Response, WebError> {
    signed_in
        .require("ConsultationService/GetConsultation")
        .await?;
    let c = consultation_of(&signed_in, &id).await?;
    signed_in
        .audit(
            "ConsultationService/GetConsultation",
            c.case_id.as_deref(),
            "ok",
        )
        .await?;
    Ok(Html(consultation_page(&signed_in, &c, None).render()?).into_response())
}

/// An expert's answer, under the signed-in person's name and organisation.
pub async fn answer(
    signed_in: SignedIn,
    Path(id): Path<String>,
    fields: Fields,
) -> Result<Response, WebError> {
    let rpc = "ConsultationService/AnswerConsultation";
    signed_in.require(rpc).await?;
    signed_in.check_csrf(&fields)?;
    let c = consultation_of(&signed_in, &id).await?;
    let caller = &signed_in.session.caller;
    let expert = format!("{} ({})", caller.user, caller.organisation);
    let answered = match crate::domain::validate::long_text("answer", fields.get("answer")) {
        Ok(text) => {
            signed_in
                .board
                .workflow
                .answer_consultation(&c.id, expert, text)
                .await
        }
        Err(err) => Err(err),
    };
    match answered {
        Ok(_) => {
            signed_in.audit(rpc, c.case_id.as_deref(), "ok").await?;
            Ok(Redirect::to(&format!("/consultatie/{}", c.id)).into_response())
        }
        Err(err) => {
            let (status, reason) = signed_in.refusal(rpc, c.case_id.as_deref(), err).await?;
            let page = consultation_page(&signed_in, &c, Some(reason));
            Ok((status, Html(page.render()?)).into_response())
        }
    }
}

/// A question's status line, for the page's live update (no case content, so not an audit event).
pub async fn status(signed_in: SignedIn, Path(id): Path<String>) -> Result<Response, WebError> {
    if !signed_in.may("ConsultationService/GetConsultation") {
        return Err(WebError::Forbidden(
            "ConsultationService/GetConsultation",
            None,
        ));
    }
    let c = consultation_of(&signed_in, &id).await?;
    Ok(status_line(&c).into_response())
}
