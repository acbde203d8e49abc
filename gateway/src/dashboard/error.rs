//! How the dashboard fails: someone not signed in is sent to sign in; an unknown page, a form without its
//! session's CSRF token and a failure inside the gateway each get a page in Dutch with their HTTP status. The
//! failure's details stay in the gateway's log.

use askama::Template;
use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Redirect, Response};

#[derive(Debug, thiserror::Error)]
pub enum DashboardError {
    #[error("not signed in")]
    NotSignedIn,
    #[error("not found")]
    NotFound,
    #[error("the form's CSRF token does not match the session")]
    Csrf,
    #[error(transparent)]
    Gateway(#[from] crate::error::Error),
    #[error("template: {0}")]
    Template(#[from] askama::Error),
}

#[derive(Template)]
#[template(path = "message.html")]
pub struct MessagePage {
    pub title: &'static str,
    pub text: &'static str,
    pub frame: Option<super::session::Frame>,
}

impl IntoResponse for DashboardError {
    fn into_response(self) -> Response {
        let (status, title, text) = match &self {
            DashboardError::NotSignedIn => return Redirect::to("/aanmelden").into_response(),
            DashboardError::NotFound => (
                StatusCode::NOT_FOUND,
                "Pagina niet gevonden",
                "Deze pagina bestaat niet.",
            ),
            DashboardError::Csrf => (
                StatusCode::FORBIDDEN,
                "Formulier verlopen",
                "Dit formulier hoort niet (meer) bij uw sessie. Open de pagina opnieuw en probeer het nog eens.",
            ),
            DashboardError::Gateway(_) | DashboardError::Template(_) => {
                tracing::error!(error = %self, "dashboard: failed inside the gateway");
                (
                    StatusCode::INTERNAL_SERVER_ERROR,
                    "Er ging iets mis",
                    "Er ging iets mis bij de gateway. Probeer het over een paar minuten opnieuw; blijft het \
                     misgaan, meld het dan bij het beheer van expertnet.",
                )
            }
        };
        let page = MessagePage {
            title,
            text,
            frame: None,
        };
        match page.render() {
            Ok(html) => (status, Html(html)).into_response(),
            Err(_) => (status, text).into_response(),
        }
    }
}
