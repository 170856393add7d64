//! Payments against real PostgreSQL (a fresh database per test), with the
//! sandbox provider and a local server that speaks Stripe's API.

mod charges;
mod helpers;
mod methods;
mod redelivery;
mod refunds;
mod schema_file;
mod stripe;
mod webhooks;
