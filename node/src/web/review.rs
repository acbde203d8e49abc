//! Jaaroverzicht: the region's own review of a year, for its own team — on the board (printable, or saved as a
//! PDF from the browser) and as a standalone HTML file for `expertnet-node review`. Tables with a chart beside
//! them; counts, durations and the table's own words only, never an identifier.

use super::error::WebError;
use super::i18n::{Language, current, filters, t, tf};
use super::session::{Frame, SignedIn};
use super::wording;
use crate::domain::review::RegionReview;
use askama::Template;
use axum::extract::Query;
use axum::response::{Html, IntoResponse, Response};
use expertnet_federation::charts::{Series, bar_chart};
use std::collections::HashMap;

/// The RPC the page stands for: the API's role table decides who may open it.
const RPC: &str = "ReviewService/GetRegionReview";

/// A table of the review; the first cell of each row is the row's header.
pub struct ReviewTable {
    pub caption: String,
    pub head: Vec<String>,
    pub rows: Vec<Vec<String>>,
}

/// One part of the review: what it says, its table and its chart.
pub struct ReviewSection {
    pub id: &'static str,
    pub heading: &'static str,
    pub paragraphs: Vec<String>,
    pub items: Vec<String>,
    pub table: Option<ReviewTable>,
    /// An SVG drawn from the table's own figures; hidden from screen readers, which read the table.
    pub chart: Option<String>,
}

/// The review as a person reads it, in the request's language.
pub struct ReviewView {
    pub title: String,
    pub intro: String,
    pub sections: Vec<ReviewSection>,
}

#[derive(Template)]
#[template(path = "review.html")]
struct ReviewPage {
    frame: Option<Frame>,
    years: Vec<i32>,
    year: i32,
    review: ReviewView,
}

#[derive(Template)]
#[template(path = "review_document.html")]
struct ReviewDocument<'a> {
    lang: &'static str,
    css: &'static str,
    review: &'a ReviewView,
}

/// `GET /jaaroverzicht?jaar=2026`: the review of a year (this year without one).
pub async fn page(
    signed_in: SignedIn,
    Query(query): Query<HashMap<String, String>>,
) -> Result<Response, WebError> {
    signed_in.require(RPC).await?;
    let workflow = &signed_in.board.workflow;
    let this_year = workflow.clock().today().year();
    let year = match query.get("jaar").map(|y| y.trim()) {
        None | Some("") => this_year,
        Some(text) => text
            .parse()
            .map_err(|_| crate::Error::invalid("year", "must be a year such as 2026"))?,
    };
    let review = workflow.region_review(year).await?;
    signed_in.audit(RPC, None, "ok").await?;
    let page = ReviewPage {
        frame: Some(signed_in.frame("/jaaroverzicht")),
        years: (this_year - 5..=this_year).rev().collect(),
        year,
        review: view(&review, &workflow.region_name())?,
    };
    Ok(Html(page.render()?).into_response())
}

/// The review as a standalone HTML document (print it or open it in any browser), in the current language.
pub fn document(review: &RegionReview, region: &str) -> Result<String, WebError> {
    let view = view(review, region)?;
    Ok(ReviewDocument {
        lang: current().code(),
        css: include_str!("../../assets/review-document.css"),
        review: &view,
    }
    .render()?)
}

fn view(review: &RegionReview, region: &str) -> Result<ReviewView, WebError> {
    let year = review.year;
    Ok(ReviewView {
        title: if region.is_empty() {
            tf("Jaaroverzicht {jaar}", &[("jaar", &year)])
        } else {
            tf(
                "Jaaroverzicht {jaar}: experttafel {regio}",
                &[("jaar", &year), ("regio", &region)],
            )
        },
        intro: tf(
            "Alle casussen van deze regio in {jaar}, volledig geteld, voor het eigen team; het jaar ervoor staat \
             ernaast. Er staat geen naam, BSN of geboortedatum in, en geen tekst die een jongere zou kunnen \
             noemen. Wat de regio publiceert, staat met onthullingscontrole in het landelijke overzicht.",
            &[("jaar", &year)],
        ),
        sections: vec![
            the_year(review)?,
            handed_back(review),
            lead_times(review)?,
            outcomes(review)?,
            no_fitting_answer(review),
            commitments(review)?,
            at_the_table(review),
            escalations(review),
            consultations(review),
        ],
    })
}

fn section(id: &'static str, heading: &'static str) -> ReviewSection {
    ReviewSection {
        id,
        heading,
        paragraphs: Vec::new(),
        items: Vec::new(),
        table: None,
        chart: None,
    }
}

fn chart(drawn: Result<String, String>) -> Result<Option<String>, WebError> {
    drawn.map(Some).map_err(WebError::Chart)
}

/// A number with one decimal, as the language writes it.
fn decimal(value: f64) -> String {
    let text = format!("{value:.1}");
    match current() {
        Language::Dutch => text.replace('.', ","),
        Language::English => text,
    }
}

fn percent(part: u64, whole: u64) -> String {
    if whole == 0 {
        return "–".to_owned();
    }
    format!("{}%", (part * 100 + whole / 2) / whole)
}

fn the_year(review: &RegionReview) -> Result<ReviewSection, WebError> {
    let (now, before) = (&review.totals, &review.totals_year_before);
    let mut part = section("verloop", t("Het jaar en het jaar ervoor"));
    let change = now.submitted as i64 - before.submitted as i64;
    let values: [(&str, &(dyn std::fmt::Display + Sync)); 4] = [
        ("nu", &now.submitted),
        ("toen", &before.submitted),
        ("jaar", &review.year),
        ("verschil", &change.abs()),
    ];
    part.paragraphs.push(match change {
        0 => tf(
            "Even veel jongeren hadden de tafel nodig: {nu} aanmeldingen in {jaar}, net als het jaar ervoor.",
            &values,
        ),
        c if c < 0 => tf(
            "Minder jongeren hadden de tafel nodig: {nu} aanmeldingen in {jaar} tegen {toen} het jaar ervoor \
             ({verschil} minder).",
            &values,
        ),
        _ => tf(
            "Meer jongeren hadden de tafel nodig: {nu} aanmeldingen in {jaar} tegen {toen} het jaar ervoor \
             ({verschil} meer).",
            &values,
        ),
    });
    let rows = [
        (t("Aangemeld"), now.submitted, before.submitted),
        (t("Aangenomen door intake"), now.taken_in, before.taken_in),
        (t("Teruggelegd"), now.handed_back, before.handed_back),
        (t("Besproken"), now.discussed, before.discussed),
        (t("Afgesloten"), now.closed, before.closed),
        (
            t("Tafels gehouden"),
            now.sessions_held,
            before.sessions_held,
        ),
        (
            t("Opgeschaald naar een andere regio"),
            now.escalations_sent,
            before.escalations_sent,
        ),
        (
            t("Opschalingen ontvangen"),
            now.escalations_received,
            before.escalations_received,
        ),
    ];
    part.table = Some(ReviewTable {
        caption: tf(
            "De tafel in {jaar} en het jaar ervoor",
            &[("jaar", &review.year)],
        ),
        head: vec![
            t("Wat").to_owned(),
            (review.year - 1).to_string(),
            review.year.to_string(),
            t("Verschil").to_owned(),
        ],
        rows: rows
            .iter()
            .map(|(what, now, before)| {
                vec![
                    (*what).to_owned(),
                    before.to_string(),
                    now.to_string(),
                    format!("{:+}", *now as i64 - *before as i64),
                ]
            })
            .collect(),
    });
    let quarters: Vec<String> = (1..=4).map(|q| tf("kwartaal {q}", &[("q", &q)])).collect();
    part.chart = chart(bar_chart(
        t("Aanmeldingen per kwartaal"),
        &quarters,
        &[
            Series {
                name: (review.year - 1).to_string(),
                values: review
                    .submitted_per_quarter_year_before
                    .iter()
                    .map(|v| Some(*v))
                    .collect(),
            },
            Series {
                name: review.year.to_string(),
                values: review
                    .submitted_per_quarter
                    .iter()
                    .map(|v| Some(*v))
                    .collect(),
            },
        ],
    ))?;
    Ok(part)
}

fn handed_back(review: &RegionReview) -> ReviewSection {
    let mut part = section("teruggelegd", t("Teruggelegd, en waarom"));
    let handed_back: u64 = review.return_reasons.iter().map(|(_, n)| n).sum();
    part.paragraphs.push(tf(
        "Intake gaf {n} aanmeldingen terug aan de aanmelder, omdat ze niet aan deze tafel hoorden:",
        &[("n", &handed_back)],
    ));
    part.items = review
        .return_reasons
        .iter()
        .map(|(reason, n)| {
            let reason = match reason {
                Some(reason) => reason.as_str(),
                None => t("(niet getoond: de tekst noemt mogelijk de jongere)"),
            };
            if *n == 1 {
                reason.to_owned()
            } else {
                tf("{reden} ({n} keer)", &[("reden", &reason), ("n", n)])
            }
        })
        .collect();
    part
}

fn lead_times(review: &RegionReview) -> Result<ReviewSection, WebError> {
    let mut part = section("doorlooptijd", t("Doorlooptijd per knelpunt"));
    if review.lead_times.is_empty() {
        part.paragraphs
            .push(t("Er is dit jaar geen casus afgesloten.").to_owned());
        return Ok(part);
    }
    part.paragraphs.push(
        t("Van aanmelding tot afsluiten, in dagen, voor de casussen die dit jaar zijn afgesloten. Een casus met \
           twee knelpunten telt bij allebei. De middelste helft van de casussen duurde zo lang als de \
           kolom ernaast zegt.")
        .to_owned(),
    );
    part.table = Some(ReviewTable {
        caption: t("Doorlooptijd in dagen per knelpunt").to_owned(),
        head: [
            t("Knelpunt"),
            t("Casussen"),
            t("Mediaan"),
            t("Middelste helft"),
            t("Kortste – langste"),
        ]
        .map(str::to_owned)
        .to_vec(),
        rows: review
            .lead_times
            .iter()
            .map(|l| {
                vec![
                    wording::category(l.category).to_owned(),
                    l.cases.to_string(),
                    decimal(l.median_days),
                    format!("{} – {}", decimal(l.p25_days), decimal(l.p75_days)),
                    format!("{} – {}", decimal(l.shortest_days), decimal(l.longest_days)),
                ]
            })
            .collect(),
    });
    part.chart = chart(bar_chart(
        t("Mediane doorlooptijd in dagen"),
        &review
            .lead_times
            .iter()
            .map(|l| wording::category(l.category).to_owned())
            .collect::<Vec<_>>(),
        &[Series {
            name: t("dagen").to_owned(),
            values: review
                .lead_times
                .iter()
                .map(|l| Some(l.median_days.round() as u64))
                .collect(),
        }],
    ))?;
    Ok(part)
}

fn outcomes(review: &RegionReview) -> Result<ReviewSection, WebError> {
    let mut part = section("uitkomsten", t("Uitkomsten"));
    let labels: Vec<String> = review
        .outcomes
        .iter()
        .map(|(o, _)| wording::outcome(*o).to_owned())
        .collect();
    part.table = Some(ReviewTable {
        caption: tf(
            "Uitkomst van de casussen die in {jaar} zijn afgesloten",
            &[("jaar", &review.year)],
        ),
        head: vec![t("Uitkomst").to_owned(), t("Casussen").to_owned()],
        rows: review
            .outcomes
            .iter()
            .zip(&labels)
            .map(|((_, n), label)| vec![label.clone(), n.to_string()])
            .collect(),
    });
    part.chart = chart(bar_chart(
        t("Uitkomsten"),
        &labels,
        &[Series {
            name: t("casussen").to_owned(),
            values: review.outcomes.iter().map(|(_, n)| Some(*n)).collect(),
        }],
    ))?;
    Ok(part)
}

fn no_fitting_answer(review: &RegionReview) -> ReviewSection {
    let mut part = section(
        "geen-passend-antwoord",
        t("Geen passend antwoord: signalen voor de inkoop"),
    );
    if review.no_fitting_answer.is_empty() {
        part.paragraphs
            .push(t("Geen casus sloot dit jaar zonder passend antwoord.").to_owned());
        return part;
    }
    part.paragraphs.push(
        t("Casussen die zonder passend antwoord zijn afgesloten, per knelpunt dat ze noemden: wat de gemeenten \
           zouden moeten inkopen.")
        .to_owned(),
    );
    part.table = Some(ReviewTable {
        caption: t("Zonder passend antwoord, per knelpunt").to_owned(),
        head: vec![t("Knelpunt").to_owned(), t("Casussen").to_owned()],
        rows: review
            .no_fitting_answer
            .iter()
            .map(|(c, n)| vec![wording::category(*c).to_owned(), n.to_string()])
            .collect(),
    });
    part
}

fn commitments(review: &RegionReview) -> Result<ReviewSection, WebError> {
    let mut part = section("toezeggingen", t("Toezeggingen per aanbieder"));
    if review.commitments.is_empty() {
        part.paragraphs
            .push(t("Er viel dit jaar geen toezegging af.").to_owned());
        return Ok(part);
    }
    part.paragraphs.push(
        t("De toezeggingen met een termijn in dit jaar: geleverd op tijd of te laat, nog open na de termijn, nog \
           lopend of ingetrokken.")
        .to_owned(),
    );
    part.table = Some(ReviewTable {
        caption: t("Toezeggingen per aanbieder").to_owned(),
        head: [
            t("Aanbieder"),
            t("Op tijd"),
            t("Te laat"),
            t("Over de termijn"),
            t("Loopt nog"),
            t("Ingetrokken"),
        ]
        .map(str::to_owned)
        .to_vec(),
        rows: review
            .commitments
            .iter()
            .map(|p| {
                vec![
                    p.provider.clone(),
                    p.on_time.to_string(),
                    p.late.to_string(),
                    p.overdue.to_string(),
                    p.running.to_string(),
                    p.withdrawn.to_string(),
                ]
            })
            .collect(),
    });
    let providers: Vec<String> = review
        .commitments
        .iter()
        .map(|p| p.provider.clone())
        .collect();
    part.chart = chart(bar_chart(
        t("Geleverd op tijd en te laat"),
        &providers,
        &[
            Series {
                name: t("op tijd").to_owned(),
                values: review.commitments.iter().map(|p| Some(p.on_time)).collect(),
            },
            Series {
                name: t("te laat").to_owned(),
                values: review.commitments.iter().map(|p| Some(p.late)).collect(),
            },
        ],
    ))?;
    Ok(part)
}

fn at_the_table(review: &RegionReview) -> ReviewSection {
    let mut part = section("aan-tafel", t("Jongere en ouders aan tafel"));
    let a = &review.attendance;
    part.paragraphs.push(if a.discussions == 0 {
        t("Er is dit jaar geen bespreking vastgelegd.").to_owned()
    } else {
        tf(
            "Van de {n} besprekingen was de jongere bij {jongere} aan tafel ({jongere_pct}) en waren de ouders \
             bij {ouders} aan tafel ({ouders_pct}).",
            &[
                ("n", &a.discussions),
                ("jongere", &a.youth_present),
                ("jongere_pct", &percent(a.youth_present, a.discussions)),
                ("ouders", &a.parents_present),
                ("ouders_pct", &percent(a.parents_present, a.discussions)),
            ],
        )
    });
    part
}

fn escalations(review: &RegionReview) -> ReviewSection {
    let mut part = section("opschalingen", t("Opschalingen"));
    if review.escalations.is_empty() {
        part.paragraphs.push(
            t("Er is dit jaar geen casus opgeschaald, en er kwam er geen binnen.").to_owned(),
        );
        return part;
    }
    part.paragraphs.push(
        t("Opschalingen die dit jaar begonnen, naar of van een andere regio, en waar ze nu staan.")
            .to_owned(),
    );
    part.table = Some(ReviewTable {
        caption: t("Opschalingen en hoe ze afliepen").to_owned(),
        head: [t("Richting"), t("Stand"), t("Aantal")]
            .map(str::to_owned)
            .to_vec(),
        rows: review
            .escalations
            .iter()
            .map(|(direction, status, n)| {
                vec![
                    match direction {
                        crate::domain::EscalationDirection::Outgoing => t("naar een andere regio"),
                        crate::domain::EscalationDirection::Incoming => t("van een andere regio"),
                    }
                    .to_owned(),
                    wording::escalation_status(*status).to_owned(),
                    n.to_string(),
                ]
            })
            .collect(),
    });
    part
}

fn consultations(review: &RegionReview) -> ReviewSection {
    let mut part = section("consultatie", t("Consultatie"));
    let c = &review.consultations;
    let hours = |h: Option<f64>| h.map_or_else(|| "–".to_owned(), decimal);
    part.table = Some(ReviewTable {
        caption: t("Consultatievragen en de tijd tot het eerste antwoord").to_owned(),
        head: [
            t("Vragen"),
            t("Gesteld"),
            t("Beantwoord"),
            t("Mediaan tot antwoord (uren)"),
        ]
        .map(str::to_owned)
        .to_vec(),
        rows: vec![
            vec![
                t("gesteld door deze regio").to_owned(),
                c.asked.to_string(),
                c.asked_answered.to_string(),
                hours(c.asked_median_hours),
            ],
            vec![
                t("van andere regio's").to_owned(),
                c.received.to_string(),
                c.received_answered.to_string(),
                hours(c.received_median_hours),
            ],
        ],
    });
    part
}
