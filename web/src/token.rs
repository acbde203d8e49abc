//! API tokens: 32 random bytes, shown once as `exn_` + base64url, stored only as their SHA-256. A token has
//! 256 bits of entropy, so a fast hash is enough (as for GitHub's tokens); a password hash would only slow
//! every request down.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use rand::RngCore;
use sha2::{Digest, Sha256};

const PREFIX: &str = "exn_";
const SECRET_BYTES: usize = 32;
/// Length of the base64url text of the secret.
const SECRET_CHARS: usize = 43;

/// A token in clear: exists only between `user add` and the user's screen, and in the user's client.
pub struct Token(String);

impl Token {
    pub fn generate() -> Token {
        let mut secret = [0u8; SECRET_BYTES];
        rand::rng().fill_bytes(&mut secret);
        Token(format!("{PREFIX}{}", URL_SAFE_NO_PAD.encode(secret)))
    }

    pub fn reveal(&self) -> &str {
        &self.0
    }

    pub fn digest(&self) -> TokenDigest {
        TokenDigest::of(&self.0)
    }
}

impl std::fmt::Debug for Token {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Token(..)")
    }
}

/// What the node stores of a token: the hex SHA-256 of its text.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct TokenDigest(pub String);

impl TokenDigest {
    fn of(text: &str) -> TokenDigest {
        TokenDigest(hex::encode(Sha256::digest(text.as_bytes())))
    }
}

/// The digest of a presented token, or `None` when the text cannot be a token of ours (then there is nothing
/// to look up).
pub fn parse_presented(text: &str) -> Option<TokenDigest> {
    let secret = text.strip_prefix(PREFIX)?;
    let well_formed = secret.len() == SECRET_CHARS
        && secret
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_');
    well_formed.then(|| TokenDigest::of(text))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn generated_tokens_parse_to_their_digest_and_differ() {
        let first = Token::generate();
        let second = Token::generate();
        assert_ne!(first.reveal(), second.reveal());
        assert_eq!(parse_presented(first.reveal()), Some(first.digest()));
        assert_eq!(first.digest().0.len(), 64);
        assert_eq!(format!("{first:?}"), "Token(..)");
    }

    #[test]
    fn malformed_tokens_do_not_parse() {
        let good = Token::generate();
        for bad in [
            "",
            "exn_",
            "abc",
            &good.reveal()[1..],
            &format!("{}=", good.reveal()),
            &good.reveal().replace('_', "/"),
        ] {
            assert_eq!(parse_presented(bad), None, "{bad:?}");
        }
    }
}
