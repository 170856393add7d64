//! The whole platform through the router: every real subgraph on port 0,
//! against real PostgreSQL, Redis, RabbitMQ and MongoDB (SecantusDB).

mod attacks;
mod authorization;
mod browse;
mod browser;
mod checkout;
mod deploy;
mod live;
mod metrics;
mod node_client;
mod promotions;
mod stream_admission;
mod uploads;
mod whole_system;
mod ws_protocol;
