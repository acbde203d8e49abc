//! Encryption at rest of a youth's direct identifiers, and the keyed pseudonym that lets intake see that a youth
//! was at the table before without decrypting anything.
//!
//! Each identifier is sealed on its own with XChaCha20-Poly1305 (RustCrypto; a random 24-byte nonce per value),
//! bound to its case and field as associated data, so a ciphertext copied to another row or field does not open.
//! A sealed value reads `v1:<key id>:<base64 of nonce and ciphertext>`; the key id lets a rotation re-encrypt
//! row by row while older keys still open what they sealed.

pub mod keyring;

use base64::Engine;
use base64::engine::general_purpose::STANDARD_NO_PAD as BASE64;
use chacha20poly1305::aead::{Aead, KeyInit, Payload};
use chacha20poly1305::{XChaCha20Poly1305, XNonce};
use hmac::{Hmac, Mac};
use keyring::{Keyring, KeyringError};
use rand::RngCore;
use sha2::Sha256;
use std::collections::HashMap;
use std::sync::Arc;

const FORMAT: &str = "v1";
const NONCE_BYTES: usize = 24;

#[derive(Debug, thiserror::Error)]
pub enum VaultError {
    #[error(transparent)]
    Keyring(#[from] KeyringError),
    /// A stored value that does not open: wrong key, altered or moved. Says which field, never its content.
    #[error("the stored {field} of case {case_id} cannot be decrypted{reason}")]
    Unreadable {
        case_id: String,
        field: &'static str,
        reason: String,
    },
}

/// The node's keys, ready to use. Cheap to clone.
#[derive(Clone)]
pub struct Vault {
    inner: Arc<Inner>,
}

struct Inner {
    current: String,
    ciphers: HashMap<String, XChaCha20Poly1305>,
    pseudonym_secret: [u8; keyring::KEY_BYTES],
}

impl std::fmt::Debug for Vault {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Vault")
            .field("current", &self.inner.current)
            .finish_non_exhaustive()
    }
}

impl Vault {
    pub fn new(keyring: &Keyring) -> Result<Vault, VaultError> {
        keyring.validate()?;
        let mut ciphers = HashMap::new();
        for entry in &keyring.keys {
            let key = keyring
                .decoded_key(&entry.id)?
                .expect("the entry is in the keyring");
            ciphers.insert(entry.id.clone(), XChaCha20Poly1305::new(&key.into()));
        }
        Ok(Vault {
            inner: Arc::new(Inner {
                current: keyring.current.clone(),
                ciphers,
                pseudonym_secret: keyring.decoded_pseudonym_secret()?,
            }),
        })
    }

    /// A vault with fresh random keys that live only in memory: for tests and throw-away nodes.
    pub fn ephemeral() -> Vault {
        Vault::new(&Keyring::generate()).expect("a generated keyring is valid")
    }

    pub fn current_key(&self) -> &str {
        &self.inner.current
    }

    /// Encrypts `plaintext`, the `field` of case `case_id`, with the current key.
    pub fn seal(&self, case_id: &str, field: &'static str, plaintext: &str) -> String {
        let cipher = &self.inner.ciphers[&self.inner.current];
        let mut nonce = [0u8; NONCE_BYTES];
        rand::rng().fill_bytes(&mut nonce);
        let aad = associated_data(case_id, field);
        let ciphertext = cipher
            .encrypt(
                &XNonce::from(nonce),
                Payload {
                    msg: plaintext.as_bytes(),
                    aad: aad.as_bytes(),
                },
            )
            .expect("XChaCha20-Poly1305 encrypts any message of this size");
        let mut sealed = Vec::with_capacity(NONCE_BYTES + ciphertext.len());
        sealed.extend_from_slice(&nonce);
        sealed.extend_from_slice(&ciphertext);
        format!("{FORMAT}:{}:{}", self.inner.current, BASE64.encode(sealed))
    }

    /// Decrypts what [`Vault::seal`] made for the same case and field.
    pub fn open(
        &self,
        case_id: &str,
        field: &'static str,
        sealed: &str,
    ) -> Result<String, VaultError> {
        let unreadable = |reason: &str| VaultError::Unreadable {
            case_id: case_id.to_owned(),
            field,
            reason: reason.to_owned(),
        };
        let mut parts = sealed.splitn(3, ':');
        let (Some(FORMAT), Some(key_id), Some(body)) = (parts.next(), parts.next(), parts.next())
        else {
            return Err(unreadable(": not a sealed value"));
        };
        let cipher = self
            .inner
            .ciphers
            .get(key_id)
            .ok_or_else(|| unreadable(&format!(": key {key_id} is not in the keyring")))?;
        let bytes = BASE64
            .decode(body)
            .map_err(|_| unreadable(": damaged encoding"))?;
        if bytes.len() < NONCE_BYTES {
            return Err(unreadable(": too short"));
        }
        let (nonce, ciphertext) = bytes.split_at(NONCE_BYTES);
        let nonce: [u8; NONCE_BYTES] = nonce.try_into().expect("split at the nonce's length");
        let aad = associated_data(case_id, field);
        let plaintext = cipher
            .decrypt(
                &XNonce::from(nonce),
                Payload {
                    msg: ciphertext,
                    aad: aad.as_bytes(),
                },
            )
            .map_err(|_| unreadable(": altered, moved or under another key"))?;
        String::from_utf8(plaintext).map_err(|_| unreadable(": not text"))
    }

    /// The key a sealed value names, if it is one.
    pub fn key_of(sealed: &str) -> Option<&str> {
        let mut parts = sealed.splitn(3, ':');
        match (parts.next(), parts.next()) {
            (Some(FORMAT), Some(key_id)) => Some(key_id),
            _ => None,
        }
    }

    /// The keyed pseudonym of a BSN (HMAC-SHA256 with the region's secret over its nine digits, hex): equal
    /// for equal BSNs at this node, meaningless elsewhere and without the secret.
    pub fn pseudonym(&self, bsn: &str) -> String {
        let digits: String = bsn.chars().filter(char::is_ascii_digit).collect();
        let mut mac = <Hmac<Sha256> as Mac>::new_from_slice(&self.inner.pseudonym_secret)
            .expect("HMAC takes a key of any length");
        mac.update(b"expertnet:bsn:");
        mac.update(digits.as_bytes());
        hex::encode(mac.finalize().into_bytes())
    }
}

fn associated_data(case_id: &str, field: &str) -> String {
    format!("expertnet:youth:{case_id}:{field}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sealed_values_open_only_for_their_case_and_field() {
        let vault = Vault::ephemeral();
        let sealed = vault.seal("case-1", "name", "Sanne de Vries");
        assert!(!sealed.contains("Sanne"));
        assert_ne!(
            sealed,
            vault.seal("case-1", "name", "Sanne de Vries"),
            "fresh nonce"
        );
        assert_eq!(
            vault.open("case-1", "name", &sealed).unwrap(),
            "Sanne de Vries"
        );
        let moved = vault
            .open("case-2", "name", &sealed)
            .unwrap_err()
            .to_string();
        assert!(
            moved.contains("case-2") && moved.contains("name"),
            "{moved}"
        );
        assert!(!moved.contains("Sanne"));
        assert!(vault.open("case-1", "bsn", &sealed).is_err(), "other field");
        let mut altered = sealed.clone();
        altered.pop();
        altered.push(if sealed.ends_with('A') { 'B' } else { 'A' });
        assert!(vault.open("case-1", "name", &altered).is_err());
        assert!(
            Vault::ephemeral().open("case-1", "name", &sealed).is_err(),
            "other keyring"
        );
        assert!(
            vault.open("case-1", "name", "Sanne de Vries").is_err(),
            "plaintext"
        );
    }

    #[test]
    fn a_rotated_keyring_still_opens_old_values_and_seals_with_the_new_key() {
        let mut keyring = Keyring::generate();
        let old = Vault::new(&keyring).unwrap();
        let sealed = old.seal("c", "bsn", "111222333");
        let new_id = keyring.rotate();
        let new = Vault::new(&keyring).unwrap();
        assert_eq!(new.open("c", "bsn", &sealed).unwrap(), "111222333");
        assert_eq!(
            Vault::key_of(&new.seal("c", "bsn", "1")),
            Some(new_id.as_str())
        );
        assert_eq!(old.pseudonym("111 222 333"), new.pseudonym("111222333"));
    }

    #[test]
    fn pseudonyms_depend_on_the_regions_secret() {
        let a = Vault::ephemeral();
        assert_eq!(a.pseudonym("111222333"), a.pseudonym("111222333"));
        assert_ne!(a.pseudonym("111222333"), a.pseudonym("123456782"));
        assert_ne!(
            a.pseudonym("111222333"),
            Vault::ephemeral().pseudonym("111222333")
        );
        assert_eq!(a.pseudonym("111222333").len(), 64);
    }
}
