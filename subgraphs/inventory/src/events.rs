//! Events inventory emits, all through the outbox.

use chrono::{DateTime, Utc};
use kit::{events::Envelope, telemetry::TraceParent};
use serde_json::json;

use crate::repository::reservations::ReservedItem;

pub const SOURCE: &str = "inventory";
pub const RESERVED: &str = "inventory.reserved";
pub const RESERVATION_FAILED: &str = "inventory.reservation_failed";
pub const RELEASED: &str = "inventory.released";
pub const LOW_STOCK: &str = "inventory.low_stock";

fn items_json(items: &[ReservedItem]) -> serde_json::Value {
    items
        .iter()
        .map(|i| json!({ "productId": i.product_id, "warehouseId": i.warehouse_id, "quantity": i.quantity }))
        .collect()
}

pub fn reserved(
    order_id: &str,
    items: &[ReservedItem],
    expires_at: DateTime<Utc>,
    trace: Option<&TraceParent>,
) -> Envelope {
    Envelope::new(
        SOURCE,
        RESERVED,
        order_id,
        json!({ "orderId": order_id, "items": items_json(items), "expiresAt": expires_at }),
        trace,
    )
}

/// `shortages`: (product, requested, available).
pub fn reservation_failed(
    order_id: &str,
    reason: &str,
    shortages: &[(String, i32, i32)],
    trace: Option<&TraceParent>,
) -> Envelope {
    let shortages: Vec<_> = shortages
        .iter()
        .map(|(p, requested, available)| json!({ "productId": p, "requested": requested, "available": available }))
        .collect();
    Envelope::new(
        SOURCE,
        RESERVATION_FAILED,
        order_id,
        json!({ "orderId": order_id, "reason": reason, "shortages": shortages }),
        trace,
    )
}

pub fn released(
    order_id: &str,
    reason: &str,
    items: &[ReservedItem],
    trace: Option<&TraceParent>,
) -> Envelope {
    Envelope::new(
        SOURCE,
        RELEASED,
        order_id,
        json!({ "orderId": order_id, "reason": reason, "items": items_json(items) }),
        trace,
    )
}

pub fn low_stock(
    product_id: &str,
    available: i64,
    threshold: i32,
    trace: Option<&TraceParent>,
) -> Envelope {
    Envelope::new(
        SOURCE,
        LOW_STOCK,
        product_id,
        json!({ "productId": product_id, "available": available, "threshold": threshold }),
        trace,
    )
}
