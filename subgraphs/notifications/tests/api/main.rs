//! The notifications subgraph against real RabbitMQ, MongoDB (SecantusDB)
//! and a local SMTP sink.

mod delivery;
mod helpers;
mod schema_file;
mod templates;
