//! Who is at the browser: the session cookie, looked up at the node on every request, and what the person's
//! roles let them see and do. The role checks are the API's own (`access::policy`), asked with the RPC a page
//! or form stands for, and every page with case data and every change is an audit event like an API call.

use super::Board;
use super::access_point;
use super::error::WebError;
use super::form::Fields;
use crate::access::policy;
use crate::audit::NewAuditEvent;
use crate::workflow::{Stage, WebSession};
use axum::extract::{ConnectInfo, FromRequestParts};
use axum::http::request::Parts;
use axum::http::{HeaderMap, HeaderValue, StatusCode};
use std::net::SocketAddr;

/// The cookie that carries a session's token. It names the region: browsers keep cookies per host, not per
/// port, so boards of several regions on one host (the local federation) would otherwise sign each other out.
fn cookie_name(board: &Board) -> String {
    format!("expertnet_sessie_{}", board.region)
}

/// The session token a request's cookie carries.
fn cookie_token(board: &Board, headers: &HeaderMap) -> Option<String> {
    expertnet_web::cookie::read(headers, &cookie_name(board))
}

/// The `Set-Cookie` value that gives the browser `token`, or with `None` takes the session away.
pub fn set_cookie(board: &Board, token: Option<&str>) -> HeaderValue {
    expertnet_web::cookie::set(&cookie_name(board), token, board.secure)
}

/// A request with its session, whatever its stage, or none.
#[derive(Debug)]
pub struct Visit {
    pub board: Board,
    pub peer: SocketAddr,
    pub session: Option<WebSession>,
}

impl Visit {
    pub fn access_point(&self) -> String {
        access_point(self.peer)
    }

    /// The visit as a signed-in person's, when it is one.
    pub fn signed_in(self) -> Option<SignedIn> {
        match self.session {
            Some(session) if session.stage == Stage::SignedIn => Some(SignedIn {
                board: self.board,
                peer: self.peer,
                session,
            }),
            _ => None,
        }
    }
}

impl FromRequestParts<Board> for Visit {
    type Rejection = WebError;

    async fn from_request_parts(parts: &mut Parts, board: &Board) -> Result<Visit, WebError> {
        let peer = parts
            .extensions
            .get::<ConnectInfo<SocketAddr>>()
            .map_or_else(|| SocketAddr::from(([0, 0, 0, 0], 0)), |info| info.0);
        let session = match cookie_token(board, &parts.headers) {
            Some(token) => {
                board
                    .workflow
                    .web_session(&board.policy, &token, &access_point(peer))
                    .await?
            }
            None => None,
        };
        Ok(Visit {
            board: board.clone(),
            peer,
            session,
        })
    }
}

/// A request of a person who is fully signed in.
#[derive(Debug)]
pub struct SignedIn {
    pub board: Board,
    pub peer: SocketAddr,
    pub session: WebSession,
}

impl FromRequestParts<Board> for SignedIn {
    type Rejection = WebError;

    async fn from_request_parts(parts: &mut Parts, board: &Board) -> Result<SignedIn, WebError> {
        Visit::from_request_parts(parts, board)
            .await?
            .signed_in()
            .ok_or(WebError::NotSignedIn)
    }
}

/// One entry of the main menu.
#[derive(Debug, Clone)]
pub struct NavItem {
    pub href: &'static str,
    pub label: &'static str,
    pub current: bool,
}

/// The menu: a page appears when the person's roles allow what it shows.
const MENU: &[(&str, &str, &str)] = &[
    ("/werk", "Mijn werk", "CaseService/ListCases"),
    ("/casussen", "Casussen", "CaseService/ListCases"),
    ("/casussen/nieuw", "Nieuwe casus", "CaseService/SubmitCase"),
    ("/tafels", "Tafels", "SessionService/ListSessions"),
    ("/termijnen", "Plan en termijnen", "CaseService/ListOverdue"),
    (
        "/consultatie",
        "Consultatie",
        "ConsultationService/ListConsultations",
    ),
    (
        "/opschalingen",
        "Opschalingen",
        "EscalationService/ListEscalations",
    ),
    (
        "/jaaroverzicht",
        "Jaaroverzicht",
        "ReviewService/GetRegionReview",
    ),
    ("/audit", "Audit", "AuditService/VerifyAudit"),
    ("/beheer", "Beheer", "Board/ManagePeople"),
];

/// The menu's labels, in Dutch (for the translation check).
#[cfg(test)]
pub(super) fn menu_labels() -> impl Iterator<Item = &'static str> {
    MENU.iter().map(|(_, label, _)| *label)
}

impl SignedIn {
    fn path(rpc: &str) -> String {
        format!("/expertnet.v1.{rpc}")
    }

    /// Whether the person's roles allow `rpc` (`CaseService/AcceptCase`), by the API's own table.
    pub fn may(&self, rpc: &str) -> bool {
        let held = &self.session.caller.roles;
        if rpc.starts_with("Board/") {
            policy::board_permits(rpc, held)
        } else {
            policy::permits(&Self::path(rpc), held)
        }
    }

    /// Refuses (and records the refusal) unless the person may call `rpc`.
    pub async fn require(&self, rpc: &'static str) -> Result<(), WebError> {
        if self.may(rpc) {
            return Ok(());
        }
        tracing::warn!(user = %self.session.caller.user, action = rpc, "web board: refused by the role table");
        self.audit(rpc, None, "denied").await?;
        Err(WebError::Forbidden(rpc, Some(Box::new(self.frame("")))))
    }

    /// Whom a change through `rpc` is recorded under: the signed-in person, never a name from the form.
    pub fn actor(&self, rpc: &str) -> String {
        policy::signature(&self.session.caller, &Self::path(rpc))
    }

    /// Refuses a form that does not carry this session's CSRF token.
    pub fn check_csrf(&self, fields: &Fields) -> Result<(), WebError> {
        if self.session.csrf_matches(fields.get("csrf")) {
            Ok(())
        } else {
            Err(WebError::Csrf)
        }
    }

    /// Records a refused step and gives its HTTP status and its reason in Dutch, for the page to show again;
    /// a failure inside the node is no refusal and goes to the error page.
    pub async fn refusal(
        &self,
        rpc: &str,
        case_id: Option<&str>,
        err: crate::Error,
    ) -> Result<(StatusCode, String), WebError> {
        let status = super::wording::status_of(&err);
        if status.is_server_error() {
            return Err(err.into());
        }
        self.audit(rpc, case_id, &format!("refused:{}", status.as_u16()))
            .await?;
        Ok((status, super::wording::error(&err)))
    }

    /// Records what the person did or saw, as the API's guard records a call; nothing is shown if it cannot be
    /// recorded.
    pub async fn audit(
        &self,
        rpc: &str,
        case_id: Option<&str>,
        outcome: &str,
    ) -> Result<(), WebError> {
        let event = NewAuditEvent::by(
            Some(&self.session.caller),
            self.board.workflow.clock().now_ms(),
            rpc,
            case_id.map(str::to_owned),
            &access_point(self.peer),
            outcome,
        );
        self.board.workflow.audit().record(event).await?;
        Ok(())
    }

    /// The main menu with `current` marked.
    pub fn nav(&self, current: &str) -> Vec<NavItem> {
        MENU.iter()
            .filter(|(_, _, rpc)| self.may(rpc))
            .map(|(href, label, _)| NavItem {
                href,
                label: super::i18n::t(label),
                current: *href == current,
            })
            .collect()
    }

    pub fn frame(&self, current: &str) -> Frame {
        Frame {
            region: self.board.region.clone(),
            user: self.session.caller.user.clone(),
            roles: super::wording::roles(&self.session.caller.roles),
            csrf: self.session.csrf.clone(),
            nav: self.nav(current),
        }
    }
}

/// What every page's frame shows: the region, the person and the menu.
#[derive(Debug, Clone)]
pub struct Frame {
    pub region: String,
    pub user: String,
    pub roles: String,
    pub csrf: String,
    pub nav: Vec<NavItem>,
}
