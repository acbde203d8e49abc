//! The dashboard's Dutch: the tables' labels, times as people in the Netherlands write them, and the gateway's
//! refusals told to a coordinator. The refusal is the gateway's own (its error value); only its wording is
//! made here.

use crate::coordination::Collected;
use crate::error::Error;
use crate::statistics::release::Asked;
use crate::statistics::tables::Table;
use axum::http::StatusCode;
use expertnet_federation::Registry;
use expertnet_web::dutch_time;

pub fn table(table: Table) -> &'static str {
    match table {
        Table::CategoryByOutcome => "Knelpunten naar uitkomst",
        Table::CategoryByAgeBand => "Knelpunten naar leeftijd",
        Table::CategoryByLeadTime => "Knelpunten naar doorlooptijd",
        Table::NoFittingAnswer => "Geen passend antwoord, naar knelpunt",
        Table::Flows => "Stromen en uitkomsten van het netwerk",
    }
}

/// What a scope is called: "heel Nederland", "gebied Oost-Nederland", "regio Lekstroom".
pub fn scope(registry: &Registry, asked: Asked<'_>) -> String {
    match asked {
        Asked::National => "heel Nederland".to_owned(),
        Asked::Area(id) => format!(
            "gebied {}",
            registry.area(id).map_or(id, |a| a.name.as_str())
        ),
        Asked::Region(id) => format!("regio {}", registry.get(id).map_or(id, |r| r.name.as_str())),
    }
}

/// A quarter as people write it: `2026-Q3` → "3e kwartaal 2026"; other text as it is.
pub fn quarter(period: &str) -> String {
    match period.split_once("-Q") {
        Some((year, q)) => format!("{q}e kwartaal {year}"),
        None => period.to_owned(),
    }
}

/// Whether the registry knows the region or area `asked` names.
pub fn known(registry: &Registry, asked: Asked<'_>) -> bool {
    match asked {
        Asked::National => true,
        Asked::Area(id) => registry.area(id).is_some(),
        Asked::Region(id) => registry.get(id).is_some(),
    }
}

/// What asking the regions for `period` did: who sent their figures, who could not and why not in short.
pub fn collected(collected: &Collected, registry: &Registry, period: &str) -> String {
    let name = |id: &str| registry.get(id).map_or(id, |r| r.name.as_str()).to_owned();
    let period = quarter(period);
    let sent = collected.collected.len();
    let mut text = match sent {
        0 => format!("Geen regio heeft cijfers over {period} gestuurd."),
        1 => format!("1 regio heeft haar cijfers over {period} gestuurd."),
        _ => format!("{sent} regio's hebben hun cijfers over {period} gestuurd."),
    };
    if !collected.failed.is_empty() {
        let names: Vec<String> = collected.failed.iter().map(|(id, _)| name(id)).collect();
        text.push_str(&format!(
            " Niet gelukt bij {}: de regio is niet bereikbaar of weigerde. Probeer het later nog eens.",
            names.join(", ")
        ));
    }
    text
}

/// The Netherlands' time at `ms`, as "5 maart 2026 14:05:09".
pub fn moment(ms: i64) -> String {
    let Some(local) = dutch_time::at(ms) else {
        return String::new();
    };
    format!(
        "{} {} {} {:02}:{:02}:{:02}",
        local.day(),
        dutch_time::MONTHS[usize::from(u8::from(local.month())) - 1],
        local.year(),
        local.hour(),
        local.minute(),
        local.second()
    )
}

/// How long ago `then_ms` was at `now_ms`: "12 s geleden", "4 min geleden", "3 uur geleden", "2 dagen geleden".
pub fn ago(then_ms: i64, now_ms: i64) -> String {
    let secs = ((now_ms - then_ms) / 1000).max(0);
    match secs {
        0..60 => format!("{secs} s geleden"),
        60..3600 => format!("{} min geleden", secs / 60),
        3600..86_400 => format!("{} uur geleden", secs / 3600),
        _ if secs < 2 * 86_400 => "1 dag geleden".to_owned(),
        _ => format!("{} dagen geleden", secs / 86_400),
    }
}

/// How long something has waited: "3 min", "2 uur", "5 dagen".
pub fn waited(since_ms: i64, now_ms: i64) -> String {
    ago(since_ms, now_ms)
        .trim_end_matches(" geleden")
        .to_owned()
}

/// An ε in Dutch notation: "0,25".
pub fn epsilon(value: f64) -> String {
    format!("{value:.2}").replace('.', ",")
}

/// The gateway's refusal of a coordinator's question, told in Dutch with the HTTP status the page answers with.
/// Failures inside the gateway are no refusal: `None` (the error page shows them).
pub fn refusal(
    err: &Error,
    registry: &Registry,
    coordinator: &str,
    asked: Asked<'_>,
    period: &str,
) -> Option<(StatusCode, String)> {
    let text = match err {
        Error::PermissionDenied(_) => {
            let areas: Vec<String> = registry
                .areas_of_coordinator(coordinator)
                .map(|a| a.name.clone())
                .collect();
            let may = if areas.is_empty() {
                "alleen de landelijke cijfers".to_owned()
            } else {
                format!(
                    "de landelijke cijfers en die van gebied {} en zijn regio's",
                    areas.join(", ")
                )
            };
            return Some((
                StatusCode::FORBIDDEN,
                format!(
                    "Geweigerd: als coördinator {coordinator} leest u {may}; niet die van {}. \
                     Kies heel Nederland of uw eigen gebied.",
                    scope(registry, asked)
                ),
            ));
        }
        Error::FailedPrecondition(_) => format!(
            "{period} is nog niet voorbij. Cijfers komen vrij als een kwartaal om is en de regio's het \
             hebben gemeld."
        ),
        Error::NotFound(_) if !known(registry, asked) => format!(
            "{} staat niet in het register van het netwerk. Kies uit de lijst.",
            scope(registry, asked)
        ),
        Error::NotFound(_) => format!(
            "Over {period} zijn (nog) geen cijfers van {}: geen regio daarin heeft er cijfers over gestuurd.",
            scope(registry, asked)
        ),
        Error::BudgetExhausted(_) => {
            return Some((
                StatusCode::FORBIDDEN,
                format!(
                    "Geweigerd: het privacybudget voor {period} is niet toereikend voor deze tabel met ruis \
                     (uw eigen budget of dat van alle coördinatoren samen). De tabel met verborgen cellen \
                     blijft beschikbaar."
                ),
            ));
        }
        Error::InvalidArgument { field, .. } => match field.as_str() {
            "epsilon" => {
                "Ruis kan alleen bij de drie tabellen met knelpunten (met totalen), met een ε van \
                          0,01 tot en met 10."
                    .to_owned()
            }
            "period" => "Kies een kwartaal uit de lijst.".to_owned(),
            _ => "Deze vraag klopt niet. Kies uit de lijsten.".to_owned(),
        },
        _ => return None,
    };
    let status = match err {
        Error::NotFound(_) => StatusCode::NOT_FOUND,
        Error::FailedPrecondition(_) => StatusCode::CONFLICT,
        _ => StatusCode::UNPROCESSABLE_ENTITY,
    };
    Some((status, text))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn times_read_as_people_say_them() {
        assert_eq!(ago(1_000, 13_500), "12 s geleden");
        assert_eq!(ago(0, 4 * 60_000 + 5), "4 min geleden");
        assert_eq!(ago(0, 3 * 3_600_000), "3 uur geleden");
        assert_eq!(ago(0, 86_400_000), "1 dag geleden");
        assert_eq!(waited(0, 5 * 86_400_000), "5 dagen");
        assert_eq!(ago(10_000, 0), "0 s geleden");
        // 2026-12-05 13:05:09 UTC is 14:05:09 in the Netherlands.
        assert_eq!(moment(1_796_475_909_000), "5 december 2026 14:05:09");
        assert_eq!(epsilon(0.1), "0,10");
        assert_eq!(quarter("2026-Q3"), "3e kwartaal 2026");
        assert_eq!(quarter("2026"), "2026");
    }
}
