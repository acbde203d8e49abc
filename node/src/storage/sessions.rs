//! Table sessions, their agendas, who attended and what was decided.

use super::Transaction;
use super::rows::{AttendeeRow, date_text, flag, stored_date};
use crate::domain::*;
use crate::error::{Error, Result};
use sqlx::Row;

pub async fn insert(
    pool: &sqlx::AnyPool,
    id: &str,
    session: &NewSession,
    at: Millis,
) -> Result<()> {
    sqlx::query(
        "INSERT INTO table_sessions (id, session_date, start_time, duration_minutes, location, chair, created_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7)",
    )
    .bind(id)
    .bind(date_text(session.date))
    .bind(&session.start_time)
    .bind(i64::from(session.duration_minutes))
    .bind(&session.location)
    .bind(&session.chair)
    .bind(at)
    .execute(pool)
    .await?;
    Ok(())
}

pub async fn get(conn: &mut sqlx::AnyConnection, id: &str) -> Result<TableSession> {
    let row = sqlx::query(
        "SELECT id, session_date, start_time, duration_minutes, location, chair, created_at \
         FROM table_sessions WHERE id = $1",
    )
    .bind(id)
    .fetch_optional(&mut *conn)
    .await?
    .ok_or_else(|| Error::not_found("session", id))?;
    let agenda: Vec<String> = sqlx::query_scalar(
        "SELECT case_id FROM agenda_items WHERE session_id = $1 ORDER BY position",
    )
    .bind(id)
    .fetch_all(&mut *conn)
    .await?;
    session_from_row(&row, agenda)
}

fn session_from_row(row: &sqlx::any::AnyRow, agenda: Vec<String>) -> Result<TableSession> {
    let listing = listing_from_row(row, agenda.len() as u64)?;
    Ok(TableSession {
        id: listing.id,
        date: listing.date,
        start_time: listing.start_time,
        duration_minutes: listing.duration_minutes,
        location: listing.location,
        chair: listing.chair,
        created_at: row.get(6),
        agenda,
    })
}

/// A session's own columns (id, date, start, duration, place, chair: the first six of every session query).
fn listing_from_row(row: &sqlx::any::AnyRow, on_agenda: u64) -> Result<SessionListing> {
    Ok(SessionListing {
        id: row.get(0),
        date: stored_date("session_date", &row.get::<String, _>(1))?,
        start_time: row.get(2),
        duration_minutes: u32::try_from(row.get::<i64, _>(3)).unwrap_or(0),
        location: row.get(4),
        chair: row.get(5),
        on_agenda,
    })
}

/// Sessions between two days (inclusive), by date, in one query whatever the agendas hold; with
/// `count_agenda` the length of each agenda (a join over it), without it `on_agenda` is 0 (a choice of session
/// in a form needs no count).
pub async fn overview(
    pool: &sqlx::AnyPool,
    from: Option<time::Date>,
    to: Option<time::Date>,
    count_agenda: bool,
) -> Result<Vec<SessionListing>> {
    let sql = if count_agenda {
        "SELECT s.id, s.session_date, s.start_time, s.duration_minutes, s.location, s.chair, COUNT(a.case_id) \
         FROM table_sessions s LEFT JOIN agenda_items a ON a.session_id = s.id \
         WHERE s.session_date >= $1 AND s.session_date <= $2 \
         GROUP BY s.id, s.session_date, s.start_time, s.duration_minutes, s.location, s.chair \
         ORDER BY s.session_date, s.start_time, s.id LIMIT 1000"
    } else {
        "SELECT s.id, s.session_date, s.start_time, s.duration_minutes, s.location, s.chair, CAST(0 AS BIGINT) \
         FROM table_sessions s WHERE s.session_date >= $1 AND s.session_date <= $2 \
         ORDER BY s.session_date, s.start_time, s.id LIMIT 1000"
    };
    let rows = sqlx::query(sql)
        .bind(from.map(date_text).unwrap_or_else(|| "0000-01-01".into()))
        .bind(to.map(date_text).unwrap_or_else(|| "9999-12-31".into()))
        .fetch_all(pool)
        .await?;
    rows.iter()
        .map(|row| listing_from_row(row, row.get::<i64, _>(6) as u64))
        .collect()
}

/// Sessions between two days (inclusive), by date; agendas included.
pub async fn list(
    pool: &sqlx::AnyPool,
    from: Option<time::Date>,
    to: Option<time::Date>,
) -> Result<Vec<TableSession>> {
    let rows = sqlx::query(
        "SELECT id, session_date, start_time, duration_minutes, location, chair, created_at \
         FROM table_sessions WHERE session_date >= $1 AND session_date <= $2 \
         ORDER BY session_date, start_time, id LIMIT 1000",
    )
    .bind(from.map(date_text).unwrap_or_else(|| "0000-01-01".into()))
    .bind(to.map(date_text).unwrap_or_else(|| "9999-12-31".into()))
    .fetch_all(pool)
    .await?;
    let mut sessions = Vec::with_capacity(rows.len());
    for row in &rows {
        let id: String = row.get(0);
        let agenda: Vec<String> = sqlx::query_scalar(
            "SELECT case_id FROM agenda_items WHERE session_id = $1 ORDER BY position",
        )
        .bind(&id)
        .fetch_all(pool)
        .await?;
        sessions.push(session_from_row(row, agenda)?);
    }
    Ok(sessions)
}

pub async fn is_on_agenda(tx: &mut Transaction, session_id: &str, case_id: &str) -> Result<bool> {
    let found: Option<i64> =
        sqlx::query_scalar("SELECT 1 FROM agenda_items WHERE session_id = $1 AND case_id = $2")
            .bind(session_id)
            .bind(case_id)
            .fetch_optional(&mut **tx)
            .await?;
    Ok(found.is_some())
}

pub async fn add_to_agenda(
    tx: &mut Transaction,
    session_id: &str,
    case_id: &str,
    at: Millis,
) -> Result<()> {
    sqlx::query(
        "INSERT INTO agenda_items (session_id, case_id, position, added_at) VALUES ($1, $2, \
         (SELECT COALESCE(MAX(position), 0) + 1 FROM agenda_items WHERE session_id = $1), $3)",
    )
    .bind(session_id)
    .bind(case_id)
    .bind(at)
    .execute(&mut **tx)
    .await?;
    Ok(())
}

/// Replaces who attended the discussion of a case at a session.
/// Moves a case one place earlier or later on a session's agenda, swapping it with its neighbour; false when it
/// is already first (or last), or not on the agenda.
pub async fn move_on_agenda(
    tx: &mut Transaction,
    session_id: &str,
    case_id: &str,
    earlier: bool,
) -> Result<bool> {
    let position: Option<i64> = sqlx::query_scalar(
        "SELECT position FROM agenda_items WHERE session_id = $1 AND case_id = $2",
    )
    .bind(session_id)
    .bind(case_id)
    .fetch_optional(&mut **tx)
    .await?;
    let Some(position) = position else {
        return Ok(false);
    };
    let neighbour = if earlier {
        "SELECT case_id, position FROM agenda_items WHERE session_id = $1 AND position < $2 \
         ORDER BY position DESC LIMIT 1"
    } else {
        "SELECT case_id, position FROM agenda_items WHERE session_id = $1 AND position > $2 \
         ORDER BY position LIMIT 1"
    };
    let neighbour = sqlx::query(neighbour)
        .bind(session_id)
        .bind(position)
        .fetch_optional(&mut **tx)
        .await?;
    let Some(neighbour) = neighbour else {
        return Ok(false);
    };
    let (other, other_position): (String, i64) = (neighbour.get(0), neighbour.get(1));
    for (case, to) in [(case_id, other_position), (other.as_str(), position)] {
        sqlx::query("UPDATE agenda_items SET position = $3 WHERE session_id = $1 AND case_id = $2")
            .bind(session_id)
            .bind(case)
            .bind(to)
            .execute(&mut **tx)
            .await?;
    }
    Ok(true)
}

pub async fn record_attendance(tx: &mut Transaction, attendance: &Attendance) -> Result<()> {
    sqlx::query(
        "UPDATE agenda_items SET youth_present = $1, parents_present = $2 \
         WHERE session_id = $3 AND case_id = $4",
    )
    .bind(flag(attendance.youth_present))
    .bind(flag(attendance.parents_present))
    .bind(&attendance.session_id)
    .bind(&attendance.case_id)
    .execute(&mut **tx)
    .await?;
    sqlx::query("DELETE FROM attendees WHERE session_id = $1 AND case_id = $2")
        .bind(&attendance.session_id)
        .bind(&attendance.case_id)
        .execute(&mut **tx)
        .await?;
    for (position, attendee) in attendance.attendees.iter().enumerate() {
        sqlx::query(
            "INSERT INTO attendees (session_id, case_id, position, role, organisation) \
             VALUES ($1, $2, $3, $4, $5)",
        )
        .bind(&attendance.session_id)
        .bind(&attendance.case_id)
        .bind(position as i64)
        .bind(attendee.role.as_str())
        .bind(&attendee.organisation)
        .execute(&mut **tx)
        .await?;
    }
    Ok(())
}

pub async fn insert_discussion(
    tx: &mut Transaction,
    discussion: &NewDiscussion,
    regie_holder: &str,
    at: Millis,
) -> Result<()> {
    sqlx::query(
        "INSERT INTO discussions (session_id, case_id, summary, next_step, regie_holder, recorded_at, recorded_by) \
         VALUES ($1, $2, $3, $4, $5, $6, $7)",
    )
    .bind(&discussion.session_id)
    .bind(&discussion.case_id)
    .bind(&discussion.summary)
    .bind(&discussion.next_step)
    .bind(regie_holder)
    .bind(at)
    .bind(&discussion.actor)
    .execute(&mut **tx)
    .await?;
    Ok(())
}

/// The discussions of a case with their attendance, and every session the case was on.
pub async fn discussions_of_case(
    pool: &sqlx::AnyPool,
    case_id: &str,
) -> Result<(Vec<Discussion>, Vec<String>)> {
    let agenda = sqlx::query(
        "SELECT a.session_id, a.youth_present, a.parents_present, d.summary, d.next_step, d.regie_holder, \
         d.recorded_at, d.recorded_by \
         FROM agenda_items a JOIN table_sessions s ON s.id = a.session_id \
         LEFT JOIN discussions d ON d.session_id = a.session_id AND d.case_id = a.case_id \
         WHERE a.case_id = $1 ORDER BY s.session_date, a.added_at",
    )
    .bind(case_id)
    .fetch_all(pool)
    .await?;
    let attendees: Vec<AttendeeRow> = sqlx::query_as(
        "SELECT case_id, session_id, role, organisation FROM attendees WHERE case_id = $1 \
         ORDER BY session_id, position",
    )
    .bind(case_id)
    .fetch_all(pool)
    .await?;
    let mut session_ids = Vec::with_capacity(agenda.len());
    let mut discussions = Vec::new();
    for row in agenda {
        let session_id: String = row.get(0);
        session_ids.push(session_id.clone());
        let Some(next_step) = row.get::<Option<String>, _>(4) else {
            continue;
        };
        discussions.push(Discussion {
            attendees: attendees
                .iter()
                .filter(|a| a.session_id == session_id && a.case_id == case_id)
                .map(AttendeeRow::to_attendee)
                .collect::<Result<_>>()?,
            youth_present: row.get::<i64, _>(1) != 0,
            parents_present: row.get::<i64, _>(2) != 0,
            summary: row.get::<Option<String>, _>(3).unwrap_or_default(),
            next_step,
            regie_holder: row.get::<Option<String>, _>(5).unwrap_or_default(),
            recorded_at: row.get::<Option<i64>, _>(6).unwrap_or_default(),
            recorded_by: row.get::<Option<String>, _>(7).unwrap_or_default(),
            session_id,
        });
    }
    Ok((discussions, session_ids))
}

pub async fn attendance(
    conn: &mut sqlx::AnyConnection,
    session_id: &str,
    case_id: &str,
) -> Result<Attendance> {
    let flags = sqlx::query(
        "SELECT youth_present, parents_present FROM agenda_items WHERE session_id = $1 AND case_id = $2",
    )
    .bind(session_id)
    .bind(case_id)
    .fetch_one(&mut *conn)
    .await?;
    let attendees: Vec<AttendeeRow> = sqlx::query_as(
        "SELECT case_id, session_id, role, organisation FROM attendees \
         WHERE session_id = $1 AND case_id = $2 ORDER BY position",
    )
    .bind(session_id)
    .bind(case_id)
    .fetch_all(&mut *conn)
    .await?;
    Ok(Attendance {
        session_id: session_id.to_owned(),
        case_id: case_id.to_owned(),
        attendees: attendees
            .iter()
            .map(AttendeeRow::to_attendee)
            .collect::<Result<_>>()?,
        youth_present: flags.get::<i64, _>(0) != 0,
        parents_present: flags.get::<i64, _>(1) != 0,
    })
}
