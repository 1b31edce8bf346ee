//! argon2id password hashes. Hashing and verifying are CPU work (tens of milliseconds and
//! 19 MiB each): they run on a blocking thread ([`crate::blocking::run`]) and never inside a
//! write transaction — callers hash or verify first, then open it.

use crate::error::{AppError, AppResult};
use argon2::Argon2;
use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use rand::Rng;

pub const MIN_LENGTH: usize = 10;

/// The argon2id hash of a password, computed on a blocking thread.
pub async fn hash(password: &str) -> AppResult<String> {
    let password = password.to_owned();
    crate::blocking::run(move || hash_now(&password)).await
}

/// Whether `password` matches `stored_hash` (false for anything that is not a hash), checked
/// on a blocking thread.
pub async fn verify(password: &str, stored_hash: &str) -> AppResult<bool> {
    let (password, stored_hash) = (password.to_owned(), stored_hash.to_owned());
    crate::blocking::run(move || Ok(verify_now(&password, &stored_hash))).await
}

/// A password chosen for an account: checked with [`check_strength`] and, when strong enough,
/// hashed. Built with [`NewPassword::hash`] before the transaction that stores it opens.
pub struct NewPassword(Result<String, String>);

impl NewPassword {
    pub async fn hash(password: &str) -> AppResult<NewPassword> {
        Ok(NewPassword(match check_strength(password) {
            Ok(()) => Ok(hash(password).await?),
            Err(message) => Err(message),
        }))
    }

    /// The hash to store, or why the password was refused (a message for the person).
    pub fn stored(&self) -> Result<&str, &str> {
        match &self.0 {
            Ok(hash) => Ok(hash),
            Err(message) => Err(message),
        }
    }
}

fn hash_now(password: &str) -> AppResult<String> {
    // 128 random bits from the OS-seeded generator (`rand`, as the other secrets: argon2's own
    // `OsRng` needs a feature only other crates of the workspace happen to turn on).
    let bytes: [u8; 16] = rand::rng().random();
    let salt =
        SaltString::encode_b64(&bytes).map_err(|e| AppError::Internal(format!("argon2: {e}")))?;
    Argon2::default()
        .hash_password(password.as_bytes(), &salt)
        .map(|h| h.to_string())
        .map_err(|e| AppError::Internal(format!("argon2: {e}")))
}

fn verify_now(password: &str, stored_hash: &str) -> bool {
    PasswordHash::new(stored_hash)
        .map(|parsed| {
            Argon2::default()
                .verify_password(password.as_bytes(), &parsed)
                .is_ok()
        })
        .unwrap_or(false)
}

/// At least ten characters mixing letters and digits or symbols.
pub fn check_strength(password: &str) -> Result<(), String> {
    let long_enough = password.chars().count() >= MIN_LENGTH;
    let has_letter = password.chars().any(char::is_alphabetic);
    let has_other = password.chars().any(|c| !c.is_alphabetic());
    if long_enough && has_letter && has_other {
        Ok(())
    } else {
        Err(format!(
            "La contraseña debe tener al menos {MIN_LENGTH} caracteres y combinar letras con números o símbolos."
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test(flavor = "current_thread")]
    async fn hashes_are_argon2id_and_verify() {
        let stored = hash("Clave-segura-2026").await.unwrap();
        assert!(stored.starts_with("$argon2id$"));
        assert!(verify("Clave-segura-2026", &stored).await.unwrap());
        assert!(!verify("otra-clave-2026", &stored).await.unwrap());
        assert!(!verify("Clave-segura-2026", "no es un hash").await.unwrap());
    }

    #[tokio::test(flavor = "current_thread")]
    async fn a_new_password_is_hashed_only_when_strong_enough() {
        let strong = NewPassword::hash("Bogota-2026").await.unwrap();
        let stored = strong.stored().unwrap();
        assert!(verify("Bogota-2026", stored).await.unwrap());
        let weak = NewPassword::hash("corta1").await.unwrap();
        assert_eq!(
            weak.stored(),
            Err(check_strength("corta1").unwrap_err().as_str())
        );
    }

    #[test]
    fn weak_passwords_are_refused() {
        assert!(check_strength("corta1").is_err());
        assert!(check_strength("solamenteletras").is_err());
        assert!(check_strength("1234567890").is_err());
        assert!(check_strength("Bogota-2026").is_ok());
    }
}
