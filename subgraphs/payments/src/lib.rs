//! The payments subgraph: exactly one charge per order, refunds, and the
//! payments side of the checkout saga, and Stripe's webhooks.

pub mod config;
pub mod consumers;
mod events;
pub mod methods;
pub mod payments;
pub mod provider;
pub mod repository;
mod schema;
mod startup;
pub mod webhooks;

pub use config::PaymentsConfig;
pub use startup::{MIGRATOR, PaymentsSubgraph, build, build_with, provider, schema_sdl};
