use serde_json::json;
use sqlx::PgPool;
use uuid::Uuid;

use crate::helpers::{TestPayments, error_code};

const REFUND: &str = "mutation($p: ID!, $a: Int, $k: String) { refundPayment(paymentId: $p, amount: $a, reason: \"damaged\", idempotencyKey: $k) { status refunds { amount { amount } } } }";

#[sqlx::test(migrations = false)]
async fn partial_then_full_refunds_never_exceed_the_capture(pool: PgPool) {
    let payments = TestPayments::new(pool).await;
    let order = payments.order(Uuid::new_v4(), 5000, "tok_visa").await;
    payments.deliver("inventory.reserved", json!({ "orderId": order })).await;
    let (payment, ..) = payments.payment(order).await;
    let admin = payments.admin();

    let partial =
        payments.graphql(REFUND, json!({ "p": payment, "a": 2000, "k": "r1" }), Some(&admin)).await;
    assert_eq!(partial["data"]["refundPayment"]["status"], "PARTIALLY_REFUNDED", "{partial}");
    // The same key again: no second refund.
    let again =
        payments.graphql(REFUND, json!({ "p": payment, "a": 2000, "k": "r1" }), Some(&admin)).await;
    assert_eq!(
        again["data"]["refundPayment"]["refunds"].as_array().map(Vec::len),
        Some(1),
        "{again}"
    );
    let too_much =
        payments.graphql(REFUND, json!({ "p": payment, "a": 3001, "k": "r2" }), Some(&admin)).await;
    assert_eq!(error_code(&too_much), "BAD_USER_INPUT");
    let rest = payments.graphql(REFUND, json!({ "p": payment, "k": "r3" }), Some(&admin)).await;
    assert_eq!(rest["data"]["refundPayment"]["status"], "REFUNDED", "{rest}");
    let done =
        payments.graphql(REFUND, json!({ "p": payment, "a": 1, "k": "r4" }), Some(&admin)).await;
    assert_eq!(error_code(&done), "CONFLICT");

    assert_eq!(payments.sandbox.refunds().iter().map(|r| r.1).collect::<Vec<_>>(), [2000, 3000]);
    let events = payments.events("payment.refunded").await;
    assert_eq!(
        events.iter().map(|e| e["data"]["full"].as_bool().expect("full")).collect::<Vec<_>>(),
        [false, true]
    );
    let customer = payments
        .graphql(REFUND, json!({ "p": payment, "a": 1 }), Some(&payments.token(Uuid::new_v4())))
        .await;
    assert_eq!(error_code(&customer), "FORBIDDEN");
}

#[sqlx::test(migrations = false)]
async fn a_paid_order_cancelled_is_refunded_in_full_once(pool: PgPool) {
    let payments = TestPayments::new(pool).await;
    let order = payments.order(Uuid::new_v4(), 1500, "tok_visa").await;
    payments.deliver("inventory.reserved", json!({ "orderId": order })).await;
    let cancelled = json!({ "orderId": order, "status": "CANCELLED", "previousStatus": "PAID" });
    payments.deliver("order.status_changed", cancelled.clone()).await;
    payments.deliver("order.status_changed", cancelled).await;
    assert_eq!(payments.payment(order).await.1, "REFUNDED");
    assert_eq!(payments.sandbox.refunds(), [("ch_sandbox_1".to_owned(), 1500)]);
}
