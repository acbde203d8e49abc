//! The published yearly review of a region, an area or the nation in the browser: the same document the RPC
//! gives (released figures only, hidden values stay `x`), inside the dashboard's frame.

use super::choice::{self, Opt};
use super::error::DashboardError;
use super::session::Coordinator;
use super::wording;
use crate::network::now_ms;
use crate::statistics::release::Asked;
use askama::Template;
use axum::Form;
use axum::extract::Query;
use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Response};
use serde::Deserialize;
use time::OffsetDateTime;

/// Years offered: the year of the newest quarter that is over and the three before it.
const YEARS_SHOWN: i32 = 4;

#[derive(Debug, Clone, Default, Deserialize)]
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
    year_value: String,
    scope_value: String,
    quarters: String,
    /// What the last step did (the regions asked for their figures).
    notice: Option<String>,
    error: Option<String>,
    /// Whether quarters of the year that are over are missing: the regions can be asked for them.
    collectable: bool,
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
    render(&coordinator, &asked_for, None).await
}

#[derive(Debug, Deserialize)]
pub struct CollectForm {
    #[serde(default)]
    csrf: String,
    #[serde(flatten)]
    choice: ReviewChoice,
}

/// Asks every region for the year's quarters that are over, and the year before's (the trend starts there),
/// then shows the review.
#[tracing::instrument(name = "dashboard", skip_all, fields(person = %coordinator.session.person))]
pub async fn collect(
    coordinator: Coordinator,
    Form(form): Form<CollectForm>,
) -> Result<Response, DashboardError> {
    coordinator.check_csrf(&form.csrf)?;
    let now = OffsetDateTime::now_utc();
    let Some(year) = form.choice.year(now) else {
        return render(&coordinator, &form.choice, None).await;
    };
    let mut periods = choice::quarters_over_in(now, year - 1);
    periods.extend(choice::quarters_over_in(now, year));
    let periods: Vec<&str> = periods.iter().map(String::as_str).collect();
    let collected = coordinator.ask_regions(&periods).await?;
    let notice = wording::collected(
        &collected,
        coordinator.dashboard.coordination.registry(),
        &format!("{} en {year}", year - 1),
    );
    render(&coordinator, &form.choice, Some(notice)).await
}

impl ReviewChoice {
    /// The year asked, or that of the newest quarter over; `None` for text that is no year from 2000 to 2100.
    fn year(&self, now: OffsetDateTime) -> Option<i32> {
        match self.jaar.trim() {
            "" => Some(newest_year(now)),
            text => text
                .parse::<i32>()
                .ok()
                .filter(|y| (2000..=2100).contains(y)),
        }
    }
}

/// The year of the newest quarter that is over.
fn newest_year(now: OffsetDateTime) -> i32 {
    choice::quarters_over(now, 1)[0][..4]
        .parse()
        .unwrap_or(now.year())
}

async fn render(
    coordinator: &Coordinator,
    asked_for: &ReviewChoice,
    notice: Option<String>,
) -> Result<Response, DashboardError> {
    let coordination = &coordinator.dashboard.coordination;
    let registry = coordination.registry();
    let now = OffsetDateTime::now_utc();
    let newest = newest_year(now);
    let year = asked_for.year(now);
    let asked = choice::scope(&asked_for.bereik);
    let shown_year = year.unwrap_or(newest);
    let mut years: Vec<i32> = (0..YEARS_SHOWN).map(|back| newest - back).collect();
    if !years.contains(&shown_year) {
        years.push(shown_year);
    }
    let mut page = ReviewPage {
        years: years
            .into_iter()
            .map(|y| Opt {
                value: y.to_string(),
                label: y.to_string(),
                selected: y == shown_year,
            })
            .collect(),
        scopes: choice::scope_options(registry, asked.unwrap_or(Asked::National)),
        year_value: shown_year.to_string(),
        scope_value: choice::scope_value(asked.unwrap_or(Asked::National)),
        quarters: String::new(),
        notice,
        error: None,
        collectable: false,
        body: None,
        frame: Some(coordinator.frame("/jaaroverzicht")),
    };
    let (Some(year), Some(asked)) = (year, asked) else {
        page.error =
            Some("Deze vraag klopt niet. Kies een jaar en een bereik uit de lijsten.".into());
        return Ok((StatusCode::UNPROCESSABLE_ENTITY, Html(page.render()?)).into_response());
    };
    let over_in_year = choice::quarters_over_in(now, year).len();
    let status = match coordination
        .review(coordinator.identity(), asked, year, now_ms())
        .await
    {
        Ok(review) => {
            page.quarters = review
                .quarters
                .iter()
                .map(|q| wording::quarter(q))
                .collect::<Vec<_>>()
                .join(", ");
            page.collectable = review.quarters.len() < over_in_year;
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
            page.collectable = status == StatusCode::NOT_FOUND && wording::known(registry, asked);
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
