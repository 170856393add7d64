use std::time::Duration;

use lapin::{
    BasicProperties, Channel,
    options::{BasicPublishOptions, ConfirmSelectOptions},
};

use super::{Broker, Envelope};

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
            let properties = BasicProperties::default()
                .with_content_type("application/json".into())
                .with_delivery_mode(2) // persistent
                .with_message_id(envelope.id.to_string().as_str().into());
            let body = serde_json::to_vec(envelope)?;
            let confirm = channel
                .basic_publish(
                    self.broker.exchange().into(),
                    envelope.event_type.as_str().into(),
                    BasicPublishOptions::default(),
                    &body,
                    properties,
                )
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
