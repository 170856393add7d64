//! The orders side of the checkout saga, choreographed by events:
//! - `inventory.reservation_failed` → CANCELLED (out of stock);
//! - `payment.succeeded` → PAID (inventory then commits the reservation);
//! - `payment.failed` → PAYMENT_FAILED (inventory then releases);
//! - `inventory.released` because the hold expired → CANCELLED;
//! - `payment.refunded` in full → REFUNDED.
//!
//! Each event is applied once (deduplicated by the kit's consumer); an
//! event that arrives too late for the order's state is logged, not retried.

use kit::{
    AppError,
    events::{Envelope, EventHandler},
    telemetry::TraceParent,
};
use sqlx::PgConnection;
use uuid::Uuid;

use crate::{lifecycle::transition, status::OrderStatus};

pub const LISTENS_TO: &[&str] = &[
    "inventory.reservation_failed",
    "inventory.released",
    "payment.succeeded",
    "payment.failed",
    "payment.refunded",
];

pub struct SagaEvents;

impl EventHandler for SagaEvents {
    async fn handle(&self, tx: &mut PgConnection, event: &Envelope) -> anyhow::Result<()> {
        let Some(order_id) = event.data["orderId"].as_str().and_then(|id| Uuid::parse_str(id).ok())
        else {
            anyhow::bail!("event without a valid orderId");
        };
        let reason = event.data["reason"].as_str();
        let step = match event.event_type.as_str() {
            "inventory.reservation_failed" => {
                Some((OrderStatus::Cancelled, reason.or(Some("out of stock"))))
            }
            "inventory.released" if reason == Some("expired") => {
                Some((OrderStatus::Cancelled, Some("reservation expired")))
            }
            "payment.succeeded" => Some((OrderStatus::Paid, None)),
            "payment.failed" => Some((OrderStatus::PaymentFailed, reason)),
            "payment.refunded" if event.data["full"].as_bool() == Some(true) => {
                Some((OrderStatus::Refunded, reason))
            }
            _ => None,
        };
        let Some((to, reason)) = step else { return Ok(()) };
        let trace = event.traceparent.as_deref().and_then(TraceParent::parse);
        match transition(tx, order_id, to, reason, trace.as_ref()).await {
            Ok(_) => Ok(()),
            Err(AppError::Client { code, message }) => {
                tracing::warn!(event = %event.event_type, %order_id, code = code.as_str(), %message, "saga event not applied");
                Ok(())
            }
            Err(AppError::Internal(e)) => Err(anyhow::anyhow!("{e:#}")),
        }
    }
}
