//! The month calendar of the table's sessions.

use crate::domain::SessionListing;

/// `2026-03` as the first day of that month.
pub(super) fn month_start(text: &str) -> Option<time::Date> {
    let (year, month) = text.split_once('-')?;
    let month = time::Month::try_from(month.parse::<u8>().ok()?).ok()?;
    time::Date::from_calendar_date(year.parse().ok()?, month, 1).ok()
}

pub(super) fn month_text(first: time::Date) -> String {
    format!("{}-{:02}", first.year(), u8::from(first.month()))
}

/// One day in the month calendar, with the sessions held that day.
pub struct CalendarDay {
    pub day: Option<u8>,
    pub today: bool,
    pub sessions: Vec<(String, String)>,
}

/// The weeks of the month of `first` (Monday first), each day with its sessions.
pub(super) fn calendar(
    first: time::Date,
    today: time::Date,
    sessions: &[SessionListing],
) -> Vec<Vec<CalendarDay>> {
    let lead = first.weekday().number_days_from_monday();
    let mut days: Vec<CalendarDay> = (0..lead)
        .map(|_| CalendarDay {
            day: None,
            today: false,
            sessions: Vec::new(),
        })
        .collect();
    let mut day = first;
    while day.month() == first.month() {
        days.push(CalendarDay {
            day: Some(day.day()),
            today: day == today,
            sessions: sessions
                .iter()
                .filter(|s| s.date == day)
                .map(|s| (s.id.clone(), format!("{} {}", s.start_time, s.location)))
                .collect(),
        });
        match day.next_day() {
            Some(next) => day = next,
            None => break,
        }
    }
    while !days.len().is_multiple_of(7) {
        days.push(CalendarDay {
            day: None,
            today: false,
            sessions: Vec::new(),
        });
    }
    let mut weeks = Vec::new();
    let mut days = days.into_iter();
    loop {
        let week: Vec<CalendarDay> = days.by_ref().take(7).collect();
        if week.is_empty() {
            break;
        }
        weeks.push(week);
    }
    weeks
}
