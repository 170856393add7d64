use std::{
    sync::{
        Arc,
        atomic::{AtomicUsize, Ordering},
    },
    time::Duration,
};

use kit::{
    config::EventsConfig,
    events::{Broker, Envelope, EventHandler},
};
use lapin::{
    Channel,
    options::{QueueBindOptions, QueueDeclareOptions, QueueDeleteOptions},
    types::FieldTable,
};
use sqlx::PgConnection;
use uuid::Uuid;

pub use kit::testing::BrokerProxy;

pub const RABBITMQ: &str = "127.0.0.1:5672";

/// Broker settings with a per-test exchange.
pub fn events_config(amqp_addr: &str) -> EventsConfig {
    EventsConfig {
        amqp_url: format!("amqp://guest:guest@{amqp_addr}/%2f"),
        exchange: unique("test.events"),
        outbox_poll: Duration::from_millis(50),
        max_retries: 2,
        retry_delay: Duration::from_millis(100),
        queue_prefix: String::new(),
        quorum_queues: true,
        delivery_limit: 2,
    }
}

pub fn unique(prefix: &str) -> String {
    format!("{prefix}.{}", Uuid::new_v4().simple())
}

pub fn envelope(event_type: &str, n: i32) -> Envelope {
    Envelope::new("tests", event_type, format!("subject-{n}"), serde_json::json!({ "n": n }), None)
}

/// A queue bound to the test exchange that a test reads from directly.
pub async fn tap(broker: &Broker, routing_key: &str) -> (Channel, String) {
    let channel = broker.channel().await.expect("channel");
    let queue = unique("test.tap");
    channel
        .queue_declare(
            queue.as_str().into(),
            QueueDeclareOptions { auto_delete: true, ..Default::default() },
            FieldTable::default(),
        )
        .await
        .expect("declare tap");
    channel
        .queue_bind(
            queue.as_str().into(),
            broker.exchange().into(),
            routing_key.into(),
            QueueBindOptions::default(),
            FieldTable::default(),
        )
        .await
        .expect("bind tap");
    (channel, queue)
}

/// Pulls up to `n` message bodies from `queue`, waiting up to `timeout`.
pub async fn drain(
    channel: &Channel,
    queue: &str,
    n: usize,
    timeout: Duration,
) -> Vec<serde_json::Value> {
    let deadline = tokio::time::Instant::now() + timeout;
    let mut bodies = Vec::new();
    while bodies.len() < n && tokio::time::Instant::now() < deadline {
        match channel
            .basic_get(queue.into(), lapin::options::BasicGetOptions { no_ack: true })
            .await
            .expect("basic_get")
        {
            Some(message) => {
                bodies.push(serde_json::from_slice(&message.delivery.data).expect("json"))
            }
            None => tokio::time::sleep(Duration::from_millis(20)).await,
        }
    }
    bodies
}

pub async fn delete_queues(channel: &Channel, queues: &[String]) {
    for queue in queues {
        let _ = channel.queue_delete(queue.as_str().into(), QueueDeleteOptions::default()).await;
    }
}

/// A handler that records each applied event in `effects`, or always fails.
#[derive(Clone)]
pub struct RecordingHandler {
    pub calls: Arc<AtomicUsize>,
    pub fail: bool,
}

impl RecordingHandler {
    pub fn new(fail: bool) -> Self {
        Self { calls: Arc::new(AtomicUsize::new(0)), fail }
    }
    pub fn calls(&self) -> usize {
        self.calls.load(Ordering::SeqCst)
    }
}

impl EventHandler for RecordingHandler {
    async fn handle(&self, tx: &mut PgConnection, event: &Envelope) -> anyhow::Result<()> {
        self.calls.fetch_add(1, Ordering::SeqCst);
        anyhow::ensure!(!self.fail, "handler configured to fail");
        sqlx::query("INSERT INTO effects (event_id) VALUES ($1)")
            .bind(event.id)
            .execute(tx)
            .await?;
        Ok(())
    }
}

pub async fn create_effects_table(pool: &sqlx::PgPool) {
    sqlx::query("CREATE TABLE effects (event_id UUID NOT NULL)")
        .execute(pool)
        .await
        .expect("effects");
}
