//! The shipping subgraph: rates, shipments for paid orders, and a sandbox
//! carrier that moves parcels along.

pub mod config;
pub mod consumers;
pub mod rates;
mod schema;
pub mod shipments;
mod startup;
pub mod status;
mod subscription;

pub use config::ShippingConfig;
pub use startup::{MIGRATOR, ShippingSubgraph, build, build_with_pool, schema_sdl};
