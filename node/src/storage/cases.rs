//! Cases, their categories and their history. Every change to a case goes through [`apply`], which moves the
//! state only if the case is still where the caller saw it, and writes the history entry in the same transaction.

use super::bulk::{Value, insert_rows};
use super::rows::{self, CASE_COLUMNS, CaseRow, categories_text, flag, word};
use super::{Backend, Transaction, identity};
use crate::domain::federation::MinimumDataset;
use crate::domain::*;
use crate::error::{Error, Result};
use sqlx::{AssertSqlSafe, FromRow, Row};

/// Columns a change may set besides the state; `None` leaves a column as it is.
#[derive(Debug, Clone, Default)]
pub struct CaseFields {
    pub intake_accepted: Option<bool>,
    pub return_reason: Option<String>,
    pub outcome: Option<Outcome>,
    pub closing_note: Option<String>,
    pub closed_at: Option<Millis>,
}

/// One change to a case: the state check the domain made and the history entry it leaves.
#[derive(Debug)]
pub struct Change<'a> {
    pub case_id: &'a str,
    pub actor: &'a str,
    pub action: Action,
    pub from: CaseState,
    /// The version the domain checked; the change applies only if the case still has it.
    pub version: i64,
    pub to: CaseState,
    pub reason: &'a str,
    pub at: Millis,
    pub fields: CaseFields,
}

/// What stands in the case row about an earlier submit with the same request id.
#[derive(Debug)]
pub struct PriorSubmit {
    pub case_id: String,
    pub fingerprint: String,
}

/// Columns of a history entry, in the order bulk rows give them.
pub(super) const EVENT_COLUMNS: &[&str] = &[
    "case_id",
    "sequence",
    "at",
    "actor",
    "from_state",
    "to_state",
    "action",
    "reason",
];
/// Columns of a case's category row.
pub(super) const CATEGORY_COLUMNS: &[&str] = &["category", "case_id"];

/// A case about to be written: checked, with its id and fingerprint chosen.
#[derive(Debug, Clone)]
pub struct Submission {
    pub id: String,
    pub case: NewCase,
    pub fingerprint: String,
    pub at: Millis,
    /// Who submitted it, as the history names them (see `access::policy::signature`).
    pub submitted_by: String,
}

/// Writes new cases with their categories, identities and first history entries: four multi-row statements
/// whatever the number of cases, so that concurrent submissions can share one transaction.
pub async fn insert_many(
    tx: &mut Transaction,
    backend: Backend,
    submissions: &[Submission],
) -> Result<()> {
    let mut cases = Vec::with_capacity(submissions.len());
    let mut categories = Vec::new();
    let mut events = Vec::with_capacity(submissions.len());
    for s in submissions {
        let case = &s.case;
        cases.push(vec![
            Value::Text(s.id.clone()),
            case.request_id.clone().map_or(Value::NullText, Value::Text),
            Value::Text(s.fingerprint.clone()),
            Value::Text(CaseState::Submitted.as_str().into()),
            Value::Text(case.referrer.organisation.clone()),
            Value::Text(case.referrer.kind.as_str().into()),
            Value::Int(i64::from(case.age)),
            Value::Text(case.municipality.clone()),
            Value::Text(case.question.clone()),
            Value::Text(case.tried_so_far.clone()),
            Value::Text(categories_text(&case.categories)),
            Value::Int(0),
            Value::Int(s.at),
            Value::Int(s.at),
            Value::Int(1),
        ]);
        for category in &case.categories {
            categories.push(vec![
                Value::Text(category.as_str().into()),
                Value::Text(s.id.clone()),
            ]);
        }
        events.push(vec![
            Value::Text(s.id.clone()),
            Value::Int(1),
            Value::Int(s.at),
            Value::Text(s.submitted_by.clone()),
            Value::Text(CaseState::Submitted.as_str().into()),
            Value::Text(CaseState::Submitted.as_str().into()),
            Value::Text("submit".into()),
            Value::Text(String::new()),
        ]);
    }
    insert_rows(
        tx,
        backend,
        "cases",
        &[
            "id",
            "request_id",
            "request_fingerprint",
            "state",
            "referrer_organisation",
            "referrer_kind",
            "age",
            "municipality",
            "question",
            "tried_so_far",
            "categories",
            "intake_accepted",
            "submitted_at",
            "updated_at",
            "version",
        ],
        &cases,
    )
    .await?;
    insert_rows(
        tx,
        backend,
        "case_categories",
        CATEGORY_COLUMNS,
        &categories,
    )
    .await?;
    let youths: Vec<(&str, &YouthIdentity)> = submissions
        .iter()
        .map(|s| (s.id.as_str(), &s.case.youth))
        .collect();
    identity::insert_many(tx, backend, &youths).await?;
    insert_rows(tx, backend, "case_events", EVENT_COLUMNS, &events).await
}

#[allow(clippy::too_many_arguments)]
async fn insert_event(
    tx: &mut Transaction,
    case_id: &str,
    sequence: i64,
    at: Millis,
    actor: &str,
    (from, to): (CaseState, CaseState),
    action: &str,
    reason: &str,
) -> Result<()> {
    sqlx::query(
        "INSERT INTO case_events (case_id, sequence, at, actor, from_state, to_state, action, reason) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
    )
    .bind(case_id)
    .bind(sequence)
    .bind(at)
    .bind(actor)
    .bind(from.as_str())
    .bind(to.as_str())
    .bind(action)
    .bind(reason)
    .execute(&mut **tx)
    .await?;
    Ok(())
}

/// Applies a change if the case is still at the version the caller checked; [`Error::Conflict`] if anything
/// changed it meanwhile, so that two concurrent requests can never both pass a check meant for one.
pub async fn apply(tx: &mut Transaction, change: Change<'_>) -> Result<()> {
    let fields = &change.fields;
    let version: Option<i64> = sqlx::query_scalar(
        "UPDATE cases SET state = $1, updated_at = $2, version = version + 1, \
         intake_accepted = COALESCE($3, intake_accepted), return_reason = COALESCE($4, return_reason), \
         outcome = COALESCE($5, outcome), closing_note = COALESCE($6, closing_note), \
         closed_at = COALESCE($7, closed_at) \
         WHERE id = $8 AND version = $9 RETURNING version",
    )
    .bind(change.to.as_str())
    .bind(change.at)
    .bind(fields.intake_accepted.map(flag))
    .bind(fields.return_reason.as_deref())
    .bind(fields.outcome.map(|o| o.as_str()))
    .bind(fields.closing_note.as_deref())
    .bind(fields.closed_at)
    .bind(change.case_id)
    .bind(change.version)
    .fetch_optional(&mut **tx)
    .await?;
    let Some(version) = version else {
        return Err(if exists(tx, change.case_id).await? {
            Error::Conflict(change.case_id.to_owned())
        } else {
            Error::not_found("case", change.case_id)
        });
    };
    insert_event(
        tx,
        change.case_id,
        version,
        change.at,
        change.actor,
        (change.from, change.to),
        change.action.as_str(),
        change.reason,
    )
    .await
}

/// Sets the reason of the history entry a change in this transaction just wrote, for changes whose reason
/// depends on what the transaction found (such as whom an appointment replaces).
pub async fn set_reason(
    tx: &mut Transaction,
    case_id: &str,
    sequence: i64,
    reason: &str,
) -> Result<()> {
    sqlx::query("UPDATE case_events SET reason = $1 WHERE case_id = $2 AND sequence = $3")
        .bind(reason)
        .bind(case_id)
        .bind(sequence)
        .execute(&mut **tx)
        .await?;
    Ok(())
}

async fn exists(tx: &mut Transaction, id: &str) -> Result<bool> {
    let found: Option<i64> = sqlx::query_scalar("SELECT 1 FROM cases WHERE id = $1")
        .bind(id)
        .fetch_optional(&mut **tx)
        .await?;
    Ok(found.is_some())
}

pub async fn prior_submit<'e, E>(executor: E, request_id: &str) -> Result<Option<PriorSubmit>>
where
    E: sqlx::Executor<'e, Database = sqlx::Any>,
{
    let row = sqlx::query("SELECT id, request_fingerprint FROM cases WHERE request_id = $1")
        .bind(request_id)
        .fetch_optional(executor)
        .await?;
    Ok(row.map(|r| PriorSubmit {
        case_id: r.get(0),
        fingerprint: r.get::<Option<String>, _>(1).unwrap_or_default(),
    }))
}

pub async fn summary<'e, E>(executor: E, id: &str) -> Result<CaseSummary>
where
    E: sqlx::Executor<'e, Database = sqlx::Any>,
{
    let sql = format!("SELECT {CASE_COLUMNS} FROM cases c WHERE c.id = $1");
    let row: Option<CaseRow> = sqlx::query_as(AssertSqlSafe(sql))
        .bind(id)
        .fetch_optional(executor)
        .await?;
    row.ok_or_else(|| Error::not_found("case", id))?
        .into_summary()
}

/// Lists cases newest first, `limit` at a time, starting after the case id `after`.
pub async fn list(
    pool: &sqlx::AnyPool,
    filter: &CaseFilter,
    after: Option<&str>,
    limit: u32,
) -> Result<Page<CaseSummary>> {
    let mut sql = format!("SELECT {CASE_COLUMNS} FROM cases c WHERE 1 = 1");
    let mut binds: Vec<String> = Vec::new();
    let next = |binds: &mut Vec<String>, value: String| {
        binds.push(value);
        format!("${}", binds.len())
    };
    if let Some(state) = filter.state {
        let p = next(&mut binds, state.as_str().to_owned());
        sql.push_str(&format!(" AND c.state = {p}"));
    }
    if let Some(municipality) = &filter.municipality {
        let p = next(&mut binds, municipality.clone());
        sql.push_str(&format!(" AND c.municipality = {p}"));
    }
    if let Some(category) = filter.category {
        let p = next(&mut binds, category.as_str().to_owned());
        sql.push_str(&format!(
            " AND c.id IN (SELECT case_id FROM case_categories WHERE category = {p})"
        ));
    }
    if let Some(session_id) = &filter.session_id {
        let p = next(&mut binds, session_id.clone());
        sql.push_str(&format!(
            " AND c.id IN (SELECT case_id FROM agenda_items WHERE session_id = {p})"
        ));
    }
    if let Some(day) = filter.overdue_before {
        let p = next(&mut binds, rows::date_text(day));
        sql.push_str(&format!(
            " AND c.earliest_open_due < {p} AND c.state NOT IN ('closed', 'returned')"
        ));
    }
    if let Some(after) = after {
        let p = next(&mut binds, after.to_owned());
        sql.push_str(&format!(" AND c.id < {p}"));
    }
    sql.push_str(&format!(" ORDER BY c.id DESC LIMIT ${}", binds.len() + 1));
    let mut query = sqlx::query_as::<_, CaseRow>(AssertSqlSafe(sql));
    for value in binds {
        query = query.bind(value);
    }
    let rows = query.bind(i64::from(limit) + 1).fetch_all(pool).await?;
    let mut items = rows
        .into_iter()
        .map(CaseRow::into_summary)
        .collect::<Result<Vec<_>>>()?;
    let next_after = if items.len() > limit as usize {
        items.truncate(limit as usize);
        items.last().map(|c| c.id.clone())
    } else {
        None
    };
    Ok(Page { items, next_after })
}

/// The case file without identifiers: texts, history, discussions, plan and people.
pub async fn detail(pool: &sqlx::AnyPool, id: &str) -> Result<CaseDetail> {
    // The other parts are independent reads: asked at once, on connections of their own, a case page waits for
    // the slowest rather than for all of them in turn.
    let history = async {
        sqlx::query(
            "SELECT sequence, at, actor, from_state, to_state, action, reason FROM case_events \
             WHERE case_id = $1 ORDER BY sequence",
        )
        .bind(id)
        .fetch_all(pool)
        .await?
        .into_iter()
        .map(|r| {
            Ok(Transition {
                sequence: r.get(0),
                at: r.get(1),
                actor: r.get(2),
                from: word("from_state", &r.get::<String, _>(3), CaseState::parse)?,
                to: word("to_state", &r.get::<String, _>(4), CaseState::parse)?,
                action: r.get(5),
                reason: r.get(6),
            })
        })
        .collect::<Result<Vec<_>>>()
    };
    // The case's own row first, its texts with it: an unknown case is NotFound, not whichever read fails first.
    let sql = format!(
        "SELECT {CASE_COLUMNS}, c.question, c.tried_so_far, c.return_reason, c.closing_note \
         FROM cases c WHERE c.id = $1"
    );
    let row = sqlx::query(AssertSqlSafe(sql))
        .bind(id)
        .fetch_optional(pool)
        .await?
        .ok_or_else(|| Error::not_found("case", id))?;
    let summary = CaseRow::from_row(&row)?.into_summary()?;
    let (history, plan, (discussions, session_ids)) = tokio::try_join!(
        history,
        super::plan::of_case(pool, id),
        super::sessions::discussions_of_case(pool, id),
    )?;
    Ok(CaseDetail {
        summary,
        question: row.try_get("question")?,
        tried_so_far: row.try_get("tried_so_far")?,
        return_reason: row.try_get("return_reason")?,
        closing_note: row.try_get("closing_note")?,
        history,
        discussions,
        commitments: plan.commitments,
        tasks: plan.tasks,
        notes: plan.notes,
        care_arrangements: plan.care_arrangements,
        procesregisseur: plan.procesregisseur,
        session_ids,
        earlier_cases: Vec::new(),
    })
}

/// The referrer's question and what was tried, for the minimum dataset of an escalation.
pub async fn question_and_tried(pool: &sqlx::AnyPool, id: &str) -> Result<(String, String)> {
    let row = sqlx::query("SELECT question, tried_so_far FROM cases WHERE id = $1")
        .bind(id)
        .fetch_optional(pool)
        .await?
        .ok_or_else(|| Error::not_found("case", id))?;
    Ok((row.get(0), row.get(1)))
}

/// Opens the linked case for an escalation from `from_region`, straight in intake. It has no identity row:
/// the youth's identifiers stay with the sending region.
pub async fn insert_linked(
    tx: &mut Transaction,
    backend: Backend,
    id: &str,
    from_region: &str,
    dataset: &MinimumDataset,
    at: Millis,
) -> Result<()> {
    let state = CaseState::Intake.as_str();
    let case = vec![
        Value::Text(id.to_owned()),
        Value::Text(state.into()),
        Value::Text(format!(
            "{} (region {from_region})",
            dataset.contact_organisation
        )),
        Value::Text(dataset.referrer_kind.as_str().into()),
        Value::Int(i64::from(dataset.age)),
        Value::Text(dataset.municipality.clone()),
        Value::Text(dataset.question.clone()),
        Value::Text(dataset.tried_so_far.clone()),
        Value::Text(categories_text(&dataset.categories)),
        Value::Int(at),
        Value::Int(at),
        Value::Int(1),
    ];
    insert_rows(
        tx,
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
            "submitted_at",
            "updated_at",
            "version",
        ],
        &[case],
    )
    .await?;
    let categories: Vec<Vec<Value>> = dataset
        .categories
        .iter()
        .map(|c| vec![Value::Text(c.as_str().into()), Value::Text(id.to_owned())])
        .collect();
    insert_rows(
        tx,
        backend,
        "case_categories",
        CATEGORY_COLUMNS,
        &categories,
    )
    .await?;
    insert_event(
        tx,
        id,
        1,
        at,
        &format!("region {from_region}"),
        (CaseState::Submitted, CaseState::Intake),
        "receive_escalation",
        &format!("escalated from {from_region}: {}", dataset.reason),
    )
    .await
}
