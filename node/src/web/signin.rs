//! Signing in and out: name and password, then the code from the person's authenticator app — or, the first
//! time for a role that needs one, setting the app up from a QR code. Refusals never say whether the name or
//! the password was wrong.

use super::error::WebError;
use super::form::Fields;
use super::i18n::{filters, t, tf};
use super::session::{SignedIn, Visit, set_cookie};
use super::wording;
use crate::access::password::Password;
use crate::workflow::{CodeCheck, SignIn, Stage};
use askama::Template;
use axum::http::{StatusCode, header};
use axum::response::{Html, IntoResponse, Redirect, Response};

#[derive(Template)]
#[template(path = "signin.html")]
struct SignInPage {
    region: String,
    name: String,
    error: Option<String>,
    frame: Option<super::session::Frame>,
}

#[derive(Template)]
#[template(path = "code.html")]
struct CodePage {
    region: String,
    csrf: String,
    /// At enrolment: the QR code and the secret to type.
    enrol: Option<(String, String)>,
    error: Option<String>,
    frame: Option<super::session::Frame>,
}

pub async fn form(visit: Visit) -> Result<Response, WebError> {
    if let Some(session) = &visit.session {
        return Ok(Redirect::to(if session.stage == Stage::SignedIn {
            "/werk"
        } else {
            "/aanmelden/code"
        })
        .into_response());
    }
    let page = SignInPage {
        region: visit.board.region.clone(),
        name: String::new(),
        error: None,
        frame: None,
    };
    Ok(Html(page.render()?).into_response())
}

pub async fn submit(visit: Visit, fields: Fields) -> Result<Response, WebError> {
    let name = fields.get("name").trim().to_owned();
    let board = &visit.board;
    let outcome = board
        .workflow
        .sign_in(
            &board.policy,
            &name,
            Password::new(fields.get("password")),
            &visit.access_point(),
        )
        .await?;
    crate::metrics::sign_in(board.workflow.metrics(), "password", outcome.outcome());
    let error = match outcome {
        SignIn::Started { token, stage } => {
            let to = if stage == Stage::SignedIn {
                "/werk"
            } else {
                "/aanmelden/code"
            };
            let mut response = Redirect::to(to).into_response();
            response
                .headers_mut()
                .insert(header::SET_COOKIE, set_cookie(board, Some(token.reveal())));
            return Ok(response);
        }
        SignIn::Refused => t("Naam of wachtwoord klopt niet.").to_owned(),
        SignIn::Locked { until_ms } => locked(until_ms),
    };
    let page = SignInPage {
        region: board.region.clone(),
        name,
        error: Some(error),
        frame: None,
    };
    Ok((StatusCode::UNAUTHORIZED, Html(page.render()?)).into_response())
}

fn locked(until_ms: i64) -> String {
    tf(
        "Te vaak mislukt: dit account is geblokkeerd tot {moment}. Vraag zo nodig de beheerder.",
        &[("moment", &wording::moment(until_ms))],
    )
}

fn code_page(visit: &Visit, error: Option<String>) -> Result<CodePage, WebError> {
    let session = visit.session.as_ref().ok_or(WebError::NotSignedIn)?;
    let account = format!("{}:{}", visit.board.region, session.caller.user);
    Ok(CodePage {
        region: visit.board.region.clone(),
        csrf: session.csrf.clone(),
        enrol: expertnet_web::sign_in::enrolment(
            session.stage,
            session.pending_secret.as_ref(),
            &account,
        ),
        error,
        frame: None,
    })
}

pub async fn code_form(visit: Visit) -> Result<Response, WebError> {
    match &visit.session {
        None => Err(WebError::NotSignedIn),
        Some(session) if session.stage == Stage::SignedIn => {
            Ok(Redirect::to("/werk").into_response())
        }
        Some(_) => Ok(Html(code_page(&visit, None)?.render()?).into_response()),
    }
}

pub async fn code_submit(visit: Visit, fields: Fields) -> Result<Response, WebError> {
    let session = visit.session.as_ref().ok_or(WebError::NotSignedIn)?;
    if !session.csrf_matches(fields.get("csrf")) {
        return Err(WebError::Csrf);
    }
    let board = &visit.board;
    let check = board
        .workflow
        .confirm_second_factor(
            &board.policy,
            session,
            fields.get("code"),
            &visit.access_point(),
        )
        .await?;
    let (check, renewed) = check;
    crate::metrics::sign_in(board.workflow.metrics(), "second_factor", check.outcome());
    let error = match check {
        CodeCheck::Accepted => {
            // Signed in under a new token: the one that waited for the code is worthless.
            let mut response = Redirect::to("/werk").into_response();
            if let Some(token) = renewed {
                response
                    .headers_mut()
                    .insert(header::SET_COOKIE, set_cookie(board, Some(token.reveal())));
            }
            return Ok(response);
        }
        CodeCheck::Refused => {
            t("Deze code klopt niet of is al gebruikt. Neem de nieuwste code uit uw app.")
                .to_owned()
        }
        CodeCheck::Locked { until_ms } => {
            let mut response = Redirect::to("/aanmelden").into_response();
            response
                .headers_mut()
                .insert(header::SET_COOKIE, set_cookie(board, None));
            tracing::info!(until_ms, "web board: account locked at the second factor");
            return Ok(response);
        }
    };
    let page = code_page(&visit, Some(error))?;
    Ok((StatusCode::UNAUTHORIZED, Html(page.render()?)).into_response())
}

pub async fn sign_out(signed_in: SignedIn, fields: Fields) -> Result<Response, WebError> {
    signed_in.check_csrf(&fields)?;
    signed_in
        .board
        .workflow
        .sign_out(&signed_in.session, &super::access_point(signed_in.peer))
        .await?;
    let mut response = Redirect::to("/aanmelden").into_response();
    response
        .headers_mut()
        .insert(header::SET_COOKIE, set_cookie(&signed_in.board, None));
    Ok(response)
}
