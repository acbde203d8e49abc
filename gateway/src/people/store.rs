//! The coordinators' people and their dashboard sessions in the gateway's database. Every change is one
//! statement, so two replicas of the gateway sharing a database never half-apply a sign-in.

use crate::error::Result;
use crate::statistics::store::storage;
use expertnet_web::token::TokenDigest;
use sqlx::{AnyPool, Row};

/// A person as a sign-in finds them.
#[derive(Debug, Clone)]
pub struct PersonRow {
    pub name: String,
    pub password_hash: String,
    pub totp_secret: Option<String>,
}

/// A session as a request finds it.
#[derive(Debug, Clone)]
pub struct SessionRow {
    pub person: String,
    pub coordinator: String,
    pub stage: String,
    pub csrf: String,
    pub pending_secret: Option<String>,
    pub created_at_ms: i64,
    pub last_seen_at_ms: i64,
}

/// Adds a person; `false` when the name is taken.
pub async fn insert_person(
    pool: &AnyPool,
    name: &str,
    coordinator: &str,
    password_hash: &str,
    now_ms: i64,
) -> Result<bool> {
    let done = sqlx::query(
        "INSERT INTO coordinator_people (name, coordinator, password_hash, created_at_ms) \
         VALUES ($1, $2, $3, $4) ON CONFLICT (name) DO NOTHING",
    )
    .bind(name)
    .bind(coordinator)
    .bind(password_hash)
    .bind(now_ms)
    .execute(pool)
    .await
    .map_err(storage)?;
    Ok(done.rows_affected() == 1)
}

pub async fn person(pool: &AnyPool, name: &str) -> Result<Option<PersonRow>> {
    let row = sqlx::query(
        "SELECT name, password_hash, totp_secret FROM coordinator_people WHERE name = $1",
    )
    .bind(name)
    .fetch_optional(pool)
    .await
    .map_err(storage)?;
    row.map(|row| {
        Ok(PersonRow {
            name: row.try_get("name")?,
            password_hash: row.try_get("password_hash")?,
            totp_secret: row.try_get("totp_secret")?,
        })
    })
    .transpose()
    .map_err(|e: sqlx::Error| storage(e))
}

/// Every person: name, coordinator identity, whether a second factor is set, locked until.
pub async fn people(pool: &AnyPool) -> Result<Vec<(String, String, bool, Option<i64>)>> {
    let rows = sqlx::query(
        "SELECT name, coordinator, totp_secret IS NOT NULL AS has_second_factor, locked_until_ms \
         FROM coordinator_people ORDER BY name",
    )
    .fetch_all(pool)
    .await
    .map_err(storage)?;
    rows.iter()
        .map(|row| {
            let has: bool = match row.try_get::<bool, _>("has_second_factor") {
                Ok(has) => has,
                Err(_) => row.try_get::<i64, _>("has_second_factor")? != 0,
            };
            Ok((
                row.try_get("name")?,
                row.try_get("coordinator")?,
                has,
                row.try_get("locked_until_ms")?,
            ))
        })
        .collect::<std::result::Result<_, sqlx::Error>>()
        .map_err(storage)
}

/// Sets a person's password; `false` when there is no such person.
pub async fn set_password(pool: &AnyPool, name: &str, password_hash: &str) -> Result<bool> {
    let done = sqlx::query("UPDATE coordinator_people SET password_hash = $2 WHERE name = $1")
        .bind(name)
        .bind(password_hash)
        .execute(pool)
        .await
        .map_err(storage)?;
    Ok(done.rows_affected() == 1)
}

/// Removes a person's second factor (a lost phone) and lifts a lock; `false` when there is no such person.
pub async fn reset_second_factor(pool: &AnyPool, name: &str) -> Result<bool> {
    let done = sqlx::query(
        "UPDATE coordinator_people SET totp_secret = NULL, totp_last_step = NULL, \
         failed_sign_ins = 0, locked_until_ms = NULL WHERE name = $1",
    )
    .bind(name)
    .execute(pool)
    .await
    .map_err(storage)?;
    Ok(done.rows_affected() == 1)
}

/// Removes a person and their sessions; `false` when there is no such person.
pub async fn remove_person(pool: &AnyPool, name: &str) -> Result<bool> {
    end_sessions_of(pool, name).await?;
    let done = sqlx::query("DELETE FROM coordinator_people WHERE name = $1")
        .bind(name)
        .execute(pool)
        .await
        .map_err(storage)?;
    Ok(done.rows_affected() == 1)
}

/// Counts an attempt (a password or a code) as a failure before it is checked, unless the person is locked at
/// `now_ms`: the attempts in a row after it, or `None` when locked. One statement, so attempts sent at once
/// each take a number and at most `max_failures` of them are ever checked per lock.
pub async fn reserve_attempt(pool: &AnyPool, name: &str, now_ms: i64) -> Result<Option<i64>> {
    sqlx::query_scalar(
        "UPDATE coordinator_people SET failed_sign_ins = failed_sign_ins + 1 \
         WHERE name = $1 AND (locked_until_ms IS NULL OR locked_until_ms <= $2) \
         RETURNING failed_sign_ins",
    )
    .bind(name)
    .bind(now_ms)
    .fetch_optional(pool)
    .await
    .map_err(storage)
}

/// Gives back the number an attempt took when it succeeded; the failures before it still count.
pub async fn undo_attempt(pool: &AnyPool, name: &str) -> Result<()> {
    sqlx::query(
        "UPDATE coordinator_people SET failed_sign_ins = failed_sign_ins - 1 \
         WHERE name = $1 AND failed_sign_ins > 0",
    )
    .bind(name)
    .execute(pool)
    .await
    .map_err(storage)?;
    Ok(())
}

/// Until when a person is locked, if they are.
pub async fn locked_until(pool: &AnyPool, name: &str) -> Result<Option<i64>> {
    let until: Option<Option<i64>> =
        sqlx::query_scalar("SELECT locked_until_ms FROM coordinator_people WHERE name = $1")
            .bind(name)
            .fetch_optional(pool)
            .await
            .map_err(storage)?;
    Ok(until.flatten())
}

/// Locks a person until `until_ms`; the count of failures starts again.
pub async fn lock(pool: &AnyPool, name: &str, until_ms: i64) -> Result<()> {
    sqlx::query(
        "UPDATE coordinator_people SET locked_until_ms = $2, failed_sign_ins = 0 WHERE name = $1",
    )
    .bind(name)
    .bind(until_ms)
    .execute(pool)
    .await
    .map_err(storage)?;
    Ok(())
}

pub async fn clear_failures(pool: &AnyPool, name: &str) -> Result<()> {
    sqlx::query(
        "UPDATE coordinator_people SET failed_sign_ins = 0, locked_until_ms = NULL WHERE name = $1",
    )
    .bind(name)
    .execute(pool)
    .await
    .map_err(storage)?;
    Ok(())
}

/// Takes the code of time step `step`: `false` when a code of that step or a later one was taken already.
pub async fn take_step(pool: &AnyPool, name: &str, step: i64) -> Result<bool> {
    let done = sqlx::query(
        "UPDATE coordinator_people SET totp_last_step = $2 \
         WHERE name = $1 AND (totp_last_step IS NULL OR totp_last_step < $2)",
    )
    .bind(name)
    .bind(step)
    .execute(pool)
    .await
    .map_err(storage)?;
    Ok(done.rows_affected() == 1)
}

/// Keeps the second factor a person has just set up, with the step of the code that confirmed it; `false`
/// when they have one already (set up in another session meanwhile).
pub async fn enrol(pool: &AnyPool, name: &str, secret: &str, step: i64) -> Result<bool> {
    let done = sqlx::query(
        "UPDATE coordinator_people SET totp_secret = $2, totp_last_step = $3 \
         WHERE name = $1 AND totp_secret IS NULL",
    )
    .bind(name)
    .bind(secret)
    .bind(step)
    .execute(pool)
    .await
    .map_err(storage)?;
    Ok(done.rows_affected() == 1)
}

pub async fn insert_session(
    pool: &AnyPool,
    digest: &TokenDigest,
    person: &str,
    stage: &str,
    csrf: &str,
    pending_secret: Option<&str>,
    now_ms: i64,
) -> Result<()> {
    sqlx::query(
        "INSERT INTO dashboard_sessions \
         (token_digest, person, stage, csrf, pending_secret, created_at_ms, last_seen_at_ms) \
         VALUES ($1, $2, $3, $4, $5, $6, $6)",
    )
    .bind(&digest.0)
    .bind(person)
    .bind(stage)
    .bind(csrf)
    .bind(pending_secret)
    .bind(now_ms)
    .execute(pool)
    .await
    .map_err(storage)?;
    Ok(())
}

pub async fn session(pool: &AnyPool, digest: &TokenDigest) -> Result<Option<SessionRow>> {
    let row = sqlx::query(
        "SELECT s.person, p.coordinator, s.stage, s.csrf, s.pending_secret, s.created_at_ms, \
         s.last_seen_at_ms FROM dashboard_sessions s JOIN coordinator_people p ON p.name = s.person \
         WHERE s.token_digest = $1",
    )
    .bind(&digest.0)
    .fetch_optional(pool)
    .await
    .map_err(storage)?;
    row.map(|row| {
        Ok(SessionRow {
            person: row.try_get("person")?,
            coordinator: row.try_get("coordinator")?,
            stage: row.try_get("stage")?,
            csrf: row.try_get("csrf")?,
            pending_secret: row.try_get("pending_secret")?,
            created_at_ms: row.try_get("created_at_ms")?,
            last_seen_at_ms: row.try_get("last_seen_at_ms")?,
        })
    })
    .transpose()
    .map_err(|e: sqlx::Error| storage(e))
}

pub async fn touch_session(pool: &AnyPool, digest: &TokenDigest, now_ms: i64) -> Result<()> {
    sqlx::query("UPDATE dashboard_sessions SET last_seen_at_ms = $2 WHERE token_digest = $1")
        .bind(&digest.0)
        .bind(now_ms)
        .execute(pool)
        .await
        .map_err(storage)?;
    Ok(())
}

/// Signs a session in under a new token (the one that waited for the code is not the one that is signed in);
/// `false` when the session ended meanwhile.
pub async fn sign_in_session(
    pool: &AnyPool,
    digest: &TokenDigest,
    renewed: &TokenDigest,
) -> Result<bool> {
    let done = sqlx::query(
        "UPDATE dashboard_sessions SET token_digest = $2, stage = 'signed_in', pending_secret = NULL \
         WHERE token_digest = $1",
    )
    .bind(&digest.0)
    .bind(&renewed.0)
    .execute(pool)
    .await
    .map_err(storage)?;
    Ok(done.rows_affected() == 1)
}

/// Deletes the sessions unused since `idle_before_ms` or begun before `begun_before_ms`: ended, and with them any
/// second factor that was being set up.
pub async fn purge_sessions(
    pool: &AnyPool,
    idle_before_ms: i64,
    begun_before_ms: i64,
) -> Result<u64> {
    let done = sqlx::query(
        "DELETE FROM dashboard_sessions WHERE last_seen_at_ms < $1 OR created_at_ms < $2",
    )
    .bind(idle_before_ms)
    .bind(begun_before_ms)
    .execute(pool)
    .await
    .map_err(storage)?;
    Ok(done.rows_affected())
}

pub async fn end_session(pool: &AnyPool, digest: &TokenDigest) -> Result<()> {
    sqlx::query("DELETE FROM dashboard_sessions WHERE token_digest = $1")
        .bind(&digest.0)
        .execute(pool)
        .await
        .map_err(storage)?;
    Ok(())
}

pub async fn end_sessions_of(pool: &AnyPool, person: &str) -> Result<()> {
    sqlx::query("DELETE FROM dashboard_sessions WHERE person = $1")
        .bind(person)
        .execute(pool)
        .await
        .map_err(storage)?;
    Ok(())
}
