//! How orders drive reservations: `order.created` reserves,
//! `order.status_changed` to PAID commits, to CANCELLED or PAYMENT_FAILED
//! releases. Each event is applied once (the kit's consumer deduplicates).

use kit::{
    AppError,
    events::{Envelope, EventHandler},
    telemetry::TraceParent,
};
use serde::Deserialize;
use sqlx::PgConnection;

use crate::reservations::Reservations;

pub const ORDER_CREATED: &str = "order.created";
pub const ORDER_STATUS_CHANGED: &str = "order.status_changed";

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct OrderCreated {
    order_id: String,
    items: Vec<OrderItem>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct OrderItem {
    product_id: String,
    quantity: i32,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct StatusChanged {
    order_id: String,
    status: String,
    #[serde(default)]
    reason: Option<String>,
}

pub struct OrderEvents(pub Reservations);

impl EventHandler for OrderEvents {
    async fn handle(&self, tx: &mut PgConnection, event: &Envelope) -> anyhow::Result<()> {
        let trace = event.traceparent.as_deref().and_then(TraceParent::parse);
        let result = match event.event_type.as_str() {
            ORDER_CREATED => {
                let order: OrderCreated = serde_json::from_value(event.data.clone())?;
                let items: Vec<(String, i32)> =
                    order.items.into_iter().map(|i| (i.product_id, i.quantity)).collect();
                self.0.reserve(tx, &order.order_id, &items, trace.as_ref()).await.map(drop)
            }
            ORDER_STATUS_CHANGED => {
                let change: StatusChanged = serde_json::from_value(event.data.clone())?;
                match change.status.as_str() {
                    "PAID" => self.0.commit(tx, &change.order_id).await.map(drop),
                    "CANCELLED" | "PAYMENT_FAILED" => {
                        let reason = change.reason.unwrap_or_else(|| change.status.to_lowercase());
                        self.0
                            .release(tx, &change.order_id, &reason, trace.as_ref())
                            .await
                            .map(drop)
                    }
                    _ => Ok(()),
                }
            }
            _ => Ok(()),
        };
        match result {
            Ok(()) => Ok(()),
            // A client-level refusal (unknown order, illegal transition) will
            // not change on retry: record it and move on.
            Err(AppError::Client { code, message }) => {
                tracing::warn!(event = %event.event_type, code = code.as_str(), %message, "order event not applied");
                Ok(())
            }
            Err(AppError::Internal(e)) => Err(anyhow::anyhow!("{e:#}")),
        }
    }
}
