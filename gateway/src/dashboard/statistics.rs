//! Statistics in the browser: a coordinator picks quarter, table and scope and reads the released table —
//! hidden cells marked and explained — with its series over the quarters as a chart, downloads it as CSV or
//! JSON (the RPC's own figures), or draws a noisy category table and sees their own and the network's privacy
//! budget before and after.

use super::choice::{self, Choice, QUARTERS_SHOWN};
use super::error::DashboardError;
use super::session::Coordinator;
use super::wording;
use crate::coordination::Collected;
use crate::network::now_ms;
use crate::statistics::odometer::Spent;
use crate::statistics::read::TableQuery;
use crate::statistics::release::Asked;
use crate::statistics::tables::Table;
use crate::statistics::{labels, view};
use askama::Template;
use axum::Form;
use axum::extract::Query;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{Html, IntoResponse, Response};
use expertnet_federation::charts::{Series, line_chart};
use expertnet_proto::v1 as wire;
use serde::Deserialize;
use time::OffsetDateTime;

/// A cell as shown: its text, or hidden.
#[derive(Debug, Clone)]
pub struct Cell {
    pub text: String,
    pub hidden: bool,
}

#[derive(Debug, Clone)]
pub struct Row {
    pub label: String,
    pub cells: Vec<Cell>,
}

/// A table as the page shows it.
#[derive(Debug, Clone)]
pub struct Shown {
    pub caption: String,
    pub row_heading: &'static str,
    pub columns: Vec<String>,
    pub rows: Vec<Row>,
    pub totals: Option<Row>,
    pub k: u64,
    pub rounding_base: u64,
    pub any_hidden: bool,
    pub noisy: bool,
    pub released_at: String,
    pub regions: usize,
}

/// The privacy budgets as the page shows them: what is left, before and (after a noisy table) after.
#[derive(Debug, Clone)]
pub struct Budgets {
    pub own: String,
    pub network: String,
}

#[derive(Template)]
#[template(path = "statistics.html")]
struct StatisticsPage {
    periods: Vec<choice::Opt>,
    tables: Vec<choice::Opt>,
    scopes: Vec<choice::OptGroup>,
    period: String,
    table_value: String,
    scope_value: String,
    error: Option<String>,
    shown: Option<Shown>,
    chart: Option<String>,
    downloads: Option<String>,
    /// Offered for the category tables: the budgets, and the ε last asked.
    budgets: Option<Budgets>,
    epsilon: String,
    /// What the last step did (the regions asked for their figures).
    notice: Option<String>,
    /// Whether the regions may be asked for the quarter's figures (none are there yet).
    collectable: bool,
    frame: Option<super::session::Frame>,
}

#[derive(Debug, Deserialize)]
pub struct NoisyForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    periode: String,
    #[serde(default)]
    tabel: String,
    #[serde(default)]
    bereik: String,
    #[serde(default)]
    epsilon: String,
}

fn cell(value: Option<&wire::ShownValue>) -> Cell {
    match value {
        Some(v) if !v.hidden => Cell {
            text: v.value.to_string(),
            hidden: false,
        },
        _ => Cell {
            text: "x".to_owned(),
            hidden: true,
        },
    }
}

fn shown(
    coordinator: &Coordinator,
    table: &wire::StatisticsTable,
    kind: Table,
    asked: Asked<'_>,
) -> Shown {
    let registry = coordinator.dashboard.coordination.registry();
    let mut columns: Vec<String> = table.columns.iter().map(|c| labels::dutch(c)).collect();
    if table.has_totals {
        columns.push("totaal".to_owned());
    }
    let rows: Vec<Row> = table
        .rows
        .iter()
        .map(|r| Row {
            label: labels::dutch(&r.label),
            cells: r
                .cells
                .iter()
                .map(Some)
                .chain(table.has_totals.then_some(r.total.as_ref()))
                .map(cell)
                .collect(),
        })
        .collect();
    let totals = table.has_totals.then(|| Row {
        label: "totaal".to_owned(),
        cells: table
            .column_totals
            .iter()
            .map(Some)
            .chain(std::iter::once(table.grand_total.as_ref()))
            .map(cell)
            .collect(),
    });
    let any_hidden = rows
        .iter()
        .chain(totals.iter())
        .any(|r| r.cells.iter().any(|c| c.hidden));
    Shown {
        caption: format!(
            "{}, {}, {}",
            wording::table(kind),
            wording::scope(registry, asked),
            wording::quarter(&table.period)
        ),
        row_heading: if table.row_dimension == "measure" {
            "maat"
        } else {
            "knelpunt"
        },
        columns,
        rows,
        totals,
        k: table.k,
        rounding_base: table.rounding_base,
        any_hidden,
        noisy: table.epsilon > 0.0,
        released_at: wording::moment(table.released_at_ms),
        regions: table.regions.len(),
    }
}

/// The series of the table over the quarters up to `period`: the total for the category tables, each measure's
/// count for the others. Only quarters already released are drawn (looking releases nothing); the others are
/// gaps.
async fn chart(
    coordinator: &Coordinator,
    kind: Table,
    asked: Asked<'_>,
    period: &str,
) -> Result<Option<String>, DashboardError> {
    let coordination = &coordinator.dashboard.coordination;
    let periods = choice::quarters_until(period, QUARTERS_SHOWN);
    let mut tables = Vec::with_capacity(periods.len());
    for quarter in &periods {
        let released = coordination
            .released_table(coordinator.identity(), quarter, kind, asked)
            .await?;
        tables.push(released);
    }
    let value = |v: Option<&wire::ShownValue>| v.filter(|v| !v.hidden).map(|v| v.value);
    let series: Vec<Series> = if kind.has_totals() {
        vec![Series {
            name: "totaal".to_owned(),
            values: tables
                .iter()
                .map(|t| t.as_ref().and_then(|t| value(t.grand_total.as_ref())))
                .collect(),
        }]
    } else {
        kind.row_labels()
            .iter()
            .enumerate()
            .map(|(i, label)| Series {
                name: labels::dutch(label),
                values: tables
                    .iter()
                    .map(|t| {
                        t.as_ref()
                            .and_then(|t| t.rows.get(i))
                            .and_then(|r| value(r.cells.first()))
                    })
                    .collect(),
            })
            .collect()
    };
    if series.iter().all(|s| s.values.iter().all(Option::is_none)) {
        return Ok(None);
    }
    let labels: Vec<String> = periods
        .iter()
        .map(|p| match p.split_once("-Q") {
            Some((year, q)) => format!("K{q} {year}"),
            None => p.clone(),
        })
        .collect();
    let title = format!("{} per kwartaal", wording::table(kind));
    let svg = tokio::task::spawn_blocking(move || line_chart(&title, &labels, &series))
        .await
        .map_err(|e| crate::Error::Report(format!("the chart did not finish: {e}")))?
        .map_err(crate::Error::Report)?;
    Ok(Some(svg))
}

/// One budget in words: what is left of it, before and after a noisy table.
fn budget_line(spent_before: f64, budget: f64, spent_after: Option<f64>) -> String {
    let left = |spent: f64| wording::epsilon((budget - spent).max(0.0));
    let (budget_text, before_left) = (wording::epsilon(budget), left(spent_before));
    match spent_after {
        None => format!(
            "ε {} van {budget_text} besteed; {before_left} over",
            wording::epsilon(spent_before)
        ),
        Some(after) => format!(
            "vóór: {before_left} over; na: {} over (ε {} van {budget_text} besteed)",
            left(after),
            wording::epsilon(after)
        ),
    }
}

fn budgets(before: Spent, after: Option<Spent>) -> Budgets {
    Budgets {
        own: budget_line(before.epsilon, before.budget, after.map(|a| a.epsilon)),
        network: budget_line(
            before.network_epsilon,
            before.network_budget,
            after.map(|a| a.network_epsilon),
        ),
    }
}

/// What the page shows for `choice`: the released table, or with `epsilon` a noisy one.
/// What the page is asked besides the released table.
#[derive(Debug)]
enum Asking<'a> {
    /// Only the released table.
    Released,
    /// The table with noise of this ε, as typed.
    Noise(&'a str),
    /// The released table once the regions were asked for the quarter, with what that did.
    AfterCollecting(Collected),
}

async fn render(
    coordinator: &Coordinator,
    choice: &Choice,
    asking: Asking<'_>,
) -> Result<Response, DashboardError> {
    let coordination = &coordinator.dashboard.coordination;
    let registry = coordination.registry();
    let now = OffsetDateTime::now_utc();
    let period = choice.period(now);
    let kind = choice.table();
    let asked = choice.asked();
    let mut page = StatisticsPage {
        periods: choice::period_options(now, &period),
        tables: choice::table_options(kind.unwrap_or(Table::ALL[0])),
        scopes: choice::scope_options(registry, asked.unwrap_or(Asked::National)),
        period: period.clone(),
        table_value: kind.unwrap_or(Table::ALL[0]).as_str().to_owned(),
        scope_value: choice::scope_value(asked.unwrap_or(Asked::National)),
        error: None,
        shown: None,
        chart: None,
        downloads: None,
        budgets: None,
        epsilon: match &asking {
            Asking::Noise(typed) => (*typed).to_owned(),
            _ => "0,1".to_owned(),
        },
        notice: match &asking {
            Asking::AfterCollecting(collected) => {
                Some(wording::collected(collected, registry, &period))
            }
            _ => None,
        },
        collectable: false,
        frame: Some(coordinator.frame("/statistieken")),
    };
    let (Some(kind), Some(asked)) = (kind, asked) else {
        page.error = Some("Deze vraag klopt niet. Kies uit de lijsten.".to_owned());
        return Ok((StatusCode::UNPROCESSABLE_ENTITY, Html(page.render()?)).into_response());
    };
    // Opened without a choice, the page only offers the lists: reading a quarter releases it for good, so
    // that waits until someone asks for it.
    if matches!(asking, Asking::Released) && choice.is_empty() {
        return Ok(Html(page.render()?).into_response());
    }
    let identity = coordinator.identity();
    let before = match kind.has_totals() {
        true => match coordination.budget(identity, &period).await {
            Ok(spent) => Some(spent),
            Err(err) if err.is_refusal() => None,
            Err(err) => return Err(err.into()),
        },
        false => None,
    };
    let epsilon = match asking {
        Asking::Released | Asking::AfterCollecting(_) => 0.0,
        Asking::Noise(typed) => match parse_epsilon(typed) {
            Some(epsilon) => epsilon,
            None => {
                page.budgets = before.map(|b| budgets(b, None));
                page.error = Some(
                    "Vul bij ε een getal in van 0,01 tot en met 10, bijvoorbeeld 0,1.".to_owned(),
                );
                return Ok((StatusCode::UNPROCESSABLE_ENTITY, Html(page.render()?)).into_response());
            }
        },
    };
    let query = TableQuery {
        period: &period,
        table: kind,
        asked,
        epsilon,
    };
    let status = match coordination.table(identity, query, now_ms()).await {
        Ok(table) => {
            let after = (epsilon > 0.0).then_some(Spent {
                epsilon: table.epsilon_spent,
                budget: table.epsilon_budget,
                network_epsilon: table.network_epsilon_spent,
                network_budget: table.network_epsilon_budget,
            });
            page.budgets = before.map(|b| budgets(b, after));
            page.shown = Some(shown(coordinator, &table, kind, asked));
            if epsilon == 0.0 {
                page.downloads = Some(choice.query(&period, kind));
                page.chart = chart(coordinator, kind, asked, &period).await?;
            }
            StatusCode::OK
        }
        Err(err) => {
            let Some((status, text)) = wording::refusal(&err, registry, identity, asked, &period)
            else {
                return Err(err.into());
            };
            page.budgets = before.map(|b| budgets(b, None));
            page.error = Some(text);
            // No figures yet for a scope that exists: the regions can be asked for them now.
            page.collectable = status == StatusCode::NOT_FOUND
                && wording::known(registry, asked)
                && !coordination.is_released(&period, kind).await?;
            status
        }
    };
    Ok((status, Html(page.render()?)).into_response())
}

/// "0,1" or "0.1" as a number; `None` when it is none.
fn parse_epsilon(text: &str) -> Option<f64> {
    text.trim()
        .replace(',', ".")
        .parse::<f64>()
        .ok()
        .filter(|e| e.is_finite() && *e > 0.0)
}

#[tracing::instrument(name = "dashboard", skip_all, fields(person = %coordinator.session.person))]
pub async fn page(
    coordinator: Coordinator,
    Query(choice): Query<Choice>,
) -> Result<Response, DashboardError> {
    render(&coordinator, &choice, Asking::Released).await
}

#[tracing::instrument(name = "dashboard", skip_all, fields(person = %coordinator.session.person))]
pub async fn noisy(
    coordinator: Coordinator,
    Form(form): Form<NoisyForm>,
) -> Result<Response, DashboardError> {
    coordinator.check_csrf(&form.csrf)?;
    let choice = Choice {
        periode: form.periode,
        tabel: form.tabel,
        bereik: form.bereik,
    };
    render(&coordinator, &choice, Asking::Noise(&form.epsilon)).await
}

#[derive(Debug, Deserialize)]
pub struct CollectForm {
    #[serde(default)]
    csrf: String,
    #[serde(flatten)]
    choice: Choice,
}

/// Asks every region for the chosen quarter's signals, then shows the table.
#[tracing::instrument(name = "dashboard", skip_all, fields(person = %coordinator.session.person))]
pub async fn collect(
    coordinator: Coordinator,
    Form(form): Form<CollectForm>,
) -> Result<Response, DashboardError> {
    coordinator.check_csrf(&form.csrf)?;
    let period = form.choice.period(OffsetDateTime::now_utc());
    let collected = coordinator.ask_regions(&[&period]).await?;
    render(
        &coordinator,
        &form.choice,
        Asking::AfterCollecting(collected),
    )
    .await
}

/// The released table as a file: `csv` (as `expertnet-gateway statistics --format csv` prints it) or `json`
/// (the RPC's `StatisticsTable` in the protobuf JSON mapping).
async fn download(
    coordinator: &Coordinator,
    choice: &Choice,
    format: &str,
) -> Result<Response, DashboardError> {
    let coordination = &coordinator.dashboard.coordination;
    let period = choice.period(OffsetDateTime::now_utc());
    let (Some(kind), Some(asked)) = (choice.table(), choice.asked()) else {
        return Ok((
            StatusCode::UNPROCESSABLE_ENTITY,
            "Deze vraag klopt niet. Kies uit de lijsten.",
        )
            .into_response());
    };
    let query = TableQuery {
        period: &period,
        table: kind,
        asked,
        epsilon: 0.0,
    };
    let table = match coordination
        .table(coordinator.identity(), query, now_ms())
        .await
    {
        Ok(table) => table,
        Err(err) => {
            let registry = coordination.registry();
            return match wording::refusal(&err, registry, coordinator.identity(), asked, &period) {
                Some((status, text)) => Ok((status, text).into_response()),
                None => Err(err.into()),
            };
        }
    };
    let (body, content_type) = match format {
        "csv" => (view::csv(&table), "text/csv; charset=utf-8"),
        _ => (
            serde_json::to_string_pretty(&table)
                .map_err(|e| crate::Error::Report(format!("JSON: {e}")))?,
            "application/json",
        ),
    };
    let file = format!(
        "expertnet-{}-{}-{}.{format}",
        kind.as_str(),
        period,
        choice::scope_value(asked).replace(':', "-")
    );
    let mut response = body.into_response();
    let headers = response.headers_mut();
    headers.insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
    if let Ok(disposition) = HeaderValue::from_str(&format!("attachment; filename=\"{file}\"")) {
        headers.insert(header::CONTENT_DISPOSITION, disposition);
    }
    Ok(response)
}

#[tracing::instrument(name = "dashboard", skip_all, fields(person = %coordinator.session.person))]
pub async fn csv(
    coordinator: Coordinator,
    Query(choice): Query<Choice>,
) -> Result<Response, DashboardError> {
    download(&coordinator, &choice, "csv").await
}

#[tracing::instrument(name = "dashboard", skip_all, fields(person = %coordinator.session.person))]
pub async fn json(
    coordinator: Coordinator,
    Query(choice): Query<Choice>,
) -> Result<Response, DashboardError> {
    download(&coordinator, &choice, "json").await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_budget_says_what_is_left_before_and_after() {
        assert_eq!(
            budget_line(0.4, 1.0, None),
            "ε 0,40 van 1,00 besteed; 0,60 over"
        );
        assert_eq!(
            budget_line(0.4, 1.0, Some(0.8)),
            "vóór: 0,60 over; na: 0,20 over (ε 0,80 van 1,00 besteed)"
        );
        assert_eq!(
            budget_line(3.5, 3.0, None),
            "ε 3,50 van 3,00 besteed; 0,00 over"
        );
    }

    #[test]
    fn epsilon_takes_a_dutch_or_an_english_decimal() {
        assert_eq!(parse_epsilon("0,25"), Some(0.25));
        assert_eq!(parse_epsilon(" 0.5 "), Some(0.5));
        for bad in ["", "nul", "-1", "0", "NaN", "inf"] {
            assert_eq!(parse_epsilon(bad), None, "{bad}");
        }
    }
}
