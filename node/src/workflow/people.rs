//! Managing the node's users: the operator's `user` commands. Each change is written to the audit trail in
//! the same transaction, under the operator's account and the access point `cli`.

use super::Workflow;
use crate::access::token::Token;
use crate::audit::NewAuditEvent;
use crate::domain::people::{Role, User};
use crate::domain::validate;
use crate::error::{Error, Result};
use crate::storage::{self, users};

/// Longest a token may be valid.
pub const MAX_TOKEN_DAYS: u32 = 3650;
const DAY_MS: i64 = 86_400_000;

/// Who manages people, and from where: an operator's command on the node's machine (a plain name: access point
/// `cli`) or an administrator on the web board.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Operator {
    pub name: String,
    pub access_point: String,
}

impl From<&str> for Operator {
    fn from(name: &str) -> Operator {
        Operator {
            name: name.to_owned(),
            access_point: "cli".into(),
        }
    }
}

impl From<&String> for Operator {
    fn from(name: &String) -> Operator {
        Operator::from(name.as_str())
    }
}

/// A new user to add.
#[derive(Debug, Clone)]
pub struct NewUser {
    pub name: String,
    pub organisation: String,
    pub roles: Vec<Role>,
}

/// A user name: what the audit trail will call the person.
pub fn user_name(field: &str, value: &str) -> Result<String> {
    let name = validate::short_text(field, value)?;
    if name.len() > 64
        || !name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | '_' | '@'))
    {
        return Err(Error::invalid(
            field,
            "must be 1-64 of letters, digits, '.', '-', '_' and '@' (e.g. j.jansen)",
        ));
    }
    Ok(name)
}

impl Workflow {
    /// Adds a user and makes their first token, valid for `valid_days` (none: until revoked).
    pub async fn add_user(
        &self,
        operator: impl Into<Operator>,
        new: NewUser,
        valid_days: Option<u32>,
    ) -> Result<(User, Token)> {
        if new.roles.is_empty() {
            return Err(Error::invalid("roles", "name at least one role"));
        }
        let user = User {
            name: user_name("name", &new.name)?,
            organisation: validate::short_text("organisation", &new.organisation)?,
            roles: new.roles,
            created_at: self.now(),
            disabled_at: None,
        };
        let mut tx = self.storage().begin().await?;
        users::insert_user(&mut tx, &user).await?;
        let token = self.store_token(&mut tx, &user.name, valid_days).await?;
        let event = self.operator_event(&operator.into(), "user add", &user.name);
        storage::audit::append(&mut tx, vec![event]).await?;
        tx.commit().await?;
        Ok((user, token))
    }

    /// Makes another token for an active user; with `revoke_others`, their earlier tokens stop working.
    pub async fn issue_token(
        &self,
        operator: impl Into<Operator>,
        name: &str,
        valid_days: Option<u32>,
        revoke_others: bool,
    ) -> Result<Token> {
        let mut tx = self.storage().begin().await?;
        // The audit event goes first: a writing transaction starts with a write (see `storage`).
        let event = self.operator_event(&operator.into(), "user token", name);
        storage::audit::append(&mut tx, vec![event]).await?;
        users::active_user(&mut *tx, name).await?;
        if revoke_others {
            users::revoke_tokens(&mut tx, name, self.now()).await?;
        }
        let token = self.store_token(&mut tx, name, valid_days).await?;
        tx.commit().await?;
        Ok(token)
    }

    /// Disables a user and revokes all their tokens at once.
    pub async fn disable_user(&self, operator: impl Into<Operator>, name: &str) -> Result<()> {
        let mut tx = self.storage().begin().await?;
        users::disable(&mut tx, name, self.now()).await?;
        crate::storage::sign_in::end_sessions_of(&mut tx, name, self.now()).await?;
        let event = self.operator_event(&operator.into(), "user revoke", name);
        storage::audit::append(&mut tx, vec![event]).await?;
        tx.commit().await
    }

    /// Every user and how many valid tokens each holds.
    pub async fn users(&self) -> Result<Vec<(User, i64)>> {
        users::list(self.storage().pool(), self.now()).await
    }

    async fn store_token(
        &self,
        tx: &mut storage::Transaction,
        name: &str,
        valid_days: Option<u32>,
    ) -> Result<Token> {
        let expires_at = match valid_days {
            None => None,
            Some(days) if (1..=MAX_TOKEN_DAYS).contains(&days) => {
                Some(self.now() + i64::from(days) * DAY_MS)
            }
            Some(days) => {
                return Err(Error::invalid(
                    "valid_days",
                    format!("{days} is not between 1 and {MAX_TOKEN_DAYS}"),
                ));
            }
        };
        let token = Token::generate();
        users::insert_token(tx, name, &token.digest(), self.now(), expires_at).await?;
        Ok(token)
    }

    pub(crate) fn operator_event(
        &self,
        operator: &Operator,
        action: &str,
        user: &str,
    ) -> NewAuditEvent {
        NewAuditEvent {
            access_point: operator.access_point.clone(),
            ..NewAuditEvent::operator(self.now(), &operator.name, action, user)
        }
    }
}
