//! Orders against real PostgreSQL (a fresh database per test).

mod helpers;
mod lifecycle;
mod saga;
mod schema_file;
