//! Idempotent, retrying consumers.
//!
//! Topology per consumer `name` (all durable):
//! - `name`, bound to the events exchange for the consumer's routing keys;
//! - `name.retry`, with a message TTL of `retry_delay` that dead-letters back
//!   into `name`: a failed message waits there, then is redelivered;
//! - `name.dlq`, where a message lands after `max_retries` failed retries, or
//!   at once if it cannot even be parsed.
//!
//! Each delivery is handled in one database transaction that also records
//! `(name, event id)` in `processed_events`. A redelivered event finds its row
//! and is acknowledged without running the handler again, so the handler's
//! effect happens once even when the process dies between commit and ack.

use std::{future::Future, sync::Arc, time::Duration};

use futures::StreamExt;
use lapin::{
    Channel,
    message::Delivery,
    options::{
        BasicAckOptions, BasicConsumeOptions, BasicPublishOptions, BasicQosOptions,
        ConfirmSelectOptions, QueueBindOptions, QueueDeclareOptions,
    },
    types::{AMQPValue, FieldTable},
};
use sqlx::{PgConnection, PgPool};
use tokio_util::sync::CancellationToken;
use tracing::Instrument;

use super::{Broker, Envelope, envelope::TRACEPARENT_HEADER};
use crate::telemetry::{self, TraceParent};

const RETRY_HEADER: &str = "x-shopgraph-retries";
const ERROR_HEADER: &str = "x-shopgraph-error";

/// Applies one event exactly once, however often it is delivered: `Ok(false)`
/// when it was seen before. [`Deduplicated`] does this for PostgreSQL
/// services; a service with another store brings its own.
pub trait Apply: Send + Sync + 'static {
    fn apply(&self, event: &Envelope) -> impl Future<Output = anyhow::Result<bool>> + Send;
}

/// Applies one event inside the consumer's transaction.
pub trait EventHandler: Send + Sync + 'static {
    fn handle(
        &self,
        tx: &mut PgConnection,
        event: &Envelope,
    ) -> impl Future<Output = anyhow::Result<()>> + Send;
}

/// What to consume, and how hard to try.
#[derive(Debug, Clone)]
pub struct ConsumerSpec {
    /// The queue name, conventionally `<service>.<purpose>`; also the
    /// deduplication scope.
    pub name: String,
    /// Routing keys (topic patterns) to bind.
    pub routing_keys: Vec<String>,
    pub max_retries: u32,
    pub retry_delay: Duration,
    pub prefetch: u16,
    /// Quorum queues, with this delivery limit (see `EventsConfig`); `None`:
    /// classic queues.
    pub quorum_delivery_limit: Option<u32>,
}

impl ConsumerSpec {
    /// `name` is prefixed with the broker's `queue_prefix`.
    pub fn new(name: &str, routing_keys: &[&str], broker: &Broker) -> Self {
        Self {
            name: format!("{}{name}", broker.config().queue_prefix),
            routing_keys: routing_keys.iter().map(|k| (*k).to_owned()).collect(),
            max_retries: broker.config().max_retries,
            retry_delay: broker.config().retry_delay,
            prefetch: 16,
            quorum_delivery_limit: broker
                .config()
                .quorum_queues
                .then_some(broker.config().delivery_limit),
        }
    }
    fn retry_queue(&self) -> String {
        format!("{}.retry", self.name)
    }
    pub fn dead_letter_queue(&self) -> String {
        format!("{}.dlq", self.name)
    }
}

/// The result of handling one delivery.
#[derive(Debug)]
pub enum Outcome {
    Applied,
    /// Seen before: acknowledged without running the handler.
    Duplicate,
    /// The handler failed; worth retrying.
    Failed(anyhow::Error),
    /// The message is not an envelope; retrying cannot help.
    Malformed(anyhow::Error),
}

/// How long acknowledging (and confirming a retry or dead-letter copy) may
/// take before the channel is given up.
const SETTLE_TIMEOUT: Duration = Duration::from_secs(10);

pub struct Consumer<A> {
    spec: ConsumerSpec,
    broker: Broker,
    applier: Arc<A>,
}

/// A PostgreSQL handler run once per event: the event id is recorded in
/// `processed_events` in the handler's own transaction.
pub struct Deduplicated<H> {
    consumer: String,
    pool: PgPool,
    handler: H,
}

impl<H: EventHandler> Consumer<Deduplicated<H>> {
    pub fn new(spec: ConsumerSpec, pool: PgPool, broker: Broker, handler: H) -> Self {
        let applier = Deduplicated { consumer: spec.name.clone(), pool, handler };
        Self::with_applier(spec, broker, applier)
    }
}

impl<A: Apply> Consumer<A> {
    pub fn with_applier(spec: ConsumerSpec, broker: Broker, applier: A) -> Self {
        Self { spec, broker, applier: Arc::new(applier) }
    }

    /// Declares the consumer's queues and bindings. Idempotent.
    pub async fn declare(&self, channel: &Channel) -> lapin::Result<()> {
        let durable = QueueDeclareOptions { durable: true, ..Default::default() };
        let dead_letter_queue = self.spec.dead_letter_queue();
        let mut main_args = self.queue_type();
        if let Some(limit) = self.spec.quorum_delivery_limit {
            // A message its consumers keep dying on goes to the DLQ.
            main_args.insert("x-delivery-limit".into(), AMQPValue::LongUInt(limit));
            main_args.insert("x-dead-letter-exchange".into(), AMQPValue::LongString("".into()));
            main_args.insert(
                "x-dead-letter-routing-key".into(),
                AMQPValue::LongString(dead_letter_queue.as_str().into()),
            );
        }
        channel.queue_declare(self.spec.name.as_str().into(), durable, main_args).await?;
        for key in &self.spec.routing_keys {
            channel
                .queue_bind(
                    self.spec.name.as_str().into(),
                    self.broker.exchange().into(),
                    key.as_str().into(),
                    QueueBindOptions::default(),
                    FieldTable::default(),
                )
                .await?;
        }
        let mut retry_args = self.queue_type();
        let delay_ms = u32::try_from(self.spec.retry_delay.as_millis()).unwrap_or(u32::MAX);
        retry_args.insert("x-message-ttl".into(), AMQPValue::LongUInt(delay_ms));
        retry_args.insert("x-dead-letter-exchange".into(), AMQPValue::LongString("".into()));
        retry_args.insert(
            "x-dead-letter-routing-key".into(),
            AMQPValue::LongString(self.spec.name.as_str().into()),
        );
        channel.queue_declare(self.spec.retry_queue().as_str().into(), durable, retry_args).await?;
        channel
            .queue_declare(dead_letter_queue.as_str().into(), durable, self.queue_type())
            .await?;
        Ok(())
    }

    /// The arguments that make a queue a quorum queue, when configured.
    fn queue_type(&self) -> FieldTable {
        let mut arguments = FieldTable::default();
        if self.spec.quorum_delivery_limit.is_some() {
            arguments.insert("x-queue-type".into(), AMQPValue::LongString("quorum".into()));
        }
        arguments
    }

    /// Consumes until cancelled, reconnecting with backoff when the broker
    /// goes away.
    pub async fn run(self, shutdown: CancellationToken) {
        let mut backoff = Duration::from_millis(200);
        while !shutdown.is_cancelled() {
            match self.consume(&shutdown).await {
                Ok(()) => break,
                Err(e) if format!("{e:#}").contains("x-queue-type") => {
                    // Not transient: the queue was declared before as the
                    // other type (classic before quorum queues were the
                    // default). Say what to do, and keep trying.
                    tracing::error!(consumer = %self.spec.name, error = %e, "the queue exists as another type: drain and delete it (the service declares it again), or set EVENTS_QUORUM_QUEUES=false");
                    tokio::select! {
                        () = shutdown.cancelled() => break,
                        () = tokio::time::sleep(Duration::from_secs(30)) => {}
                    }
                }
                Err(e) => {
                    tracing::warn!(consumer = %self.spec.name, error = %e, retry_in = ?backoff, "consumer lost its channel");
                    tokio::select! {
                        () = shutdown.cancelled() => break,
                        () = tokio::time::sleep(backoff) => {}
                    }
                    backoff = (backoff * 2).min(Duration::from_secs(5));
                }
            }
        }
        tracing::debug!(consumer = %self.spec.name, "consumer stopped");
    }

    async fn consume(&self, shutdown: &CancellationToken) -> anyhow::Result<()> {
        let channel = self.broker.channel().await?;
        self.declare(&channel).await?;
        channel.confirm_select(ConfirmSelectOptions::default()).await?;
        channel.basic_qos(self.spec.prefetch, BasicQosOptions::default()).await?;
        let mut deliveries = channel
            .basic_consume(
                self.spec.name.as_str().into(),
                "".into(),
                BasicConsumeOptions::default(),
                FieldTable::default(),
            )
            .await?;
        loop {
            let delivery = tokio::select! {
                () = shutdown.cancelled() => return Ok(()),
                () = super::broker::closed(&channel) => anyhow::bail!("the consumer's channel closed"),
                next = deliveries.next() => next,
            };
            let delivery = match delivery {
                Some(delivery) => delivery?,
                None => anyhow::bail!("the broker closed the consumer"),
            };
            let outcome = self.process_traced(&delivery.data, traceparent_of(&delivery)).await;
            // An ack or a confirm on a connection that died may never be
            // answered: give up on the channel (the message comes back, and
            // deduplication makes that harmless) rather than wait forever.
            tokio::select! {
                settled = self.settle(&channel, &delivery, outcome) => settled?,
                () = super::broker::closed(&channel) => anyhow::bail!("the consumer's channel closed while settling"),
                () = tokio::time::sleep(SETTLE_TIMEOUT) => anyhow::bail!("no answer from the broker within {SETTLE_TIMEOUT:?} while settling"),
            }
        }
    }

    /// Handles one message body: deduplicate, run the handler, record it, all
    /// in one transaction. Public so that tests can stop between this and the
    /// ack, as a crash would.
    pub async fn process(&self, body: &[u8]) -> Outcome {
        self.process_traced(body, None).await
    }

    /// `process`, continuing the trace of the publish that sent the
    /// message (its AMQP `traceparent` header) or else of the envelope.
    async fn process_traced(&self, body: &[u8], published: Option<TraceParent>) -> Outcome {
        let mut envelope: Envelope = match serde_json::from_slice(body) {
            Ok(envelope) => envelope,
            Err(e) => return Outcome::Malformed(e.into()),
        };
        let span = tracing::info_span!(
            "event",
            otel.name = format!("{} process", envelope.event_type),
            otel.kind = "consumer",
            messaging.system = "rabbitmq",
            messaging.consumer.group.name = %self.spec.name,
            messaging.message.id = %envelope.id,
            consumer = %self.spec.name,
            event_type = %envelope.event_type,
            event_id = %envelope.id,
            trace_id = tracing::field::Empty,
            span_id = tracing::field::Empty,
        );
        let incoming =
            published.or_else(|| envelope.traceparent.as_deref().and_then(TraceParent::parse));
        // Handlers hand the envelope's context on to the events they emit:
        // from here, that is this span's.
        envelope.traceparent = Some(telemetry::start(&span, incoming).to_string());
        match self.applier.apply(&envelope).instrument(span).await {
            Ok(true) => Outcome::Applied,
            Ok(false) => Outcome::Duplicate,
            Err(e) => Outcome::Failed(e),
        }
    }

    async fn settle(
        &self,
        channel: &Channel,
        delivery: &Delivery,
        outcome: Outcome,
    ) -> anyhow::Result<()> {
        let retries = retries_of(delivery);
        let result = match &outcome {
            Outcome::Applied => "applied",
            Outcome::Duplicate => "duplicate",
            Outcome::Failed(_) if retries < self.spec.max_retries => "retried",
            Outcome::Failed(_) | Outcome::Malformed(_) => "dead_lettered",
        };
        crate::metrics::metrics().event_consumed(&self.spec.name, result);
        match outcome {
            Outcome::Applied | Outcome::Duplicate => {}
            Outcome::Failed(e) if retries < self.spec.max_retries => {
                tracing::warn!(consumer = %self.spec.name, retries, error = format!("{e:#}"), "event handler failed; retrying");
                self.republish(channel, delivery, &self.spec.retry_queue(), retries + 1, &e)
                    .await?;
            }
            Outcome::Failed(e) | Outcome::Malformed(e) => {
                tracing::error!(consumer = %self.spec.name, retries, error = format!("{e:#}"), "event dead-lettered");
                self.republish(channel, delivery, &self.spec.dead_letter_queue(), retries, &e)
                    .await?;
            }
        }
        // Acknowledge only after the retry or dead-letter copy is confirmed:
        // a crash in between redelivers the original, never loses it.
        delivery.ack(BasicAckOptions::default()).await?;
        Ok(())
    }

    async fn republish(
        &self,
        channel: &Channel,
        delivery: &Delivery,
        queue: &str,
        retries: u32,
        error: &anyhow::Error,
    ) -> anyhow::Result<()> {
        let mut headers = delivery.properties.headers().clone().unwrap_or_default();
        headers.insert(RETRY_HEADER.into(), AMQPValue::LongUInt(retries));
        let reason: String = format!("{error:#}").chars().take(500).collect();
        headers.insert(ERROR_HEADER.into(), AMQPValue::LongString(reason.as_str().into()));
        let properties = delivery.properties.clone().with_headers(headers).with_delivery_mode(2);
        let confirmation = channel
            .basic_publish(
                "".into(),
                queue.into(),
                BasicPublishOptions::default(),
                &delivery.data,
                properties,
            )
            .await?
            .await?;
        anyhow::ensure!(confirmation.is_ack(), "broker refused the {queue} copy");
        Ok(())
    }
}

impl<H: EventHandler> Apply for Deduplicated<H> {
    async fn apply(&self, envelope: &Envelope) -> anyhow::Result<bool> {
        let mut tx = self.pool.begin().await?;
        let fresh = sqlx::query(
            "INSERT INTO processed_events (consumer, event_id) VALUES ($1, $2) ON CONFLICT DO NOTHING",
        )
        .bind(&self.consumer)
        .bind(envelope.id)
        .execute(&mut *tx)
        .await?
        .rows_affected()
            == 1;
        if !fresh {
            return Ok(false);
        }
        self.handler.handle(&mut tx, envelope).await?;
        tx.commit().await?;
        Ok(true)
    }
}

fn traceparent_of(delivery: &Delivery) -> Option<TraceParent> {
    let headers = delivery.properties.headers().as_ref()?;
    match headers.inner().get(TRACEPARENT_HEADER)? {
        AMQPValue::LongString(value) => TraceParent::parse(&value.to_string()),
        AMQPValue::ShortString(value) => TraceParent::parse(value.as_str()),
        _ => None,
    }
}

fn retries_of(delivery: &Delivery) -> u32 {
    delivery
        .properties
        .headers()
        .as_ref()
        .and_then(|h| h.inner().get(RETRY_HEADER))
        .and_then(|v| match v {
            AMQPValue::LongUInt(n) => Some(*n),
            AMQPValue::LongLongInt(n) => u32::try_from(*n).ok(),
            AMQPValue::LongInt(n) => u32::try_from(*n).ok(),
            _ => None,
        })
        .unwrap_or(0)
}

/// Publishes `envelope` straight to the exchange, bypassing the outbox. For
/// tests and tools only: services publish through the outbox.
pub async fn publish_direct(broker: &Broker, envelope: &Envelope) -> anyhow::Result<()> {
    super::Publisher::new(broker.clone()).publish(std::slice::from_ref(envelope)).await
}
