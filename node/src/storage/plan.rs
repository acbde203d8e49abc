//! The plan that follows a discussion: commitments, tasks, progress notes, care arrangements with their one
//! case manager each, and the procesregisseur.

use super::Transaction;
use super::rows::{COMMITMENT_COLUMNS, CommitmentRow, TASK_COLUMNS, TaskRow, date_text, flag};
use crate::domain::*;
use crate::error::{Error, Result};
use sqlx::{AssertSqlSafe, Row};

/// Everything of a case's plan, for the case file.
#[derive(Debug, Default)]
pub struct CasePlan {
    pub commitments: Vec<Commitment>,
    pub tasks: Vec<Task>,
    pub notes: Vec<ProgressNote>,
    pub care_arrangements: Vec<CareArrangement>,
    pub procesregisseur: Option<Procesregisseur>,
}

/// The two kinds of plan items that carry a status and a due date.
#[derive(Debug, Clone, Copy)]
enum PlanItem {
    Commitment,
    Task,
}

/// Sets the status of a commitment or task and keeps its case's earliest open due date right.
async fn set_status(
    tx: &mut Transaction,
    item: PlanItem,
    id: &str,
    status: &str,
    at: Millis,
) -> Result<()> {
    let (sql, kind) = match item {
        PlanItem::Commitment => (
            "UPDATE commitments SET status = $1, updated_at = $2 WHERE id = $3 AND status = 'open' \
             RETURNING case_id",
            "commitment",
        ),
        PlanItem::Task => (
            "UPDATE tasks SET status = $1, updated_at = $2 WHERE id = $3 \
             AND status IN ('open', 'in_progress') RETURNING case_id",
            "task",
        ),
    };
    let case_id: Option<String> = sqlx::query_scalar(sql)
        .bind(status)
        .bind(at)
        .bind(id)
        .fetch_optional(&mut **tx)
        .await?;
    let Some(case_id) = case_id else {
        return Err(Error::FailedPrecondition(format!(
            "{kind} {id} is no longer open"
        )));
    };
    refresh_open_due(tx, &case_id).await
}

/// Recomputes `cases.earliest_open_due` after the case's tasks or commitments changed.
async fn refresh_open_due(tx: &mut Transaction, case_id: &str) -> Result<()> {
    sqlx::query(
        "UPDATE cases SET earliest_open_due = (SELECT MIN(due) FROM (\
         SELECT due_date AS due FROM tasks WHERE case_id = $1 AND status IN ('open', 'in_progress') \
         UNION ALL SELECT due_date AS due FROM commitments WHERE case_id = $1 AND status = 'open') AS open_work) \
         WHERE id = $1",
    )
    .bind(case_id)
    .execute(&mut **tx)
    .await?;
    Ok(())
}

pub async fn insert_commitment(tx: &mut Transaction, commitment: &Commitment) -> Result<()> {
    sqlx::query(
        "INSERT INTO commitments (id, case_id, provider, description, due_date, authority_confirmed, status, \
         recorded_at, updated_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $8)",
    )
    .bind(&commitment.id)
    .bind(&commitment.case_id)
    .bind(&commitment.provider)
    .bind(&commitment.description)
    .bind(date_text(commitment.due))
    .bind(flag(commitment.authority_confirmed))
    .bind(commitment.status.as_str())
    .bind(commitment.recorded_at)
    .execute(&mut **tx)
    .await?;
    refresh_open_due(tx, &commitment.case_id).await?;
    Ok(())
}

pub async fn commitment<'e, E>(executor: E, id: &str) -> Result<Commitment>
where
    E: sqlx::Executor<'e, Database = sqlx::Any>,
{
    let sql = format!("SELECT {COMMITMENT_COLUMNS} FROM commitments WHERE id = $1");
    let row: Option<CommitmentRow> = sqlx::query_as(AssertSqlSafe(sql))
        .bind(id)
        .fetch_optional(executor)
        .await?;
    row.ok_or_else(|| Error::not_found("commitment", id))?
        .into_commitment()
}

pub async fn set_commitment_status(
    tx: &mut Transaction,
    id: &str,
    status: CommitmentStatus,
    at: Millis,
) -> Result<()> {
    set_status(tx, PlanItem::Commitment, id, status.as_str(), at).await
}

pub async fn insert_task(tx: &mut Transaction, task: &Task) -> Result<()> {
    sqlx::query(
        "INSERT INTO tasks (id, case_id, description, owner, due_date, status, created_at, updated_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
    )
    .bind(&task.id)
    .bind(&task.case_id)
    .bind(&task.description)
    .bind(&task.owner)
    .bind(date_text(task.due))
    .bind(task.status.as_str())
    .bind(task.created_at)
    .bind(task.updated_at)
    .execute(&mut **tx)
    .await?;
    refresh_open_due(tx, &task.case_id).await?;
    Ok(())
}

pub async fn task<'e, E>(executor: E, id: &str) -> Result<Task>
where
    E: sqlx::Executor<'e, Database = sqlx::Any>,
{
    let sql = format!("SELECT {TASK_COLUMNS} FROM tasks WHERE id = $1");
    let row: Option<TaskRow> = sqlx::query_as(AssertSqlSafe(sql))
        .bind(id)
        .fetch_optional(executor)
        .await?;
    row.ok_or_else(|| Error::not_found("task", id))?.into_task()
}

pub async fn set_task_status(
    tx: &mut Transaction,
    id: &str,
    status: TaskStatus,
    at: Millis,
) -> Result<()> {
    set_status(tx, PlanItem::Task, id, status.as_str(), at).await
}

pub async fn insert_note(tx: &mut Transaction, case_id: &str, note: &ProgressNote) -> Result<()> {
    sqlx::query(
        "INSERT INTO progress_notes (case_id, sequence, at, author, body) VALUES ($1, \
         (SELECT COALESCE(MAX(sequence), 0) + 1 FROM progress_notes WHERE case_id = $1), $2, $3, $4)",
    )
    .bind(case_id)
    .bind(note.at)
    .bind(&note.author)
    .bind(&note.text)
    .execute(&mut **tx)
    .await?;
    Ok(())
}

/// Sets the case manager of an arrangement, replacing an earlier one; returns the one replaced.
pub async fn assign_case_manager(
    tx: &mut Transaction,
    case_id: &str,
    arrangement: &CareArrangement,
) -> Result<Option<String>> {
    let previous: Option<String> = sqlx::query_scalar(
        "SELECT case_manager FROM care_arrangements WHERE case_id = $1 AND arrangement = $2",
    )
    .bind(case_id)
    .bind(&arrangement.arrangement)
    .fetch_optional(&mut **tx)
    .await?;
    sqlx::query(
        "INSERT INTO care_arrangements (case_id, arrangement, case_manager, organisation, assigned_at) \
         VALUES ($1, $2, $3, $4, $5) ON CONFLICT (case_id, arrangement) DO UPDATE SET \
         case_manager = excluded.case_manager, organisation = excluded.organisation, \
         assigned_at = excluded.assigned_at",
    )
    .bind(case_id)
    .bind(&arrangement.arrangement)
    .bind(&arrangement.case_manager)
    .bind(&arrangement.organisation)
    .bind(arrangement.assigned_at)
    .execute(&mut **tx)
    .await?;
    Ok(previous)
}

pub async fn procesregisseur(
    tx: &mut Transaction,
    case_id: &str,
) -> Result<Option<Procesregisseur>> {
    let row = sqlx::query(
        "SELECT name, organisation, appointed_at FROM procesregisseurs WHERE case_id = $1",
    )
    .bind(case_id)
    .fetch_optional(&mut **tx)
    .await?;
    Ok(row.map(|r| Procesregisseur {
        name: r.get(0),
        organisation: r.get(1),
        appointed_at: r.get(2),
    }))
}

pub async fn set_procesregisseur(
    tx: &mut Transaction,
    case_id: &str,
    appointed: &Procesregisseur,
) -> Result<()> {
    sqlx::query(
        "INSERT INTO procesregisseurs (case_id, name, organisation, appointed_at) VALUES ($1, $2, $3, $4) \
         ON CONFLICT (case_id) DO UPDATE SET name = excluded.name, organisation = excluded.organisation, \
         appointed_at = excluded.appointed_at",
    )
    .bind(case_id)
    .bind(&appointed.name)
    .bind(&appointed.organisation)
    .bind(appointed.appointed_at)
    .execute(&mut **tx)
    .await?;
    Ok(())
}

pub async fn of_case(pool: &sqlx::AnyPool, case_id: &str) -> Result<CasePlan> {
    let sql = format!(
        "SELECT {COMMITMENT_COLUMNS} FROM commitments WHERE case_id = $1 ORDER BY recorded_at, id"
    );
    let commitments = sqlx::query_as::<_, CommitmentRow>(AssertSqlSafe(sql))
        .bind(case_id)
        .fetch_all(pool)
        .await?
        .into_iter()
        .map(CommitmentRow::into_commitment)
        .collect::<Result<_>>()?;
    let sql =
        format!("SELECT {TASK_COLUMNS} FROM tasks WHERE case_id = $1 ORDER BY created_at, id");
    let tasks = sqlx::query_as::<_, TaskRow>(AssertSqlSafe(sql))
        .bind(case_id)
        .fetch_all(pool)
        .await?
        .into_iter()
        .map(TaskRow::into_task)
        .collect::<Result<_>>()?;
    let notes = sqlx::query(
        "SELECT at, author, body FROM progress_notes WHERE case_id = $1 ORDER BY sequence",
    )
    .bind(case_id)
    .fetch_all(pool)
    .await?
    .into_iter()
    .map(|r| ProgressNote {
        at: r.get(0),
        author: r.get(1),
        text: r.get(2),
    })
    .collect();
    let care_arrangements = sqlx::query(
        "SELECT arrangement, case_manager, organisation, assigned_at FROM care_arrangements \
         WHERE case_id = $1 ORDER BY arrangement",
    )
    .bind(case_id)
    .fetch_all(pool)
    .await?
    .into_iter()
    .map(|r| CareArrangement {
        arrangement: r.get(0),
        case_manager: r.get(1),
        organisation: r.get(2),
        assigned_at: r.get(3),
    })
    .collect();
    let procesregisseur = sqlx::query(
        "SELECT name, organisation, appointed_at FROM procesregisseurs WHERE case_id = $1",
    )
    .bind(case_id)
    .fetch_optional(pool)
    .await?
    .map(|r| Procesregisseur {
        name: r.get(0),
        organisation: r.get(1),
        appointed_at: r.get(2),
    });
    Ok(CasePlan {
        commitments,
        tasks,
        notes,
        care_arrangements,
        procesregisseur,
    })
}

/// Open commitments and tasks due before `day`, of cases still open, oldest due first.
pub async fn overdue(pool: &sqlx::AnyPool, day: time::Date, limit: u32) -> Result<Overdue> {
    const OPEN_CASES: &str = "SELECT id FROM cases WHERE state NOT IN ('closed', 'returned')";
    let sql = format!(
        "SELECT {COMMITMENT_COLUMNS} FROM commitments WHERE status = 'open' AND due_date < $1 \
         AND case_id IN ({OPEN_CASES}) ORDER BY due_date, id LIMIT $2"
    );
    let commitments = sqlx::query_as::<_, CommitmentRow>(AssertSqlSafe(sql))
        .bind(date_text(day))
        .bind(i64::from(limit))
        .fetch_all(pool)
        .await?
        .into_iter()
        .map(CommitmentRow::into_commitment)
        .collect::<Result<_>>()?;
    let sql = format!(
        "SELECT {TASK_COLUMNS} FROM tasks WHERE status IN ('open', 'in_progress') AND due_date < $1 \
         AND case_id IN ({OPEN_CASES}) ORDER BY due_date, id LIMIT $2"
    );
    let tasks = sqlx::query_as::<_, TaskRow>(AssertSqlSafe(sql))
        .bind(date_text(day))
        .bind(i64::from(limit))
        .fetch_all(pool)
        .await?
        .into_iter()
        .map(TaskRow::into_task)
        .collect::<Result<_>>()?;
    Ok(Overdue { commitments, tasks })
}
