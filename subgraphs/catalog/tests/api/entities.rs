use serde_json::json;

use crate::helpers::TestCatalog;

#[tokio::test]
async fn a_hundred_product_representations_cost_one_mongodb_query() {
    // Redis down, so every lookup goes to MongoDB and is counted.
    let catalog = TestCatalog::with_redis(Some("redis://127.0.0.1:1")).await;
    let mut ids = Vec::new();
    for i in 0..100 {
        ids.push(catalog.create(&format!("E-{i}"), &format!("Item {i}"), 100 + i, json!({})).await);
    }
    let representations: Vec<_> =
        ids.iter().map(|id| json!({ "__typename": "Product", "id": id })).collect();
    catalog.take_finds();
    let response = catalog
        .graphql(
            "query($r: [_Any!]!) { _entities(representations: $r) { ... on Product { id price { amount } } } }",
            json!({ "r": representations }),
            None,
        )
        .await;
    let finds = catalog.take_finds();
    let entities = response["data"]["_entities"].as_array().unwrap_or_else(|| panic!("{response}"));
    assert_eq!(entities.len(), 100);
    for (i, entity) in entities.iter().enumerate() {
        assert_eq!(entity["id"], ids[i].as_str());
        assert_eq!(entity["price"]["amount"], 100 + i as i64);
    }
    assert_eq!(finds, 1, "expected one batched find");
}
