//! Passwords of the people who sign in to the web board: kept only as argon2id PHC strings (the hash, its
//! parameters and its salt in one text), checked in a blocking thread because a check takes tens of
//! milliseconds on purpose.

use argon2::{Argon2, PasswordHasher, PasswordVerifier};

/// Shortest password a person may set: long enough that guessing it online, slowed down and locked, is hopeless.
pub const MIN_PASSWORD_CHARS: usize = 12;

/// A password in clear: exists between the keyboard and the hash. `Debug` never shows it.
pub struct Password(String);

impl Password {
    pub fn new(text: impl Into<String>) -> Password {
        Password(text.into())
    }

    /// Why this password may not be set, or `None` when it may.
    pub fn weakness(&self) -> Option<String> {
        let chars = self.0.chars().count();
        (chars < MIN_PASSWORD_CHARS).then(|| {
            format!("must be at least {MIN_PASSWORD_CHARS} characters long (it is {chars})")
        })
    }

    /// The argon2id PHC string to store.
    pub async fn hash(self) -> Result<String, String> {
        tokio::task::spawn_blocking(move || {
            Argon2::default()
                .hash_password(self.0.as_bytes())
                .map(|hash| hash.to_string())
                .map_err(|e| e.to_string())
        })
        .await
        .map_err(|e| e.to_string())?
    }

    /// Whether this password matches `phc`; a stored value that is no PHC string matches nothing.
    pub async fn matches(self, phc: String) -> bool {
        tokio::task::spawn_blocking(move || {
            Argon2::default()
                .verify_password(self.0.as_bytes(), phc.as_str())
                .is_ok()
        })
        .await
        .unwrap_or(false)
    }
}

impl std::fmt::Debug for Password {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Password(..)")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_password_matches_its_own_hash_only() {
        let phc = Password::new("correct horse battery").hash().await.unwrap();
        assert!(phc.starts_with("$argon2id$"), "{phc}");
        assert!(
            Password::new("correct horse battery")
                .matches(phc.clone())
                .await
        );
        assert!(!Password::new("correct horse batterY").matches(phc).await);
        assert!(!Password::new("x").matches("not a hash".into()).await);
        assert_eq!(format!("{:?}", Password::new("geheim")), "Password(..)");
    }

    #[test]
    fn short_passwords_are_named_weak() {
        assert!(Password::new("kort").weakness().unwrap().contains("12"));
        assert_eq!(Password::new("twaalf tekens").weakness(), None);
    }
}
