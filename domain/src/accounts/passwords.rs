//! argon2id password hashes.

use crate::error::{AppError, AppResult};
use argon2::Argon2;
use argon2::password_hash::{
    PasswordHash, PasswordHasher, PasswordVerifier, SaltString, rand_core::OsRng,
};

pub const MIN_LENGTH: usize = 10;

pub fn hash(password: &str) -> AppResult<String> {
    let salt = SaltString::generate(&mut OsRng);
    Argon2::default()
        .hash_password(password.as_bytes(), &salt)
        .map(|h| h.to_string())
        .map_err(|e| AppError::Internal(format!("argon2: {e}")))
}

pub fn verify(password: &str, stored_hash: &str) -> bool {
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

    #[test]
    fn hashes_are_argon2id_and_verify() {
        let stored = hash("Clave-segura-2026").unwrap();
        assert!(stored.starts_with("$argon2id$"));
        assert!(verify("Clave-segura-2026", &stored));
        assert!(!verify("otra-clave-2026", &stored));
        assert!(!verify("Clave-segura-2026", "no es un hash"));
    }

    #[test]
    fn weak_passwords_are_refused() {
        assert!(check_strength("corta1").is_err());
        assert!(check_strength("solamenteletras").is_err());
        assert!(check_strength("1234567890").is_err());
        assert!(check_strength("Bogota-2026").is_ok());
    }
}
