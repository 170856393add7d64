//! The notifications subgraph: renders customer events into email, SMS,
//! push and in-app messages from admin-editable templates, delivers them
//! with retries, and lets customers read their in-app inbox.

pub mod channels;
pub mod config;
pub mod delivery;
pub mod events;
mod schema;
mod startup;
pub mod store;
pub mod templates;

pub use config::{EmailTransport, NotificationsConfig, SmtpConfig};
pub use startup::{NotificationsSubgraph, build, build_with, schema_sdl, store};
