//! The payments side of the saga: `order.created` records what to charge,
//! `inventory.reserved` charges it, and an order cancelled after it was
//! paid is refunded in full.

use kit::{
    AppError,
    error::ErrorCode,
    events::{Envelope, EventHandler},
    telemetry::TraceParent,
};
use sqlx::PgConnection;
use uuid::Uuid;

use crate::{payments::Payments, repository};

pub const LISTENS_TO: &[&str] = &["order.created", "inventory.reserved", "order.status_changed"];

pub struct PaymentEvents(pub Payments);

fn uuid(value: &serde_json::Value) -> anyhow::Result<Uuid> {
    value
        .as_str()
        .and_then(|s| Uuid::parse_str(s).ok())
        .ok_or_else(|| anyhow::anyhow!("expected a uuid, got {value}"))
}

impl EventHandler for PaymentEvents {
    async fn handle(&self, tx: &mut PgConnection, event: &Envelope) -> anyhow::Result<()> {
        let data = &event.data;
        let trace = event.traceparent.as_deref().and_then(TraceParent::parse);
        let result = match event.event_type.as_str() {
            "order.created" => {
                let amount =
                    data["total"]["amount"].as_i64().ok_or_else(|| anyhow::anyhow!("no total"))?;
                let currency = data["total"]["currency"].as_str().unwrap_or("USD");
                let token = data["paymentToken"].as_str().unwrap_or_default();
                repository::create(
                    tx,
                    uuid(&data["orderId"])?,
                    uuid(&data["customerId"])?,
                    amount,
                    currency,
                    self.0.provider.name(),
                    token,
                )
                .await
                .map_err(AppError::from)
            }
            "inventory.reserved" => {
                self.0.charge(tx, uuid(&data["orderId"])?, trace.as_ref()).await.map(drop)
            }
            "order.status_changed"
                if data["status"] == "CANCELLED" && data["previousStatus"] == "PAID" =>
            {
                let order = uuid(&data["orderId"])?;
                match repository::lock_by_order(tx, order).await? {
                    Some(payment) => self
                        .0
                        .refund(
                            tx,
                            payment.id,
                            None,
                            Some("order cancelled"),
                            &format!("cancel-{order}"),
                            trace.as_ref(),
                        )
                        .await
                        .map(drop),
                    None => Ok(()),
                }
            }
            _ => Ok(()),
        };
        match result {
            Ok(()) => Ok(()),
            // The provider may answer later: let the consumer retry.
            Err(AppError::Client { code: ErrorCode::Unavailable, message }) => {
                Err(anyhow::anyhow!(message))
            }
            Err(AppError::Client { code, message }) => {
                tracing::warn!(event = %event.event_type, code = code.as_str(), %message, "payment event not applied");
                Ok(())
            }
            Err(AppError::Internal(e)) => Err(anyhow::anyhow!("{e:#}")),
        }
    }
}
