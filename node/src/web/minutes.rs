//! A session's minutes, to print: per case on the agenda who was at the table, the next step, regie and the
//! commitments — and nothing that could name a youth.

use super::cases::CaseRow;
use super::error::WebError;
use super::i18n::{filters, t, tf};
use super::session::{Frame, SignedIn};
use super::tables::{SessionRow, session_of};
use super::wording;
use askama::Template;
use axum::extract::Path;
use axum::response::{Html, IntoResponse, Response};

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
pub async fn page(signed_in: SignedIn, Path(id): Path<String>) -> Result<Response, WebError> {
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
            present.push(t("de jongere").to_owned());
        }
        if attendance.parents_present {
            present.push(t("ouder(s)").to_owned());
        }
        present.extend(
            attendance
                .attendees
                .iter()
                .map(|a| format!("{} ({})", wording::attendee_role(a.role), a.organisation)),
        );
        let discussion = detail
            .discussions
            .iter()
            .find(|d| d.session_id == session.id);
        let commitments: Vec<String> = detail
            .commitments
            .iter()
            .map(|c| {
                let due = wording::date(c.due);
                let values: [(&str, &(dyn std::fmt::Display + Sync)); 3] = [
                    ("aanbieder", &c.provider),
                    ("wat", &c.description),
                    ("datum", &due),
                ];
                if c.authority_confirmed {
                    tf(
                        "{aanbieder}: {wat} (uiterlijk {datum}, met doorzettingsmacht)",
                        &values,
                    )
                } else {
                    tf("{aanbieder}: {wat} (uiterlijk {datum})", &values)
                }
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
                t("(niet afgedrukt: de tekst noemt mogelijk de jongere; zie de casus)").to_owned()
            }
        };
        items.push(MinutesItem {
            case: CaseRow::from(&detail.summary),
            present: if present.is_empty() {
                t("niet vastgelegd").into()
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
