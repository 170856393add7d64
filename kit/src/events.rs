//! The RabbitMQ event backbone.
//!
//! - [`Envelope`]: the contract's message shape.
//! - [`outbox`]: events are written to the `outbox` table in the same
//!   transaction as the state change, and a relay publishes them with
//!   publisher confirms. Nothing is published that did not commit, and
//!   nothing that committed is lost while the broker is away.
//! - [`consumer`]: manual acks, deduplication by event id, bounded retries
//!   through a delay queue, and a dead-letter queue after the last retry.
//! - [`live`]: a per-instance fan-out of events to GraphQL subscriptions.

mod broker;
pub mod consumer;
mod envelope;
pub mod live;
pub mod outbox;
mod publisher;

pub use broker::Broker;
pub use consumer::{Apply, Consumer, ConsumerSpec, Deduplicated, EventHandler};
pub use envelope::Envelope;
pub use live::LiveFeed;
pub use outbox::OutboxRelay;
pub use publisher::Publisher;
