//! What the board serves besides its pages, compiled into the binary (no build step, nothing fetched at run
//! time): the NL Design System's CSS components with the EUPL-1.2 "voorbeeld" theme (pinned copies, licence in
//! `assets/LICENSE-nl-design-system.md`), the board's own styles and its one small script, and the
//! accessibility statement.

use super::error::WebError;
use super::i18n::filters;
use super::session::Visit;
use askama::Template;
use axum::extract::Path;
use axum::http::{HeaderValue, header};
use axum::response::{Html, IntoResponse, Response};

/// `(file name, content type, content)`.
const FILES: &[(&str, &str, &str)] = &[
    (
        "utrecht.css",
        "text/css; charset=utf-8",
        include_str!("../../assets/utrecht.css"),
    ),
    (
        "theme.css",
        "text/css; charset=utf-8",
        include_str!("../../assets/voorbeeld-theme.css"),
    ),
    (
        "board.css",
        "text/css; charset=utf-8",
        include_str!("../../assets/board.css"),
    ),
    (
        "board.js",
        "text/javascript; charset=utf-8",
        include_str!("../../assets/board.js"),
    ),
];

pub async fn file(Path(name): Path<String>) -> Result<Response, WebError> {
    let (_, content_type, content) = FILES
        .iter()
        .find(|(file, _, _)| *file == name)
        .ok_or(WebError::NotFound)?;
    let mut response = (*content).into_response();
    let headers = response.headers_mut();
    headers.insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
    headers.insert(
        header::CACHE_CONTROL,
        HeaderValue::from_static("public, max-age=3600"),
    );
    Ok(response)
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
