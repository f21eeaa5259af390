//! Admin password hashing: Argon2id in PHC string form (`$argon2id$v=19$…`), salted per hash.
//!
//! Verification is the crate's constant-time comparison. Checking a name that has no account
//! still does the same Argon2 work against a dummy hash, so the time taken does not tell
//! whether the name exists.

use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use argon2::Argon2;
use rand::Rng;
use std::sync::OnceLock;

/// Shortest password `onair admin add|passwd` accepts.
pub const MIN_PASSWORD_CHARS: usize = 10;

#[derive(Debug, thiserror::Error)]
pub enum PasswordError {
    #[error("cannot hash the password: {0}")]
    Hash(String),
}

/// An Argon2id hash of `password` with a fresh random salt (the crate's default, OWASP-level cost).
pub fn hash_password(password: &str) -> Result<String, PasswordError> {
    let salt_bytes: [u8; 16] = rand::rng().random();
    let salt = SaltString::encode_b64(&salt_bytes).map_err(|e| PasswordError::Hash(e.to_string()))?;
    Argon2::default()
        .hash_password(password.as_bytes(), &salt)
        .map(|hash| hash.to_string())
        .map_err(|e| PasswordError::Hash(e.to_string()))
}

/// Whether `attempt` matches the stored `hash`. A malformed hash matches nothing.
pub fn verify_password(hash: &str, attempt: &str) -> bool {
    match PasswordHash::new(hash) {
        Ok(parsed) => Argon2::default().verify_password(attempt.as_bytes(), &parsed).is_ok(),
        Err(e) => {
            tracing::error!("a stored password hash is malformed: {e}");
            false
        }
    }
}

/// Spends the time a real check would, for a name with no account. Always false.
pub fn verify_nobody(attempt: &str) -> bool {
    static DUMMY: OnceLock<String> = OnceLock::new();
    let dummy = DUMMY.get_or_init(|| hash_password("no account has this password").unwrap_or_default());
    verify_password(dummy, attempt);
    false
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_hash_verifies_only_its_own_password() {
        let hash = hash_password("correct horse battery").unwrap();
        assert!(hash.starts_with("$argon2id$"), "{hash}");
        assert!(!hash.contains("correct horse"));
        assert!(verify_password(&hash, "correct horse battery"));
        assert!(!verify_password(&hash, "correct horse batter"));
        assert!(!verify_password(&hash, "correct horse battery "));
        assert!(!verify_password(&hash, ""));
    }

    #[test]
    fn the_same_password_hashes_differently_each_time() {
        assert_ne!(hash_password("same").unwrap(), hash_password("same").unwrap());
    }

    #[test]
    fn a_malformed_hash_and_nobody_match_nothing() {
        assert!(!verify_password("not a hash", "anything"));
        assert!(!verify_nobody("no account has this password"));
    }
}
