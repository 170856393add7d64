//! The catalog subgraph: products, categories and reviews in MongoDB, with
//! a Redis read cache for products.

mod cache;
pub mod catalog;
pub mod config;
mod domain;
pub mod events;
pub mod images;
mod schema;
pub mod seed;
mod startup;
pub mod store;

pub use config::CatalogConfig;
pub use startup::{CatalogSubgraph, build, build_with, catalog, schema_sdl};
