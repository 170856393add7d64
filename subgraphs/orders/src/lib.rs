//! The orders subgraph: checkout, the order state machine, and the orders
//! side of the checkout saga.

pub mod checkout;
pub mod config;
pub mod events;
pub mod lifecycle;
pub mod promotions;
pub mod repository;
pub mod saga;
mod schema;
mod startup;
pub mod status;
mod upstream;

pub use config::OrdersConfig;
pub use startup::{MIGRATOR, OrdersSubgraph, build, build_with_pool, schema_sdl};
