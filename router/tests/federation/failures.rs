use router::RouterConfig;
use serde_json::json;

use crate::helpers::{Federation, codes, post_query, start_router};

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

/// A stand-in for the products subgraph that always answers `status` and
/// `body`, on port 0; its URL.
async fn fixed_answer(status: u16, body: &'static str) -> String {
    let app = axum::Router::new().route(
        "/graphql",
        axum::routing::post(move || async move {
            let status = axum::http::StatusCode::from_u16(status).expect("status");
            (status, [("content-type", "application/json")], body)
        }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let url = format!("http://{}/graphql", listener.local_addr().expect("address"));
    tokio::spawn(async move { axum::serve(listener, app).await });
    url
}

async fn through_fixed_products(status: u16, body: &'static str) -> serde_json::Value {
    let federation = Federation::start().await;
    let mut config = RouterConfig::default();
    config.subgraph_urls.insert("products".into(), fixed_answer(status, body).await);
    let router = start_router(&federation.supergraph, config).await;
    post_query(&router.url("/graphql"), "{ product(upc: \"1\") { name } }").await
}

#[tokio::test]
async fn an_answer_that_is_not_a_graphql_response_is_an_error_that_leaks_nothing() {
    for (status, body) in [
        (502, "<html>Bad Gateway</html>"),
        (200, r#"{"data": {"product": {"name": "unterminated}}}"#),
        (200, "{\"data\": {\"product\": {\"name\": \"raw\ncontrol\"}}}"),
        (200, r#"{"data": {"product": {"name": "bad \q escape"}}}"#),
        (200, r#"{"data": {"product": {"name": 01}}}"#),
    ] {
        let response = through_fixed_products(status, body).await;
        assert_eq!(response["data"], json!({ "product": null }), "{body}: {response}");
        assert_eq!(codes(&response), ["SUBREQUEST_HTTP_ERROR"], "{body}");
        assert_eq!(response["errors"][0]["extensions"]["serviceName"], "products");
        let text = response.to_string();
        assert!(!text.contains("Bad Gateway") && !text.contains("byte"), "{text}");
    }
}

#[tokio::test]
async fn escaped_strings_and_numbers_reach_the_client_exactly_as_the_subgraph_wrote_them() {
    let body = r#"{"data":{"product":{"name":"Ta\"ble \u00e9\/\\ \ud83d\ude00"}}}"#;
    let response = through_fixed_products(200, body).await;
    assert_eq!(response, json!({ "data": { "product": { "name": "Ta\"ble é/\\ 😀" } } }));
}
