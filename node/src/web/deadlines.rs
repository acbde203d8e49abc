//! Plan en termijnen: the open tasks and commitments across the node, the oldest due date first (so what is
//! overdue leads), for one owner or provider if asked; each marked done or delivered in place, through the same
//! step as on the case page.

use super::cases::{Choice, short_id};
use super::error::WebError;
use super::i18n::filters;
use super::session::{Frame, SignedIn};
use super::wording;
use askama::Template;
use axum::extract::Query;
use axum::response::{Html, IntoResponse, Response};
use std::collections::{BTreeSet, HashMap};

/// Open items shown at most.
const SHOWN: u32 = 500;

struct WorkItem {
    case_id: String,
    case_short: String,
    what: String,
    who: String,
    due: String,
    overdue: bool,
    /// The case page's step that finishes it, the item's id and the status it gets.
    finish: (&'static str, String, &'static str),
}

#[derive(Template)]
#[template(path = "deadlines.html")]
struct DeadlinesPage {
    frame: Option<Frame>,
    csrf: String,
    items: Vec<WorkItem>,
    people: Vec<Choice>,
    may_finish: bool,
}

pub async fn page(
    signed_in: SignedIn,
    Query(query): Query<HashMap<String, String>>,
) -> Result<Response, WebError> {
    signed_in.require("CaseService/ListOverdue").await?;
    let workflow = &signed_in.board.workflow;
    let today = workflow.clock().today();
    // Everything open is due before the last day there is.
    let (_, open) = workflow.overdue(Some(time::Date::MAX), SHOWN).await?;
    signed_in
        .audit("CaseService/ListOverdue", None, "ok")
        .await?;
    let mut items: Vec<(time::Date, WorkItem)> = open
        .tasks
        .iter()
        .map(|t| {
            (
                t.due,
                WorkItem {
                    case_id: t.case_id.clone(),
                    case_short: short_id(&t.case_id),
                    what: t.description.clone(),
                    who: t.owner.clone(),
                    due: wording::date(t.due),
                    overdue: t.due < today,
                    finish: ("taak-bijwerken", t.id.clone(), "done"),
                },
            )
        })
        .collect();
    items.extend(open.commitments.iter().map(|c| {
        (
            c.due,
            WorkItem {
                case_id: c.case_id.clone(),
                case_short: short_id(&c.case_id),
                what: c.description.clone(),
                who: c.provider.clone(),
                due: wording::date(c.due),
                overdue: c.due < today,
                finish: ("toezegging-bijwerken", c.id.clone(), "delivered"),
            },
        )
    }));
    items.sort_by_key(|(due, _)| *due);
    let chosen = query.get("wie").map(String::as_str).unwrap_or("");
    let people: BTreeSet<String> = items.iter().map(|(_, i)| i.who.clone()).collect();
    let page = DeadlinesPage {
        frame: Some(signed_in.frame("/termijnen")),
        csrf: signed_in.session.csrf.clone(),
        items: items
            .into_iter()
            .map(|(_, item)| item)
            .filter(|item| chosen.is_empty() || item.who == chosen)
            .collect(),
        people: people
            .into_iter()
            .map(|who| Choice {
                chosen: who == chosen,
                label: who.clone(),
                value: who,
            })
            .collect(),
        may_finish: signed_in.may("CaseService/UpdateTask"),
    };
    Ok(Html(page.render()?).into_response())
}
