//! Casus: one case's file — summary, question, what was tried, categories, the timeline of its history, the
//! plan — and, as forms, only the steps its state and the person's roles allow. A refused step shows the
//! workflow's own reason in Dutch on the same page, and nothing changes. The youth's name, BSN and date of birth
//! appear only after an explicit request with a reason, by a role allowed to see them, and on the audit trail.

use super::cases::{Choice, short_id};
use super::error::WebError;
use super::form::Fields;
use super::i18n::{filters, t, tf};
use super::session::{Frame, SignedIn};
use super::wording;
use crate::domain::lifecycle::Action;
use crate::domain::{CaseDetail, CommitmentStatus, Outcome, TaskStatus, YouthIdentity, validate};
use crate::error::Error;
use askama::Template;
use axum::extract::Path;
use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Redirect, Response};
use expertnet_proto::v1 as wire;

/// A step offered on the case page: the URL part, the RPC it stands for and its lifecycle action.
struct Step {
    path: &'static str,
    rpc: &'static str,
    action: Action,
}

const STEPS: &[Step] = &[
    Step {
        path: "intake",
        rpc: "CaseService/StartIntake",
        action: Action::StartIntake,
    },
    Step {
        path: "aannemen",
        rpc: "CaseService/AcceptCase",
        action: Action::Accept,
    },
    Step {
        path: "teruggeven",
        rpc: "CaseService/ReturnCase",
        action: Action::Return,
    },
    Step {
        path: "plan",
        rpc: "CaseService/StartPlan",
        action: Action::StartPlan,
    },
    Step {
        path: "afsluiten",
        rpc: "CaseService/CloseCase",
        action: Action::Close,
    },
    Step {
        path: "notitie",
        rpc: "CaseService/AddProgressNote",
        action: Action::AddProgressNote,
    },
    Step {
        path: "procesregisseur",
        rpc: "CaseService/AppointProcesregisseur",
        action: Action::AppointProcesregisseur,
    },
    Step {
        path: "casusregisseur",
        rpc: "CaseService/AssignCaseManager",
        action: Action::AssignCaseManager,
    },
    Step {
        path: "taak",
        rpc: "CaseService/AddTask",
        action: Action::AddTask,
    },
    Step {
        path: "toezegging",
        rpc: "CaseService/AddCommitment",
        action: Action::AddCommitment,
    },
    Step {
        path: "taak-bijwerken",
        rpc: "CaseService/UpdateTask",
        action: Action::UpdateTask,
    },
    Step {
        path: "toezegging-bijwerken",
        rpc: "CaseService/UpdateCommitment",
        action: Action::UpdateCommitment,
    },
    Step {
        path: "toestemming",
        rpc: "EscalationService/RecordConsent",
        action: Action::RecordConsent,
    },
    Step {
        path: "toestemming-intrekken",
        rpc: "EscalationService/WithdrawConsent",
        action: Action::WithdrawConsent,
    },
    Step {
        path: "opschalen",
        rpc: "EscalationService/EscalateCase",
        action: Action::Escalate,
    },
];

struct HistoryRow {
    when: String,
    who: String,
    what: String,
    from_to: String,
    why: String,
}

struct PlanRow {
    what: String,
    who: String,
    due: String,
    status: String,
    /// The form that marks it done: its step and the task's or commitment's id, while it is open.
    finish: Option<(&'static str, String)>,
}

#[derive(Template)]
#[template(path = "case.html")]
struct CasePage {
    frame: Option<Frame>,
    csrf: String,
    id: String,
    short_id: String,
    state: &'static str,
    referrer: String,
    age: u32,
    municipality: String,
    categories: Vec<&'static str>,
    submitted: String,
    question: String,
    tried_so_far: String,
    return_reason: Option<String>,
    closing: Option<String>,
    earlier_cases: Vec<String>,
    procesregisseur: Option<String>,
    case_managers: Vec<String>,
    history: Vec<HistoryRow>,
    plan: Vec<PlanRow>,
    notes: Vec<HistoryRow>,
    /// The steps offered now, by their URL part.
    steps: Vec<&'static str>,
    outcomes: Vec<Choice>,
    /// For the date fields' lower bound.
    today: String,
    may_see_identity: bool,
    identity: Option<(String, String, String)>,
    error: Option<String>,
    done: Option<&'static str>,
    escalation: Option<super::escalation::Panel>,
}

fn steps_contains(steps: &[&'static str], step: &str) -> bool {
    steps.contains(&step)
}

impl CasePage {
    fn offers(&self, step: &str) -> bool {
        self.steps.contains(&step)
    }
}

/// What the case page shows, read at once: the case's file and, for those who see escalations, its consents
/// and escalations.
struct CaseView {
    detail: CaseDetail,
    escalation: Option<super::escalation::Panel>,
}

fn draw(
    signed_in: &SignedIn,
    view: CaseView,
    identity: Option<YouthIdentity>,
    error: Option<String>,
) -> CasePage {
    let CaseView { detail, escalation } = view;
    let summary = &detail.summary;
    let steps: Vec<&'static str> = STEPS
        .iter()
        .filter(|step| step.action.allowed_from().contains(&summary.state))
        .filter(|step| !(step.action == Action::Accept && summary.intake_accepted))
        .filter(|step| signed_in.may(step.rpc))
        .map(|step| step.path)
        .collect();
    let finishes = |step: &'static str| steps_contains(&steps, step).then_some(step);
    let mut plan: Vec<PlanRow> = detail
        .commitments
        .iter()
        .map(|c| PlanRow {
            what: c.description.clone(),
            who: format!(
                "{}{}",
                c.provider,
                if c.authority_confirmed {
                    t(" (met doorzettingsmacht)")
                } else {
                    ""
                }
            ),
            due: wording::date(c.due),
            status: wording::commitment_status(c.status).to_owned(),
            finish: finishes("toezegging-bijwerken")
                .filter(|_| c.status == CommitmentStatus::Open)
                .map(|step| (step, c.id.clone())),
        })
        .collect();
    plan.extend(detail.tasks.iter().map(|t| {
        PlanRow {
            what: t.description.clone(),
            who: t.owner.clone(),
            due: wording::date(t.due),
            status: wording::task_status(t.status).to_owned(),
            finish: finishes("taak-bijwerken")
                .filter(|_| t.status.is_open())
                .map(|step| (step, t.id.clone())),
        }
    }));
    CasePage {
        frame: Some(signed_in.frame("/casussen")),
        csrf: signed_in.session.csrf.clone(),
        id: summary.id.clone(),
        short_id: short_id(&summary.id),
        state: wording::state(summary.state),
        referrer: format!(
            "{} ({})",
            summary.referrer.organisation,
            wording::referrer_kind(summary.referrer.kind)
        ),
        age: summary.age,
        municipality: summary.municipality.clone(),
        categories: summary
            .categories
            .iter()
            .map(|c| wording::category(*c))
            .collect(),
        submitted: wording::moment(summary.submitted_at),
        question: detail.question.clone(),
        tried_so_far: detail.tried_so_far.clone(),
        return_reason: detail.return_reason.clone(),
        closing: summary.outcome.map(|outcome| {
            let note = detail.closing_note.clone().unwrap_or_default();
            if note.is_empty() {
                wording::outcome(outcome).to_owned()
            } else {
                format!("{}: {note}", wording::outcome(outcome))
            }
        }),
        earlier_cases: detail.earlier_cases.clone(),
        procesregisseur: detail.procesregisseur.as_ref().map(|p| {
            tf(
                "{naam} ({organisatie}), sinds {moment}",
                &[
                    ("naam", &p.name),
                    ("organisatie", &p.organisation),
                    ("moment", &wording::moment(p.appointed_at)),
                ],
            )
        }),
        case_managers: detail
            .care_arrangements
            .iter()
            .map(|a| format!("{}: {} ({})", a.arrangement, a.case_manager, a.organisation))
            .collect(),
        history: detail
            .history
            .iter()
            .map(|h| HistoryRow {
                when: wording::moment(h.at),
                who: h.actor.clone(),
                what: wording::action_text(&h.action),
                from_to: if h.from == h.to {
                    wording::state(h.to).to_owned()
                } else {
                    format!("{} → {}", wording::state(h.from), wording::state(h.to))
                },
                why: h.reason.clone(),
            })
            .collect(),
        plan,
        notes: detail
            .notes
            .iter()
            .map(|n| HistoryRow {
                when: wording::moment(n.at),
                who: n.author.clone(),
                what: String::new(),
                from_to: String::new(),
                why: n.text.clone(),
            })
            .collect(),
        steps,
        today: signed_in.board.workflow.clock().today().to_string(),
        outcomes: Outcome::ALL
            .iter()
            .map(|o| Choice {
                value: o.as_str().into(),
                label: wording::outcome(*o).into(),
                chosen: false,
            })
            .collect(),
        may_see_identity: signed_in.may("CaseService/GetYouthIdentity"),
        identity: identity.map(|youth| {
            (
                youth.name,
                youth.bsn.unwrap_or_else(|| t("niet bekend").into()),
                youth
                    .date_of_birth
                    .map(wording::date)
                    .unwrap_or_else(|| t("niet bekend").into()),
            )
        }),
        error,
        done: None,
        escalation,
    }
}

fn case_id(id: &str) -> Result<String, WebError> {
    validate::id("case_id", id).map_err(|_| WebError::NotFound)
}

/// Reads the case's file and its escalation panel side by side: they are independent reads.
async fn view(signed_in: &SignedIn, id: &str) -> Result<CaseView, WebError> {
    let panel = super::escalation::panel(signed_in, id);
    match tokio::join!(signed_in.board.workflow.case_detail(id), panel) {
        (Ok(detail), escalation) => Ok(CaseView {
            detail,
            escalation: escalation?,
        }),
        (Err(Error::NotFound { .. }), _) => {
            signed_in
                .audit("CaseService/GetCase", Some(id), "refused:NotFound")
                .await?;
            Err(WebError::NotFound)
        }
        (Err(err), _) => Err(err.into()),
    }
}

/// The case page. Its audit event is committed while the page is drawn, and the page is sent only after both.
pub async fn page(signed_in: SignedIn, Path(id): Path<String>) -> Result<Response, WebError> {
    signed_in.require("CaseService/GetCase").await?;
    let id = case_id(&id)?;
    let view = view(&signed_in, &id).await?;
    let (_, html) = tokio::try_join!(
        signed_in.audit("CaseService/GetCase", Some(&id), "ok"),
        async { Ok::<_, WebError>(draw(&signed_in, view, None, None).render()?) }
    )?;
    Ok(Html(html).into_response())
}

/// Takes one step on the case; on refusal the page comes back with the reason and the case unchanged.
pub async fn act(
    signed_in: SignedIn,
    Path((id, step)): Path<(String, String)>,
    fields: Fields,
) -> Result<Response, WebError> {
    let id = case_id(&id)?;
    if step == "identiteit" {
        return identity(signed_in, id, fields).await;
    }
    let step = STEPS
        .iter()
        .find(|s| s.path == step)
        .ok_or(WebError::NotFound)?;
    signed_in.require(step.rpc).await?;
    signed_in.check_csrf(&fields)?;
    let actor = signed_in.actor(step.rpc);
    let workflow = &signed_in.board.workflow;
    let result = match step.action {
        Action::StartIntake => workflow.start_intake(&id, &actor).await.map(drop),
        Action::Accept => workflow.accept_case(&id, &actor).await.map(drop),
        Action::Return => match validate::long_text("reason", fields.get("reason")) {
            Ok(reason) => workflow.return_case(&id, &actor, &reason).await.map(drop),
            Err(err) => Err(err),
        },
        Action::StartPlan => workflow.start_plan(&id, &actor).await.map(drop),
        Action::Close => {
            let outcome = Outcome::parse(fields.get("outcome"))
                .ok_or_else(|| Error::invalid("outcome", "must be given"));
            let note = validate::optional_long_text("closing_note", fields.get("closing_note"));
            match (outcome, note) {
                (Ok(outcome), Ok(note)) => workflow
                    .close_case(&id, &actor, outcome, &note)
                    .await
                    .map(drop),
                (Err(err), _) | (_, Err(err)) => Err(err),
            }
        }
        Action::AddProgressNote => match validate::long_text("text", fields.get("text")) {
            Ok(text) => workflow
                .add_progress_note(&id, &actor, text)
                .await
                .map(drop),
            Err(err) => Err(err),
        },
        Action::AppointProcesregisseur => {
            let parsed = (|| {
                Ok((
                    validate::short_text("name", fields.get("name"))?,
                    validate::short_text("organisation", fields.get("organisation"))?,
                    validate::optional_short_text(
                        "replacement_reason",
                        fields.get("replacement_reason"),
                    )?,
                ))
            })();
            match parsed {
                Ok((name, organisation, replacement)) => workflow
                    .appoint_procesregisseur(&id, &actor, name, organisation, replacement)
                    .await
                    .map(drop),
                Err(err) => Err(err),
            }
        }
        Action::AssignCaseManager => {
            let parsed = (|| {
                Ok((
                    validate::short_text("arrangement", fields.get("arrangement"))?,
                    validate::short_text("case_manager", fields.get("case_manager"))?,
                    validate::short_text("organisation", fields.get("organisation"))?,
                ))
            })();
            match parsed {
                Ok((arrangement, manager, organisation)) => workflow
                    .assign_case_manager(&id, &actor, arrangement, manager, organisation)
                    .await
                    .map(drop),
                Err(err) => Err(err),
            }
        }
        Action::AddTask => {
            let parsed = (|| {
                Ok((
                    validate::long_text("description", fields.get("description"))?,
                    validate::short_text("owner", fields.get("owner"))?,
                    validate::date("due", fields.get("due"))?,
                ))
            })();
            match parsed {
                Ok((description, owner, due)) => workflow
                    .add_task(&id, &actor, description, owner, due)
                    .await
                    .map(drop),
                Err(err) => Err(err),
            }
        }
        Action::AddCommitment => {
            let request = wire::NewCommitment {
                provider: fields.get("provider").to_owned(),
                description: fields.get("description").to_owned(),
                due: Some(wire::Date {
                    iso: fields.get("due").to_owned(),
                }),
                authority_confirmed: !fields.get("authority").is_empty(),
            };
            match crate::grpc::parse_new_commitment("commitment", &request) {
                Ok(new) => workflow.add_commitment(&id, &actor, new).await.map(drop),
                Err(err) => Err(err),
            }
        }
        Action::UpdateTask => {
            let status = TaskStatus::parse(fields.get("status"))
                .ok_or_else(|| Error::invalid("status", "must be given"));
            match (validate::id("task_id", fields.get("item")), status) {
                (Ok(task), Ok(status)) => workflow
                    .update_task(&task, &actor, status)
                    .await
                    .and_then(|task| same_case(&task.case_id, &id)),
                (Err(err), _) | (_, Err(err)) => Err(err),
            }
        }
        Action::UpdateCommitment => {
            let status = CommitmentStatus::parse(fields.get("status"))
                .ok_or_else(|| Error::invalid("status", "must be given"));
            match (validate::id("commitment_id", fields.get("item")), status) {
                (Ok(commitment), Ok(status)) => workflow
                    .update_commitment(&commitment, &actor, status)
                    .await
                    .and_then(|c| same_case(&c.case_id, &id)),
                (Err(err), _) | (_, Err(err)) => Err(err),
            }
        }
        Action::RecordConsent => {
            super::escalation::record_consent(&signed_in, &id, &actor, &fields).await
        }
        Action::WithdrawConsent => {
            super::escalation::withdraw_consent(&signed_in, &id, &actor, &fields).await
        }
        Action::Escalate => super::escalation::escalate(&signed_in, &id, &actor, &fields).await,
        _ => Err(Error::FailedPrecondition(
            "this step is not offered here".into(),
        )),
    };
    match result {
        Ok(()) => {
            signed_in.audit(step.rpc, Some(&id), "ok").await?;
            // Plan en termijnen marks work done in place and wants its list back; any other form, the case.
            let back = match fields.get("terug") {
                "/termijnen" => "/termijnen".to_owned(),
                _ => format!("/casussen/{id}"),
            };
            Ok(Redirect::to(&back).into_response())
        }
        Err(Error::NotFound { kind: "case", .. }) => Err(WebError::NotFound),
        Err(err) => {
            let (status, reason) = signed_in.refusal(step.rpc, Some(&id), err).await?;
            let view = view(&signed_in, &id).await?;
            let page = draw(&signed_in, view, None, Some(reason));
            Ok((status, Html(page.render()?)).into_response())
        }
    }
}

/// A task or commitment is changed from its own case's page only.
fn same_case(item_case: &str, page_case: &str) -> Result<(), Error> {
    if item_case == page_case {
        Ok(())
    } else {
        Err(Error::FailedPrecondition(format!(
            "this item belongs to case {item_case}"
        )))
    }
}

/// Shows the youth's identifiers once, after the person said why; the reason goes on the audit trail.
async fn identity(signed_in: SignedIn, id: String, fields: Fields) -> Result<Response, WebError> {
    let rpc = "CaseService/GetYouthIdentity";
    signed_in.require(rpc).await?;
    signed_in.check_csrf(&fields)?;
    let view = view(&signed_in, &id).await?;
    let purpose = match validate::short_text("purpose", fields.get("purpose")) {
        Ok(purpose) => purpose,
        Err(err) => {
            let page = draw(&signed_in, view, None, Some(wording::error(&err)));
            return Ok((StatusCode::UNPROCESSABLE_ENTITY, Html(page.render()?)).into_response());
        }
    };
    let youth = signed_in.board.workflow.youth_identity(&id).await;
    match youth {
        Ok(youth) => {
            signed_in
                .audit(rpc, Some(&id), &format!("ok; reden: {purpose}"))
                .await?;
            let mut page = draw(&signed_in, view, Some(youth), None);
            page.done = Some(t(
                "De identificerende gegevens staan hieronder; uw inzage is vastgelegd.",
            ));
            Ok(Html(page.render()?).into_response())
        }
        Err(err) => {
            signed_in
                .audit(
                    rpc,
                    Some(&id),
                    &format!("refused:{}", wording::status_of(&err).as_u16()),
                )
                .await?;
            let page = draw(&signed_in, view, None, Some(wording::error(&err)));
            Ok((wording::status_of(&err), Html(page.render()?)).into_response())
        }
    }
}
