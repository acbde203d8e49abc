//! Row shapes as the database returns them, and their conversion into domain records.

use crate::domain::validate::format_date;
use crate::domain::*;
use crate::error::{Error, Result};
use time::{Date, macros::format_description};

/// Reads a stored vocabulary word; an unknown word means the database was written by something else.
pub(crate) fn word<T>(column: &str, text: &str, parse: fn(&str) -> Option<T>) -> Result<T> {
    parse(text).ok_or_else(|| {
        Error::Storage(sqlx::Error::Decode(
            format!("column {column}: unknown value '{text}'").into(),
        ))
    })
}

pub(crate) fn stored_date(column: &str, text: &str) -> Result<Date> {
    Date::parse(text, &format_description!("[year]-[month]-[day]")).map_err(|_| {
        Error::Storage(sqlx::Error::Decode(
            format!("column {column}: bad date '{text}'").into(),
        ))
    })
}

pub(crate) fn date_text(date: Date) -> String {
    format_date(date)
}

pub(crate) fn flag(value: bool) -> i64 {
    i64::from(value)
}

/// Categories are kept in the case row as a comma list for display, and in `case_categories` for filtering.
pub(crate) fn categories_text(categories: &[BottleneckCategory]) -> String {
    categories
        .iter()
        .map(|c| c.as_str())
        .collect::<Vec<_>>()
        .join(",")
}

pub(crate) const CASE_COLUMNS: &str = "c.id, c.state, c.referrer_organisation, c.referrer_kind, c.age, \
     c.municipality, c.categories, c.submitted_at, c.updated_at, c.intake_accepted, c.outcome, c.closed_at, c.version";

#[derive(sqlx::FromRow)]
pub(crate) struct CaseRow {
    id: String,
    state: String,
    referrer_organisation: String,
    referrer_kind: String,
    age: i64,
    municipality: String,
    categories: String,
    submitted_at: i64,
    updated_at: i64,
    intake_accepted: i64,
    outcome: Option<String>,
    closed_at: Option<i64>,
    version: i64,
}

impl CaseRow {
    pub(crate) fn into_summary(self) -> Result<CaseSummary> {
        let categories = self
            .categories
            .split(',')
            .filter(|c| !c.is_empty())
            .map(|c| word("categories", c, BottleneckCategory::parse))
            .collect::<Result<Vec<_>>>()?;
        Ok(CaseSummary {
            state: word("state", &self.state, CaseState::parse)?,
            referrer: Referrer {
                organisation: self.referrer_organisation,
                kind: word("referrer_kind", &self.referrer_kind, ReferrerKind::parse)?,
            },
            age: u32::try_from(self.age).unwrap_or(0),
            municipality: self.municipality,
            categories,
            submitted_at: self.submitted_at,
            updated_at: self.updated_at,
            intake_accepted: self.intake_accepted != 0,
            outcome: self
                .outcome
                .as_deref()
                .map(|o| word("outcome", o, Outcome::parse))
                .transpose()?,
            closed_at: self.closed_at,
            version: self.version,
            id: self.id,
        })
    }
}

pub(crate) const COMMITMENT_COLUMNS: &str =
    "id, case_id, provider, description, due_date, authority_confirmed, status, recorded_at";

#[derive(sqlx::FromRow)]
pub(crate) struct CommitmentRow {
    id: String,
    case_id: String,
    provider: String,
    description: String,
    due_date: String,
    authority_confirmed: i64,
    status: String,
    recorded_at: i64,
}

impl CommitmentRow {
    pub(crate) fn into_commitment(self) -> Result<Commitment> {
        Ok(Commitment {
            due: stored_date("due_date", &self.due_date)?,
            status: word("status", &self.status, CommitmentStatus::parse)?,
            authority_confirmed: self.authority_confirmed != 0,
            id: self.id,
            case_id: self.case_id,
            provider: self.provider,
            description: self.description,
            recorded_at: self.recorded_at,
        })
    }
}

pub(crate) const TASK_COLUMNS: &str =
    "id, case_id, description, owner, due_date, status, created_at, updated_at";

#[derive(sqlx::FromRow)]
pub(crate) struct TaskRow {
    id: String,
    case_id: String,
    description: String,
    owner: String,
    due_date: String,
    status: String,
    created_at: i64,
    updated_at: i64,
}

impl TaskRow {
    pub(crate) fn into_task(self) -> Result<Task> {
        Ok(Task {
            due: stored_date("due_date", &self.due_date)?,
            status: word("status", &self.status, TaskStatus::parse)?,
            id: self.id,
            case_id: self.case_id,
            description: self.description,
            owner: self.owner,
            created_at: self.created_at,
            updated_at: self.updated_at,
        })
    }
}

#[derive(sqlx::FromRow)]
pub(crate) struct AttendeeRow {
    pub(crate) case_id: String,
    pub(crate) session_id: String,
    role: String,
    organisation: String,
}

impl AttendeeRow {
    pub(crate) fn to_attendee(&self) -> Result<Attendee> {
        Ok(Attendee {
            role: word("role", &self.role, AttendeeRole::parse)?,
            organisation: self.organisation.clone(),
        })
    }
}
