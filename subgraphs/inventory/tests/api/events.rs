//! Orders drive reservations through RabbitMQ.

use std::time::Duration;

use kit::events::{Broker, Envelope, consumer::publish_direct};
use serde_json::json;
use sqlx::PgPool;

use crate::helpers::TestInventory;

async fn status(inventory: &TestInventory, order: &str) -> Option<String> {
    sqlx::query_scalar("SELECT status FROM reservations WHERE order_id = $1")
        .bind(order)
        .fetch_optional(&inventory.pool)
        .await
        .expect("status")
}

async fn wait_for_queue(broker: &Broker, queue: &str) {
    for _ in 0..200 {
        let channel = broker.channel().await.expect("channel");
        let passive = lapin::options::QueueDeclareOptions { passive: true, ..Default::default() };
        // The consumer starts only after its bindings exist; a queue that
        // merely exists may not be bound yet, and an event published then
        // would be routed nowhere.
        let declared =
            channel.queue_declare(queue.into(), passive, lapin::types::FieldTable::default()).await;
        if declared.is_ok_and(|q| q.consumer_count() > 0) {
            return;
        }
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
    panic!("consumer queue {queue} never got its consumer");
}

async fn wait_for(inventory: &TestInventory, order: &str, expected: &str) -> bool {
    for _ in 0..200 {
        if status(inventory, order).await.as_deref() == Some(expected) {
            return true;
        }
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
    false
}

#[sqlx::test(migrations = false)]
async fn order_created_reserves_and_paid_commits_each_once(pool: PgPool) {
    let inventory = TestInventory::new(pool).await;
    let lon = inventory.warehouse("LON").await;
    inventory.adjust("desk", &lon, 5).await;
    let running = inventory.spawn().await;
    let broker = Broker::new(inventory.config.service.events.clone());
    // Events published before the consumer has bound its queue would be
    // routed nowhere; in production the durable queue already exists.
    let queue = format!("{}inventory.orders", inventory.config.service.events.queue_prefix);
    wait_for_queue(&broker, &queue).await;

    let created = Envelope::new(
        "orders",
        "order.created",
        "o-1",
        json!({ "orderId": "o-1", "items": [{ "productId": "desk", "quantity": 2 }] }),
        None,
    );
    publish_direct(&broker, &created).await.expect("publish");
    // Redelivery of the same event must not reserve twice.
    publish_direct(&broker, &created).await.expect("publish again");
    assert!(wait_for(&inventory, "o-1", "RESERVED").await, "no reservation");

    let paid = Envelope::new(
        "orders",
        "order.status_changed",
        "o-1",
        json!({ "orderId": "o-1", "status": "PAID" }),
        None,
    );
    publish_direct(&broker, &paid).await.expect("publish");
    assert!(wait_for(&inventory, "o-1", "COMMITTED").await, "not committed");
    running.stop().await;

    let (on_hand, reserved): (i32, i32) =
        sqlx::query_as("SELECT on_hand, reserved FROM stock_levels WHERE product_id = 'desk'")
            .fetch_one(&inventory.pool)
            .await
            .expect("levels");
    assert_eq!((on_hand, reserved), (3, 0));
}
