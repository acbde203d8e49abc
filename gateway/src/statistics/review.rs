//! A region's yearly review — the expert table's "learning" function: its published figures of the year's
//! quarters (cases, the trend of youths needing the table, outcomes, lead times, bottleneck categories and the
//! no-fitting-answer signals), as one HTML document with SVG charts, in Dutch for those who read it (councils,
//! municipalities, the network's coordinators). Everything in it comes from released tables, so it shows exactly
//! what disclosure control lets anyone see: hidden values stay hidden (`x`, no bar).

use super::disclosure::Control;
use super::labels;
use super::release::Asked;
use super::store::StatisticsStore;
use super::tables::{Family, Table};
use super::view;
use crate::error::{Error, Result};
use expertnet_federation::Registry;
use expertnet_federation::charts::{Series, bar_chart, line_chart};
use expertnet_proto::v1 as wire;
use std::fmt::Write;

/// A rendered review.
#[derive(Debug, Clone)]
pub struct Review {
    pub html: String,
    /// The quarters it covers, e.g. `2026-Q1`.
    pub quarters: Vec<String>,
}

/// The tables of one quarter the review draws on.
struct Quarter {
    period: String,
    by_outcome: wire::StatisticsTable,
    by_lead_time: wire::StatisticsTable,
    by_age_band: wire::StatisticsTable,
    no_fitting_answer: wire::StatisticsTable,
    flows: wire::StatisticsTable,
}

fn value(v: Option<&wire::ShownValue>) -> Option<u64> {
    v.filter(|v| !v.hidden).map(|v| v.value)
}

fn text(v: Option<u64>) -> String {
    v.map_or_else(|| "x".to_owned(), |v| v.to_string())
}

fn escape(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

/// The yearly review of a region, an area or the nation for `year`, from every quarter of it that is over and
/// was reported.
pub async fn yearly(
    store: &StatisticsStore,
    registry: &Registry,
    asked: Asked<'_>,
    year: i32,
    control: Control,
    now_ms: i64,
) -> Result<Review> {
    let name = match asked {
        Asked::National => "Nederland".to_owned(),
        Asked::Region(id) => registry
            .get(id)
            .map(|r| r.name.clone())
            .ok_or_else(|| Error::NotFound(format!("region {id} is not in the registry")))?,
        Asked::Area(id) => registry
            .area(id)
            .map(|a| a.name.clone())
            .ok_or_else(|| Error::NotFound(format!("area {id} is not in the registry")))?,
    };
    let mut quarters = Vec::new();
    let mut earlier = Vec::new();
    for (of_year, into) in [(year - 1, &mut earlier), (year, &mut quarters)] {
        for q in 1..=4 {
            let period = format!("{of_year}-Q{q}");
            if let Some(quarter) =
                released(store, registry, asked, &period, control, now_ms).await?
            {
                into.push(quarter);
            }
        }
    }
    if quarters.is_empty() {
        return Err(Error::NotFound(format!(
            "{asked} has no released quarter in {year}: a quarter is released once it is over and reported"
        )));
    }
    let periods = quarters.iter().map(|q| q.period.clone()).collect();
    // Drawing the charts is CPU work: off the thread that forwards calls.
    let scope = match asked {
        Asked::National => "Alle regio's van het netwerk".to_owned(),
        Asked::Region(id) => format!("Regio <code>{}</code>", escape(id)),
        Asked::Area(id) => format!("Gebied <code>{}</code>", escape(id)),
    };
    let html = tokio::task::spawn_blocking(move || {
        render(&name, &scope, year, &quarters, &earlier, control.k)
    })
    .await
    .map_err(|e| Error::Report(format!("the review did not finish: {e}")))??;
    Ok(Review {
        html,
        quarters: periods,
    })
}

/// The released tables of one quarter for what was asked; `None` when the quarter is not over, not reported, or
/// nothing in what was asked sent figures for it.
async fn released(
    store: &StatisticsStore,
    registry: &Registry,
    asked: Asked<'_>,
    period: &str,
    control: Control,
    now_ms: i64,
) -> Result<Option<Quarter>> {
    let mut releases = Vec::new();
    for family in Family::ALL {
        match store
            .release(period, family, control, registry.areas(), now_ms)
            .await
        {
            Ok(release) => releases.push(release),
            Err(Error::FailedPrecondition(_) | Error::NotFound(_)) => return Ok(None),
            Err(other) => return Err(other),
        }
    }
    let [categories, flows] = releases.as_slice() else {
        return Ok(None);
    };
    let Ok(by_outcome) = view::table(categories, Table::CategoryByOutcome, asked) else {
        return Ok(None);
    };
    Ok(Some(Quarter {
        period: period.to_owned(),
        by_outcome,
        by_lead_time: view::table(categories, Table::CategoryByLeadTime, asked)?,
        by_age_band: view::table(categories, Table::CategoryByAgeBand, asked)?,
        no_fitting_answer: view::table(categories, Table::NoFittingAnswer, asked)?,
        flows: view::table(flows, Table::Flows, asked)?,
    }))
}

fn flow(quarter: &Quarter, measure: &str) -> Option<u64> {
    quarter
        .flows
        .rows
        .iter()
        .find(|r| r.label == measure)
        .and_then(|r| value(r.cells.first()))
}

/// One series per quarter of a table's column totals (outcome, lead time, age band).
fn column_series(
    quarters: &[Quarter],
    pick: fn(&Quarter) -> &wire::StatisticsTable,
) -> Vec<Series> {
    quarters
        .iter()
        .map(|q| Series {
            name: q.period.clone(),
            values: pick(q)
                .column_totals
                .iter()
                .map(|v| value(Some(v)))
                .collect(),
        })
        .collect()
}

/// The review; `earlier` (the year before, as far as released) only lengthens the trend.
/// `scope` is HTML: which region or area, or the whole network.
fn render(
    name: &str,
    scope: &str,
    year: i32,
    quarters: &[Quarter],
    earlier: &[Quarter],
    k: u64,
) -> Result<String> {
    let mut html = head(name, scope, year, quarters, k);
    cases_and_trend(&mut html, quarters, earlier)?;
    network_loops(&mut html, quarters);
    column_charts(&mut html, quarters)?;
    categories_and_signals(&mut html, quarters)?;
    html.push_str("</body></html>\n");
    Ok(html)
}

fn chart_error(e: String) -> Error {
    Error::Report(format!("yearly review chart: {e}"))
}

fn closed(quarter: &Quarter) -> Option<u64> {
    value(quarter.by_outcome.grand_total.as_ref())
}

/// The document's head, title and what the figures are.
fn head(name: &str, scope: &str, year: i32, quarters: &[Quarter], k: u64) -> String {
    let periods: Vec<&str> = quarters.iter().map(|q| q.period.as_str()).collect();
    format!(
        "<!DOCTYPE html>\n<html lang=\"nl\"><head><meta charset=\"utf-8\"><title>Jaaroverzicht {year}: {title}</title>\
         <style>body{{font-family:sans-serif;max-width:60em;margin:2em auto;color:#222}}\
         table{{border-collapse:collapse;margin:1em 0}}td,th{{border:1px solid #bbb;padding:.2em .6em;text-align:right}}\
         th:first-child,td:first-child{{text-align:left}}figure{{margin:1em 0}}</style></head><body>\n\
         <h1>Jaaroverzicht {year}: {title}</h1>\n\
         <p>{scope}. Vrijgegeven kwartalen: {quarters}. Cijfers zoals de expertnet-gateway ze publiceert: \
         aantallen onder de {k} en aantallen waaruit die terug te rekenen zijn, zijn verborgen (<b>x</b>, geen \
         staaf); de rest is afgerond op {base}-tallen, behalve de tafelzittingen: die tellen vergaderingen en staan \
         er precies. Een aandeel staat er waar beide getallen getoond zijn (– waar niets verstuurd is). Geen \
         jongere is uit dit overzicht te herleiden.</p>\n",
        title = escape(name),
        quarters = periods.join(", "),
        base = view::ROUNDING_BASE,
    )
}

/// A part of a whole as a percentage, where both are shown: `x` where either is hidden, a dash where the whole
/// is none (no share of nothing).
fn share(part: Option<u64>, whole: Option<u64>) -> String {
    match (part, whole) {
        (Some(_), Some(0)) => "–".to_owned(),
        (Some(part), Some(whole)) => format!("{:.0} %", 100.0 * part as f64 / whole as f64),
        _ => "x".to_owned(),
    }
}

/// Whether the network closes its loops, per quarter: escalations accepted (and within 14 days of sending),
/// questions to other regions answered (and within 7 days), with the shares where both figures are shown.
fn network_loops(html: &mut String, quarters: &[Quarter]) {
    html.push_str(
        "<h2>Tussen regio's: opschalingen aangenomen en vragen beantwoord</h2>\n<table><tr><th>kwartaal</th>\
         <th>opgeschaald</th><th>aangenomen</th><th>binnen 14 dagen</th><th>aandeel aangenomen</th>\
         <th>vragen gesteld</th><th>beantwoord</th><th>binnen 7 dagen</th><th>aandeel beantwoord</th></tr>\n",
    );
    for q in quarters {
        let escalated = flow(q, "escalated");
        let accepted = flow(q, "escalations_accepted");
        let asked = flow(q, "consultations_asked");
        let answered = flow(q, "consultations_answered");
        let _ = writeln!(
            html,
            "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td>\
             <td>{}</td></tr>",
            q.period,
            text(escalated),
            text(accepted),
            text(flow(q, "escalations_accepted_within_14_days")),
            share(accepted, escalated),
            text(asked),
            text(answered),
            text(flow(q, "consultations_answered_within_7_days")),
            share(answered, asked),
        );
    }
    html.push_str("</table>\n");
}

/// The flow counts per quarter, and the trend of youths needing the table since the year before.
fn cases_and_trend(html: &mut String, quarters: &[Quarter], earlier: &[Quarter]) -> Result<()> {
    html.push_str(
        "<h2>Casussen, en hoeveel jongeren de tafel nodig hebben</h2>\n<table><tr><th>kwartaal</th>",
    );
    for measure in [
        "aangemeld",
        "teruggegeven",
        "besproken",
        "opgeschaald",
        "afgesloten",
        "tafelzittingen",
    ] {
        let _ = write!(html, "<th>{measure}</th>");
    }
    html.push_str("</tr>\n");
    for q in quarters {
        let _ = write!(html, "<tr><td>{}</td>", q.period);
        for v in [
            flow(q, "submitted"),
            flow(q, "returned"),
            flow(q, "discussed"),
            flow(q, "escalated"),
            closed(q),
            flow(q, "sessions_held"),
        ] {
            let _ = write!(html, "<td>{}</td>", text(v));
        }
        html.push_str("</tr>\n");
    }
    html.push_str("</table>\n");
    let trend: Vec<&Quarter> = earlier.iter().chain(quarters).collect();
    let chart = line_chart(
        &format!(
            "Jongeren die de tafel nodig hebben, per kwartaal sinds {}",
            trend[0].period
        ),
        &trend.iter().map(|q| q.period.clone()).collect::<Vec<_>>(),
        &[
            Series {
                name: "aangemeld".into(),
                values: trend.iter().map(|q| flow(q, "submitted")).collect(),
            },
            Series {
                name: "afgesloten".into(),
                values: trend.iter().map(|q| closed(q)).collect(),
            },
        ],
    )
    .map_err(chart_error)?;
    let _ = writeln!(html, "<figure>{chart}</figure>");
    Ok(())
}

/// A bar chart per quarter of the outcomes, lead times and age bands.
fn column_charts(html: &mut String, quarters: &[Quarter]) -> Result<()> {
    for (heading, pick) in [
        (
            "Uitkomsten van afgesloten casussen",
            (|q: &Quarter| &q.by_outcome) as fn(&Quarter) -> &wire::StatisticsTable,
        ),
        (
            "Doorlooptijd, van aanmelding tot afsluiting",
            |q: &Quarter| &q.by_lead_time,
        ),
        ("Leeftijden", |q: &Quarter| &q.by_age_band),
    ] {
        let labels: Vec<String> = pick(&quarters[0])
            .columns
            .iter()
            .map(|c| labels::dutch(c))
            .collect();
        let chart =
            bar_chart(heading, &labels, &column_series(quarters, pick)).map_err(chart_error)?;
        let _ = write!(html, "<h2>{heading}</h2>\n<figure>{chart}</figure>\n");
    }
    Ok(())
}

/// Closed cases and no-fitting-answer signals per bottleneck category, as a table and two charts.
fn categories_and_signals(html: &mut String, quarters: &[Quarter]) -> Result<()> {
    html.push_str("<h2>Knelpunten en signalen zonder passend antwoord</h2>\n");
    html.push_str(
        "<p>Afgesloten casussen per eerste knelpunt, en hoeveel daarvan zonder passend antwoord — \
                   wat gemeenten en het bovenregionale netwerk zouden moeten inkopen.</p>\n",
    );
    html.push_str("<table><tr><th>knelpunt</th>");
    for q in quarters {
        let p = &q.period;
        let _ = write!(
            html,
            "<th>{p} afgesloten</th><th>{p} geen passend antwoord</th>"
        );
    }
    html.push_str("</tr>\n");
    let categories: Vec<&str> = quarters[0]
        .by_outcome
        .rows
        .iter()
        .map(|r| r.label.as_str())
        .collect();
    for (i, category) in categories.iter().enumerate() {
        let _ = write!(html, "<tr><td>{}</td>", labels::dutch(category));
        for q in quarters {
            let _ = write!(
                html,
                "<td>{}</td><td>{}</td>",
                text(value(q.by_outcome.rows[i].total.as_ref())),
                text(value(q.no_fitting_answer.rows[i].cells.first()))
            );
        }
        html.push_str("</tr>\n");
    }
    html.push_str("</table>\n");
    let names: Vec<String> = categories.iter().map(|c| labels::dutch(c)).collect();
    let per_quarter = |values: fn(&Quarter) -> Vec<Option<u64>>| -> Vec<Series> {
        quarters
            .iter()
            .map(|q| Series {
                name: q.period.clone(),
                values: values(q),
            })
            .collect()
    };
    let closed_per_category = per_quarter(|q| {
        q.by_outcome
            .rows
            .iter()
            .map(|r| value(r.total.as_ref()))
            .collect()
    });
    let signals = per_quarter(|q| {
        q.no_fitting_answer
            .rows
            .iter()
            .map(|r| value(r.cells.first()))
            .collect()
    });
    for (title, series) in [
        ("Afgesloten casussen per knelpunt", closed_per_category),
        ("Geen passend antwoord, per eerste knelpunt", signals),
    ] {
        let chart = bar_chart(title, &names, &series).map_err(chart_error)?;
        let _ = writeln!(html, "<figure>{chart}</figure>");
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::share;

    #[test]
    fn a_share_is_shown_only_where_both_figures_are() {
        assert_eq!(share(Some(10), Some(15)), "67 %");
        assert_eq!(share(None, Some(15)), "x", "a hidden part");
        assert_eq!(share(Some(5), None), "x", "a hidden whole");
        assert_eq!(share(Some(0), Some(0)), "–", "nothing sent, no share");
    }
}
