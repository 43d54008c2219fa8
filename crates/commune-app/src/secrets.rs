//! Secrets: random tokens from the operating system's CSPRNG, Argon2id password hashes (computed
//! off the async runtime), and constant-time comparison.

use crate::error::AppError;
use argon2::Argon2;
use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use rand::RngCore;

/// 32 random bytes from a CSPRNG seeded by the operating system (rand's ThreadRng).
pub fn random_bytes() -> [u8; 32] {
    let mut bytes = [0u8; 32];
    rand::rng().fill_bytes(&mut bytes);
    bytes
}

pub fn random_token() -> String {
    hex::encode(random_bytes())
}

/// Hashes a password with Argon2id (OWASP's parameters, the crate default), off the async runtime.
pub async fn hash_password(password: String) -> Result<String, AppError> {
    tokio::task::spawn_blocking(move || {
        let salt = SaltString::encode_b64(&random_bytes()[..16]).map_err(|e| anyhow::anyhow!("salt: {e}"))?;
        Argon2::default()
            .hash_password(password.as_bytes(), &salt)
            .map(|h| h.to_string())
            .map_err(|e| anyhow::anyhow!("argon2: {e}"))
    })
    .await
    .map_err(AppError::internal)?
    .map_err(AppError::Internal)
}

/// A valid hash of a random password, verified against when the handle is unknown so that
/// unknown and known handles take the same time.
const DECOY_HASH: &str =
    "$argon2id$v=19$m=19456,t=2,p=1$c29tZXNhbHRzb21lc2FsdA$Q3J4e0qTvIHxCz7iJ4h8I4nlgQ4qRvfKdJ9ZbqS3b2c";

pub async fn verify_password(password: String, stored: Option<String>) -> Result<bool, AppError> {
    tokio::task::spawn_blocking(move || {
        let known = stored.is_some();
        let stored = stored.unwrap_or_else(|| DECOY_HASH.to_owned());
        let ok = match PasswordHash::new(&stored) {
            Ok(parsed) => Argon2::default().verify_password(password.as_bytes(), &parsed).is_ok(),
            Err(_) => false,
        };
        known && ok
    })
    .await
    .map_err(AppError::internal)
}

/// Compares secrets without an early exit on the first differing byte.
pub fn constant_time_eq(a: &str, b: &str) -> bool {
    a.len() == b.len() && a.bytes().zip(b.bytes()).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}
