//! The Shopgraph platform kit: everything a subgraph needs that is not its
//! domain. Config, telemetry, errors, JWT auth, PostgreSQL setup, the HTTP
//! scaffold and the RabbitMQ event backbone live here so that every service
//! behaves the same way.

pub mod auth;
pub mod cache;
pub mod cli;
pub mod config;
pub mod db;
pub mod demo;
pub mod directives;
pub mod error;
pub mod events;
pub mod graphql_client;
pub mod http;
pub mod loaders;
pub mod metrics;
pub mod money;
pub mod mongo;
pub mod pagination;
pub mod testing;

pub use error::{AppError, AppResult};
pub use server::telemetry;
