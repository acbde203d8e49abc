//! Audit, for the auditor: the hash chain checked, a case's access report (who looked at this youth's file:
//! organisation, role, when, what for — AVG article 15) and the whole trail as a download. Reading any of
//! them is itself on the trail.

use super::cases::short_id;
use super::error::WebError;
use super::i18n::{filters, tf};
use super::session::{Frame, SignedIn};
use super::wording;
use crate::audit::ChainBreak;
use crate::domain::validate;
use askama::Template;
use axum::extract::Query;
use axum::http::{HeaderValue, header};
use axum::response::{Html, IntoResponse, Response};
use std::collections::HashMap;

/// Events per page of the export.
const EXPORT_PAGE: u32 = 10_000;

struct AccessRow {
    when: String,
    organisation: String,
    roles: String,
    purpose: &'static str,
    outcome: String,
}

#[derive(Template)]
#[template(path = "audit.html")]
struct AuditPage {
    frame: Option<Frame>,
    /// The chain check: whether it holds, what it says, and the head to write down.
    check: Option<(bool, String, String)>,
    may_report: bool,
    case_id: String,
    case_short: String,
    report: Option<Vec<AccessRow>>,
    error: Option<String>,
}

pub async fn page(
    signed_in: SignedIn,
    Query(query): Query<HashMap<String, String>>,
) -> Result<Response, WebError> {
    signed_in.require("AuditService/VerifyAudit").await?;
    let workflow = &signed_in.board.workflow;
    let check = if query.contains_key("controleren") {
        let check = workflow.verify_audit_trail().await?;
        signed_in
            .audit("AuditService/VerifyAudit", None, "ok")
            .await?;
        Some(match check.result {
            Ok(verified) => (
                true,
                tf(
                    "De keten klopt: {aantal} gebeurtenissen, tot en met nummer {laatste}.",
                    &[
                        ("aantal", &verified.events),
                        ("laatste", &verified.last_seq),
                    ],
                ),
                check.head_hash,
            ),
            Err(broken) => (false, chain_break(&broken), check.head_hash),
        })
    } else {
        None
    };
    let may_report = signed_in.may("AuditService/AccessReport");
    let case_id = query
        .get("casus")
        .map(|c| c.trim().to_owned())
        .unwrap_or_default();
    let mut error = None;
    let mut report = None;
    if may_report && !case_id.is_empty() {
        match validate::id("case_id", &case_id) {
            Ok(case_id) => {
                let accesses = workflow.access_report(&case_id).await?;
                signed_in
                    .audit("AuditService/AccessReport", Some(&case_id), "ok")
                    .await?;
                report = Some(
                    accesses
                        .into_iter()
                        .map(|a| AccessRow {
                            when: wording::moment(a.at_ms),
                            organisation: a.organisation,
                            roles: wording::roles_text(&a.roles),
                            purpose: wording::purpose(a.purpose),
                            outcome: wording::audit_outcome(&a.outcome),
                        })
                        .collect(),
                );
            }
            Err(err) => error = Some(wording::error(&err)),
        }
    }
    let page = AuditPage {
        frame: Some(signed_in.frame("/audit")),
        check,
        may_report,
        case_short: short_id(&case_id),
        case_id,
        report,
        error,
    };
    Ok(Html(page.render()?).into_response())
}

fn chain_break(broken: &ChainBreak) -> String {
    let what = match broken {
        ChainBreak::Altered { seq } => tf("gebeurtenis {seq} is gewijzigd", &[("seq", seq)]),
        ChainBreak::Missing { from, to } => tf(
            "gebeurtenissen {from} tot {to} ontbreken",
            &[("from", from), ("to", to)],
        ),
        ChainBreak::OutOfPlace { seq, previous } => tf(
            "gebeurtenis {seq} staat niet na gebeurtenis {previous}",
            &[("seq", seq), ("previous", previous)],
        ),
        ChainBreak::Truncated { last, head } => tf(
            "de keten stopt bij {last}, maar de kop noemt {head}",
            &[("last", last), ("head", head)],
        ),
    };
    tf(
        "De keten klopt niet: {what}. Meld dit direct aan de functionaris gegevensbescherming.",
        &[("what", &what)],
    )
}

/// The whole trail, one JSON object per line, as `audit export` writes it.
pub async fn export(signed_in: SignedIn) -> Result<Response, WebError> {
    signed_in.require("AuditService/ExportAudit").await?;
    let workflow = &signed_in.board.workflow;
    let mut lines = String::new();
    let mut after = 0;
    loop {
        let events = workflow.audit_events(after, EXPORT_PAGE).await?;
        let Some(last) = events.last() else { break };
        after = last.seq;
        for event in &events {
            lines.push_str(&serde_json::to_string(event).unwrap_or_default());
            lines.push('\n');
        }
    }
    signed_in
        .audit("AuditService/ExportAudit", None, "ok")
        .await?;
    let mut response = lines.into_response();
    let headers = response.headers_mut();
    headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/x-ndjson; charset=utf-8"),
    );
    headers.insert(
        header::CONTENT_DISPOSITION,
        HeaderValue::from_static("attachment; filename=\"auditspoor.jsonl\""),
    );
    Ok(response)
}
