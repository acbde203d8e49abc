//! Escalatie: consent (who gave it, for which region, until when) and its withdrawal, handing a case to a
//! region the covenants allow, and every escalation out and in with its status — which a small script keeps
//! up to date on the page; refreshed by hand it shows the same. Administrators see dead letters and send them
//! again. Each form builds the API's own request and goes through the API's parser and the same workflow.

use super::cases::{Choice, short_id};
use super::error::WebError;
use super::form::Fields;
use super::i18n::{filters, t, tf};
use super::session::{Frame, SignedIn};
use super::wording;
use crate::domain::{DeliveryState, Escalation, EscalationDirection, LegalBasis};
use crate::error::Error;
use crate::grpc::convert::wire_enum;
use askama::Template;
use axum::extract::Path;
use axum::response::{Html, IntoResponse, Redirect, Response};
use expertnet_proto::v1 as wire;

/// A consent as the case page lists it.
pub struct ConsentRow {
    pub sequence: i64,
    pub text: String,
    /// Not withdrawn yet: it may be withdrawn.
    pub active: bool,
}

/// An escalation with its status and the address its status is read from for the live update.
pub struct EscalationRow {
    pub id: String,
    pub case_id: String,
    pub case_short: String,
    pub partner: String,
    pub direction: &'static str,
    pub status: String,
    pub reason: String,
    pub when: String,
}

/// The status line of an escalation: where it stands, and where its last envelope is.
fn status_line(escalation: &Escalation) -> String {
    let mut line = wording::escalation_status(escalation.status).to_owned();
    if let Some(delivery) = escalation.delivery
        && delivery != DeliveryState::Delivered
    {
        line.push_str(&format!(" ({})", wording::delivery(delivery)));
    }
    line
}

impl EscalationRow {
    fn of(escalation: &Escalation, signed_in: &SignedIn) -> EscalationRow {
        EscalationRow {
            id: escalation.id.clone(),
            case_id: escalation.case_id.clone(),
            case_short: short_id(&escalation.case_id),
            partner: region_name(signed_in, &escalation.partner_region),
            direction: match escalation.direction {
                EscalationDirection::Outgoing => t("naar"),
                EscalationDirection::Incoming => t("van"),
            },
            status: status_line(escalation),
            reason: escalation.reason.clone(),
            when: wording::moment(escalation.created_at),
        }
    }
}

fn region_name(signed_in: &SignedIn, id: &str) -> String {
    signed_in
        .board
        .workflow
        .federation()
        .and_then(|link| link.registry.get(id))
        .map_or_else(|| id.to_owned(), |region| region.name.clone())
}

/// What the case page shows of consent and escalation.
pub struct Panel {
    pub consents: Vec<ConsentRow>,
    pub escalations: Vec<EscalationRow>,
    /// Regions with a covenant: the only ones offered.
    pub partners: Vec<Choice>,
    pub may_consent: bool,
    pub may_escalate: bool,
}

/// The panel for a case, or `None` for a person whose roles do not see escalations.
pub async fn panel(signed_in: &SignedIn, case_id: &str) -> Result<Option<Panel>, WebError> {
    if !signed_in.may("EscalationService/ListEscalations") {
        return Ok(None);
    }
    let workflow = &signed_in.board.workflow;
    let (consents, escalations) = tokio::try_join!(
        workflow.consents(case_id),
        workflow.case_escalations(case_id)
    )?;
    let consents = consents
        .into_iter()
        .map(|c| {
            let giver = match c.basis {
                LegalBasis::Consent => wording::consent_giver(&c.given_by),
                LegalBasis::LegalGround => {
                    tf("wettelijke grond: {grond}", &[("grond", &c.given_by)])
                }
            };
            let target = c
                .scope_target
                .as_deref()
                .map(|r| tf(" voor {regio}", &[("regio", &region_name(signed_in, r))]))
                .unwrap_or_default();
            let until = c
                .valid_until
                .map(|d| {
                    tf(
                        ", geldig tot en met {datum}",
                        &[("datum", &wording::date(d))],
                    )
                })
                .unwrap_or_default();
            let withdrawn = c
                .withdrawal
                .as_ref()
                .map(|w| {
                    tf(
                        "; ingetrokken op {moment}: {reden}",
                        &[("moment", &wording::moment(w.at)), ("reden", &w.reason)],
                    )
                })
                .unwrap_or_default();
            ConsentRow {
                sequence: c.sequence,
                text: format!("{giver}{target}{until}{withdrawn}"),
                active: c.withdrawal.is_none(),
            }
        })
        .collect();
    let escalations = escalations
        .iter()
        .map(|e| EscalationRow::of(e, signed_in))
        .collect();
    let partners = workflow
        .federation()
        .map(|link| {
            link.registry
                .regions()
                .filter(|r| r.id != link.region && link.registry.have_covenant(&link.region, &r.id))
                .map(|r| Choice {
                    value: r.id.clone(),
                    label: r.name.clone(),
                    chosen: false,
                })
                .collect()
        })
        .unwrap_or_default();
    Ok(Some(Panel {
        consents,
        escalations,
        partners,
        may_consent: signed_in.may("EscalationService/RecordConsent"),
        may_escalate: signed_in.may("EscalationService/EscalateCase"),
    }))
}

/// Records a consent or legal ground for the case from the case page's form.
pub async fn record_consent(
    signed_in: &SignedIn,
    case_id: &str,
    actor: &str,
    fields: &Fields,
) -> Result<(), Error> {
    let basis = LegalBasis::parse(fields.get("basis"))
        .ok_or_else(|| Error::invalid("basis", "must be given"))?;
    let given_by = match basis {
        LegalBasis::Consent => fields.get("given_by"),
        LegalBasis::LegalGround => fields.get("ground"),
    };
    let request = wire::RecordConsentRequest {
        case_id: case_id.to_owned(),
        actor: String::new(),
        basis: wire_enum(basis),
        given_by: given_by.to_owned(),
        note: fields.get("note").to_owned(),
        scope: "escalate".into(),
        scope_target: fields.get("region").to_owned(),
        valid_until: (!fields.get("valid_until").trim().is_empty()).then(|| wire::Date {
            iso: fields.get("valid_until").to_owned(),
        }),
    };
    let new = crate::grpc::parse_new_consent(&request)?;
    signed_in
        .board
        .workflow
        .record_consent(case_id, actor, new)
        .await
        .map(drop)
}

/// Withdraws a consent; what it allowed and has not left yet stays here.
pub async fn withdraw_consent(
    signed_in: &SignedIn,
    case_id: &str,
    actor: &str,
    fields: &Fields,
) -> Result<(), Error> {
    let sequence: i64 = fields
        .get("sequence")
        .parse()
        .map_err(|_| Error::invalid("sequence", "must be a consent's number (1 or more)"))?;
    let reason = crate::domain::validate::long_text("reason", fields.get("withdraw_reason"))?;
    signed_in
        .board
        .workflow
        .withdraw_consent(case_id, sequence, actor, reason)
        .await
        .map(drop)
}

/// Hands the case to a region with a covenant.
pub async fn escalate(
    signed_in: &SignedIn,
    case_id: &str,
    actor: &str,
    fields: &Fields,
) -> Result<(), Error> {
    let request = wire::EscalateCaseRequest {
        case_id: case_id.to_owned(),
        actor: String::new(),
        to_region: fields.get("to_region").to_owned(),
        reason: fields.get("escalation_reason").to_owned(),
        question: fields.get("question").to_owned(),
        tried_so_far: fields.get("tried_so_far").to_owned(),
    };
    let (to_region, texts) = crate::grpc::parse_escalation(&request)?;
    signed_in
        .board
        .workflow
        .escalate_case(case_id, actor, &to_region, texts)
        .await
        .map(drop)
}

/// One dead letter, for the administrator.
struct DeadLetter {
    key: String,
    kind: String,
    destination: String,
    error: String,
}

#[derive(Template)]
#[template(path = "escalations.html")]
struct EscalationsPage {
    frame: Option<Frame>,
    csrf: String,
    outgoing: Vec<EscalationRow>,
    incoming: Vec<EscalationRow>,
    dead_letters: Option<Vec<DeadLetter>>,
    error: Option<String>,
}

async fn escalations_page(
    signed_in: &SignedIn,
    error: Option<String>,
) -> Result<EscalationsPage, WebError> {
    let workflow = &signed_in.board.workflow;
    let (mut outgoing, mut incoming) = (Vec::new(), Vec::new());
    if signed_in.may("EscalationService/ListEscalations") {
        for escalation in workflow.list_escalations(None).await? {
            let row = EscalationRow::of(&escalation, signed_in);
            match escalation.direction {
                EscalationDirection::Outgoing => outgoing.push(row),
                EscalationDirection::Incoming => incoming.push(row),
            }
        }
        signed_in
            .audit("EscalationService/ListEscalations", None, "ok")
            .await?;
    }
    let dead_letters = if signed_in.may("OutboxService/ListOutbox") {
        let dead = workflow.list_outbox(Some(DeliveryState::Dead), 100).await?;
        signed_in
            .audit("OutboxService/ListOutbox", None, "ok")
            .await?;
        Some(
            dead.into_iter()
                .map(|entry| DeadLetter {
                    key: entry.key,
                    kind: entry.kind.as_str().replace('_', " "),
                    destination: entry.destination,
                    error: entry.last_error,
                })
                .collect(),
        )
    } else {
        None
    };
    Ok(EscalationsPage {
        frame: Some(signed_in.frame("/opschalingen")),
        csrf: signed_in.session.csrf.clone(),
        outgoing,
        incoming,
        dead_letters,
        error,
    })
}

pub async fn page(signed_in: SignedIn) -> Result<Response, WebError> {
    if !signed_in.may("EscalationService/ListEscalations") {
        signed_in.require("OutboxService/ListOutbox").await?;
    }
    let page = escalations_page(&signed_in, None).await?;
    Ok(Html(page.render()?).into_response())
}

/// Sends a dead letter again (administrators).
pub async fn replay(signed_in: SignedIn, fields: Fields) -> Result<Response, WebError> {
    let rpc = "OutboxService/ReplayDeadLetter";
    signed_in.require(rpc).await?;
    signed_in.check_csrf(&fields)?;
    let key = fields.get("key");
    let replayed = signed_in
        .board
        .workflow
        .replay_dead_letter(key, &signed_in.actor(rpc))
        .await;
    match replayed {
        Ok(_) => {
            signed_in.audit(rpc, None, "ok").await?;
            Ok(Redirect::to("/opschalingen").into_response())
        }
        Err(err) => {
            let (status, reason) = signed_in.refusal(rpc, None, err).await?;
            let page = escalations_page(&signed_in, Some(reason)).await?;
            Ok((status, Html(page.render()?)).into_response())
        }
    }
}

/// An escalation's status line, for the page's live update. It holds no case content, so a poll is not an
/// audit event (the page that shows it was).
pub async fn status(signed_in: SignedIn, Path(id): Path<String>) -> Result<Response, WebError> {
    if !signed_in.may("EscalationService/ListEscalations") {
        return Err(WebError::Forbidden(
            "EscalationService/ListEscalations",
            None,
        ));
    }
    let id = crate::domain::validate::id("escalation_id", &id).map_err(|_| WebError::NotFound)?;
    match signed_in.board.workflow.escalation(&id).await {
        Ok(escalation) => Ok(status_line(&escalation).into_response()),
        Err(Error::NotFound { .. }) => Err(WebError::NotFound),
        Err(err) => Err(err.into()),
    }
}
