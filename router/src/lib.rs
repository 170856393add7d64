//! The Shopgraph federation router: composes subgraph SDL into an Apollo
//! Federation 2 supergraph, plans operations with the Hive planner, and
//! executes the plans with our own executor.

mod admission;
pub mod check;
pub mod cli;
pub mod compose;
pub mod config;
pub mod error;
pub mod execution;
pub mod observability;
pub mod planning;
pub mod schema;
mod startup;
mod state;
mod subscriptions;
pub mod supergraph;
mod transport;
mod variables;

pub use config::RouterConfig;
pub use startup::{build, build_from_sdl, run};
