//! Coordinators as people: the supra-regional coordinators sign in to the dashboard with a password and the
//! code of an authenticator app, and each person acts as the coordinator identity the registry names (the name
//! in a coordinator's certificate). Their rights are that certificate's: the national figures for every
//! coordinator, an area's and its regions' figures for the area's coordinators. A person who guesses is locked
//! out for a while after `max_failures`; a refusal never says whether the name or the password was wrong.

mod store;

use crate::error::{Error, Result};
use expertnet_federation::registry::is_region_id;
use expertnet_web::password::Password;
use expertnet_web::second_factor::TotpSecret;
use expertnet_web::sign_in::{CodeCheck, SignIn, SignInPolicy, Stage, decoy_hash, same_secret};
use expertnet_web::token::{Token, TokenDigest, parse_presented};
use sqlx::AnyPool;

const MINUTE_MS: i64 = 60_000;

/// The people who may sign in to the dashboard, and their sessions.
#[derive(Debug, Clone)]
pub struct CoordinatorPeople {
    pool: AnyPool,
    policy: SignInPolicy,
}

/// A dashboard session, as a request finds it.
#[derive(Debug, Clone)]
pub struct Session {
    /// The person signed in.
    pub person: String,
    /// The coordinator identity whose rights they have.
    pub coordinator: String,
    pub stage: Stage,
    /// Every form of the session carries it.
    pub csrf: String,
    /// The second factor being set up, shown until the person confirms it.
    pub pending_secret: Option<TotpSecret>,
    digest: TokenDigest,
}

impl Session {
    /// Whether `presented` is this session's CSRF token.
    pub fn csrf_matches(&self, presented: &str) -> bool {
        same_secret(&self.csrf, presented)
    }
}

/// A person as `people list` shows them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PersonSummary {
    pub name: String,
    pub coordinator: String,
    pub has_second_factor: bool,
    pub locked_until_ms: Option<i64>,
}

/// Whether `name` may name a person or a coordinator: letters, digits, '.', '_' and '-', 1 to 64 of them.
fn check_name(field: &str, name: &str) -> Result<()> {
    let fits = (1..=64).contains(&name.len())
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-'));
    if fits {
        Ok(())
    } else {
        Err(Error::invalid(
            field,
            format!("'{name}' must be 1 to 64 letters, digits, '.', '_' or '-'"),
        ))
    }
}

impl CoordinatorPeople {
    pub fn new(pool: AnyPool, policy: SignInPolicy) -> CoordinatorPeople {
        CoordinatorPeople { pool, policy }
    }

    /// Adds a person acting as `coordinator`. The coordinator need not be an area's: any coordinator reads the
    /// national figures.
    pub async fn add(
        &self,
        name: &str,
        coordinator: &str,
        password: Password,
        now_ms: i64,
    ) -> Result<()> {
        check_name("name", name)?;
        // The name a coordinator certificate carries.
        if !is_region_id(coordinator) {
            return Err(Error::invalid(
                "coordinator",
                format!(
                    "'{coordinator}' must be 1-64 of a-z and '-', as in a coordinator's certificate"
                ),
            ));
        }
        let phc = hash(password).await?;
        if store::insert_person(&self.pool, name, coordinator, &phc, now_ms).await? {
            tracing::info!(person = name, coordinator, "dashboard person added");
            Ok(())
        } else {
            Err(Error::AlreadyExists(format!(
                "a person named {name} already exists"
            )))
        }
    }

    /// Sets a person's password; their sessions end.
    pub async fn set_password(&self, name: &str, password: Password) -> Result<()> {
        let phc = hash(password).await?;
        if !store::set_password(&self.pool, name, &phc).await? {
            return Err(unknown(name));
        }
        store::end_sessions_of(&self.pool, name).await?;
        tracing::info!(person = name, "dashboard password set");
        Ok(())
    }

    /// Removes a person's second factor, so that they set up a new one at their next sign-in, and lifts a
    /// lock; their sessions end.
    pub async fn reset_second_factor(&self, name: &str) -> Result<()> {
        if !store::reset_second_factor(&self.pool, name).await? {
            return Err(unknown(name));
        }
        store::end_sessions_of(&self.pool, name).await?;
        tracing::info!(person = name, "dashboard second factor reset");
        Ok(())
    }

    /// Removes a person and ends their sessions.
    pub async fn remove(&self, name: &str) -> Result<()> {
        if !store::remove_person(&self.pool, name).await? {
            return Err(unknown(name));
        }
        tracing::info!(person = name, "dashboard person removed");
        Ok(())
    }

    pub async fn list(&self) -> Result<Vec<PersonSummary>> {
        Ok(store::people(&self.pool)
            .await?
            .into_iter()
            .map(
                |(name, coordinator, has_second_factor, locked_until_ms)| PersonSummary {
                    name,
                    coordinator,
                    has_second_factor,
                    locked_until_ms,
                },
            )
            .collect())
    }

    /// Checks name and password; when they are right a session begins that waits for the code from the
    /// person's app, or (first time) for a second factor to be set up. Coordinators always need one.
    pub async fn sign_in(&self, name: &str, password: Password, now_ms: i64) -> Result<SignIn> {
        self.purge(now_ms).await?;
        let Some(person) = store::person(&self.pool, name.trim()).await? else {
            // As long as a known name's check, so the answer's time does not tell whether the name exists.
            Password::new("-").matches(decoy_hash().to_owned()).await;
            tracing::info!(outcome = "refused", "dashboard sign-in");
            return Ok(SignIn::Refused);
        };
        let attempt = match self.attempt(&person.name, now_ms).await? {
            Attempt::Locked { until_ms } => return Ok(SignIn::Locked { until_ms }),
            Attempt::Counted(attempt) => attempt,
        };
        if !password.matches(person.password_hash.clone()).await {
            return Ok(match self.failed(&person.name, attempt, now_ms).await? {
                Some(until_ms) => SignIn::Locked { until_ms },
                None => SignIn::Refused,
            });
        }
        // The failures before stay counted until the code is right: a known password buys no extra codes.
        store::undo_attempt(&self.pool, &person.name).await?;
        let (stage, pending) = match &person.totp_secret {
            Some(_) => (Stage::SecondFactor, None),
            None => (Stage::Enrol, Some(TotpSecret::generate())),
        };
        let token = Token::generate();
        store::insert_session(
            &self.pool,
            &token.digest(),
            &person.name,
            stage.as_str(),
            Token::generate().reveal(),
            pending.as_ref().map(TotpSecret::base32),
            now_ms,
        )
        .await?;
        tracing::info!(person = %person.name, stage = stage.as_str(), "dashboard sign-in: password ok");
        Ok(SignIn::Started { token, stage })
    }

    /// The session a cookie's token belongs to while it is valid; one past its idle or absolute limit ends
    /// and gives `None`. With `in_use`, a valid session's idle time starts again (written at most once a
    /// minute); a page refreshing itself is not use.
    pub async fn session(&self, token: &str, now_ms: i64, in_use: bool) -> Result<Option<Session>> {
        let Some(digest) = parse_presented(token) else {
            return Ok(None);
        };
        let Some(row) = store::session(&self.pool, &digest).await? else {
            return Ok(None);
        };
        let idle_over =
            now_ms - row.last_seen_at_ms > i64::from(self.policy.idle_minutes) * MINUTE_MS;
        let age_over =
            now_ms - row.created_at_ms > i64::from(self.policy.absolute_hours) * 60 * MINUTE_MS;
        if idle_over || age_over {
            store::end_session(&self.pool, &digest).await?;
            tracing::info!(person = %row.person, idle_over, "dashboard session ended by its limit");
            return Ok(None);
        }
        if in_use && now_ms - row.last_seen_at_ms >= MINUTE_MS {
            store::touch_session(&self.pool, &digest, now_ms).await?;
        }
        let stage = Stage::parse(&row.stage).ok_or_else(|| {
            Error::Storage(format!(
                "dashboard_sessions.stage: unknown stage '{}'",
                row.stage
            ))
        })?;
        Ok(Some(Session {
            person: row.person,
            coordinator: row.coordinator,
            stage,
            csrf: row.csrf,
            pending_secret: row.pending_secret.as_deref().map(TotpSecret::from_base32),
            digest,
        }))
    }

    /// Takes the code from the person's app: against their second factor, or at enrolment against the one
    /// being set up (which it then keeps). A wrong code counts as a failed sign-in; a code is good only once.
    /// Accepted, the session is signed in under a new token, given back for the cookie.
    pub async fn confirm_code(
        &self,
        session: &Session,
        code: &str,
        now_ms: i64,
    ) -> Result<(CodeCheck, Option<Token>)> {
        if session.stage == Stage::SignedIn {
            return Ok((CodeCheck::Accepted, None));
        }
        let person = store::person(&self.pool, &session.person)
            .await?
            .ok_or_else(|| unknown(&session.person))?;
        let attempt = match self.attempt(&person.name, now_ms).await? {
            Attempt::Locked { until_ms } => return Ok((CodeCheck::Locked { until_ms }, None)),
            Attempt::Counted(attempt) => attempt,
        };
        let unix_secs = u64::try_from(now_ms / 1000).unwrap_or_default();
        let taken = match session.stage {
            Stage::SecondFactor => {
                let secret = person.totp_secret.as_deref().map(TotpSecret::from_base32);
                match secret.and_then(|s| s.matching_step(code, unix_secs)) {
                    Some(step) => store::take_step(&self.pool, &person.name, step).await?,
                    None => false,
                }
            }
            Stage::Enrol | Stage::SignedIn => match &session.pending_secret {
                Some(secret) => match secret.matching_step(code, unix_secs) {
                    Some(step) => {
                        store::enrol(&self.pool, &person.name, secret.base32(), step).await?
                    }
                    None => false,
                },
                None => false,
            },
        };
        if !taken {
            let check = match self.failed(&person.name, attempt, now_ms).await? {
                Some(until_ms) => CodeCheck::Locked { until_ms },
                None => CodeCheck::Refused,
            };
            return Ok((check, None));
        }
        let renewed = Token::generate();
        if !store::sign_in_session(&self.pool, &session.digest, &renewed.digest()).await? {
            // The session ended while the code was checked (a lock, a sign-out elsewhere).
            return Ok((CodeCheck::Refused, None));
        }
        store::clear_failures(&self.pool, &person.name).await?;
        tracing::info!(person = %person.name, enrolled = session.stage == Stage::Enrol, "dashboard sign-in: code ok");
        Ok((CodeCheck::Accepted, Some(renewed)))
    }

    /// Ends a session at the person's request.
    pub async fn sign_out(&self, session: &Session) -> Result<()> {
        store::end_session(&self.pool, &session.digest).await?;
        tracing::info!(person = %session.person, "dashboard sign-out");
        Ok(())
    }

    /// Takes a number for an attempt before it is checked: refused outright while the person is locked, or
    /// when attempts sent at once have already used up what may be tried (the person is then locked).
    async fn attempt(&self, name: &str, now_ms: i64) -> Result<Attempt> {
        let Some(attempt) = store::reserve_attempt(&self.pool, name, now_ms).await? else {
            let until_ms = store::locked_until(&self.pool, name)
                .await?
                .unwrap_or(now_ms);
            tracing::info!(person = name, outcome = "locked", "dashboard sign-in");
            return Ok(Attempt::Locked { until_ms });
        };
        if attempt > i64::from(self.policy.max_failures) {
            let until_ms = self.lock(name, now_ms).await?;
            return Ok(Attempt::Locked { until_ms });
        }
        Ok(Attempt::Counted(attempt))
    }

    /// A checked attempt failed (it was counted when it began): the person is locked, and their sessions end,
    /// when it was the last one allowed; until when.
    async fn failed(&self, name: &str, attempt: i64, now_ms: i64) -> Result<Option<i64>> {
        if attempt < i64::from(self.policy.max_failures) {
            tracing::info!(
                person = name,
                failures = attempt,
                "dashboard sign-in refused"
            );
            return Ok(None);
        }
        self.lock(name, now_ms).await.map(Some)
    }

    async fn lock(&self, name: &str, now_ms: i64) -> Result<i64> {
        let until_ms = now_ms + i64::from(self.policy.lock_minutes) * MINUTE_MS;
        store::lock(&self.pool, name, until_ms).await?;
        store::end_sessions_of(&self.pool, name).await?;
        tracing::warn!(
            person = name,
            until_ms,
            "dashboard person locked after too many failures"
        );
        Ok(until_ms)
    }

    /// Ends the sessions past their idle or absolute limit that nobody presented again.
    async fn purge(&self, now_ms: i64) -> Result<()> {
        let idle = i64::from(self.policy.idle_minutes) * MINUTE_MS;
        let absolute = i64::from(self.policy.absolute_hours) * 60 * MINUTE_MS;
        let ended = store::purge_sessions(&self.pool, now_ms - idle, now_ms - absolute).await?;
        if ended > 0 {
            tracing::info!(ended, "dashboard sessions past their limits ended");
        }
        Ok(())
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

async fn hash(password: Password) -> Result<String> {
    if let Some(weakness) = password.weakness() {
        return Err(Error::invalid("password", weakness));
    }
    password
        .hash()
        .await
        .map_err(|e| Error::Storage(format!("the password could not be hashed: {e}")))
}

fn unknown(name: &str) -> Error {
    Error::NotFound(format!("no person named {name}"))
}
