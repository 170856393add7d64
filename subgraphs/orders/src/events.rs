//! Events orders emits, through the outbox.

use kit::{events::Envelope, telemetry::TraceParent};
use serde_json::json;

use crate::{
    checkout::PaymentMeans,
    repository::{ItemRow, OrderRow},
};

pub const SOURCE: &str = "orders";
pub const ORDER_CREATED: &str = "order.created";
pub const ORDER_STATUS_CHANGED: &str = "order.status_changed";

/// Carries what the saga needs: items for inventory, the amount and the
/// payment token (a provider token, never card data) or saved method's id
/// for payments.
pub fn order_created(
    order: &OrderRow,
    items: &[ItemRow],
    payment: &PaymentMeans,
    trace: Option<&TraceParent>,
) -> Envelope {
    let items: Vec<_> = items
        .iter()
        .map(|i| json!({ "productId": i.product_id, "quantity": i.quantity, "unitPrice": i.unit_price }))
        .collect();
    let mut data = json!({
        "orderId": order.id,
        "number": order.number,
        "customerId": order.customer_id,
        "items": items,
        "total": { "amount": order.total, "currency": order.currency },
        "discount": { "amount": order.discount, "currency": order.currency },
        "discountCode": order.discount_code,
    });
    match payment {
        PaymentMeans::Token(token) => data["paymentToken"] = json!(token.trim()),
        PaymentMeans::SavedMethod(id) => data["paymentMethodId"] = json!(id),
    }
    Envelope::new(SOURCE, ORDER_CREATED, order.id, data, trace)
}

pub fn status_changed(
    order: &OrderRow,
    previous: &str,
    reason: Option<&str>,
    trace: Option<&TraceParent>,
) -> Envelope {
    Envelope::new(
        SOURCE,
        ORDER_STATUS_CHANGED,
        order.id,
        json!({
            "orderId": order.id,
            "customerId": order.customer_id,
            // Enough to describe the order without having seen
            // order.created: consumers may get this event first.
            "number": order.number,
            "total": { "amount": order.total, "currency": order.currency },
            "status": order.status,
            "previousStatus": previous,
            "reason": reason,
            "at": order.updated_at,
        }),
        trace,
    )
}
