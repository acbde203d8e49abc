//! Time as people in the Netherlands read it: Central European Time with summer time, and the months' names.

use time::{Date, OffsetDateTime, UtcOffset};

/// The months' names in Dutch, January first.
pub const MONTHS: [&str; 12] = [
    "januari",
    "februari",
    "maart",
    "april",
    "mei",
    "juni",
    "juli",
    "augustus",
    "september",
    "oktober",
    "november",
    "december",
];

/// The Netherlands' time at `ms` since the Unix epoch; `None` when it is out of range.
pub fn at(ms: i64) -> Option<OffsetDateTime> {
    let utc = OffsetDateTime::from_unix_timestamp_nanos(i128::from(ms) * 1_000_000).ok()?;
    Some(utc.to_offset(offset(utc)))
}

/// Central European Time, summer time from the last Sunday of March to the last Sunday of October (01:00 UTC).
fn offset(utc: OffsetDateTime) -> UtcOffset {
    let last_sunday = |month: time::Month| {
        let mut day = Date::from_calendar_date(utc.year(), month, 31).unwrap_or(utc.date());
        while day.weekday() != time::Weekday::Sunday {
            day = day.previous_day().unwrap_or(day);
        }
        day.with_hms(1, 0, 0).map(|t| t.assume_utc()).unwrap_or(utc)
    };
    let summer = utc >= last_sunday(time::Month::March) && utc < last_sunday(time::Month::October);
    UtcOffset::from_hms(if summer { 2 } else { 1 }, 0, 0).unwrap_or(UtcOffset::UTC)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn summer_and_winter_time_change_on_the_last_sundays_of_march_and_october() {
        // 2026-03-29 00:59 UTC is still winter time; 01:00 UTC is summer time.
        assert_eq!(at(1_774_745_940_000).unwrap().offset().whole_hours(), 1);
        assert_eq!(at(1_774_746_000_000).unwrap().offset().whole_hours(), 2);
        // 2026-10-25 01:00 UTC: winter time again.
        assert_eq!(at(1_792_890_000_000).unwrap().offset().whole_hours(), 1);
        assert_eq!(at(1_792_889_999_000).unwrap().offset().whole_hours(), 2);
    }
}
