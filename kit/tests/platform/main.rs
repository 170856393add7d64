//! The kit against real PostgreSQL and RabbitMQ. Every test uses its own
//! database, exchange and queue names, so tests run in parallel.

mod consumer;
mod graphql_client;
mod helpers;
mod live;
mod outbox;
mod scaffold;
