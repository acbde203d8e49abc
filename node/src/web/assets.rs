//! What the board serves besides its pages: the shared files of `expertnet_web::assets` (the NL Design System's
//! CSS, the board's own styles and script) and the accessibility statement.

use super::error::WebError;
use super::i18n::filters;
use super::session::Visit;
use askama::Template;
use axum::extract::Path;
use axum::http::HeaderMap;
use axum::response::{Html, IntoResponse, Response};

pub async fn file(Path(name): Path<String>, headers: HeaderMap) -> Result<Response, WebError> {
    expertnet_web::assets::file(&name, &headers).ok_or(WebError::NotFound)
}

#[derive(Template)]
#[template(path = "accessibility.html")]
struct AccessibilityPage {
    frame: Option<super::session::Frame>,
}

/// The accessibility statement Dutch public bodies publish for their applications; open without signing in.
pub async fn accessibility(visit: Visit) -> Result<Response, WebError> {
    let frame = visit.signed_in().map(|signed_in| signed_in.frame(""));
    Ok(Html(AccessibilityPage { frame }.render()?).into_response())
}
