//! The cart subgraph: one cart per signed-in customer in Redis, priced
//! with the catalog's current prices.

mod carts;
mod catalog_client;
pub mod config;
mod schema;
mod startup;
pub mod store;

pub use config::CartConfig;
pub use startup::{CartSubgraph, build, build_with, schema_sdl};
