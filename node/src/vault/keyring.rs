//! The keyring file: the keys identifiers are encrypted with (one current, older ones kept until no row uses
//! them) and the region's pseudonym secret. TOML, written mode 0600 and replaced atomically.

use base64::Engine;
use base64::engine::general_purpose::STANDARD as BASE64;
use rand::RngCore;
use serde::{Deserialize, Serialize};
use std::path::Path;

pub const KEY_BYTES: usize = 32;

#[derive(Debug, thiserror::Error)]
pub enum KeyringError {
    #[error("{path}: {message}")]
    File { path: String, message: String },
    #[error("keyring: {0}")]
    Invalid(String),
}

/// One encryption key. The id is stored beside every ciphertext, so rows name the key that opens them.
#[derive(Clone, Serialize, Deserialize, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct KeyEntry {
    pub id: String,
    /// 32 random bytes, base64.
    pub key: String,
}

impl std::fmt::Debug for KeyEntry {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("KeyEntry")
            .field("id", &self.id)
            .finish_non_exhaustive()
    }
}

#[derive(Clone, Serialize, Deserialize, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct Keyring {
    /// The id of the key new ciphertexts are made with.
    pub current: String,
    /// The secret of the keyed BSN pseudonym (base64); never rotated, or earlier cases would no longer match.
    pub pseudonym_secret: String,
    pub keys: Vec<KeyEntry>,
}

impl std::fmt::Debug for Keyring {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Keyring")
            .field("current", &self.current)
            .field("keys", &self.keys)
            .finish_non_exhaustive()
    }
}

fn random_base64() -> String {
    let mut bytes = [0u8; KEY_BYTES];
    rand::rng().fill_bytes(&mut bytes);
    BASE64.encode(bytes)
}

fn new_key_id() -> String {
    let stamp = time::OffsetDateTime::now_utc();
    let mut tail = [0u8; 3];
    rand::rng().fill_bytes(&mut tail);
    format!(
        "k{:04}{:02}{:02}-{}",
        stamp.year(),
        u8::from(stamp.month()),
        stamp.day(),
        hex::encode(tail)
    )
}

impl Keyring {
    /// A fresh keyring: one key and a pseudonym secret, all random.
    pub fn generate() -> Keyring {
        let id = new_key_id();
        Keyring {
            current: id.clone(),
            pseudonym_secret: random_base64(),
            keys: vec![KeyEntry {
                id,
                key: random_base64(),
            }],
        }
    }

    /// Adds a new key and makes it current; the old ones stay to open what they sealed.
    pub fn rotate(&mut self) -> String {
        let id = new_key_id();
        self.keys.push(KeyEntry {
            id: id.clone(),
            key: random_base64(),
        });
        self.current = id.clone();
        id
    }

    /// Drops the keys `unused` names; the current key always stays.
    pub fn remove(&mut self, unused: &[String]) {
        let current = self.current.clone();
        self.keys
            .retain(|k| k.id == current || !unused.contains(&k.id));
    }

    pub fn decoded_key(&self, id: &str) -> Result<Option<[u8; KEY_BYTES]>, KeyringError> {
        self.keys
            .iter()
            .find(|k| k.id == id)
            .map(|k| decode_secret(&format!("keys.{id}"), &k.key))
            .transpose()
    }

    pub fn decoded_pseudonym_secret(&self) -> Result<[u8; KEY_BYTES], KeyringError> {
        decode_secret("pseudonym_secret", &self.pseudonym_secret)
    }

    pub fn validate(&self) -> Result<(), KeyringError> {
        if self.decoded_key(&self.current)?.is_none() {
            return Err(KeyringError::Invalid(format!(
                "current: no key with id '{}'",
                self.current
            )));
        }
        for entry in &self.keys {
            if entry.id.is_empty()
                || !entry
                    .id
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || c == '-')
            {
                return Err(KeyringError::Invalid(format!(
                    "keys: id '{}' must be letters, digits and '-'",
                    entry.id
                )));
            }
            decode_secret(&format!("keys.{}", entry.id), &entry.key)?;
        }
        self.decoded_pseudonym_secret()?;
        Ok(())
    }

    pub fn load(path: &Path) -> Result<Keyring, KeyringError> {
        let file_error = |message: String| KeyringError::File {
            path: path.display().to_string(),
            message,
        };
        let text = std::fs::read_to_string(path).map_err(|e| file_error(e.to_string()))?;
        let keyring: Keyring =
            toml::from_str(&text).map_err(|e| file_error(e.message().to_owned()))?;
        keyring.validate()?;
        Ok(keyring)
    }

    /// Loads the keyring at `path`, or makes one there (mode 0600) when there is none: the defaults run.
    pub fn load_or_create(path: &Path) -> Result<Keyring, KeyringError> {
        if path.exists() {
            return Keyring::load(path);
        }
        let keyring = Keyring::generate();
        keyring.save(path)?;
        Ok(keyring)
    }

    /// Writes the keyring mode 0600 beside its old version and renames it over, so a crash leaves one whole file.
    pub fn save(&self, path: &Path) -> Result<(), KeyringError> {
        let file_error = |message: String| KeyringError::File {
            path: path.display().to_string(),
            message,
        };
        if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
            std::fs::create_dir_all(dir).map_err(|e| file_error(e.to_string()))?;
        }
        let text = toml::to_string(self).map_err(|e| file_error(e.to_string()))?;
        let temporary = path.with_extension("toml.new");
        write_private(&temporary, text.as_bytes()).map_err(|e| file_error(e.to_string()))?;
        std::fs::rename(&temporary, path).map_err(|e| file_error(e.to_string()))
    }
}

fn decode_secret(field: &str, text: &str) -> Result<[u8; KEY_BYTES], KeyringError> {
    BASE64
        .decode(text.trim())
        .ok()
        .and_then(|bytes| <[u8; KEY_BYTES]>::try_from(bytes).ok())
        .ok_or_else(|| {
            KeyringError::Invalid(format!("{field}: must be {KEY_BYTES} bytes in base64"))
        })
}

#[cfg(unix)]
fn write_private(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    use std::io::Write;
    use std::os::unix::fs::OpenOptionsExt;
    let mut file = std::fs::OpenOptions::new()
        .write(true)
        .create(true)
        .truncate(true)
        .mode(0o600)
        .open(path)?;
    file.write_all(bytes)?;
    file.sync_all()
}

#[cfg(not(unix))]
fn write_private(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    std::fs::write(path, bytes)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_created_keyring_is_private_loads_and_rotates() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("keys").join("identity-keys.toml");
        let made = Keyring::load_or_create(&path).unwrap();
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(&path).unwrap().permissions().mode();
            assert_eq!(mode & 0o777, 0o600);
        }
        assert_eq!(Keyring::load_or_create(&path).unwrap(), made);
        let mut rotated = made.clone();
        let new = rotated.rotate();
        assert_eq!(rotated.current, new);
        assert_eq!(rotated.keys.len(), 2);
        rotated.remove(&[made.current.clone(), new.clone()]);
        assert_eq!(rotated.keys.len(), 1, "the current key stays");
        assert!(
            !format!("{made:?}").contains(&made.keys[0].key),
            "no key in Debug"
        );
    }

    #[test]
    fn bad_keyrings_name_the_field() {
        let mut keyring = Keyring::generate();
        keyring.current = "missing".into();
        assert!(
            keyring
                .validate()
                .unwrap_err()
                .to_string()
                .contains("current")
        );
        let mut keyring = Keyring::generate();
        keyring.keys[0].key = "c2hvcnQ=".into();
        assert!(
            keyring
                .validate()
                .unwrap_err()
                .to_string()
                .contains("keys.")
        );
        let mut keyring = Keyring::generate();
        keyring.pseudonym_secret = "not base64!".into();
        assert!(
            keyring
                .validate()
                .unwrap_err()
                .to_string()
                .contains("pseudonym_secret")
        );
    }
}
