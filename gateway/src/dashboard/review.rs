//! The published yearly review of a region, an area or the nation in the browser: the same document the RPC
//! gives (released figures only, hidden values stay `x`), inside the dashboard's frame.

use super::choice::{self, Opt};
use super::error::DashboardError;
use super::session::Coordinator;
use super::wording;
use crate::statistics::release::Asked;
use askama::Template;
use axum::extract::Query;
use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Response};
use serde::Deserialize;
use time::OffsetDateTime;

/// Years offered: the year of the newest quarter that is over and the three before it.
const YEARS_SHOWN: i32 = 4;

#[derive(Debug, Default, Deserialize)]
pub struct ReviewChoice {
    #[serde(default)]
    jaar: String,
    #[serde(default)]
    bereik: String,
}

#[derive(Template)]
#[template(path = "review.html")]
struct ReviewPage {
    years: Vec<Opt>,
    scopes: Vec<choice::OptGroup>,
    quarters: String,
    error: Option<String>,
    /// The review's body (its own headings, tables and SVG charts).
    body: Option<String>,
    frame: Option<super::session::Frame>,
}

/// The review document's body, without its own head and styles (the dashboard's apply), its headings one level
/// down: the page has its own `h1`.
fn body_of(document: &str) -> String {
    let start = document.find("<body>").map_or(0, |i| i + "<body>".len());
    let end = document.rfind("</body>").unwrap_or(document.len());
    document
        .get(start..end)
        .unwrap_or(document)
        .replace("<h2>", "<h3>")
        .replace("</h2>", "</h3>")
        .replace("<h1>", "<h2>")
        .replace("</h1>", "</h2>")
}

#[tracing::instrument(name = "dashboard", skip_all, fields(person = %coordinator.session.person))]
pub async fn page(
    coordinator: Coordinator,
    Query(asked_for): Query<ReviewChoice>,
) -> Result<Response, DashboardError> {
    let coordination = &coordinator.dashboard.coordination;
    let registry = coordination.registry();
    let newest: i32 = choice::quarters_over(OffsetDateTime::now_utc(), 1)[0][..4]
        .parse()
        .unwrap_or(2026);
    let year = match asked_for.jaar.trim() {
        "" => Some(newest),
        text => text
            .parse::<i32>()
            .ok()
            .filter(|y| (2000..=2100).contains(y)),
    };
    let asked = choice::scope(&asked_for.bereik);
    let shown_year = year.unwrap_or(newest);
    let mut page = ReviewPage {
        years: (0..YEARS_SHOWN)
            .map(|back| newest - back)
            .map(|y| Opt {
                value: y.to_string(),
                label: y.to_string(),
                selected: y == shown_year,
            })
            .collect(),
        scopes: choice::scope_options(registry, asked.unwrap_or(Asked::National)),
        quarters: String::new(),
        error: None,
        body: None,
        frame: Some(coordinator.frame("/jaaroverzicht")),
    };
    let (Some(year), Some(asked)) = (year, asked) else {
        page.error =
            Some("Deze vraag klopt niet. Kies een jaar en een bereik uit de lijsten.".into());
        return Ok((StatusCode::UNPROCESSABLE_ENTITY, Html(page.render()?)).into_response());
    };
    let status = match coordination
        .review(coordinator.identity(), asked, year, super::now_ms())
        .await
    {
        Ok(review) => {
            page.quarters = review
                .quarters
                .iter()
                .map(|q| q.replace("-Q", " kwartaal "))
                .collect::<Vec<_>>()
                .join(", ");
            page.body = Some(body_of(&review.html));
            StatusCode::OK
        }
        Err(err) => {
            let period = format!("{year}");
            let Some((status, text)) =
                wording::refusal(&err, registry, coordinator.identity(), asked, &period)
            else {
                return Err(err.into());
            };
            page.error = Some(text);
            status
        }
    };
    Ok((status, Html(page.render()?)).into_response())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_body_is_taken_out_of_the_document() {
        let document = "<!DOCTYPE html><html><head><style>x{}</style></head><body>\n<h1>R</h1><h2>S</h2></body></html>\n";
        assert_eq!(body_of(document), "\n<h2>R</h2><h3>S</h3>");
        assert_eq!(body_of("<p>no document</p>"), "<p>no document</p>");
    }
}
