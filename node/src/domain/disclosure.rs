//! The detector at the node's border: free text about to leave the node (a question to other regions, the
//! fields of an escalation's minimum dataset) must not carry a BSN, a date of birth or the youth's name.
//! Deliberately strict — a refused text names the field and is rewritten by the team; an identifier that
//! slipped through cannot be called back.

use super::YouthIdentity;
use super::validate::contains_bsn;
use time::{Date, Month};

/// What was found; the message never repeats the text.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Finding {
    Bsn,
    DateOfBirth,
    Name,
}

impl Finding {
    pub fn describe(self) -> &'static str {
        match self {
            Finding::Bsn => "contains what looks like a BSN",
            Finding::DateOfBirth => "contains what looks like a date of birth",
            Finding::Name => "contains the youth's name",
        }
    }
}

/// Name parts too common to identify anyone on their own: the Dutch surname particles.
const PARTICLES: &[&str] = &[
    "de", "den", "der", "van", "von", "het", "ten", "ter", "te", "in", "op", "la", "le", "du",
    "el", "al",
];

const MONTHS: &[(&str, Month)] = &[
    ("januari", Month::January),
    ("februari", Month::February),
    ("maart", Month::March),
    ("april", Month::April),
    ("mei", Month::May),
    ("juni", Month::June),
    ("juli", Month::July),
    ("augustus", Month::August),
    ("september", Month::September),
    ("oktober", Month::October),
    ("november", Month::November),
    ("december", Month::December),
    ("jan", Month::January),
    ("feb", Month::February),
    ("mrt", Month::March),
    ("apr", Month::April),
    ("jun", Month::June),
    ("jul", Month::July),
    ("aug", Month::August),
    ("sep", Month::September),
    ("sept", Month::September),
    ("okt", Month::October),
    ("nov", Month::November),
    ("dec", Month::December),
];

/// The first identifier found in `text`. Without a known youth (a question with no case), any valid BSN and any
/// date that could be a youth's birth date (4 to 27 years before `today`) count; with one, also their name and
/// their own date of birth in any common notation.
pub fn identifying(text: &str, youth: Option<&YouthIdentity>, today: Date) -> Option<Finding> {
    if contains_bsn(text) {
        return Some(Finding::Bsn);
    }
    let dates = dates_in(text);
    let plausible_birth = |d: &Date| {
        let years = today.year() - d.year();
        (4..=27).contains(&years)
    };
    let own_birth = youth.and_then(|y| y.date_of_birth);
    if dates
        .iter()
        .any(|d| Some(*d) == own_birth || plausible_birth(d))
    {
        return Some(Finding::DateOfBirth);
    }
    if let Some(youth) = youth
        && mentions_name(text, &youth.name)
    {
        return Some(Finding::Name);
    }
    None
}

fn words(text: &str) -> Vec<String> {
    text.split(|c: char| !c.is_alphanumeric() && c != '\'' && c != '-')
        .filter(|w| !w.is_empty())
        .map(str::to_lowercase)
        .collect()
}

/// The whole name as a run of words, or any part of it of three letters or more that is not a particle.
fn mentions_name(text: &str, name: &str) -> bool {
    let text_words = words(text);
    let name_words = words(name);
    if name_words.is_empty() {
        return false;
    }
    if text_words
        .windows(name_words.len())
        .any(|window| window == name_words.as_slice())
    {
        return true;
    }
    name_words
        .iter()
        .filter(|part| part.chars().count() >= 3 && !PARTICLES.contains(&part.as_str()))
        .any(|part| text_words.contains(part))
}

/// Full dates in `text`: 15-01-2011, 15/1/2011, 15.01.2011, 2011-01-15 and 15 januari 2011 (or jan 2011).
fn dates_in(text: &str) -> Vec<Date> {
    let tokens: Vec<String> = text
        .split(|c: char| c.is_whitespace() || matches!(c, ',' | ';' | '(' | ')' | ':'))
        .map(|t| t.trim_end_matches('.').to_lowercase())
        .filter(|t| !t.is_empty())
        .collect();
    let mut found = Vec::new();
    for token in &tokens {
        let parts: Vec<&str> = token.split(['-', '/', '.']).collect();
        if parts.len() == 3 && parts.iter().all(|p| p.chars().all(|c| c.is_ascii_digit())) {
            let n: Vec<u32> = parts.iter().filter_map(|p| p.parse().ok()).collect();
            if n.len() == 3 {
                let date = if parts[0].len() == 4 {
                    date_of(n[0] as i32, n[1], n[2])
                } else if parts[2].len() == 4 {
                    date_of(n[2] as i32, n[1], n[0])
                } else {
                    None
                };
                found.extend(date);
            }
        }
    }
    for window in tokens.windows(3) {
        let month = MONTHS.iter().find(|(name, _)| *name == window[1]);
        if let (Ok(day), Some((_, month)), Ok(year)) =
            (window[0].parse::<u8>(), month, window[2].parse::<i32>())
            && window[2].len() == 4
            && let Ok(date) = Date::from_calendar_date(year, *month, day)
        {
            found.push(date);
        }
    }
    found
}

fn date_of(year: i32, month: u32, day: u32) -> Option<Date> {
    let month = Month::try_from(u8::try_from(month).ok()?).ok()?;
    Date::from_calendar_date(year, month, u8::try_from(day).ok()?).ok()
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::date;

    const TODAY: Date = date!(2026 - 11 - 25);

    fn sanne() -> YouthIdentity {
        YouthIdentity {
            name: "Sanne de Vries".into(),
            bsn: Some("111222333".into()),
            date_of_birth: Some(date!(2011 - 01 - 15)),
        }
    }

    #[test]
    fn bsns_dates_and_names_are_found() {
        let youth = sanne();
        let found = |text: &str| identifying(text, Some(&youth), TODAY);
        assert_eq!(found("BSN 111222333, zit thuis"), Some(Finding::Bsn));
        for date in [
            "geboren 15-01-2011",
            "geb. 15/1/2011",
            "15.01.2011",
            "2011-01-15",
            "op 15 januari 2011 geboren",
            "15 jan 2011",
        ] {
            assert_eq!(found(date), Some(Finding::DateOfBirth), "{date}");
        }
        assert_eq!(found("Sanne de Vries zit thuis"), Some(Finding::Name));
        assert_eq!(found("sanne wil naar school"), Some(Finding::Name));
        assert_eq!(found("De familie Vries vraagt hulp"), Some(Finding::Name));
        assert_eq!(found("Meisje van 15, thuiszitter sinds de zomer"), None);
        assert_eq!(
            found("Overleg op 10-03-2026 met de school"),
            None,
            "a recent date"
        );
        assert_eq!(
            found("Wachtlijst van 14 weken, 123456789 is geen BSN"),
            None
        );
    }

    #[test]
    fn without_a_youth_only_bsns_and_birth_like_dates_count() {
        let found = |text: &str| identifying(text, None, TODAY);
        assert_eq!(
            found("Jongen, geboren 3 maart 2012"),
            Some(Finding::DateOfBirth)
        );
        assert_eq!(found("Sanne de Vries zit thuis"), None);
        assert_eq!(found("Sinds 01-09-2025 geen school"), None);
        assert_eq!(found("Kind met BSN 111222333"), Some(Finding::Bsn));
    }
}
