//! The router's WebSocket protocol rules: init first, unique ids, a limit
//! per connection, queries too, and the legacy graphql-ws subprotocol.

use serde_json::json;
use sqlx::PgPool;

use e2e::{platform::Platform, ws_client::WsClient};

use crate::live::ORDER_LIVE;

#[sqlx::test(migrations = false)]
async fn the_router_enforces_graphql_transport_ws_rules(pool: PgPool) {
    let mut platform = Platform::start(pool).await;
    let mut config = router::RouterConfig::default();
    config.subscriptions.max_per_connection = 1;
    let url = platform.router_with(config).await;
    let (token, order, _) = crate::live::place_order(&platform, "rules@example.com").await;

    // Subscribing before connection_init closes with 4401.
    let mut early = WsClient::connect_with(&url, "graphql-transport-ws", None).await;
    early.subscribe("1", "{ __typename }", json!({})).await;
    assert_eq!(early.message().await, json!({ "type": "closed", "code": 4401 }));

    let mut client = WsClient::connect(&url, Some(&token)).await;
    client.subscribe("1", ORDER_LIVE, json!({ "id": order })).await;
    assert_eq!(client.message().await["type"], "next");
    // Over the limit of one: refused, the connection stays.
    client.subscribe("2", ORDER_LIVE, json!({ "id": order })).await;
    let refused = loop {
        let message = client.message().await;
        if message["id"] == "2" {
            break message;
        }
    };
    assert_eq!(refused["type"], "error");
    assert_eq!(refused["payload"][0]["extensions"]["code"], "TOO_MANY_SUBSCRIPTIONS");
    // Bad input is a clear error for that operation.
    client.send(json!({ "id": "3", "type": "complete" })).await;
    client.send(json!({ "id": "1", "type": "complete" })).await;
    client.subscribe("4", "subscription { nope }", json!({})).await;
    let invalid = loop {
        let message = client.message().await;
        if message["id"] == "4" {
            break message;
        }
    };
    assert_eq!(invalid["type"], "error");
    assert_eq!(invalid["payload"][0]["extensions"]["code"], "GRAPHQL_VALIDATION_FAILED");
    // A duplicate id closes with 4409.
    client.subscribe("5", ORDER_LIVE, json!({ "id": order })).await;
    client.subscribe("5", ORDER_LIVE, json!({ "id": order })).await;
    let closed = loop {
        let message = client.message().await;
        if message["type"] == "closed" {
            break message;
        }
    };
    assert_eq!(closed["code"], 4409);
    platform.stop().await;
}

#[sqlx::test(migrations = false)]
async fn the_legacy_graphql_ws_subprotocol_serves_queries_and_subscriptions(pool: PgPool) {
    let platform = Platform::start(pool).await;
    let (token, order, _) = crate::live::place_order(&platform, "legacy@example.com").await;
    let init = json!({ "Authorization": format!("Bearer {token}") });
    let url = platform.router_url("/graphql");
    let mut client = WsClient::connect_with(&url, "graphql-ws", Some(init)).await;
    let start = json!({ "id": "q", "type": "start", "payload": { "query": "{ me { email } }" } });
    client.send(start).await;
    let data = client.message().await;
    assert_eq!(data["type"], "data", "{data}");
    assert_eq!(data["payload"]["data"]["me"]["email"], "legacy@example.com");
    assert_eq!(client.message().await, json!({ "id": "q", "type": "complete" }));

    let payload = json!({ "query": ORDER_LIVE, "variables": { "id": order } });
    client.send(json!({ "id": "s", "type": "start", "payload": payload })).await;
    let first = client.message().await;
    assert_eq!(first["payload"]["data"]["orderStatusChanged"]["status"], "PENDING", "{first}");
    client.send(json!({ "id": "s", "type": "stop" })).await;
    client.send(json!({ "type": "connection_terminate" })).await;
    loop {
        let message = client.message().await;
        if message["type"] == "closed" {
            break;
        }
    }
    platform.stop().await;
}

#[sqlx::test(migrations = false)]
async fn a_client_that_stops_reading_is_ended_with_buffer_full(pool: PgPool) {
    let mut config = router::RouterConfig::default();
    config.subscriptions.buffer = 4;
    ended_when_it_stops_reading(pool, config).await;
}

#[sqlx::test(migrations = false)]
async fn a_client_that_stops_reading_is_ended_when_its_results_fill_the_byte_budget(pool: PgPool) {
    // Room for all 300 results by count: only the bytes can end it.
    let mut config = router::RouterConfig::default();
    config.subscriptions.buffer = 1000;
    config.subscriptions.buffer_bytes = 256 * 1024;
    ended_when_it_stops_reading(pool, config).await;
}

/// Follows an order, stops reading while 300 results of 64 KiB arrive,
/// and expects to be ended with SUBSCRIPTION_BUFFER_FULL.
async fn ended_when_it_stops_reading(pool: PgPool, config: router::RouterConfig) {
    let mut platform = Platform::start(pool).await;
    let url = platform.router_with(config).await;
    let (token, order, _) = crate::live::place_order(&platform, "slow@example.com").await;
    platform.wait_for_status(&token, &order, "DELIVERED").await;
    let mut client = WsClient::connect(&url, Some(&token)).await;
    let query = "subscription($id: ID!) { orderStatusChanged(orderId: $id) { status reason } }";
    client.subscribe("s", query, json!({ "id": order })).await;
    assert_eq!(client.message().await["type"], "next");

    // Far more than socket buffers hold: 300 changes of 64 KiB each, then
    // one event announcing them. The client reads nothing meanwhile.
    let reason = "x".repeat(64 * 1024);
    for _ in 0..300 {
        platform.record_status_row(&order, &reason).await;
    }
    let event = e2e::platform::status_event(&order);
    kit::events::consumer::publish_direct(&platform.broker(), &event).await.expect("publish");
    tokio::time::sleep(std::time::Duration::from_secs(3)).await;

    let mut results = 0;
    let last = loop {
        let message = client.message().await;
        if message["type"] != "next" || message["payload"].get("errors").is_some() {
            break message;
        }
        results += 1;
    };
    assert_eq!(last["payload"]["errors"][0]["extensions"]["code"], "SUBSCRIPTION_BUFFER_FULL");
    assert!(results < 304, "the router kept buffering: {results} results");
    assert_eq!(client.message().await, json!({ "id": "s", "type": "complete" }));
    let metrics = reqwest::get(url.replace("/graphql", "/metrics"))
        .await
        .expect("metrics")
        .text()
        .await
        .expect("text");
    let scraped = server::metrics::Scraped::parse(metrics);
    let closes = scraped.value("router_subscription_buffer_full_closes_total", &[]);
    assert_eq!(closes, 1.0, "{}", scraped.text);
    platform.stop().await;
}
