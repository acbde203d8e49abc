//! People signing in to the web board: a password, then a second factor for every role that needs one, then a
//! session kept at the node. Each step — a sign-in, a failure, a lock, a sign-out, an expired session — is an
//! audit event; a person who guesses is slowed down and, after `max_failures`, locked out for a while.

use super::{Operator, Workflow};
use crate::access::password::Password;
use crate::access::policy::needs_second_factor;
use crate::access::second_factor::TotpSecret;
use crate::access::token::{Token, TokenDigest, parse_presented};
use crate::audit::NewAuditEvent;
use crate::domain::people::Caller;
use crate::error::{Error, Result};
use crate::storage::sign_in::{self, SessionRow};
use std::time::Duration;

use expertnet_web::sign_in::decoy_hash;
pub use expertnet_web::sign_in::{CodeCheck, SignIn, SignInPolicy, Stage};

const MINUTE_MS: i64 = 60_000;

/// A session of the web board, as a request finds it.
#[derive(Debug, Clone)]
pub struct WebSession {
    pub caller: Caller,
    pub stage: Stage,
    /// Every form of this session carries it; a form without it is refused.
    pub csrf: String,
    /// The second factor being set up, shown until the person confirms it.
    pub pending_secret: Option<TotpSecret>,
    digest: TokenDigest,
}

impl WebSession {
    /// Whether `presented` is this session's CSRF token (compared in constant time).
    pub fn csrf_matches(&self, presented: &str) -> bool {
        expertnet_web::sign_in::same_secret(&self.csrf, presented)
    }
}

impl Workflow {
    /// Checks name and password and, when they are right, starts a session at the stage the person's roles and
    /// second factor call for.
    pub async fn sign_in(
        &self,
        policy: &SignInPolicy,
        name: &str,
        password: Password,
        access_point: &str,
    ) -> Result<SignIn> {
        let known = sign_in::credentials(self.storage().pool(), name.trim()).await?;
        let Some(person) = known else {
            Password::new("-").matches(decoy_hash().to_owned()).await;
            self.record(sign_in_event(
                None,
                "web sign-in",
                access_point,
                "refused",
                self.now(),
            ))
            .await?;
            return Ok(SignIn::Refused);
        };
        let now = self.now();
        if let Some(until_ms) = person.locked_until.filter(|until| *until > now) {
            let event = sign_in_event(
                Some(&person.caller),
                "web sign-in",
                access_point,
                "locked",
                now,
            );
            self.record(event).await?;
            return Ok(SignIn::Locked { until_ms });
        }
        let attempt = match self
            .attempt(policy, &person.caller, "web sign-in", access_point)
            .await?
        {
            Attempt::Locked { until_ms } => return Ok(SignIn::Locked { until_ms }),
            Attempt::Counted(attempt) => attempt,
        };
        let matches = match person.password_hash.clone() {
            Some(phc) => password.matches(phc).await,
            None => false,
        };
        if !matches {
            return self
                .failed(policy, &person.caller, attempt, "web sign-in", access_point)
                .await
                .map(|lock| match lock {
                    Some(until_ms) => SignIn::Locked { until_ms },
                    None => SignIn::Refused,
                });
        }
        let (stage, pending) = match &person.totp_secret {
            Some(_) => (Stage::SecondFactor, None),
            None if needs_second_factor(&person.caller.roles) => {
                (Stage::Enrol, Some(TotpSecret::generate()))
            }
            None => (Stage::SignedIn, None),
        };
        let token = Token::generate();
        let row = SessionRow {
            user_name: person.caller.user.clone(),
            stage: stage.as_str().into(),
            csrf: Token::generate().reveal().to_owned(),
            pending_secret: pending.map(|s| s.base32().to_owned()),
            created_at: now,
            last_seen_at: now,
        };
        let outcome = match stage {
            Stage::SignedIn => "ok",
            Stage::SecondFactor => "password ok; code asked",
            Stage::Enrol => "password ok; second factor to set up",
        };
        let mut tx = self.storage().begin().await?;
        let event = sign_in_event(
            Some(&person.caller),
            "web sign-in",
            access_point,
            outcome,
            now,
        );
        crate::storage::audit::append(&mut tx, vec![event]).await?;
        if stage == Stage::SignedIn {
            sign_in::clear_failures(&mut tx, &person.caller.user).await?;
        } else {
            // The failures before stay counted until the code is right: a known password buys no extra codes.
            sign_in::undo_attempt(&mut tx, &person.caller.user).await?;
        }
        sign_in::insert_session(&mut tx, &token.digest(), &row).await?;
        tx.commit().await?;
        Ok(SignIn::Started { token, stage })
    }

    /// The session a cookie's token belongs to, if it is still valid; a session past its idle or absolute
    /// limit is ended (and audited) and gives `None`. A valid session's idle time starts again.
    pub async fn web_session(
        &self,
        policy: &SignInPolicy,
        token: &str,
        access_point: &str,
    ) -> Result<Option<WebSession>> {
        let Some(digest) = parse_presented(token) else {
            return Ok(None);
        };
        let pool = self.storage().pool();
        let Some((row, caller)) = sign_in::session(pool, &digest).await? else {
            return Ok(None);
        };
        let now = self.now();
        let idle_over = now - row.last_seen_at > i64::from(policy.idle_minutes) * MINUTE_MS;
        let age_over = now - row.created_at > i64::from(policy.absolute_hours) * 60 * MINUTE_MS;
        if idle_over || age_over {
            let mut tx = self.storage().begin().await?;
            let outcome = if idle_over {
                "idle too long"
            } else {
                "too old"
            };
            let event = sign_in_event(Some(&caller), "web session end", access_point, outcome, now);
            crate::storage::audit::append(&mut tx, vec![event]).await?;
            sign_in::end_session(&mut tx, &digest, now).await?;
            tx.commit().await?;
            return Ok(None);
        }
        // The idle clock is reset at most once a minute: a page view need not be a write.
        if now - row.last_seen_at >= MINUTE_MS {
            sign_in::touch_session(pool, &digest, now).await?;
        }
        let stage = Stage::parse(&row.stage).ok_or_else(|| {
            Error::Storage(sqlx::Error::Decode(
                format!("web_sessions.stage: unknown stage '{}'", row.stage).into(),
            ))
        })?;
        Ok(Some(WebSession {
            caller,
            stage,
            csrf: row.csrf,
            pending_secret: row.pending_secret.as_deref().map(TotpSecret::from_base32),
            digest,
        }))
    }

    /// Takes the code from the person's app: at [`Stage::SecondFactor`] against their second factor, at
    /// [`Stage::Enrol`] against the one being set up (which it then keeps). A wrong code counts as a failed
    /// sign-in; a code is good only once. Accepted, the session is signed in under a new token, given back for
    /// the cookie.
    pub async fn confirm_second_factor(
        &self,
        policy: &SignInPolicy,
        session: &WebSession,
        code: &str,
        access_point: &str,
    ) -> Result<(CodeCheck, Option<Token>)> {
        let person = sign_in::credentials(self.storage().pool(), &session.caller.user)
            .await?
            .ok_or_else(|| Error::not_found("active user", &session.caller.user))?;
        let now = self.now();
        if let Some(until_ms) = person.locked_until.filter(|until| *until > now) {
            return Ok((CodeCheck::Locked { until_ms }, None));
        }
        let secret = match session.stage {
            Stage::SecondFactor => person.totp_secret.as_deref().map(TotpSecret::from_base32),
            Stage::Enrol => session.pending_secret.clone(),
            Stage::SignedIn => return Ok((CodeCheck::Accepted, None)),
        };
        let action = match session.stage {
            Stage::Enrol => "web second factor set up",
            _ => "web second factor",
        };
        let attempt = match self
            .attempt(policy, &person.caller, action, access_point)
            .await?
        {
            Attempt::Locked { until_ms } => return Ok((CodeCheck::Locked { until_ms }, None)),
            Attempt::Counted(attempt) => attempt,
        };
        let unix_secs = u64::try_from(now / 1000).unwrap_or_default();
        let step = secret
            .as_ref()
            .and_then(|secret| secret.matching_step(code, unix_secs));
        let mut tx = self.storage().begin().await?;
        let taken = match step {
            Some(step) => sign_in::take_totp_step(&mut tx, &person.caller.user, step).await?,
            None => false,
        };
        if !taken {
            drop(tx);
            return self
                .failed(policy, &person.caller, attempt, action, access_point)
                .await
                .map(|lock| match lock {
                    Some(until_ms) => (CodeCheck::Locked { until_ms }, None),
                    None => (CodeCheck::Refused, None),
                });
        }
        let event = sign_in_event(Some(&person.caller), action, access_point, "ok", now);
        crate::storage::audit::append(&mut tx, vec![event]).await?;
        if session.stage == Stage::Enrol
            && let Some(secret) = &secret
        {
            sign_in::set_second_factor(&mut tx, &person.caller.user, Some(secret.base32())).await?;
            sign_in::take_totp_step(&mut tx, &person.caller.user, step.unwrap_or_default()).await?;
        }
        sign_in::clear_failures(&mut tx, &person.caller.user).await?;
        let renewed = Token::generate();
        if !sign_in::sign_in_under(&mut tx, &session.digest, &renewed.digest()).await? {
            // The session ended while the code was checked (a lock, a sign-out elsewhere).
            return Ok((CodeCheck::Refused, None));
        }
        tx.commit().await?;
        Ok((CodeCheck::Accepted, Some(renewed)))
    }

    /// Ends a session at the person's request.
    pub async fn sign_out(&self, session: &WebSession, access_point: &str) -> Result<()> {
        let now = self.now();
        let mut tx = self.storage().begin().await?;
        let event = sign_in_event(
            Some(&session.caller),
            "web sign-out",
            access_point,
            "ok",
            now,
        );
        crate::storage::audit::append(&mut tx, vec![event]).await?;
        sign_in::end_session(&mut tx, &session.digest, now).await?;
        tx.commit().await
    }

    /// Sets a person's password (the operator's `user password`); their sessions end.
    pub async fn set_password(
        &self,
        operator: impl Into<Operator>,
        name: &str,
        password: Password,
    ) -> Result<()> {
        if let Some(weakness) = password.weakness() {
            return Err(Error::invalid("password", weakness));
        }
        let phc = password
            .hash()
            .await
            .map_err(|e| Error::Unavailable(format!("the password could not be hashed: {e}")))?;
        let mut tx = self.storage().begin().await?;
        let event = self.operator_event(&operator.into(), "user password", name);
        crate::storage::audit::append(&mut tx, vec![event]).await?;
        sign_in::set_password(&mut tx, name, &phc).await?;
        sign_in::end_sessions_of(&mut tx, name, self.now()).await?;
        tx.commit().await
    }

    /// Removes a person's second factor, so that they set up a new one at their next sign-in (a lost phone);
    /// their sessions end.
    pub async fn reset_second_factor(
        &self,
        operator: impl Into<Operator>,
        name: &str,
    ) -> Result<()> {
        let mut tx = self.storage().begin().await?;
        let event = self.operator_event(&operator.into(), "user reset second factor", name);
        crate::storage::audit::append(&mut tx, vec![event]).await?;
        sign_in::set_second_factor(&mut tx, name, None).await?;
        sign_in::end_sessions_of(&mut tx, name, self.now()).await?;
        tx.commit().await
    }

    /// Lifts a lock before its time (an administrator who knows the person).
    pub async fn unlock_user(&self, operator: impl Into<Operator>, name: &str) -> Result<()> {
        let mut tx = self.storage().begin().await?;
        let event = self.operator_event(&operator.into(), "user unlock", name);
        crate::storage::audit::append(&mut tx, vec![event]).await?;
        sign_in::clear_failures(&mut tx, name).await?;
        tx.commit().await
    }

    /// How each person stands for signing in: (name, has a password, has a second factor, locked until).
    pub async fn sign_in_standing(&self) -> Result<Vec<(String, bool, bool, Option<i64>)>> {
        sign_in::standing(self.storage().pool()).await
    }

    /// Counts a failure, locks the account when it was one too many, waits a little longer with each failure,
    /// and records it. Returns the end of a lock it set.
    async fn failed(
        &self,
        policy: &SignInPolicy,
        caller: &Caller,
        failures: i64,
        action: &str,
        access_point: &str,
    ) -> Result<Option<i64>> {
        let now = self.now();
        let lock = (failures >= i64::from(policy.max_failures))
            .then(|| now + i64::from(policy.lock_minutes) * MINUTE_MS);
        let outcome = if lock.is_some() {
            "refused; locked"
        } else {
            "refused"
        };
        let mut tx = self.storage().begin().await?;
        let event = sign_in_event(Some(caller), action, access_point, outcome, now);
        crate::storage::audit::append(&mut tx, vec![event]).await?;
        if let Some(until) = lock {
            sign_in::lock(&mut tx, &caller.user, until).await?;
        }
        tx.commit().await?;
        let backoff_ms = (failures.clamp(1, 8) * 250) as u64;
        tokio::time::sleep(Duration::from_millis(backoff_ms)).await;
        Ok(lock)
    }

    /// Numbers an attempt before it is checked (the failure is counted now, and given back if it succeeds):
    /// refused while the account is locked, or when attempts sent at once have used up what may be tried (the
    /// account is then locked). Either refusal is on the audit trail.
    async fn attempt(
        &self,
        policy: &SignInPolicy,
        caller: &Caller,
        action: &str,
        access_point: &str,
    ) -> Result<Attempt> {
        let now = self.now();
        let mut tx = self.storage().begin().await?;
        let reserved = sign_in::reserve_attempt(&mut tx, &caller.user, now).await?;
        tx.commit().await?;
        let Some(attempt) = reserved else {
            let until_ms = sign_in::credentials(self.storage().pool(), &caller.user)
                .await?
                .and_then(|person| person.locked_until)
                .unwrap_or(now);
            self.record(sign_in_event(
                Some(caller),
                action,
                access_point,
                "locked",
                now,
            ))
            .await?;
            return Ok(Attempt::Locked { until_ms });
        };
        if attempt > i64::from(policy.max_failures) {
            let until_ms = self
                .failed(policy, caller, attempt, action, access_point)
                .await?
                .unwrap_or(now);
            return Ok(Attempt::Locked { until_ms });
        }
        Ok(Attempt::Counted(attempt))
    }

    async fn record(&self, event: NewAuditEvent) -> Result<()> {
        self.audit().record(event).await
    }
}

/// An attempt to sign in, numbered before it is checked.
#[derive(Debug, Clone, Copy)]
enum Attempt {
    Locked {
        until_ms: i64,
    },
    /// The attempts in a row so far, this one included.
    Counted(i64),
}

fn sign_in_event(
    caller: Option<&Caller>,
    action: &str,
    access_point: &str,
    outcome: &str,
    at_ms: i64,
) -> NewAuditEvent {
    // An unknown name is not recorded: people sometimes type their password into the name field.
    NewAuditEvent::by(caller, at_ms, action, None, access_point, outcome)
}
