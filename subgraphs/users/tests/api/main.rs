//! One integration-test binary for the users subgraph. Every test gets a
//! fresh PostgreSQL database from `#[sqlx::test]`.

mod accounts;
mod addresses;
mod admin;
mod bad_input;
mod entities;
mod helpers;
mod jwks;
mod password_reset;
mod request_signing;
mod schema_file;
