//! The router's admission checks on the streaming transports, with
//! Shopgraph's real tokens: a token the users service did not sign, the
//! shape limits and the cost limit refuse a subscription over WebSocket and
//! over SSE as they refuse a query over HTTP, before any subgraph is asked.

use serde_json::{Value, json};
use sqlx::PgPool;

use e2e::{platform::Platform, ws_client::WsClient};

use crate::live::ORDER_LIVE;

/// The first event of an SSE answer, or its JSON body when it is not a
/// stream.
async fn sse(url: &str, token: &str, query: &str, variables: Value) -> Value {
    let response = reqwest::Client::new()
        .post(url)
        .header("accept", "text/event-stream")
        .bearer_auth(token)
        .json(&json!({ "query": query, "variables": variables }))
        .send()
        .await
        .expect("router");
    let stream = response
        .headers()
        .get("content-type")
        .is_some_and(|v| v.as_bytes().starts_with(b"text/event-stream"));
    let text = response.text().await.expect("body");
    if !stream {
        return serde_json::from_str(&text).expect("a JSON body");
    }
    let data = text.lines().find_map(|l| l.strip_prefix("data: ")).expect("an event");
    serde_json::from_str(data).expect("json")
}

fn code(errors: &Value) -> &str {
    errors[0]["extensions"]["code"].as_str().unwrap_or_default()
}

#[sqlx::test(migrations = false)]
async fn forged_tokens_are_refused_on_websocket_and_sse(pool: PgPool) {
    let platform = Platform::start(pool).await;
    let (_, order, _) = crate::live::place_order(&platform, "forged@example.com").await;
    let forger = users::keys::SigningKeys::generate().expect("keys");
    let forged = forger.access_token(uuid::Uuid::new_v4(), kit::auth::Role::Admin).expect("token");
    let url = platform.router_url("/graphql");

    let mut socket = WsClient::connect_with(&url, "graphql-transport-ws", None).await;
    let init = json!({ "Authorization": format!("Bearer {forged}") });
    socket.send(json!({ "type": "connection_init", "payload": init })).await;
    assert_eq!(socket.message().await, json!({ "type": "closed", "code": 4403 }));

    let refused = sse(&url, &forged, ORDER_LIVE, json!({ "id": order })).await;
    assert_eq!(code(&refused["errors"]), "UNAUTHENTICATED", "{refused}");
    assert!(refused.get("data").is_none_or(Value::is_null), "{refused}");
    platform.stop().await;
}

#[sqlx::test(migrations = false)]
async fn limits_and_cost_refuse_subscriptions_on_websocket_and_sse(pool: PgPool) {
    let mut platform = Platform::start(pool).await;
    let mut config = router::RouterConfig::default();
    config.limits.max_aliases = 1;
    config.limits.max_cost = 3;
    let url = platform.router_with(config).await;
    let (token, order, _) = crate::live::place_order(&platform, "limits@example.com").await;
    let variables = json!({ "id": order });
    let aliased =
        "subscription($id: ID!) { a: orderStatusChanged(orderId: $id) { s: status t: id } }";
    let costly = "subscription($id: ID!) { orderStatusChanged(orderId: $id) { order { items { product { reviews(first: 50) { edges { node { id } } } } } } } }";
    let modest = "subscription($id: ID!) { orderStatusChanged(orderId: $id) { status } }";

    let mut socket = WsClient::connect(&url, Some(&token)).await;
    for (id, query, expected) in
        [("1", aliased, "MAX_ALIASES_EXCEEDED"), ("2", costly, "COST_ESTIMATED_TOO_EXPENSIVE")]
    {
        socket.subscribe(id, query, variables.clone()).await;
        let refused = socket.message().await;
        assert_eq!((refused["id"].as_str(), refused["type"].as_str()), (Some(id), Some("error")));
        assert_eq!(code(&refused["payload"]), expected, "{refused}");

        let refused = sse(&url, &token, query, variables.clone()).await;
        assert_eq!(code(&refused["errors"]), expected, "{refused}");
    }
    // The same connection still serves a subscription within the limits.
    socket.subscribe("3", modest, variables).await;
    let next = socket.message().await;
    assert_eq!(next["payload"]["data"]["orderStatusChanged"]["status"], "PENDING", "{next}");
    platform.stop().await;
}
