use inventory::reservations::{OUT_OF_STOCK, Outcome};
use sqlx::PgPool;

use crate::helpers::TestInventory;

async fn reserve(inventory: &TestInventory, order: &str, items: &[(&str, i32)]) -> Outcome {
    let items: Vec<(String, i32)> = items.iter().map(|(p, q)| ((*p).to_owned(), *q)).collect();
    let mut tx = inventory.pool.begin().await.expect("begin");
    let outcome =
        inventory.reservations.reserve(&mut tx, order, &items, None).await.expect("reserve");
    tx.commit().await.expect("commit");
    outcome
}

async fn levels(inventory: &TestInventory, product: &str) -> Vec<(i32, i32)> {
    sqlx::query_as(
        "SELECT on_hand, reserved FROM stock_levels WHERE product_id = $1 ORDER BY on_hand DESC",
    )
    .bind(product)
    .fetch_all(&inventory.pool)
    .await
    .expect("levels")
}

#[sqlx::test(migrations = false)]
async fn reservations_span_warehouses_and_are_all_or_nothing(pool: PgPool) {
    let inventory = TestInventory::new(pool).await;
    let (lon, nyc) = (inventory.warehouse("LON").await, inventory.warehouse("NYC").await);
    inventory.adjust("chair", &lon, 3).await;
    inventory.adjust("chair", &nyc, 2).await;
    inventory.adjust("table", &lon, 1).await;

    // Two tables are not there: nothing at all is reserved.
    let failed = reserve(&inventory, "order-1", &[("chair", 4), ("table", 2)]).await;
    assert_eq!(failed, Outcome::Failed { reason: OUT_OF_STOCK.into() });
    assert_eq!(levels(&inventory, "chair").await, [(3, 0), (2, 0)]);
    let events = inventory.outbox("inventory.reservation_failed").await;
    assert_eq!(
        events[0]["data"]["shortages"],
        serde_json::json!([{ "productId": "table", "requested": 2, "available": 1 }])
    );

    // Four chairs: three from the fuller warehouse, one from the other.
    let Outcome::Reserved { items, .. } = reserve(&inventory, "order-2", &[("chair", 4)]).await
    else {
        panic!("expected a reservation");
    };
    let mut quantities: Vec<i32> = items.iter().map(|i| i.quantity).collect();
    quantities.sort();
    assert_eq!(quantities, [1, 3]);
    assert_eq!(levels(&inventory, "chair").await, [(3, 3), (2, 1)]);
    assert_eq!(inventory.availability("chair").await, (true, 1));
    assert_eq!(inventory.outbox("inventory.reserved").await.len(), 1);
}

#[sqlx::test(migrations = false)]
async fn reserving_twice_for_one_order_changes_nothing(pool: PgPool) {
    let inventory = TestInventory::new(pool).await;
    let lon = inventory.warehouse("LON").await;
    inventory.adjust("lamp", &lon, 5).await;
    let first = reserve(&inventory, "order-1", &[("lamp", 2)]).await;
    let again = reserve(&inventory, "order-1", &[("lamp", 2)]).await;
    assert_eq!(first, again);
    assert_eq!(levels(&inventory, "lamp").await, [(5, 2)]);
    assert_eq!(inventory.outbox("inventory.reserved").await.len(), 1);
}

#[sqlx::test(migrations = false)]
async fn fifty_concurrent_orders_for_the_last_ten_units_reserve_exactly_ten(pool: PgPool) {
    let inventory = TestInventory::new(pool).await;
    let (lon, nyc) = (inventory.warehouse("LON").await, inventory.warehouse("NYC").await);
    inventory.adjust("last", &lon, 6).await;
    inventory.adjust("last", &nyc, 4).await;
    let attempts = (0..50).map(|i| {
        let inventory = &inventory;
        async move { reserve(inventory, &format!("order-{i}"), &[("last", 1)]).await }
    });
    let outcomes = futures::future::join_all(attempts).await;
    let reserved = outcomes.iter().filter(|o| matches!(o, Outcome::Reserved { .. })).count();
    let failed = outcomes.iter().filter(|o| matches!(o, Outcome::Failed { .. })).count();
    assert_eq!((reserved, failed), (10, 40));
    assert_eq!(levels(&inventory, "last").await, [(6, 6), (4, 4)]);
    assert_eq!(inventory.availability("last").await, (false, 0));
}

#[sqlx::test(migrations = false)]
async fn commit_ships_release_returns_and_illegal_moves_are_refused(pool: PgPool) {
    let inventory = TestInventory::new(pool).await;
    let lon = inventory.warehouse("LON").await;
    inventory.adjust("mug", &lon, 10).await;
    reserve(&inventory, "paid", &[("mug", 3)]).await;
    reserve(&inventory, "cancelled", &[("mug", 2)]).await;

    let mut tx = inventory.pool.begin().await.expect("begin");
    assert_eq!(
        inventory.reservations.commit(&mut tx, "paid").await.expect("commit"),
        Outcome::Committed
    );
    assert_eq!(
        inventory.reservations.commit(&mut tx, "paid").await.expect("idempotent"),
        Outcome::Committed
    );
    assert_eq!(
        inventory
            .reservations
            .release(&mut tx, "cancelled", "cancelled", None)
            .await
            .expect("release"),
        Outcome::Released
    );
    let illegal = inventory.reservations.release(&mut tx, "paid", "too late", None).await;
    assert!(
        matches!(illegal, Err(kit::AppError::Client { code: kit::error::ErrorCode::Conflict, .. })),
        "{illegal:?}"
    );
    tx.commit().await.expect("commit");

    assert_eq!(levels(&inventory, "mug").await, [(7, 0)]);
    let released = inventory.outbox("inventory.released").await;
    assert_eq!(released[0]["data"]["orderId"], "cancelled");
    let shipped: i64 = sqlx::query_scalar(
        "SELECT sum(delta)::bigint FROM stock_ledger WHERE reason = 'order paid'",
    )
    .fetch_one(&inventory.pool)
    .await
    .expect("ledger");
    assert_eq!(shipped, -3);
}

#[sqlx::test(migrations = false)]
async fn expired_reservations_are_released_by_the_sweeper(pool: PgPool) {
    let inventory = TestInventory::new(pool).await;
    let lon = inventory.warehouse("LON").await;
    inventory.adjust("rug", &lon, 4).await;
    reserve(&inventory, "slow", &[("rug", 4)]).await;
    assert_eq!(inventory.availability("rug").await, (false, 0));
    sqlx::query("UPDATE reservations SET expires_at = now() - interval '1 second'")
        .execute(&inventory.pool)
        .await
        .expect("expire");
    assert_eq!(inventory.reservations.sweep_expired().await.expect("sweep"), 1);
    assert_eq!(levels(&inventory, "rug").await, [(4, 0)]);
    assert_eq!(inventory.outbox("inventory.released").await[0]["data"]["reason"], "expired");
    assert_eq!(inventory.reservations.sweep_expired().await.expect("sweep"), 0);
}
