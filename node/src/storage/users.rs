//! The node's users and their API tokens (kept as digests only).

use super::{Transaction, is_unique_violation};
use crate::access::token::TokenDigest;
use crate::domain::people::{Caller, Role, User, roles_text};
use crate::error::{Error, Result};
use sqlx::Row;

pub async fn insert_user(tx: &mut Transaction, user: &User) -> Result<()> {
    sqlx::query(
        "INSERT INTO users (name, organisation, roles, created_at) VALUES ($1, $2, $3, $4)",
    )
    .bind(&user.name)
    .bind(&user.organisation)
    .bind(roles_text(&user.roles))
    .bind(user.created_at)
    .execute(&mut **tx)
    .await
    .map_err(|err| {
        if is_unique_violation(&err) {
            Error::AlreadyExists {
                field: "name".into(),
                message: format!("a user named '{}' exists already", user.name),
            }
        } else {
            err.into()
        }
    })?;
    Ok(())
}

/// Stores a new token of an active user.
pub async fn insert_token(
    tx: &mut Transaction,
    user: &str,
    digest: &TokenDigest,
    created_at: i64,
    expires_at: Option<i64>,
) -> Result<()> {
    sqlx::query(
        "INSERT INTO api_tokens (digest, user_name, created_at, expires_at) VALUES ($1, $2, $3, $4)",
    )
    .bind(&digest.0)
    .bind(user)
    .bind(created_at)
    .bind(expires_at)
    .execute(&mut **tx)
    .await?;
    Ok(())
}

fn user_from_row(r: &sqlx::any::AnyRow) -> Result<User> {
    Ok(User {
        name: r.get(0),
        organisation: r.get(1),
        roles: Role::parse_list(&r.get::<String, _>(2)).map_err(|word| {
            Error::Storage(sqlx::Error::Decode(
                format!("column roles: unknown role '{word}'").into(),
            ))
        })?,
        created_at: r.get(3),
        disabled_at: r.get(4),
    })
}

/// An active user by name.
pub async fn active_user<'e, E>(executor: E, name: &str) -> Result<User>
where
    E: sqlx::Executor<'e, Database = sqlx::Any>,
{
    let row = sqlx::query(
        "SELECT name, organisation, roles, created_at, disabled_at FROM users \
         WHERE name = $1 AND disabled_at IS NULL",
    )
    .bind(name)
    .fetch_optional(executor)
    .await?
    .ok_or_else(|| Error::not_found("user", name))?;
    user_from_row(&row)
}

/// Every user, with how many of their tokens are still valid at `now`.
pub async fn list<'e, E>(executor: E, now: i64) -> Result<Vec<(User, i64)>>
where
    E: sqlx::Executor<'e, Database = sqlx::Any>,
{
    sqlx::query(
        "SELECT u.name, u.organisation, u.roles, u.created_at, u.disabled_at, \
         (SELECT COUNT(*) FROM api_tokens t WHERE t.user_name = u.name AND t.revoked_at IS NULL \
          AND (t.expires_at IS NULL OR t.expires_at > $1)) \
         FROM users u ORDER BY u.name",
    )
    .bind(now)
    .fetch_all(executor)
    .await?
    .iter()
    .map(|r| Ok((user_from_row(r)?, r.get::<i64, _>(5))))
    .collect()
}

/// Who holds the token with `digest`, if it is valid at `now` and its user is active.
pub async fn caller<'e, E>(executor: E, digest: &TokenDigest, now: i64) -> Result<Option<Caller>>
where
    E: sqlx::Executor<'e, Database = sqlx::Any>,
{
    let row = sqlx::query(
        "SELECT u.name, u.organisation, u.roles, u.created_at, u.disabled_at FROM api_tokens t \
         JOIN users u ON u.name = t.user_name \
         WHERE t.digest = $1 AND t.revoked_at IS NULL AND (t.expires_at IS NULL OR t.expires_at > $2) \
         AND u.disabled_at IS NULL",
    )
    .bind(&digest.0)
    .bind(now)
    .fetch_optional(executor)
    .await?;
    row.map(|r| user_from_row(&r).map(Caller::from)).transpose()
}

/// Disables a user and revokes all their tokens; the user's name stays taken (the audit trail names it).
pub async fn disable(tx: &mut Transaction, name: &str, now: i64) -> Result<()> {
    let changed =
        sqlx::query("UPDATE users SET disabled_at = $2 WHERE name = $1 AND disabled_at IS NULL")
            .bind(name)
            .bind(now)
            .execute(&mut **tx)
            .await?
            .rows_affected();
    if changed == 0 {
        return Err(Error::not_found("active user", name));
    }
    revoke_tokens(tx, name, now).await
}

/// Revokes every token of a user that is not revoked yet.
pub async fn revoke_tokens(tx: &mut Transaction, name: &str, now: i64) -> Result<()> {
    sqlx::query(
        "UPDATE api_tokens SET revoked_at = $2 WHERE user_name = $1 AND revoked_at IS NULL",
    )
    .bind(name)
    .bind(now)
    .execute(&mut **tx)
    .await?;
    Ok(())
}
