use serde_json::json;

use crate::helpers::TestCatalog;

const PRICE: &str = "query($id: ID) { product(id: $id) { price { amount } } }";

#[tokio::test]
async fn reads_are_cached_and_never_stale_after_an_update() {
    let catalog = TestCatalog::new().await;
    let id = catalog.create("C-1", "Kettle", 1000, json!({})).await;
    let first = catalog.graphql(PRICE, json!({ "id": id }), None).await;
    assert_eq!(first["data"]["product"]["price"]["amount"], 1000);
    catalog.take_finds();

    // Served from Redis: no MongoDB query.
    let cached = catalog.graphql(PRICE, json!({ "id": id }), None).await;
    assert_eq!(cached["data"]["product"]["price"]["amount"], 1000);
    assert_eq!(catalog.take_finds(), 0, "the second read must come from the cache");

    let update = "mutation($id: ID!) { updateProduct(id: $id, input: { price: { amount: 1250, currency: \"USD\" } }) { id } }";
    catalog.graphql(update, json!({ "id": id }), Some(&catalog.admin())).await;
    let after = catalog.graphql(PRICE, json!({ "id": id }), None).await;
    assert_eq!(
        after["data"]["product"]["price"]["amount"], 1250,
        "stale read after update: {after}"
    );
}

#[tokio::test]
async fn with_redis_down_everything_still_works_from_mongodb() {
    // Nothing listens on port 1.
    let catalog = TestCatalog::with_redis(Some("redis://127.0.0.1:1")).await;
    let id = catalog.create("C-2", "Toaster", 2000, json!({})).await;
    let read = catalog.graphql(PRICE, json!({ "id": id }), None).await;
    assert_eq!(read, json!({ "data": { "product": { "price": { "amount": 2000 } } } }));
    let update = "mutation($id: ID!) { updateProduct(id: $id, input: { price: { amount: 2100, currency: \"USD\" } }) { price { amount } } }";
    let updated = catalog.graphql(update, json!({ "id": id }), Some(&catalog.admin())).await;
    assert_eq!(updated["data"]["updateProduct"]["price"]["amount"], 2100, "{updated}");
    let read = catalog.graphql(PRICE, json!({ "id": id }), None).await;
    assert_eq!(read["data"]["product"]["price"]["amount"], 2100);
}
