//! Password policy and hashing (argon2id, the OWASP-recommended default
//! parameters of the argon2 crate).

use argon2::{
    Argon2, PasswordHasher, PasswordVerifier,
    password_hash::{PasswordHash as ParsedHash, SaltString, rand_core::OsRng},
};
use kit::AppError;

use super::Email;

pub const MIN_LENGTH: usize = 10;
pub const MAX_LENGTH: usize = 128;

/// Passwords that appear at the top of every breach corpus. A real
/// deployment would also ask a k-anonymity breach API; this list catches the
/// ones attackers try first.
const COMMON_PASSWORDS: &[&str] = &[
    "1234567890",
    "12345678910",
    "0123456789",
    "1q2w3e4r5t",
    "1qaz2wsx3edc",
    "password12",
    "password123",
    "password1234",
    "passw0rd123",
    "qwertyuiop",
    "qwerty12345",
    "qwerty123456",
    "iloveyou12",
    "iloveyou123",
    "sunshine12",
    "football12",
    "baseball12",
    "letmein123",
    "welcome123",
    "welcome1234",
    "admin12345",
    "administrator",
    "abc1234567",
    "abcdefghij",
    "aaaaaaaaaa",
    "1111111111",
    "0000000000",
    "princess12",
    "dragon1234",
    "monkey1234",
    "trustno1234",
    "starwars12",
    "superman12",
    "whatever12",
    "shopgraph123",
    "changeme123",
    "zaq12wsxcde",
    "asdfghjkl1",
    "qazwsxedc1",
    "michael123",
    "jennifer12",
    "1234qwerty",
];

/// A stored argon2id hash in PHC string format.
#[derive(Debug, Clone)]
pub struct PasswordHash(pub String);

/// Checks length, breach-list membership and obvious derivations from the
/// account's own data.
pub fn check_password_policy(password: &str, email: &Email, name: &str) -> Result<(), AppError> {
    let length = password.chars().count();
    if length < MIN_LENGTH {
        return Err(AppError::bad_input(format!(
            "password is too weak: use at least {MIN_LENGTH} characters"
        )));
    }
    if length > MAX_LENGTH {
        return Err(AppError::bad_input(format!(
            "password is too long: use at most {MAX_LENGTH} characters"
        )));
    }
    let lowered = password.to_lowercase();
    if COMMON_PASSWORDS.contains(&lowered.as_str()) {
        return Err(AppError::bad_input(
            "password is too weak: it appears in lists of breached passwords",
        ));
    }
    if lowered.chars().all(|c| lowered.starts_with(c)) {
        return Err(AppError::bad_input("password is too weak: it repeats one character"));
    }
    let personal = [email.local_part().to_lowercase(), name.trim().to_lowercase()];
    if personal.iter().any(|p| p.chars().count() >= 4 && lowered.contains(p.as_str())) {
        return Err(AppError::bad_input(
            "password is too weak: it contains your name or email address",
        ));
    }
    Ok(())
}

pub fn hash_password(password: &str) -> Result<PasswordHash, AppError> {
    let salt = SaltString::generate(&mut OsRng);
    Argon2::default()
        .hash_password(password.as_bytes(), &salt)
        .map(|hash| PasswordHash(hash.to_string()))
        .map_err(|e| AppError::internal(anyhow::anyhow!("hashing password: {e}")))
}

/// Constant-time verification. A malformed stored hash counts as a mismatch
/// (and is logged), never as a client-visible error.
pub fn verify_password(password: &str, stored: &str) -> bool {
    match ParsedHash::new(stored) {
        Ok(parsed) => Argon2::default().verify_password(password.as_bytes(), &parsed).is_ok(),
        Err(e) => {
            tracing::error!(error = %e, "stored password hash is malformed");
            false
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn email() -> Email {
        Email::parse("ada.lovelace@example.com").expect("valid")
    }

    #[test]
    fn accepts_a_reasonable_password() {
        assert!(check_password_policy("correct horse battery", &email(), "Ada").is_ok());
    }

    #[test]
    fn rejects_short_common_repetitive_and_personal_passwords() {
        for weak in ["short", "password123", "aaaaaaaaaaaa", "ada.lovelace-2026", "Lovelace Rules!"]
        {
            let name = "Lovelace";
            assert!(check_password_policy(weak, &email(), name).is_err(), "accepted {weak}");
        }
        assert!(check_password_policy(&"x1".repeat(65), &email(), "Ada").is_err());
    }

    #[test]
    fn hashes_verify_and_differ_per_salt() {
        let first = hash_password("correct horse battery").expect("hash");
        let second = hash_password("correct horse battery").expect("hash");
        assert_ne!(first.0, second.0);
        assert!(first.0.starts_with("$argon2id$"));
        assert!(verify_password("correct horse battery", &first.0));
        assert!(!verify_password("wrong horse battery", &first.0));
        assert!(!verify_password("anything", "not a hash"));
    }
}
