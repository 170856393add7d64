//! SQL, and nothing else. Functions take an executor so callers decide what
//! runs in one transaction.

pub mod addresses;
pub mod resets;
pub mod sessions;
pub mod throttle;
pub mod users;
