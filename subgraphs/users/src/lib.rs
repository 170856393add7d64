//! The users subgraph: accounts, sessions, addresses, and the issuer of the
//! access tokens every other service verifies.

mod accounts;
mod address_book;
pub mod config;
mod domain;
mod events;
pub mod keys;
mod repository;
mod schema;
mod seed;
mod startup;
mod tokens;

pub use config::UsersConfig;
pub use events::{PASSWORD_RESET_REQUESTED, USER_REGISTERED};
pub use schema::UsersSchema;
pub use seed::{ADMIN_EMAIL, seed, seed_pool};
pub use startup::{MIGRATOR, UsersSubgraph, build, build_with_pool, schema_sdl};
