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
