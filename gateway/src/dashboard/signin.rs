//! Signing in and out: name and password, then the code from the person's authenticator app — or, the first
//! time, setting the app up from a QR code. Refusals never say whether the name or the password was wrong.

use super::error::DashboardError;
use super::session::{Coordinator, Visit, set_cookie};
use super::wording;
use crate::network::now_ms;
use askama::Template;
use axum::Form;
use axum::http::{StatusCode, header};
use axum::response::{Html, IntoResponse, Redirect, Response};
use expertnet_web::password::Password;
use expertnet_web::sign_in::{CodeCheck, SignIn, Stage, enrolment};
use serde::Deserialize;

#[derive(Template)]
#[template(path = "signin.html")]
struct SignInPage {
    name: String,
    error: Option<String>,
    frame: Option<super::session::Frame>,
}

#[derive(Template)]
#[template(path = "code.html")]
struct CodePage {
    csrf: String,
    /// At enrolment: the QR code and the secret to type.
    enrol: Option<(String, String)>,
    error: Option<String>,
    frame: Option<super::session::Frame>,
}

#[derive(Deserialize)]
pub struct Credentials {
    #[serde(default)]
    name: String,
    #[serde(default)]
    password: String,
}

/// Never shows the password.
impl std::fmt::Debug for Credentials {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Credentials")
            .field("name", &self.name)
            .finish_non_exhaustive()
    }
}

#[derive(Debug, Deserialize)]
pub struct CodeForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    code: String,
}

#[derive(Debug, Deserialize)]
pub struct SignOutForm {
    #[serde(default)]
    csrf: String,
}

fn after(stage: Stage) -> &'static str {
    if stage == Stage::SignedIn {
        "/netwerk"
    } else {
        "/aanmelden/code"
    }
}

pub async fn form(visit: Visit) -> Result<Response, DashboardError> {
    if let Some(session) = &visit.session {
        return Ok(Redirect::to(after(session.stage)).into_response());
    }
    let page = SignInPage {
        name: String::new(),
        error: None,
        frame: None,
    };
    Ok(Html(page.render()?).into_response())
}

pub async fn submit(
    visit: Visit,
    Form(credentials): Form<Credentials>,
) -> Result<Response, DashboardError> {
    let name = credentials.name.trim().to_owned();
    let dashboard = &visit.dashboard;
    let outcome = dashboard
        .people
        .sign_in(&name, Password::new(credentials.password), now_ms())
        .await?;
    crate::metrics::dashboard_sign_in(&dashboard.metrics, "password", outcome.outcome());
    let error = match outcome {
        SignIn::Started { token, stage } => {
            let mut response = Redirect::to(after(stage)).into_response();
            response.headers_mut().insert(
                header::SET_COOKIE,
                set_cookie(dashboard, Some(token.reveal())),
            );
            return Ok(response);
        }
        SignIn::Refused => "Naam of wachtwoord klopt niet.".to_owned(),
        SignIn::Locked { until_ms } => locked(until_ms),
    };
    let page = SignInPage {
        name,
        error: Some(error),
        frame: None,
    };
    Ok((StatusCode::UNAUTHORIZED, Html(page.render()?)).into_response())
}

fn locked(until_ms: i64) -> String {
    format!(
        "Te vaak mislukt: dit account is geblokkeerd tot {}. Vraag zo nodig het beheer van de gateway.",
        wording::moment(until_ms)
    )
}

fn code_page(visit: &Visit, error: Option<String>) -> Result<CodePage, DashboardError> {
    let session = visit.session.as_ref().ok_or(DashboardError::NotSignedIn)?;
    let account = format!("dashboard:{}", session.person);
    Ok(CodePage {
        csrf: session.csrf.clone(),
        enrol: enrolment(session.stage, session.pending_secret.as_ref(), &account),
        error,
        frame: None,
    })
}

pub async fn code_form(visit: Visit) -> Result<Response, DashboardError> {
    match &visit.session {
        None => Err(DashboardError::NotSignedIn),
        Some(session) if session.stage == Stage::SignedIn => {
            Ok(Redirect::to("/netwerk").into_response())
        }
        Some(_) => Ok(Html(code_page(&visit, None)?.render()?).into_response()),
    }
}

pub async fn code_submit(
    visit: Visit,
    Form(form): Form<CodeForm>,
) -> Result<Response, DashboardError> {
    let session = visit.session.as_ref().ok_or(DashboardError::NotSignedIn)?;
    if !session.csrf_matches(&form.csrf) {
        return Err(DashboardError::Csrf);
    }
    let check = visit
        .dashboard
        .people
        .confirm_code(session, &form.code, now_ms())
        .await?;
    let (check, renewed) = check;
    crate::metrics::dashboard_sign_in(&visit.dashboard.metrics, "second_factor", check.outcome());
    let error = match check {
        CodeCheck::Accepted => {
            let mut response = Redirect::to("/netwerk").into_response();
            if let Some(token) = renewed {
                response.headers_mut().insert(
                    header::SET_COOKIE,
                    set_cookie(&visit.dashboard, Some(token.reveal())),
                );
            }
            return Ok(response);
        }
        CodeCheck::Refused => {
            "Deze code klopt niet of is al gebruikt. Neem de nieuwste code uit uw app.".to_owned()
        }
        CodeCheck::Locked { until_ms } => {
            // The lock ended the session: back to the sign-in form, saying why.
            let page = SignInPage {
                name: session.person.clone(),
                error: Some(locked(until_ms)),
                frame: None,
            };
            let mut response = (StatusCode::UNAUTHORIZED, Html(page.render()?)).into_response();
            response
                .headers_mut()
                .insert(header::SET_COOKIE, set_cookie(&visit.dashboard, None));
            return Ok(response);
        }
    };
    let page = code_page(&visit, Some(error))?;
    Ok((StatusCode::UNAUTHORIZED, Html(page.render()?)).into_response())
}

/// Gives up a sign-in halfway (the wrong account, no phone at hand): the session ends at whatever stage.
pub async fn cancel(
    visit: Visit,
    Form(form): Form<SignOutForm>,
) -> Result<Response, DashboardError> {
    let session = visit.session.as_ref().ok_or(DashboardError::NotSignedIn)?;
    if !session.csrf_matches(&form.csrf) {
        return Err(DashboardError::Csrf);
    }
    visit.dashboard.people.sign_out(session).await?;
    let mut response = Redirect::to("/aanmelden").into_response();
    response
        .headers_mut()
        .insert(header::SET_COOKIE, set_cookie(&visit.dashboard, None));
    Ok(response)
}

pub async fn sign_out(
    coordinator: Coordinator,
    Form(form): Form<SignOutForm>,
) -> Result<Response, DashboardError> {
    coordinator.check_csrf(&form.csrf)?;
    coordinator
        .dashboard
        .people
        .sign_out(&coordinator.session)
        .await?;
    let mut response = Redirect::to("/aanmelden").into_response();
    response
        .headers_mut()
        .insert(header::SET_COOKIE, set_cookie(&coordinator.dashboard, None));
    Ok(response)
}
