//! Parse, don't validate: input becomes these types at the edge, and the rest
//! of the service can trust them.

pub mod address;
mod email;
mod password;

pub use address::NewAddress;
pub use email::Email;
pub use password::{check_password_policy, hash_password, verify_password};

use kit::AppError;

/// A display name: trimmed, 1 to 100 characters.
pub fn parse_name(raw: &str) -> Result<String, AppError> {
    let name = raw.trim();
    match name.chars().count() {
        0 => Err(AppError::bad_input("name must not be empty")),
        1..=100 => Ok(name.to_owned()),
        _ => Err(AppError::bad_input("name must be at most 100 characters")),
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn names_are_trimmed_and_bounded() {
        assert_eq!(super::parse_name("  Ada ").ok().as_deref(), Some("Ada"));
        assert!(super::parse_name("   ").is_err());
        assert!(super::parse_name(&"x".repeat(101)).is_err());
    }
}
