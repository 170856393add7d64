use serde_json::json;
use sqlx::PgPool;

use crate::helpers::{TestInventory, error_code};

#[sqlx::test(migrations = false)]
async fn adjustments_are_ledgered_and_never_go_below_zero(pool: PgPool) {
    let inventory = TestInventory::new(pool).await;
    let warehouse = inventory.warehouse("LON").await;
    let added = inventory.adjust("p1", &warehouse, 7).await;
    assert_eq!(added["data"]["adjustStock"], json!({ "onHand": 7, "reserved": 0, "available": 7 }));
    let removed = inventory.adjust("p1", &warehouse, -3).await;
    assert_eq!(removed["data"]["adjustStock"]["onHand"], 4);

    let too_many = inventory.adjust("p1", &warehouse, -5).await;
    assert_eq!(error_code(&too_many), "BAD_USER_INPUT");
    let unknown = inventory.adjust("p1", &uuid::Uuid::new_v4().to_string(), 1).await;
    assert_eq!(error_code(&unknown), "NOT_FOUND");

    let ledger: Vec<(i32, String)> = sqlx::query_as(
        "SELECT delta, reason FROM stock_ledger WHERE product_id = 'p1' ORDER BY id",
    )
    .fetch_all(&inventory.pool)
    .await
    .expect("ledger");
    assert_eq!(ledger, [(7, "count".to_owned()), (-3, "count".to_owned())]);
    assert_eq!(inventory.availability("p1").await, (true, 4));
}

#[sqlx::test(migrations = false)]
async fn admin_fields_are_refused_to_customers(pool: PgPool) {
    let inventory = TestInventory::new(pool).await;
    let warehouse = inventory.warehouse("LON").await;
    let customer = inventory.customer();
    for query in [
        "{ warehouses { id } }".to_owned(),
        "{ lowStock { available } }".to_owned(),
        format!("mutation {{ adjustStock(productId: \"p\", warehouseId: \"{warehouse}\", delta: 5, reason: \"x\") {{ onHand }} }}"),
        "{ _entities(representations: [{ __typename: \"Product\", id: \"p\" }]) { ... on Product { stockLevels { onHand } } } }".to_owned(),
    ] {
        let response = inventory.graphql(&query, json!({}), Some(&customer)).await;
        assert_eq!(error_code(&response), "FORBIDDEN", "{query}: {response}");
    }
    let listed = inventory
        .graphql("{ warehouses { code name country } }", json!({}), Some(&inventory.admin()))
        .await;
    assert_eq!(
        listed["data"]["warehouses"],
        json!([{ "code": "LON", "name": "LON", "country": "GB" }])
    );
    let duplicate = inventory
        .graphql("mutation { createWarehouse(input: { code: \"lon\", name: \"Again\", country: \"GB\" }) { id } }", json!({}), Some(&inventory.admin()))
        .await;
    assert_eq!(error_code(&duplicate), "CONFLICT");
    let bad_country = inventory
        .graphql("mutation { createWarehouse(input: { code: \"X\", name: \"X\", country: \"Narnia\" }) { id } }", json!({}), Some(&inventory.admin()))
        .await;
    assert_eq!(error_code(&bad_country), "BAD_USER_INPUT");
}

#[sqlx::test(migrations = false)]
async fn availability_is_cached_but_never_stale_after_an_adjustment(pool: PgPool) {
    let inventory = TestInventory::new(pool).await;
    let warehouse = inventory.warehouse("LON").await;
    inventory.adjust("p1", &warehouse, 2).await;
    assert_eq!(inventory.availability("p1").await, (true, 2));
    // Change the database behind the cache's back: the cached value shows.
    sqlx::query("UPDATE stock_levels SET on_hand = 9")
        .execute(&inventory.pool)
        .await
        .expect("update");
    assert_eq!(inventory.availability("p1").await, (true, 2), "expected the cached value");
    // A real adjustment invalidates it.
    inventory.adjust("p1", &warehouse, -9).await;
    assert_eq!(inventory.availability("p1").await, (false, 0));
}

#[sqlx::test(migrations = false)]
async fn with_redis_down_availability_comes_from_postgres(pool: PgPool) {
    let inventory = TestInventory::with_redis(pool, Some("redis://127.0.0.1:1")).await;
    let warehouse = inventory.warehouse("LON").await;
    inventory.adjust("p1", &warehouse, 3).await;
    assert_eq!(inventory.availability("p1").await, (true, 3));
    assert_eq!(inventory.availability("unknown").await, (false, 0));
}

#[sqlx::test(migrations = false)]
async fn low_stock_lists_and_announces_products_crossing_the_threshold(pool: PgPool) {
    let inventory = TestInventory::new(pool).await;
    let warehouse = inventory.warehouse("LON").await;
    inventory.adjust("plenty", &warehouse, 50).await;
    inventory.adjust("scarce", &warehouse, 20).await;
    inventory.adjust("scarce", &warehouse, -17).await;
    let low = inventory
        .graphql("{ lowStock { product { id } available } }", json!({}), Some(&inventory.admin()))
        .await;
    assert_eq!(low["data"]["lowStock"], json!([{ "product": { "id": "scarce" }, "available": 3 }]));
    let events = inventory.outbox("inventory.low_stock").await;
    assert_eq!(events.len(), 1);
    assert_eq!(events[0]["data"], json!({ "productId": "scarce", "available": 3, "threshold": 5 }));
}
