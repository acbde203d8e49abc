//! What the board answers when something cannot be done: a plain page with the reason, never a stack
//! trace or a storage detail, and the right HTTP status.

use super::i18n::{filters, t, tf};
use super::wording;
use askama::Template;
use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Redirect, Response};

#[derive(Debug, thiserror::Error)]
pub enum WebError {
    /// No valid session: to the sign-in page.
    #[error("not signed in")]
    NotSignedIn,
    /// The person's roles do not allow this; names what was asked, and keeps the page's frame (menu, sign-out)
    /// for a signed-in person.
    #[error("the role table does not allow {0}")]
    Forbidden(&'static str, Option<Box<super::session::Frame>>),
    /// A form without this session's CSRF token.
    #[error("the form carries no valid CSRF token")]
    Csrf,
    #[error("the form could not be read")]
    BadForm,
    #[error("not found")]
    NotFound,
    /// The workflow refused or failed.
    #[error(transparent)]
    Workflow(crate::Error),
    /// A page could not be drawn.
    #[error("the page could not be drawn: {0}")]
    Render(askama::Error),
    /// A chart of a report could not be drawn.
    #[error("a chart could not be drawn: {0}")]
    Chart(String),
}

impl From<crate::Error> for WebError {
    fn from(err: crate::Error) -> WebError {
        WebError::Workflow(err)
    }
}

impl From<askama::Error> for WebError {
    fn from(err: askama::Error) -> WebError {
        WebError::Render(err)
    }
}

#[derive(Template)]
#[template(path = "message.html")]
struct MessagePage<'a> {
    title: &'a str,
    message: String,
    frame: Option<super::session::Frame>,
}

impl IntoResponse for WebError {
    fn into_response(self) -> Response {
        let mut frame = None;
        let self_text = self.to_string();
        let (status, title, message) = match self {
            WebError::NotSignedIn => return Redirect::to("/aanmelden").into_response(),
            WebError::Forbidden(what, signed_in) => {
                frame = signed_in.map(|f| *f);
                (
                StatusCode::FORBIDDEN,
                t("Geen toegang"),
                tf(
                    "Met uw rol kunt u niet {wat}. Denkt u dat dat wel zou moeten, vraag het dan de beheerder \
                     van deze node.",
                    &[("wat", &wording::request(what))],
                ),
            )
            }
            WebError::Csrf => (
                StatusCode::FORBIDDEN,
                t("Formulier verlopen"),
                t("Dit formulier hoort niet (meer) bij uw sessie, daarom is er niets gewijzigd. Open de pagina \
                 opnieuw en probeer het nog eens.")
                .to_owned(),
            ),
            WebError::BadForm => (
                StatusCode::BAD_REQUEST,
                t("Onleesbaar formulier"),
                t("Het formulier kwam niet goed aan; er is niets gewijzigd.").to_owned(),
            ),
            WebError::NotFound => (
                StatusCode::NOT_FOUND,
                t("Niet gevonden"),
                t("Deze pagina of casus bestaat niet (meer) op deze node.").to_owned(),
            ),
            WebError::Workflow(err) => (wording::status_of(&err), t("Dat kan niet"), wording::error(&err)),
            WebError::Render(_) | WebError::Chart(_) => {
                tracing::error!(error = %self_text, "web board: a page could not be drawn");
                (
                    StatusCode::INTERNAL_SERVER_ERROR,
                    t("Er ging iets mis"),
                    t("De pagina kon niet worden opgebouwd. Probeer het later opnieuw.").to_owned(),
                )
            }
        };
        let page = MessagePage {
            title,
            message,
            frame,
        };
        match page.render() {
            Ok(html) => (status, Html(html)).into_response(),
            Err(_) => (status, title.to_owned()).into_response(),
        }
    }
}
