//! The inventory subgraph: warehouses, stock levels and reservations in
//! PostgreSQL, with a Redis hot path for availability.

pub mod config;
pub mod consumers;
pub mod events;
mod repository;
pub mod reservations;
mod schema;
pub mod seed;
mod startup;
pub mod stock;

pub use config::InventoryConfig;
pub use repository::{reservations::ReservedItem, stock::StockRow};
pub use startup::{InventorySubgraph, MIGRATOR, build, build_with_pool, schema_sdl, services};
