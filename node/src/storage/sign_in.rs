//! What the web board keeps to let people sign in: their password hash and second factor (columns of `users`)
//! and their sessions (`web_sessions`, keyed by the SHA-256 of the cookie's token).

use super::Transaction;
use crate::access::token::TokenDigest;
use crate::domain::people::{Caller, Role};
use crate::error::{Error, Result};
use sqlx::Row;

/// What signing in needs to know of an active user.
#[derive(Debug, Clone)]
pub struct Credentials {
    pub caller: Caller,
    pub password_hash: Option<String>,
    pub totp_secret: Option<String>,
    pub failed_sign_ins: i64,
    pub locked_until: Option<i64>,
}

fn roles(text: &str) -> Result<Vec<Role>> {
    Role::parse_list(text).map_err(|word| {
        Error::Storage(sqlx::Error::Decode(
            format!("column roles: unknown role '{word}'").into(),
        ))
    })
}

/// An active user's credentials, or `None` (unknown or disabled).
pub async fn credentials<'e, E>(executor: E, name: &str) -> Result<Option<Credentials>>
where
    E: sqlx::Executor<'e, Database = sqlx::Any>,
{
    let row = sqlx::query(
        "SELECT name, organisation, roles, password_hash, totp_secret, failed_sign_ins, locked_until \
         FROM users WHERE name = $1 AND disabled_at IS NULL",
    )
    .bind(name)
    .fetch_optional(executor)
    .await?;
    row.map(|r| {
        Ok(Credentials {
            caller: Caller {
                user: r.get(0),
                organisation: r.get(1),
                roles: roles(&r.get::<String, _>(2))?,
            },
            password_hash: r.get(3),
            totp_secret: r.get(4),
            failed_sign_ins: r.get(5),
            locked_until: r.get(6),
        })
    })
    .transpose()
}

/// How each user stands for signing in: (name, has a password, has a second factor, locked until).
pub async fn standing<'e, E>(executor: E) -> Result<Vec<(String, bool, bool, Option<i64>)>>
where
    E: sqlx::Executor<'e, Database = sqlx::Any>,
{
    Ok(sqlx::query(
        "SELECT name, CASE WHEN password_hash IS NULL THEN 0 ELSE 1 END, \
         CASE WHEN totp_secret IS NULL THEN 0 ELSE 1 END, locked_until FROM users ORDER BY name",
    )
    .fetch_all(executor)
    .await?
    .iter()
    .map(|r| {
        (
            r.get(0),
            r.get::<i64, _>(1) == 1,
            r.get::<i64, _>(2) == 1,
            r.get(3),
        )
    })
    .collect())
}

/// Counts an attempt (a password or a code) as a failure before it is checked, unless the account is locked at
/// `now`: the attempts in a row after it, or `None` when locked. One statement, so attempts sent at once each
/// take a number and no more than the policy allows are ever checked before the lock.
pub async fn reserve_attempt(tx: &mut Transaction, name: &str, now: i64) -> Result<Option<i64>> {
    Ok(sqlx::query_scalar(
        "UPDATE users SET failed_sign_ins = failed_sign_ins + 1 \
         WHERE name = $1 AND (locked_until IS NULL OR locked_until <= $2) RETURNING failed_sign_ins",
    )
    .bind(name)
    .bind(now)
    .fetch_optional(&mut **tx)
    .await?)
}

/// Gives back the number an attempt took when it succeeded; the failures before it still count.
pub async fn undo_attempt(tx: &mut Transaction, name: &str) -> Result<()> {
    sqlx::query(
        "UPDATE users SET failed_sign_ins = failed_sign_ins - 1 WHERE name = $1 AND failed_sign_ins > 0",
    )
    .bind(name)
    .execute(&mut **tx)
    .await?;
    Ok(())
}

/// Locks the account until `until`; the count of failures starts again.
pub async fn lock(tx: &mut Transaction, name: &str, until: i64) -> Result<()> {
    sqlx::query("UPDATE users SET failed_sign_ins = 0, locked_until = $2 WHERE name = $1")
        .bind(name)
        .bind(until)
        .execute(&mut **tx)
        .await?;
    Ok(())
}

/// Forgets failed sign-ins and any lock after a sign-in succeeded (or an administrator unlocked).
pub async fn clear_failures(tx: &mut Transaction, name: &str) -> Result<()> {
    sqlx::query("UPDATE users SET failed_sign_ins = 0, locked_until = NULL WHERE name = $1")
        .bind(name)
        .execute(&mut **tx)
        .await?;
    Ok(())
}

/// Sets an active user's password hash; `NotFound` when there is no such active user.
pub async fn set_password(tx: &mut Transaction, name: &str, phc: &str) -> Result<()> {
    let changed = sqlx::query(
        "UPDATE users SET password_hash = $2, failed_sign_ins = 0, locked_until = NULL \
         WHERE name = $1 AND disabled_at IS NULL",
    )
    .bind(name)
    .bind(phc)
    .execute(&mut **tx)
    .await?
    .rows_affected();
    found_active(changed, name)
}

/// Sets (or with `None` removes, for a new enrolment) a user's second factor.
pub async fn set_second_factor(
    tx: &mut Transaction,
    name: &str,
    secret: Option<&str>,
) -> Result<()> {
    let changed = sqlx::query(
        "UPDATE users SET totp_secret = $2, totp_last_step = NULL WHERE name = $1 AND disabled_at IS NULL",
    )
    .bind(name)
    .bind(secret)
    .execute(&mut **tx)
    .await?
    .rows_affected();
    found_active(changed, name)
}

/// An update that changed no row found no active user by that name.
fn found_active(changed: u64, name: &str) -> Result<()> {
    if changed == 0 {
        Err(Error::not_found("active user", name))
    } else {
        Ok(())
    }
}

/// Takes TOTP time step `step` for `name` if it is later than every step accepted before; false when the code
/// was used already.
pub async fn take_totp_step(tx: &mut Transaction, name: &str, step: i64) -> Result<bool> {
    let changed = sqlx::query(
        "UPDATE users SET totp_last_step = $2 WHERE name = $1 \
         AND (totp_last_step IS NULL OR totp_last_step < $2)",
    )
    .bind(name)
    .bind(step)
    .execute(&mut **tx)
    .await?
    .rows_affected();
    Ok(changed == 1)
}

/// A web session as stored.
#[derive(Debug, Clone)]
pub struct SessionRow {
    pub user_name: String,
    pub stage: String,
    pub csrf: String,
    pub pending_secret: Option<String>,
    pub created_at: i64,
    pub last_seen_at: i64,
}

pub async fn insert_session(
    tx: &mut Transaction,
    digest: &TokenDigest,
    row: &SessionRow,
) -> Result<()> {
    sqlx::query(
        "INSERT INTO web_sessions (digest, user_name, stage, csrf, pending_secret, created_at, last_seen_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7)",
    )
    .bind(&digest.0)
    .bind(&row.user_name)
    .bind(&row.stage)
    .bind(&row.csrf)
    .bind(&row.pending_secret)
    .bind(row.created_at)
    .bind(row.last_seen_at)
    .execute(&mut **tx)
    .await?;
    Ok(())
}

/// A session that has not ended, with the person it belongs to if they are still active.
pub async fn session<'e, E>(
    executor: E,
    digest: &TokenDigest,
) -> Result<Option<(SessionRow, Caller)>>
where
    E: sqlx::Executor<'e, Database = sqlx::Any>,
{
    let row = sqlx::query(
        "SELECT s.user_name, s.stage, s.csrf, s.pending_secret, s.created_at, s.last_seen_at, \
         u.organisation, u.roles \
         FROM web_sessions s JOIN users u ON u.name = s.user_name \
         WHERE s.digest = $1 AND s.ended_at IS NULL AND u.disabled_at IS NULL",
    )
    .bind(&digest.0)
    .fetch_optional(executor)
    .await?;
    row.map(|r| {
        let session = SessionRow {
            user_name: r.get(0),
            stage: r.get(1),
            csrf: r.get(2),
            pending_secret: r.get(3),
            created_at: r.get(4),
            last_seen_at: r.get(5),
        };
        let caller = Caller {
            user: session.user_name.clone(),
            organisation: r.get(6),
            roles: roles(&r.get::<String, _>(7))?,
        };
        Ok((session, caller))
    })
    .transpose()
}

/// Notes that the session was used at `now` (its idle time starts again).
pub async fn touch_session<'e, E>(executor: E, digest: &TokenDigest, now: i64) -> Result<()>
where
    E: sqlx::Executor<'e, Database = sqlx::Any>,
{
    sqlx::query("UPDATE web_sessions SET last_seen_at = $2 WHERE digest = $1")
        .bind(&digest.0)
        .bind(now)
        .execute(executor)
        .await?;
    Ok(())
}

/// Signs a session in under a new token (the one that waited for the code is not the one that is signed in);
/// `false` when the session ended meanwhile.
pub async fn sign_in_under(
    tx: &mut Transaction,
    digest: &TokenDigest,
    renewed: &TokenDigest,
) -> Result<bool> {
    let done = sqlx::query(
        "UPDATE web_sessions SET digest = $2, stage = 'signed_in', pending_secret = NULL \
         WHERE digest = $1 AND ended_at IS NULL",
    )
    .bind(&digest.0)
    .bind(&renewed.0)
    .execute(&mut **tx)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// Ends one session.
pub async fn end_session(tx: &mut Transaction, digest: &TokenDigest, now: i64) -> Result<()> {
    sqlx::query("UPDATE web_sessions SET ended_at = $2 WHERE digest = $1 AND ended_at IS NULL")
        .bind(&digest.0)
        .bind(now)
        .execute(&mut **tx)
        .await?;
    Ok(())
}

/// Ends every session of a user (a reset second factor, a new password, a disabled account).
pub async fn end_sessions_of(tx: &mut Transaction, name: &str, now: i64) -> Result<()> {
    sqlx::query("UPDATE web_sessions SET ended_at = $2 WHERE user_name = $1 AND ended_at IS NULL")
        .bind(name)
        .bind(now)
        .execute(&mut **tx)
        .await?;
    Ok(())
}
