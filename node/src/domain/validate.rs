//! Field checks for everything a user sends in. Each failure names the field, so a form or CLI can point at it.

use crate::error::Error;
use time::{Date, macros::format_description};

/// Names, organisations, municipalities, providers: one line of at most this many characters.
pub const SHORT_TEXT_MAX: usize = 200;
/// Questions, next steps, notes, answers.
pub const LONG_TEXT_MAX: usize = 4000;
/// Youth care under the Jeugdwet runs to 18, prolonged care to 23.
pub const MAX_AGE: u32 = 23;

/// A required one-line text: trimmed, non-empty, bounded, no control characters.
pub fn short_text(field: &str, value: &str) -> Result<String, Error> {
    let value = value.trim();
    if value.is_empty() {
        return Err(Error::invalid(field, "must not be empty"));
    }
    bounded(field, value, SHORT_TEXT_MAX)?;
    if value.chars().any(char::is_control) {
        return Err(Error::invalid(
            field,
            "must be a single line without control characters",
        ));
    }
    Ok(value.to_owned())
}

/// An optional one-line text: empty stays `None`.
pub fn optional_short_text(field: &str, value: &str) -> Result<Option<String>, Error> {
    if value.trim().is_empty() {
        Ok(None)
    } else {
        short_text(field, value).map(Some)
    }
}

/// A required free text of several lines.
pub fn long_text(field: &str, value: &str) -> Result<String, Error> {
    let value = value.trim();
    if value.is_empty() {
        return Err(Error::invalid(field, "must not be empty"));
    }
    bounded(field, value, LONG_TEXT_MAX)?;
    if value
        .chars()
        .any(|c| c.is_control() && c != '\n' && c != '\t' && c != '\r')
    {
        return Err(Error::invalid(field, "must not contain control characters"));
    }
    Ok(value.to_owned())
}

/// An optional free text: empty stays empty.
pub fn optional_long_text(field: &str, value: &str) -> Result<String, Error> {
    if value.trim().is_empty() {
        Ok(String::new())
    } else {
        long_text(field, value)
    }
}

fn bounded(field: &str, value: &str, max: usize) -> Result<(), Error> {
    let length = value.chars().count();
    if length > max {
        return Err(Error::invalid(
            field,
            format!("is {length} characters long, at most {max} allowed"),
        ));
    }
    Ok(())
}

/// A client-chosen idempotency key: 1-64 of `A-Z a-z 0-9 . _ : -`.
pub fn request_id(field: &str, value: &str) -> Result<Option<String>, Error> {
    if value.is_empty() {
        return Ok(None);
    }
    if value.len() > 64
        || !value
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | ':' | '-'))
    {
        return Err(Error::invalid(
            field,
            "must be 1-64 characters of letters, digits, '.', '_', ':' or '-'",
        ));
    }
    Ok(Some(value.to_owned()))
}

/// An id the node handed out: a UUID in its canonical text form.
pub fn id(field: &str, value: &str) -> Result<String, Error> {
    if value.is_empty() {
        return Err(Error::invalid(field, "must not be empty"));
    }
    match uuid::Uuid::try_parse(value) {
        Ok(parsed) => Ok(parsed.hyphenated().to_string()),
        Err(_) => Err(Error::invalid(field, "is not a valid id")),
    }
}

/// A calendar date written `YYYY-MM-DD`; impossible dates such as 2026-02-30 are refused. The message does not
/// repeat the value: it may be a youth's date of birth.
pub fn date(field: &str, value: &str) -> Result<Date, Error> {
    let format = format_description!("[year]-[month]-[day]");
    if value.trim().is_empty() {
        return Err(Error::invalid(field, "must not be empty (YYYY-MM-DD)"));
    }
    Date::parse(value.trim(), &format)
        .map_err(|_| Error::invalid(field, "is not a real date in the form YYYY-MM-DD"))
}

/// Writes a date in the one form storage and the wire use.
pub fn format_date(date: Date) -> String {
    let format = format_description!("[year]-[month]-[day]");
    date.format(&format).expect("a Date always formats")
}

/// A start time `HH:MM` (24-hour clock).
pub fn time_of_day(field: &str, value: &str) -> Result<String, Error> {
    let input = format_description!("[hour padding:none]:[minute]");
    let output = format_description!("[hour]:[minute]");
    time::Time::parse(value.trim(), &input)
        .map(|t| t.format(&output).expect("a Time always formats"))
        .map_err(|_| Error::invalid(field, format!("'{value}' is not a time in the form HH:MM")))
}

/// A Dutch citizen service number: nine digits that pass the elfproef.
pub fn bsn(field: &str, value: &str) -> Result<String, Error> {
    let digits: Vec<u32> = value.chars().filter_map(|c| c.to_digit(10)).collect();
    if value.len() != 9 || digits.len() != 9 {
        return Err(Error::invalid(field, "must be exactly nine digits"));
    }
    if !passes_elfproef(&digits) {
        return Err(Error::invalid(field, "fails the elfproef (check digit)"));
    }
    Ok(value.to_owned())
}

/// The BSN eleven test: 9·d1 + 8·d2 + … + 2·d8 − 1·d9 is a multiple of 11 (and not zero).
pub fn passes_elfproef(digits: &[u32]) -> bool {
    if digits.len() != 9 {
        return false;
    }
    let weighted: i64 = digits[..8]
        .iter()
        .zip((2..=9).rev())
        .map(|(d, w)| i64::from(*d) * w)
        .sum::<i64>()
        - i64::from(digits[8]);
    weighted != 0 && weighted % 11 == 0
}

/// Whether free text holds a nine-digit number that passes the elfproef: most likely a BSN, which must not
/// leave the node in a question to other regions.
pub fn contains_bsn(text: &str) -> bool {
    text.split(|c: char| !c.is_ascii_digit())
        .filter(|run| run.len() == 9)
        .any(|run| {
            let digits: Vec<u32> = run.chars().filter_map(|c| c.to_digit(10)).collect();
            passes_elfproef(&digits)
        })
}

/// Whole years between a birth date and a day.
pub fn age_on(date_of_birth: Date, day: Date) -> i32 {
    let mut years = day.year() - date_of_birth.year();
    if (day.month() as u8, day.day()) < (date_of_birth.month() as u8, date_of_birth.day()) {
        years -= 1;
    }
    years
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::date;

    fn field_of(err: Error) -> String {
        match err {
            Error::InvalidArgument { field, .. } => field,
            other => panic!("expected invalid argument, got {other:?}"),
        }
    }

    #[test]
    fn elfproef_accepts_valid_and_refuses_invalid_numbers() {
        assert!(bsn("bsn", "111222333").is_ok());
        assert!(bsn("bsn", "123456782").is_ok());
        assert_eq!(
            field_of(bsn("youth.bsn", "123456789").unwrap_err()),
            "youth.bsn"
        );
        assert!(bsn("bsn", "12345678").is_err());
        assert!(bsn("bsn", "12345678a").is_err());
        assert!(bsn("bsn", "000000000").is_err());
    }

    #[test]
    fn impossible_dates_are_refused() {
        assert_eq!(date("due", "2026-02-28").unwrap(), date!(2026 - 02 - 28));
        assert!(date("due", "2026-02-30").is_err());
        assert!(date("due", "28-02-2026").is_err());
        assert_eq!(field_of(date("due", "").unwrap_err()), "due");
        let err = date("youth.date_of_birth", "2011-02-30").unwrap_err();
        assert!(!err.to_string().contains("2011"), "{err}");
    }

    #[test]
    fn texts_are_trimmed_and_bounded() {
        assert_eq!(short_text("f", "  Houten ").unwrap(), "Houten");
        assert!(short_text("f", "   ").is_err());
        assert!(short_text("f", &"x".repeat(SHORT_TEXT_MAX + 1)).is_err());
        assert!(short_text("f", "two\nlines").is_err());
        assert!(long_text("f", "two\nlines").is_ok());
        assert!(long_text("f", &"é".repeat(LONG_TEXT_MAX)).is_ok());
        assert!(long_text("f", "bell\u{7}").is_err());
    }

    #[test]
    fn bsns_in_free_text_are_found() {
        assert!(contains_bsn("Kind met BSN 111222333 zit thuis"));
        assert!(contains_bsn("bsn:111222333."));
        assert!(!contains_bsn("Bel 0612345678 of 123456789"));
        assert!(!contains_bsn("Wachtlijst van 14 weken"));
    }

    #[test]
    fn ages_count_whole_years() {
        assert_eq!(age_on(date!(2010 - 06 - 15), date!(2026 - 06 - 14)), 15);
        assert_eq!(age_on(date!(2010 - 06 - 15), date!(2026 - 06 - 15)), 16);
    }

    #[test]
    fn request_ids_and_times() {
        assert_eq!(request_id("r", "").unwrap(), None);
        assert!(request_id("r", "abc-123:x").unwrap().is_some());
        assert!(request_id("r", "has space").is_err());
        assert_eq!(time_of_day("t", "9:30").unwrap(), "09:30");
        assert!(time_of_day("t", "25:00").is_err());
        assert!(id("case_id", "nope").is_err());
    }
}
