//! Inventory against real PostgreSQL (a fresh database per test) and Redis
//! (a fresh key prefix per test).

mod events;
mod helpers;
mod reservations;
mod schema_file;
mod stock;
