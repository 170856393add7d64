//! The delivery worker: tries due notifications on their channel, retries
//! failures with exponential backoff, marks the last failure FAILED, and
//! announces each outcome as `notification.sent` / `notification.failed`.

use std::{sync::Arc, time::Duration};

use kit::events::{Broker, Envelope, Publisher};
use serde_json::json;
use tokio_util::sync::CancellationToken;

use crate::{
    channels::Channels,
    events::SOURCE,
    store::{NotificationDoc, NotificationStatus, Store, now_ms},
    templates::NotificationChannel,
};

/// How long a claimed delivery is hidden from other instances.
const LEASE_MS: i64 = 60_000;
/// Deliveries tried per tick, so announcements are not starved.
const BATCH: usize = 50;

pub struct Worker {
    pub store: Store,
    pub channels: Arc<Channels>,
    pub publisher: tokio::sync::Mutex<Publisher>,
    pub max_attempts: u32,
    pub retry_base: Duration,
    /// How often due retries are looked for; new notifications wake the
    /// worker at once (see `waker`).
    pub poll: Duration,
    wake: Arc<tokio::sync::Notify>,
}

impl Worker {
    pub fn new(
        store: Store,
        channels: Arc<Channels>,
        broker: Broker,
        config: &crate::NotificationsConfig,
    ) -> Self {
        Self {
            store,
            channels,
            publisher: tokio::sync::Mutex::new(Publisher::new(broker)),
            max_attempts: config.max_attempts.max(1),
            retry_base: config.retry_base,
            poll: config.poll,
            wake: Arc::default(),
        }
    }

    /// Notifying it makes the worker run a pass now.
    pub fn waker(&self) -> Arc<tokio::sync::Notify> {
        self.wake.clone()
    }

    pub async fn run(self, shutdown: CancellationToken) {
        loop {
            if let Err(e) = self.tick().await {
                tracing::warn!(error = %format!("{e:#}"), "notification delivery pass failed");
            }
            tokio::select! {
                () = shutdown.cancelled() => return,
                () = tokio::time::sleep(self.poll) => {}
                () = self.wake.notified() => {}
            }
        }
    }

    /// One pass: deliver what is due, then announce what finished.
    pub async fn tick(&self) -> anyhow::Result<()> {
        let due = self.store.due(BATCH as i64).await?;
        // Another instance may have taken some of them since.
        for mut notification in self.store.claim(&due, LEASE_MS).await? {
            self.attempt(&mut notification).await;
            self.store.save(&notification).await?;
        }
        for mut notification in self.store.unannounced(BATCH as i64).await? {
            self.publisher.lock().await.publish(&[outcome_event(&notification)]).await?;
            notification.announced = true;
            self.store.save(&notification).await?;
        }
        Ok(())
    }

    async fn attempt(&self, notification: &mut NotificationDoc) {
        notification.attempts += 1;
        match self.deliver(notification).await {
            Ok(()) => {
                notification.status = NotificationStatus::Sent;
                notification.sent_at_ms = Some(now_ms());
                notification.last_error = None;
                notification.outcome_event_id = Some(uuid::Uuid::now_v7());
                kit::metrics::metrics().notification_finished(notification.channel.as_str(), true);
            }
            Err(reason) if notification.attempts >= self.max_attempts => {
                tracing::warn!(id = %notification.id, %reason, "notification failed for good");
                notification.status = NotificationStatus::Failed;
                notification.last_error = Some(reason);
                notification.outcome_event_id = Some(uuid::Uuid::now_v7());
                kit::metrics::metrics().notification_finished(notification.channel.as_str(), false);
            }
            Err(reason) => {
                let factor = 2u32.saturating_pow(notification.attempts - 1);
                let delay = self.retry_base.saturating_mul(factor);
                tracing::info!(id = %notification.id, %reason, retry_in = ?delay, "notification will be retried");
                notification.last_error = Some(reason);
                notification.next_attempt_ms =
                    now_ms() + i64::try_from(delay.as_millis()).unwrap_or(i64::MAX / 2);
            }
        }
    }
}

impl Worker {
    async fn deliver(&self, notification: &mut NotificationDoc) -> Result<(), String> {
        // Events from different services race: an order's email may be due
        // before `user.registered` has told us the address. Look it up at
        // delivery time; retries give it time to arrive.
        if notification.channel == NotificationChannel::Email && notification.recipient.is_none() {
            let recipient = self.store.recipient(&notification.user_id).await;
            let recipient = recipient.map_err(|e| format!("recipient lookup failed: {e}"))?;
            notification.recipient =
                Some(recipient.ok_or("no email address is known for this customer")?.email);
        }
        self.channels.of(notification.channel).deliver(notification).await
    }
}

fn outcome_event(notification: &NotificationDoc) -> Envelope {
    let event_type = match notification.status {
        NotificationStatus::Sent => "notification.sent",
        _ => "notification.failed",
    };
    let mut envelope = Envelope::new(
        SOURCE,
        event_type,
        &notification.id,
        json!({
            "notificationId": notification.id,
            "userId": notification.user_id,
            "template": notification.template,
            "channel": notification.channel.as_str(),
            "attempts": notification.attempts,
            "error": notification.last_error,
        }),
        None,
    );
    if let Some(id) = notification.outcome_event_id {
        envelope.id = id;
    }
    envelope
}
