//! Product events, published at least once without MongoDB transactions.
//!
//! Pattern: the event rides in the product document itself
//! (`pendingEvents`), written by the same single-document write as the
//! change — which MongoDB (and SecantusDB) applies atomically. A relay
//! publishes pending events with publisher confirms and only then pulls
//! them from the document. A crash in between republishes; consumers
//! deduplicate by event id.

use std::time::Duration;

use kit::{
    events::{Broker, Envelope, Publisher},
    telemetry::TraceParent,
};
use serde_json::json;
use tokio_util::sync::CancellationToken;

use crate::store::{
    Store,
    documents::{PendingEvent, ProductDoc},
};

pub const SOURCE: &str = "catalog";
pub const PRODUCT_CREATED: &str = "product.created";
pub const PRODUCT_UPDATED: &str = "product.updated";

pub fn product_event(
    event_type: &str,
    product: &ProductDoc,
    trace: Option<&TraceParent>,
) -> PendingEvent {
    let envelope = Envelope::new(
        SOURCE,
        event_type,
        &product.id,
        json!({
            "productId": product.id,
            "sku": product.sku,
            "slug": product.slug,
            "name": product.name,
            "price": product.price,
            "categoryId": product.category_id,
            "weightGrams": product.weight_grams,
            "deleted": product.deleted,
        }),
        trace,
    );
    PendingEvent {
        id: envelope.id.to_string(),
        envelope: serde_json::to_string(&envelope).unwrap_or_default(),
    }
}

/// Publishes pending events until cancelled.
pub struct PendingEventRelay {
    store: Store,
    broker: Broker,
}

impl PendingEventRelay {
    pub fn new(store: Store, broker: Broker) -> Self {
        Self { store, broker }
    }

    pub async fn run(self, shutdown: CancellationToken) {
        let poll = self.broker.config().outbox_poll;
        let mut publisher = Publisher::new(self.broker.clone());
        let mut backoff = Duration::from_millis(100);
        while !shutdown.is_cancelled() {
            let wait = match self.publish_batch(&mut publisher).await {
                Ok(0) => poll,
                Ok(_) => Duration::ZERO,
                Err(e) => {
                    tracing::warn!(error = %format!("{e:#}"), retry_in = ?backoff, "catalog event relay failed; will retry");
                    backoff = (backoff * 2).min(Duration::from_secs(5));
                    backoff
                }
            };
            tokio::select! {
                () = shutdown.cancelled() => break,
                () = tokio::time::sleep(wait) => {}
            }
        }
    }

    pub async fn publish_batch(&self, publisher: &mut Publisher) -> anyhow::Result<usize> {
        let products = self.store.with_pending_events(50).await?;
        let mut published = 0;
        for product in products {
            let envelopes: Vec<Envelope> = product
                .pending_events
                .iter()
                .filter_map(|e| serde_json::from_str(&e.envelope).ok())
                .collect();
            publisher.publish(&envelopes).await?;
            for event in &product.pending_events {
                self.store.remove_pending_event(&product.id, &event.id).await?;
                published += 1;
            }
        }
        Ok(published)
    }
}
