use serde_json::json;

use crate::helpers::Federation;

#[tokio::test]
async fn a_nullable_field_failing_in_a_joined_subgraph_is_null_with_a_remapped_error() {
    let federation = Federation::start().await;
    let response = federation.query("{ topProducts { upc warehouse } }", json!({})).await;
    assert_eq!(
        response["data"],
        json!({ "topProducts": [
            { "upc": "1", "warehouse": "WH-1" },
            { "upc": "2", "warehouse": null },
            { "upc": "3", "warehouse": "WH-3" },
        ] })
    );
    let errors = response["errors"].as_array().expect("errors");
    assert_eq!(errors.len(), 1, "{response}");
    assert_eq!(errors[0]["message"], "warehouse lookup failed");
    assert_eq!(errors[0]["path"], json!(["topProducts", 1, "warehouse"]));
    assert_eq!(errors[0]["extensions"]["serviceName"], "inventory");
}

#[tokio::test]
async fn a_non_null_field_failing_nulls_the_nearest_nullable_parent() {
    let federation = Federation::start().await;
    let response = federation
        .query("{ bad: product(upc: \"2\") { name stockCode } good: product(upc: \"1\") { stockCode } }", json!({}))
        .await;
    assert_eq!(response["data"], json!({ "bad": null, "good": { "stockCode": "SC-1" } }));
    let errors = response["errors"].as_array().expect("errors");
    assert_eq!(errors.len(), 1, "{response}");
    assert_eq!(errors[0]["path"], json!(["bad", "stockCode"]));
}

#[tokio::test]
async fn a_dead_subgraph_gives_partial_data_and_an_error_and_the_router_keeps_serving() {
    let federation = Federation::start().await;
    federation.subgraph("reviews").stop();
    tokio::time::sleep(std::time::Duration::from_millis(100)).await;

    let response =
        federation.query("{ topProducts(first: 2) { name reviewCount } }", json!({})).await;
    assert_eq!(
        response["data"],
        json!({ "topProducts": [{ "name": "Table", "reviewCount": null }, { "name": "Couch", "reviewCount": null }] })
    );
    let errors = response["errors"].as_array().expect("errors");
    assert_eq!(errors.len(), 1, "{response}");
    assert_eq!(errors[0]["extensions"]["serviceName"], "reviews");
    assert_eq!(errors[0]["extensions"]["code"], "SUBREQUEST_HTTP_ERROR");

    // Still serving what does not need reviews.
    let healthy = federation.query("{ product(upc: \"3\") { name inStock } }", json!({})).await;
    assert_eq!(healthy, json!({ "data": { "product": { "name": "Chair", "inStock": true } } }));
}
