//! What signing in to a board is, wherever its people and sessions are kept: the policy (failures before a lock,
//! session lifetimes), the stages of a session, the outcomes of a password and of a code, and the checks in
//! constant time. The node keeps its people beside its cases; the gateway keeps its coordinators beside its
//! statistics.

use crate::second_factor::TotpSecret;
use crate::token::Token;
use serde::{Deserialize, Serialize};
use std::sync::OnceLock;

/// How sign-in and sessions behave; `[web.sign_in]` in the node's configuration.
#[derive(Debug, Clone, Copy, Serialize, Deserialize, PartialEq, Eq)]
#[serde(deny_unknown_fields, default)]
pub struct SignInPolicy {
    /// Failed sign-ins (passwords or codes) after which the account locks.
    pub max_failures: u32,
    /// How long a locked account stays locked.
    pub lock_minutes: u32,
    /// A session unused this long ends.
    pub idle_minutes: u32,
    /// A session ends this long after sign-in, however busy.
    pub absolute_hours: u32,
}

impl Default for SignInPolicy {
    fn default() -> SignInPolicy {
        SignInPolicy {
            max_failures: 5,
            lock_minutes: 15,
            idle_minutes: 15,
            absolute_hours: 10,
        }
    }
}

impl SignInPolicy {
    /// What is wrong with these values, naming the key under `section` of the configuration.
    pub fn problem(&self, section: &str) -> Option<String> {
        if !(1..=100).contains(&self.max_failures) {
            return Some(format!(
                "{section}.max_failures: {} is not between 1 and 100",
                self.max_failures
            ));
        }
        if !(1..=24 * 60).contains(&self.lock_minutes) {
            return Some(format!(
                "{section}.lock_minutes: {} is not between 1 and 1440",
                self.lock_minutes
            ));
        }
        if !(1..=24 * 60).contains(&self.idle_minutes) {
            return Some(format!(
                "{section}.idle_minutes: {} is not between 1 and 1440",
                self.idle_minutes
            ));
        }
        if !(1..=72).contains(&self.absolute_hours) {
            return Some(format!(
                "{section}.absolute_hours: {} is not between 1 and 72",
                self.absolute_hours
            ));
        }
        None
    }
}

/// How far a session has come.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Stage {
    /// The password was right; the code from the person's app is awaited.
    SecondFactor,
    /// The password was right and the person has no second factor yet but needs one: it is being set up.
    Enrol,
    SignedIn,
}

impl Stage {
    pub fn as_str(self) -> &'static str {
        match self {
            Stage::SecondFactor => "second_factor",
            Stage::Enrol => "enrol",
            Stage::SignedIn => "signed_in",
        }
    }

    pub fn parse(text: &str) -> Option<Stage> {
        [Stage::SecondFactor, Stage::Enrol, Stage::SignedIn]
            .into_iter()
            .find(|s| s.as_str() == text)
    }
}

/// How a sign-in with name and password ended.
#[derive(Debug)]
pub enum SignIn {
    /// A session began; the token goes into the cookie and is not kept here.
    Started { token: Token, stage: Stage },
    /// Unknown name, no password set, or a wrong password: the same answer for each.
    Refused,
    /// Too many failures: locked until then.
    Locked { until_ms: i64 },
}

/// How a second-factor code was taken.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CodeCheck {
    Accepted,
    Refused,
    Locked { until_ms: i64 },
}

/// A hash no password matches, checked for an unknown name so that its answer takes as long as a known one's.
pub fn decoy_hash() -> &'static str {
    static DECOY: OnceLock<String> = OnceLock::new();
    DECOY.get_or_init(|| {
        use argon2::PasswordHasher;
        argon2::Argon2::default()
            .hash_password(Token::generate().reveal().as_bytes())
            .map(|h| h.to_string())
            .unwrap_or_default()
    })
}

impl SignIn {
    /// How it ended, as metrics count it: `ok`, `refused` or `locked`.
    pub fn outcome(&self) -> &'static str {
        match self {
            SignIn::Started { .. } => "ok",
            SignIn::Refused => "refused",
            SignIn::Locked { .. } => "locked",
        }
    }
}

impl CodeCheck {
    /// How it ended, as metrics count it: `ok`, `refused` or `locked`.
    pub fn outcome(&self) -> &'static str {
        match self {
            CodeCheck::Accepted => "ok",
            CodeCheck::Refused => "refused",
            CodeCheck::Locked { .. } => "locked",
        }
    }
}

/// What the page shows while a second factor is set up: the QR code for `account` and the secret in groups of
/// four; `None` at any other stage.
pub fn enrolment(
    stage: Stage,
    pending: Option<&TotpSecret>,
    account: &str,
) -> Option<(String, String)> {
    pending
        .filter(|_| stage == Stage::Enrol)
        .map(|secret| (secret.qr_svg(account), secret.grouped()))
}

/// Whether `presented` equals `secret` (a CSRF token), compared in constant time.
pub fn same_secret(secret: &str, presented: &str) -> bool {
    let (a, b) = (secret.as_bytes(), presented.as_bytes());
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stages_read_back_and_secrets_compare_whole() {
        for stage in [Stage::SecondFactor, Stage::Enrol, Stage::SignedIn] {
            assert_eq!(Stage::parse(stage.as_str()), Some(stage));
        }
        assert_eq!(Stage::parse("signed in"), None);
        assert!(same_secret("abc", "abc"));
        assert!(!same_secret("abc", "abd"));
        assert!(!same_secret("abc", "ab"));
        assert!(SignInPolicy::default().problem("web").is_none());
        let policy = SignInPolicy {
            max_failures: 0,
            ..SignInPolicy::default()
        };
        assert_eq!(
            policy.problem("dashboard.sign_in").unwrap(),
            "dashboard.sign_in.max_failures: 0 is not between 1 and 100"
        );
    }
}
