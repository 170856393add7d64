use kit::{events::Envelope, telemetry::TraceParent};
use serde_json::json;

use crate::repository::PaymentRow;

pub const SOURCE: &str = "payments";

pub fn succeeded(p: &PaymentRow, trace: Option<&TraceParent>) -> Envelope {
    Envelope::new(
        SOURCE,
        "payment.succeeded",
        p.order_id,
        json!({
            "orderId": p.order_id, "paymentId": p.id, "amount": { "amount": p.amount, "currency": p.currency },
        }),
        trace,
    )
}

/// The customer must confirm the charge (3-D Secure); the order waits.
pub fn action_required(p: &PaymentRow, trace: Option<&TraceParent>) -> Envelope {
    Envelope::new(
        SOURCE,
        "payment.action_required",
        p.order_id,
        json!({ "orderId": p.order_id, "paymentId": p.id }),
        trace,
    )
}

pub fn failed(p: &PaymentRow, reason: &str, trace: Option<&TraceParent>) -> Envelope {
    Envelope::new(
        SOURCE,
        "payment.failed",
        p.order_id,
        json!({
            "orderId": p.order_id, "paymentId": p.id, "reason": reason,
        }),
        trace,
    )
}

pub fn refunded(
    p: &PaymentRow,
    amount: i64,
    reason: Option<&str>,
    trace: Option<&TraceParent>,
) -> Envelope {
    Envelope::new(
        SOURCE,
        "payment.refunded",
        p.order_id,
        json!({
            "orderId": p.order_id, "paymentId": p.id, "amount": { "amount": amount, "currency": p.currency },
            "refunded": p.refunded, "full": p.refunded >= p.amount, "reason": reason,
        }),
        trace,
    )
}
