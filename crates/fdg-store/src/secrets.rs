//! Secrets every backend handles alike: tokens and session ids (random, stored only as a
//! SHA-256 hash), one-time passwords, and passwords (argon2id, verified in constant time
//! whether or not the user exists).

use crate::{Result, StoreError};

/// SHA-256 of a token, as stored.
pub(crate) fn token_hash(token: &str) -> [u8; 32] {
    use sha2::Digest;
    sha2::Sha256::digest(token.as_bytes()).into()
}

/// Random bytes as lowercase hex.
pub(crate) fn random_hex(bytes: usize) -> String {
    let mut buf = vec![0u8; bytes];
    // getrandom only fails if the OS has no entropy source, which would make every
    // credential unsafe: stopping is the right answer.
    getrandom::fill(&mut buf).expect("operating system random source");
    hex(&buf)
}

/// Bytes from hex (either case); `None` unless every pair is a hex digit pair.
pub fn unhex(text: &str) -> Option<Vec<u8>> {
    if !text.len().is_multiple_of(2) {
        return None;
    }
    (0..text.len() / 2)
        .map(|i| u8::from_str_radix(text.get(2 * i..2 * i + 2)?, 16).ok())
        .collect()
}

/// Lowercase hex.
pub fn hex(bytes: &[u8]) -> String {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    let mut s = String::with_capacity(bytes.len() * 2);
    for b in bytes {
        s.push(char::from(DIGITS[usize::from(b >> 4)]));
        s.push(char::from(DIGITS[usize::from(b & 0xf)]));
    }
    s
}

/// The hash of a random password nobody knows, verified against when the username is
/// unknown so that the answer takes as long either way.
fn dummy_hash() -> &'static str {
    static DUMMY: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    DUMMY.get_or_init(|| {
        use argon2::password_hash::PasswordHasher;
        let mut salt = [0u8; 16];
        let _ = getrandom::fill(&mut salt);
        argon2::Argon2::default()
            .hash_password_with_salt(one_time_password().as_bytes(), &salt)
            .map(|h| h.to_string())
            .unwrap_or_default()
    })
}

/// Letters and digits that cannot be mistaken for each other.
const PASSWORD_ALPHABET: &[u8] = b"abcdefghjkmnpqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789";

pub(crate) fn one_time_password() -> String {
    let mut b = [0u8; 16];
    getrandom::fill(&mut b).expect("operating system random source");
    b.iter()
        .map(|x| char::from(PASSWORD_ALPHABET[usize::from(*x) % PASSWORD_ALPHABET.len()]))
        .collect()
}

/// `Anne Berg` → `anne.berg` (letters and digits of the name, lower case, dots between words).
pub(crate) fn username_from(name: &str) -> String {
    name.split_whitespace()
        .map(|w| {
            w.chars()
                .filter_map(|c| match c {
                    'æ' | 'Æ' => Some("ae".to_owned()),
                    'ø' | 'Ø' => Some("oe".to_owned()),
                    'å' | 'Å' => Some("aa".to_owned()),
                    c if c.is_ascii_alphanumeric() => Some(c.to_ascii_lowercase().to_string()),
                    _ => None,
                })
                .collect::<String>()
        })
        .filter(|w| !w.is_empty())
        .collect::<Vec<_>>()
        .join(".")
}

/// argon2id with the crate's recommended parameters, off the async threads.
pub(crate) async fn hash_password(password: String) -> Result<String> {
    tokio::task::spawn_blocking(move || {
        use argon2::password_hash::PasswordHasher;
        let mut salt = [0u8; 16];
        getrandom::fill(&mut salt).map_err(|e| StoreError::Corrupt(format!("random: {e}")))?;
        argon2::Argon2::default()
            .hash_password_with_salt(password.as_bytes(), &salt)
            .map(|h| h.to_string())
            .map_err(|e| StoreError::Corrupt(format!("password hashing: {e}")))
    })
    .await
    .map_err(|_| StoreError::WriterGone)?
}

pub(crate) async fn verify_password(password: String, hash: Option<String>) -> Result<bool> {
    tokio::task::spawn_blocking(move || {
        use argon2::password_hash::PasswordVerifier;
        let known = hash.is_some();
        let hash = hash.unwrap_or_else(|| dummy_hash().to_owned());
        let ok = argon2::Argon2::default()
            .verify_password(password.as_bytes(), hash.as_str())
            .is_ok();
        ok && known
    })
    .await
    .map_err(|_| StoreError::WriterGone)
}

/// The operator's key for secrets the registry must keep readable (webhook signing secrets):
/// AES-256-GCM, from a file of 64 hex characters (`openssl rand -hex 32`). Without it such
/// secrets are stored as they are (development).
#[derive(Clone)]
pub struct SecretsKey([u8; 32]);

impl std::fmt::Debug for SecretsKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("SecretsKey(<redacted>)")
    }
}

impl PartialEq for SecretsKey {
    fn eq(&self, other: &Self) -> bool {
        self.0 == other.0
    }
}

impl Eq for SecretsKey {}

/// How an encrypted secret is marked as stored.
const SEALED: &str = "aes256gcm:";

impl SecretsKey {
    /// Reads the key from text of 64 hex characters (surrounding whitespace ignored).
    pub fn from_hex(text: &str) -> std::result::Result<Self, String> {
        unhex(text.trim())
            .and_then(|b| b.try_into().ok())
            .map(SecretsKey)
            .ok_or_else(|| "a secrets key is 64 hex characters (openssl rand -hex 32)".into())
    }

    fn key(&self) -> ring::aead::LessSafeKey {
        ring::aead::LessSafeKey::new(
            ring::aead::UnboundKey::new(&ring::aead::AES_256_GCM, &self.0)
                .expect("a 32-byte AES-256 key"),
        )
    }

    /// `secret` encrypted for storage, bound to `context` (e.g. the webhook's agreement) so it
    /// cannot be moved to another row.
    pub(crate) fn seal(&self, secret: &str, context: &[u8]) -> String {
        let mut nonce = [0u8; 12];
        getrandom::fill(&mut nonce).expect("operating system random source");
        let mut data = secret.as_bytes().to_vec();
        self.key()
            .seal_in_place_append_tag(
                ring::aead::Nonce::assume_unique_for_key(nonce),
                ring::aead::Aad::from(context),
                &mut data,
            )
            .expect("AES-GCM sealing a short secret");
        format!("{SEALED}{}{}", hex(&nonce), hex(&data))
    }
}

/// A stored secret as it was given: decrypted with `key` when it was stored encrypted.
pub(crate) fn unseal(key: Option<&SecretsKey>, stored: &str, context: &[u8]) -> Result<String> {
    let Some(sealed) = stored.strip_prefix(SEALED) else {
        return Ok(stored.to_owned());
    };
    let key = key.ok_or_else(|| {
        StoreError::Corrupt("a secret is stored encrypted and no secrets key is given".into())
    })?;
    let bytes = unhex(sealed);
    let bad = || StoreError::Corrupt("an encrypted secret does not open with this key".into());
    let mut bytes = bytes.filter(|b| b.len() > 12 + 16).ok_or_else(bad)?;
    let mut data = bytes.split_off(12);
    let nonce: [u8; 12] = bytes.try_into().map_err(|_| bad())?;
    let plain = key
        .key()
        .open_in_place(
            ring::aead::Nonce::assume_unique_for_key(nonce),
            ring::aead::Aad::from(context),
            &mut data,
        )
        .map_err(|_| bad())?;
    String::from_utf8(plain.to_vec()).map_err(|_| bad())
}

#[cfg(test)]
mod sealing {
    use super::*;

    #[test]
    fn a_sealed_secret_opens_only_with_its_key_and_context() {
        let key = SecretsKey::from_hex(&"ab".repeat(32)).expect("a key");
        let other = SecretsKey::from_hex(&"cd".repeat(32)).expect("a key");
        let stored = key.seal("whsec-123", b"1");
        assert!(!stored.contains("whsec"));
        assert_eq!(
            unseal(Some(&key), &stored, b"1").expect("opens"),
            "whsec-123"
        );
        assert!(unseal(Some(&other), &stored, b"1").is_err());
        assert!(
            unseal(Some(&key), &stored, b"2").is_err(),
            "bound to its row"
        );
        assert!(unseal(None, &stored, b"1").is_err());
        assert_eq!(unseal(None, "plain", b"1").expect("as stored"), "plain");
        assert!(SecretsKey::from_hex("short").is_err());
        assert_eq!(format!("{key:?}"), "SecretsKey(<redacted>)");
    }
}
