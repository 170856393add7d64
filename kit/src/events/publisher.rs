use std::time::Duration;

use tracing::Instrument;

use lapin::{
    BasicProperties, Channel,
    options::{BasicPublishOptions, ConfirmSelectOptions},
    types::{AMQPValue, FieldTable},
};

use super::{Broker, Envelope, envelope::TRACEPARENT_HEADER};
use crate::telemetry::{self, TraceParent};

/// A broker that accepts the connection but never confirms must not stall
/// a relay forever.
const CONFIRM_TIMEOUT: Duration = Duration::from_secs(10);

/// Publishes envelopes with publisher confirms on a channel it keeps open
/// and reopens after failures. Used by the outbox relays.
pub struct Publisher {
    broker: Broker,
    channel: Option<Channel>,
}

impl Publisher {
    pub fn new(broker: Broker) -> Self {
        Self { broker, channel: None }
    }

    /// Publishes every envelope and waits until the broker confirmed all of
    /// them. On error none may be assumed delivered; the caller retries.
    pub async fn publish(&mut self, envelopes: &[Envelope]) -> anyhow::Result<()> {
        let result = tokio::time::timeout(CONFIRM_TIMEOUT, self.publish_all(envelopes))
            .await
            .unwrap_or_else(|_| {
                Err(anyhow::anyhow!("no publisher confirms within {CONFIRM_TIMEOUT:?}"))
            });
        if result.is_err() {
            self.channel = None;
        }
        result
    }

    async fn publish_all(&mut self, envelopes: &[Envelope]) -> anyhow::Result<()> {
        let channel = self.channel().await?;
        let mut confirms = Vec::with_capacity(envelopes.len());
        for envelope in envelopes {
            // The publish belongs to the trace of the transaction that wrote
            // the event, whenever the relay gets to it.
            let span = tracing::info_span!(
                "publish",
                otel.name = format!("{} publish", envelope.event_type),
                otel.kind = "producer",
                messaging.system = "rabbitmq",
                messaging.destination.name = self.broker.exchange(),
                messaging.message.id = %envelope.id,
                trace_id = tracing::field::Empty,
                span_id = tracing::field::Empty,
            );
            let incoming = envelope.traceparent.as_deref().and_then(TraceParent::parse);
            let mut properties = BasicProperties::default()
                .with_content_type("application/json".into())
                .with_delivery_mode(2) // persistent
                .with_message_id(envelope.id.to_string().as_str().into());
            if let Some(parent) = incoming {
                let trace = telemetry::start(&span, Some(parent)).to_string();
                let mut headers = FieldTable::default();
                headers.insert(TRACEPARENT_HEADER.into(), AMQPValue::LongString(trace.into()));
                properties = properties.with_headers(headers);
            }
            let body = serde_json::to_vec(envelope)?;
            let confirm = channel
                .basic_publish(
                    self.broker.exchange().into(),
                    envelope.event_type.as_str().into(),
                    BasicPublishOptions::default(),
                    &body,
                    properties,
                )
                .instrument(span)
                .await?;
            confirms.push(confirm);
        }
        for confirm in confirms {
            let confirmation = confirm.await?;
            anyhow::ensure!(confirmation.is_ack(), "broker refused a message: {confirmation:?}");
        }
        Ok(())
    }

    async fn channel(&mut self) -> anyhow::Result<Channel> {
        if let Some(channel) = self.channel.as_ref().filter(|c| c.status().connected()) {
            return Ok(channel.clone());
        }
        let channel = self.broker.channel().await?;
        channel.confirm_select(ConfirmSelectOptions::default()).await?;
        self.channel = Some(channel.clone());
        Ok(channel)
    }
}
