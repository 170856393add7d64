//! Shipping against real PostgreSQL (a fresh database per test).

mod schema_file;
mod shipments;
