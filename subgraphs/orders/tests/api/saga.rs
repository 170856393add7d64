use std::time::Duration;

use kit::events::{Envelope, EventHandler};
use orders::saga::SagaEvents;
use serde_json::json;
use sqlx::PgPool;
use uuid::Uuid;

use crate::helpers::TestOrders;

async fn deliver(orders: &TestOrders, event_type: &str, data: serde_json::Value) {
    let envelope = Envelope::new("tests", event_type, "x", data, None);
    let mut tx = orders.pool.begin().await.expect("begin");
    SagaEvents.handle(&mut tx, &envelope).await.expect("handled");
    tx.commit().await.expect("commit");
}

#[sqlx::test(migrations = false)]
async fn saga_events_move_orders_and_late_events_change_nothing(pool: PgPool) {
    let orders = TestOrders::new(pool).await;
    let (paid, failed, short) = (
        orders.order(Uuid::new_v4()).await,
        orders.order(Uuid::new_v4()).await,
        orders.order(Uuid::new_v4()).await,
    );

    deliver(&orders, "payment.succeeded", json!({ "orderId": paid })).await;
    deliver(&orders, "payment.failed", json!({ "orderId": failed, "reason": "card declined" }))
        .await;
    deliver(
        &orders,
        "inventory.reservation_failed",
        json!({ "orderId": short, "reason": "out of stock" }),
    )
    .await;
    assert_eq!(orders.status(paid).await, "PAID");
    assert_eq!(orders.status(failed).await, "PAYMENT_FAILED");
    assert_eq!(orders.status(short).await, "CANCELLED");

    // Twice, or too late: nothing moves, nothing fails.
    deliver(&orders, "payment.succeeded", json!({ "orderId": paid })).await;
    deliver(&orders, "payment.succeeded", json!({ "orderId": short })).await;
    assert_eq!(orders.status(paid).await, "PAID");
    assert_eq!(orders.status(short).await, "CANCELLED");
    let reasons: Vec<Option<String>> =
        sqlx::query_scalar("SELECT reason FROM order_status_history WHERE order_id = $1")
            .bind(failed)
            .fetch_all(&orders.pool)
            .await
            .expect("history");
    assert_eq!(reasons, [Some("card declined".to_owned())]);
    let changes = orders.events("order.status_changed").await;
    assert_eq!(changes.len(), 3);
    assert_eq!(changes[0]["data"]["previousStatus"], "PENDING");
}

#[sqlx::test(migrations = false)]
async fn an_order_waits_for_3d_secure_then_follows_the_payment_outcome(pool: PgPool) {
    let orders = TestOrders::new(pool).await;
    let (confirmed, refused) =
        (orders.order(Uuid::new_v4()).await, orders.order(Uuid::new_v4()).await);
    for order in [confirmed, refused] {
        deliver(&orders, "payment.action_required", json!({ "orderId": order })).await;
        assert_eq!(orders.status(order).await, "PAYMENT_ACTION_REQUIRED");
    }
    deliver(&orders, "payment.succeeded", json!({ "orderId": confirmed })).await;
    deliver(&orders, "payment.failed", json!({ "orderId": refused, "reason": "not confirmed" }))
        .await;
    assert_eq!(orders.status(confirmed).await, "PAID");
    assert_eq!(orders.status(refused).await, "PAYMENT_FAILED");
    // A late or repeated request for action does not move a settled order.
    deliver(&orders, "payment.action_required", json!({ "orderId": confirmed })).await;
    assert_eq!(orders.status(confirmed).await, "PAID");
    let changes = orders.events("order.status_changed").await;
    let moves: Vec<(&str, &str)> = changes
        .iter()
        .filter(|c| c["data"]["orderId"] == json!(confirmed))
        .map(|c| {
            let data = &c["data"];
            (data["previousStatus"].as_str().unwrap_or(""), data["status"].as_str().unwrap_or(""))
        })
        .collect();
    assert_eq!(
        moves,
        [("PENDING", "PAYMENT_ACTION_REQUIRED"), ("PAYMENT_ACTION_REQUIRED", "PAID")]
    );
}

#[sqlx::test(migrations = false)]
async fn a_stuck_checkout_ends_cancelled_instead_of_pending_forever(pool: PgPool) {
    let orders = TestOrders::new(pool).await;
    let stuck = orders.order(Uuid::new_v4()).await;
    let fresh = orders.order(Uuid::new_v4()).await;
    sqlx::query("UPDATE orders SET placed_at = now() - interval '1 hour' WHERE id = $1")
        .bind(stuck)
        .execute(&orders.pool)
        .await
        .expect("age");
    let swept = orders::lifecycle::cancel_stale(&orders.pool, Duration::from_secs(1200))
        .await
        .expect("sweep");
    assert_eq!(swept, 1);
    assert_eq!(orders.status(stuck).await, "CANCELLED");
    assert_eq!(orders.status(fresh).await, "PENDING");
    deliver(&orders, "inventory.released", json!({ "orderId": fresh, "reason": "expired" })).await;
    assert_eq!(orders.status(fresh).await, "CANCELLED");
}
