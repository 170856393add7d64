use std::sync::Arc;

use lapin::{
    Channel, Connection, ConnectionProperties, ExchangeKind, options::ExchangeDeclareOptions,
    types::FieldTable,
};
use tokio::sync::Mutex;

use crate::config::EventsConfig;

/// A shared, lazily (re)connected RabbitMQ connection.
///
/// Channels are cheap; the connection is not. Callers ask for a channel and
/// the broker reconnects first if the previous connection died, so the relay
/// and consumers recover from a broker restart on their next attempt.
#[derive(Clone)]
pub struct Broker {
    config: Arc<EventsConfig>,
    connection: Arc<Mutex<Option<Connection>>>,
}

impl Broker {
    pub fn new(config: EventsConfig) -> Self {
        Self { config: Arc::new(config), connection: Arc::new(Mutex::new(None)) }
    }

    pub fn config(&self) -> &EventsConfig {
        &self.config
    }

    pub fn exchange(&self) -> &str {
        &self.config.exchange
    }

    /// A new channel on a live connection, with the events exchange declared.
    ///
    /// Bounded by `BROKER_ANSWER`: a broker that accepts the TCP connection
    /// but never finishes the handshake (one still starting, or one that
    /// refuses `connection.open`, which lapin does not always report) is an
    /// error the caller retries, not a wait forever.
    pub async fn channel(&self) -> lapin::Result<Channel> {
        match tokio::time::timeout(BROKER_ANSWER, self.open_channel()).await {
            Ok(result) => result,
            Err(_) => Err(std::io::Error::new(
                std::io::ErrorKind::TimedOut,
                format!("RabbitMQ did not answer within {BROKER_ANSWER:?}"),
            )
            .into()),
        }
    }

    async fn open_channel(&self) -> lapin::Result<Channel> {
        let mut guard = self.connection.lock().await;
        if let Some(connection) = guard.as_ref().filter(|c| c.status().connected())
            && let Ok(channel) = connection.create_channel().await
        {
            drop(guard);
            self.declare_exchange(&channel).await?;
            return Ok(channel);
        }
        let connection =
            Connection::connect(&self.config.amqp_url, ConnectionProperties::default()).await?;
        let channel = connection.create_channel().await?;
        *guard = Some(connection);
        drop(guard);
        self.declare_exchange(&channel).await?;
        Ok(channel)
    }

    /// Whether a channel can be opened right now (for `/ready`).
    pub async fn check(&self) -> lapin::Result<()> {
        let channel = self.channel().await?;
        channel.close(200, "readiness check".into()).await
    }

    async fn declare_exchange(&self, channel: &Channel) -> lapin::Result<()> {
        channel
            .exchange_declare(
                self.config.exchange.as_str().into(),
                ExchangeKind::Topic,
                ExchangeDeclareOptions { durable: true, ..Default::default() },
                FieldTable::default(),
            )
            .await
    }
}

/// How long opening a connection and a channel may take. Generous: a
/// broker busy deleting many queues was seen to take over 15 s.
const BROKER_ANSWER: std::time::Duration = std::time::Duration::from_secs(60);

/// How often a consumer looks at its channel's state.
const LIVENESS_CHECK: std::time::Duration = std::time::Duration::from_millis(500);

/// Resolves once `channel` is no longer usable. Consumers race their
/// delivery stream and their acknowledgements against this: in the
/// scale-out test, before this guard, one instance's consumer in several
/// runs never noticed that its broker link had dropped and stopped
/// consuming for good (lapin's history has such hangs: lapin#222, #283).
pub async fn closed(channel: &Channel) {
    while channel.status().connected() {
        tokio::time::sleep(LIVENESS_CHECK).await;
    }
}
