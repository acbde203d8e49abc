//! Mijn werk: what waits for the signed-in person, by role — submissions to take in, the next table session's
//! agenda, open work past its due date, questions waiting for an answer and escalations coming in.

use super::cases::{CaseRow, short_id};
use super::error::WebError;
use super::i18n::{filters, t, tf};
use super::session::{Frame, SignedIn};
use super::wording;
use crate::domain::{
    CaseFilter, CaseState, ConsultationStatus, EscalationDirection, EscalationStatus,
};
use askama::Template;
use axum::response::{Html, IntoResponse, Response};

/// Rows shown per section; the count says how many there are in all (up to this many).
const SECTION_ROWS: u32 = 20;

/// A list of things waiting, with a heading and a count.
struct Section {
    id: &'static str,
    title: &'static str,
    empty: &'static str,
    rows: Vec<WorkRow>,
}

struct WorkRow {
    /// Where the row leads.
    href: Option<String>,
    label: String,
    detail: String,
}

#[derive(Template)]
#[template(path = "work.html")]
struct WorkPage {
    frame: Option<Frame>,
    sections: Vec<Section>,
}

fn case_rows(cases: &[crate::domain::CaseSummary]) -> Vec<WorkRow> {
    cases
        .iter()
        .map(|case| {
            let row = CaseRow::from(case);
            WorkRow {
                href: Some(format!("/casussen/{}", row.id)),
                label: tf(
                    "Casus {nummer} ({staat})",
                    &[("nummer", &row.short_id), ("staat", &row.state)],
                ),
                detail: tf(
                    "{leeftijd} jaar, {gemeente}; {knelpunten}",
                    &[
                        ("leeftijd", &row.age),
                        ("gemeente", &row.municipality),
                        ("knelpunten", &row.categories),
                    ],
                ),
            }
        })
        .collect()
}

pub async fn page(signed_in: SignedIn) -> Result<Response, WebError> {
    signed_in.require("CaseService/ListCases").await?;
    let workflow = &signed_in.board.workflow;
    let today = workflow.clock().today();
    let mut sections = Vec::new();

    if signed_in.may("CaseService/StartIntake") {
        let mut waiting = Vec::new();
        for state in [CaseState::Submitted, CaseState::Intake] {
            let filter = CaseFilter {
                state: Some(state),
                ..CaseFilter::default()
            };
            waiting.extend(
                workflow
                    .list_cases(&filter, None, SECTION_ROWS)
                    .await?
                    .items,
            );
        }
        sections.push(Section {
            id: "intake",
            title: t("Aanmeldingen om in te nemen"),
            empty: t("Er wachten geen nieuwe aanmeldingen."),
            rows: case_rows(&waiting),
        });
    }

    if signed_in.may("SessionService/ListSessions") {
        let next = workflow
            .session_choices(Some(today), None)
            .await?
            .into_iter()
            .next();
        let rows = match &next {
            Some(listing) => {
                let session = workflow.session(&listing.id).await?;
                let mut rows = Vec::new();
                for case_id in session.agenda.iter().take(SECTION_ROWS as usize) {
                    let case = workflow.case_detail(case_id).await?.summary;
                    rows.extend(case_rows(&[case]));
                }
                rows
            }
            None => Vec::new(),
        };
        sections.push(Section {
            id: "tafel",
            title: match next {
                Some(_) => t("Op de agenda van de volgende tafel"),
                None => t("Volgende tafel"),
            },
            empty: t("Er is nog geen tafel gepland, of de agenda is leeg."),
            rows,
        });
    }

    if signed_in.may("CaseService/ListOverdue") {
        let (_, overdue) = workflow.overdue(None, SECTION_ROWS).await?;
        let mut rows: Vec<WorkRow> = overdue
            .tasks
            .iter()
            .map(|task| WorkRow {
                href: Some(format!("/casussen/{}", task.case_id)),
                label: tf("Taak: {taak}", &[("taak", &task.description)]),
                detail: tf(
                    "{wie}; was af op {datum} (casus {nummer})",
                    &[
                        ("wie", &task.owner),
                        ("datum", &wording::date(task.due)),
                        ("nummer", &short_id(&task.case_id)),
                    ],
                ),
            })
            .collect();
        rows.extend(overdue.commitments.iter().map(|commitment| WorkRow {
            href: Some(format!("/casussen/{}", commitment.case_id)),
            label: tf(
                "Toezegging van {aanbieder}",
                &[("aanbieder", &commitment.provider)],
            ),
            detail: tf(
                "{wie}; was af op {datum} (casus {nummer})",
                &[
                    ("wie", &commitment.description),
                    ("datum", &wording::date(commitment.due)),
                    ("nummer", &short_id(&commitment.case_id)),
                ],
            ),
        }));
        sections.push(Section {
            id: "termijnen",
            title: t("Verlopen taken en toezeggingen"),
            empty: t("Niets is over zijn termijn."),
            rows,
        });
    }

    if signed_in.may("ConsultationService/AnswerConsultation") {
        let open = workflow
            .list_consultations(Some(ConsultationStatus::Open), None, SECTION_ROWS)
            .await?;
        let rows = open
            .items
            .iter()
            .filter(|c| c.origin_region.is_some() || (!c.to_network && c.target_region.is_none()))
            .map(|c| WorkRow {
                href: Some(format!("/consultatie/{}", c.id)),
                label: tf(
                    "Vraag van {wie}",
                    &[(
                        "wie",
                        &c.origin_region
                            .as_deref()
                            .unwrap_or(c.asker_organisation.as_str()),
                    )],
                ),
                detail: tf(
                    "gesteld op {moment}",
                    &[("moment", &wording::moment(c.asked_at))],
                ),
            })
            .collect();
        sections.push(Section {
            id: "consultatie",
            title: t("Consultatievragen die op antwoord wachten"),
            empty: t("Er wachten geen vragen op een antwoord."),
            rows,
        });
    }

    if signed_in.may("EscalationService/ListEscalations") {
        let incoming = workflow
            .list_escalations(Some(EscalationDirection::Incoming))
            .await?;
        let rows = incoming
            .iter()
            .filter(|e| {
                matches!(
                    e.status,
                    EscalationStatus::Sent | EscalationStatus::Received
                )
            })
            .map(|e| WorkRow {
                href: Some(format!("/casussen/{}", e.case_id)),
                label: tf("Opgeschaald door {regio}", &[("regio", &e.partner_region)]),
                detail: tf(
                    "ontvangen op {moment}",
                    &[("moment", &wording::moment(e.created_at))],
                ),
            })
            .collect();
        sections.push(Section {
            id: "opschaling",
            title: t("Binnenkomende opschalingen"),
            empty: t("Er komen geen opschalingen binnen."),
            rows,
        });
    }

    signed_in.audit("CaseService/ListCases", None, "ok").await?;
    let page = WorkPage {
        frame: Some(signed_in.frame("/werk")),
        sections,
    };
    Ok(Html(page.render()?).into_response())
}
