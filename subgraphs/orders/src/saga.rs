//! The orders side of the checkout saga, choreographed by events:
//! - `inventory.reservation_failed` → CANCELLED (out of stock);
//! - `payment.action_required` → PAYMENT_ACTION_REQUIRED (3-D Secure: the
//!   customer confirms, and the payment's outcome follows);
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
    "payment.action_required",
    "payment.succeeded",
    "payment.failed",
    "payment.refunded",
    "shipment.created",
    "shipment.updated",
];

/// Fulfilment follows the parcel: a shipment is FULFILLING, a parcel the
/// carrier has is SHIPPED, a delivered one DELIVERED. Steps the order has
/// not taken yet are taken in order, so a late or reordered event still
/// lands the order where the parcel is.
const FULFILMENT: [OrderStatus; 3] =
    [OrderStatus::Fulfilling, OrderStatus::Shipped, OrderStatus::Delivered];

fn fulfilment_target(event: &Envelope) -> Option<OrderStatus> {
    match (event.event_type.as_str(), event.data["status"].as_str()) {
        ("shipment.created", _) => Some(OrderStatus::Fulfilling),
        ("shipment.updated", Some("PICKED_UP" | "IN_TRANSIT" | "OUT_FOR_DELIVERY")) => {
            Some(OrderStatus::Shipped)
        }
        ("shipment.updated", Some("DELIVERED")) => Some(OrderStatus::Delivered),
        _ => None,
    }
}

pub struct SagaEvents;

impl EventHandler for SagaEvents {
    async fn handle(&self, tx: &mut PgConnection, event: &Envelope) -> anyhow::Result<()> {
        let Some(order_id) = event.data["orderId"].as_str().and_then(|id| Uuid::parse_str(id).ok())
        else {
            anyhow::bail!("event without a valid orderId");
        };
        let trace = event.traceparent.as_deref().and_then(TraceParent::parse);
        if let Some(target) = fulfilment_target(event) {
            return follow_fulfilment(tx, order_id, target, trace.as_ref()).await;
        }
        let reason = event.data["reason"].as_str();
        let step = match event.event_type.as_str() {
            "inventory.reservation_failed" => {
                Some((OrderStatus::Cancelled, reason.or(Some("out of stock"))))
            }
            "inventory.released" if reason == Some("expired") => {
                Some((OrderStatus::Cancelled, Some("reservation expired")))
            }
            "payment.action_required" => Some((OrderStatus::PaymentActionRequired, None)),
            "payment.succeeded" => Some((OrderStatus::Paid, None)),
            "payment.failed" => Some((OrderStatus::PaymentFailed, reason)),
            "payment.refunded" if event.data["full"].as_bool() == Some(true) => {
                Some((OrderStatus::Refunded, reason))
            }
            _ => None,
        };
        let Some((to, reason)) = step else { return Ok(()) };
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

async fn follow_fulfilment(
    tx: &mut PgConnection,
    order_id: Uuid,
    target: OrderStatus,
    trace: Option<&TraceParent>,
) -> anyhow::Result<()> {
    for step in FULFILMENT.into_iter().take_while(|s| *s != target).chain(std::iter::once(target)) {
        let current = crate::repository::lock(tx, order_id)
            .await?
            .and_then(|o| OrderStatus::parse(&o.status));
        let Some(current) = current else { return Ok(()) };
        let done = FULFILMENT
            .iter()
            .position(|s| *s == current)
            .is_some_and(|i| FULFILMENT.iter().position(|s| *s == step).is_some_and(|j| j <= i));
        if done {
            continue;
        }
        if let Err(e) = transition(tx, order_id, step, Some("shipment"), trace).await {
            tracing::warn!(%order_id, error = ?e, "fulfilment step not applied");
            return Ok(());
        }
    }
    Ok(())
}
