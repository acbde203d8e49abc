//! Loading many finished records at once — the synthetic cases of demos and benchmarks, an import — as typed
//! records, written with multi-row inserts in one transaction per batch. The tables' column lists live here in
//! storage, beside the statements that write one record at a time, so a migration changes storage alone.

use super::bulk::{Value, insert_rows};
use super::cases::{CATEGORY_COLUMNS, EVENT_COLUMNS};
use super::rows::categories_text;
use super::{Storage, identity};
use crate::domain::validate::format_date;
use crate::domain::*;
use crate::error::Result;
use time::Date;

/// A case with its whole past: the row, the youth's identifiers (encrypted on the way in) and its history.
#[derive(Debug, Clone)]
pub struct CaseRecord {
    /// Its version is the length of `history`.
    pub summary: CaseSummary,
    pub question: String,
    pub tried_so_far: String,
    pub return_reason: Option<String>,
    /// The earliest due date among its open tasks and commitments, for the overdue filter.
    pub earliest_open_due: Option<Date>,
    pub youth: YouthIdentity,
    /// Its history, the submission first.
    pub history: Vec<Transition>,
}

/// A case on a session's agenda.
#[derive(Debug, Clone)]
pub struct AgendaRecord {
    pub session_id: String,
    pub case_id: String,
    pub position: i64,
    pub added_at: Millis,
    pub youth_present: bool,
    pub parents_present: bool,
}

/// A case's discussion at a session.
#[derive(Debug, Clone)]
pub struct DiscussionRecord {
    pub session_id: String,
    pub case_id: String,
    pub summary: String,
    pub next_step: String,
    pub regie_holder: String,
    pub recorded_at: Millis,
    pub recorded_by: String,
}

/// One batch of records, written in one transaction.
#[derive(Debug, Clone, Default)]
pub struct Records {
    pub cases: Vec<CaseRecord>,
    pub agenda: Vec<AgendaRecord>,
    pub discussions: Vec<DiscussionRecord>,
    pub commitments: Vec<Commitment>,
    pub tasks: Vec<Task>,
}

fn text(value: impl Into<String>) -> Value {
    Value::Text(value.into())
}

fn int(value: impl Into<i64>) -> Value {
    Value::Int(value.into())
}

fn date(value: Date) -> Value {
    text(format_date(value))
}

fn optional_text(value: Option<&str>) -> Value {
    value.map_or(Value::NullText, text)
}

impl Storage {
    /// Writes `sessions` in one transaction; their agendas are written with the cases, by [`Storage::import`].
    pub async fn import_sessions(&self, sessions: &[TableSession]) -> Result<()> {
        let rows: Vec<Vec<Value>> = sessions
            .iter()
            .map(|s| {
                vec![
                    text(&s.id),
                    date(s.date),
                    text(&s.start_time),
                    int(s.duration_minutes),
                    text(&s.location),
                    text(&s.chair),
                    int(s.created_at),
                ]
            })
            .collect();
        let mut tx = self.begin().await?;
        insert_rows(
            &mut tx,
            self.backend(),
            "table_sessions",
            &[
                "id",
                "session_date",
                "start_time",
                "duration_minutes",
                "location",
                "chair",
                "created_at",
            ],
            &rows,
        )
        .await?;
        tx.commit().await
    }

    /// Writes `records` in one transaction: cases with their categories, identifiers and history, then what
    /// refers to them.
    pub async fn import(&self, records: &Records) -> Result<()> {
        let backend = self.backend();
        let mut tx = self.begin().await?;
        insert_rows(
            &mut tx,
            backend,
            "cases",
            &[
                "id",
                "state",
                "referrer_organisation",
                "referrer_kind",
                "age",
                "municipality",
                "question",
                "tried_so_far",
                "categories",
                "intake_accepted",
                "return_reason",
                "outcome",
                "submitted_at",
                "updated_at",
                "closed_at",
                "version",
                "earliest_open_due",
            ],
            &records.cases.iter().map(case_row).collect::<Vec<_>>(),
        )
        .await?;
        let categories: Vec<Vec<Value>> = records
            .cases
            .iter()
            .flat_map(|c| {
                c.summary
                    .categories
                    .iter()
                    .map(|category| vec![text(category.as_str()), text(&c.summary.id)])
            })
            .collect();
        insert_rows(
            &mut tx,
            backend,
            "case_categories",
            CATEGORY_COLUMNS,
            &categories,
        )
        .await?;
        let youths: Vec<(&str, &YouthIdentity)> = records
            .cases
            .iter()
            .map(|c| (c.summary.id.as_str(), &c.youth))
            .collect();
        identity::insert_many(&mut tx, backend, &youths).await?;
        let events: Vec<Vec<Value>> = records
            .cases
            .iter()
            .flat_map(|c| {
                c.history.iter().map(|h| {
                    vec![
                        text(&c.summary.id),
                        int(h.sequence),
                        int(h.at),
                        text(&h.actor),
                        text(h.from.as_str()),
                        text(h.to.as_str()),
                        text(&h.action),
                        text(&h.reason),
                    ]
                })
            })
            .collect();
        insert_rows(&mut tx, backend, "case_events", EVENT_COLUMNS, &events).await?;
        insert_rows(
            &mut tx,
            backend,
            "agenda_items",
            &[
                "session_id",
                "case_id",
                "position",
                "added_at",
                "youth_present",
                "parents_present",
            ],
            &records.agenda.iter().map(agenda_row).collect::<Vec<_>>(),
        )
        .await?;
        insert_rows(
            &mut tx,
            backend,
            "discussions",
            &[
                "session_id",
                "case_id",
                "summary",
                "next_step",
                "regie_holder",
                "recorded_at",
                "recorded_by",
            ],
            &records
                .discussions
                .iter()
                .map(discussion_row)
                .collect::<Vec<_>>(),
        )
        .await?;
        insert_rows(
            &mut tx,
            backend,
            "commitments",
            &[
                "id",
                "case_id",
                "provider",
                "description",
                "due_date",
                "authority_confirmed",
                "status",
                "recorded_at",
                "updated_at",
            ],
            &records
                .commitments
                .iter()
                .map(commitment_row)
                .collect::<Vec<_>>(),
        )
        .await?;
        insert_rows(
            &mut tx,
            backend,
            "tasks",
            &[
                "id",
                "case_id",
                "description",
                "owner",
                "due_date",
                "status",
                "created_at",
                "updated_at",
            ],
            &records.tasks.iter().map(task_row).collect::<Vec<_>>(),
        )
        .await?;
        tx.commit().await
    }
}

fn case_row(c: &CaseRecord) -> Vec<Value> {
    let s = &c.summary;
    debug_assert_eq!(
        s.version,
        c.history.len() as i64,
        "a case's version is its history's length"
    );
    vec![
        text(&s.id),
        text(s.state.as_str()),
        text(&s.referrer.organisation),
        text(s.referrer.kind.as_str()),
        int(s.age),
        text(&s.municipality),
        text(&c.question),
        text(&c.tried_so_far),
        text(categories_text(&s.categories)),
        int(s.intake_accepted),
        optional_text(c.return_reason.as_deref()),
        optional_text(s.outcome.map(Outcome::as_str)),
        int(s.submitted_at),
        int(s.updated_at),
        s.closed_at.map_or(Value::NullInt, Value::Int),
        int(s.version),
        c.earliest_open_due.map_or(Value::NullText, date),
    ]
}

fn agenda_row(a: &AgendaRecord) -> Vec<Value> {
    vec![
        text(&a.session_id),
        text(&a.case_id),
        int(a.position),
        int(a.added_at),
        int(a.youth_present),
        int(a.parents_present),
    ]
}

fn discussion_row(d: &DiscussionRecord) -> Vec<Value> {
    vec![
        text(&d.session_id),
        text(&d.case_id),
        text(&d.summary),
        text(&d.next_step),
        text(&d.regie_holder),
        int(d.recorded_at),
        text(&d.recorded_by),
    ]
}

/// A commitment as first recorded: its last change is its recording.
fn commitment_row(c: &Commitment) -> Vec<Value> {
    vec![
        text(&c.id),
        text(&c.case_id),
        text(&c.provider),
        text(&c.description),
        date(c.due),
        int(c.authority_confirmed),
        text(c.status.as_str()),
        int(c.recorded_at),
        int(c.recorded_at),
    ]
}

fn task_row(t: &Task) -> Vec<Value> {
    vec![
        text(&t.id),
        text(&t.case_id),
        text(&t.description),
        text(&t.owner),
        date(t.due),
        text(t.status.as_str()),
        int(t.created_at),
        int(t.updated_at),
    ]
}
