//! Rate limits through the running router: per client (by trusted
//! `X-Forwarded-For` here), shared across router instances through the real
//! Redis on 127.0.0.1:6379, per instance when Redis is unreachable, and per
//! WebSocket `subscribe`.

use futures::{SinkExt, StreamExt};
use router::{RouterConfig, config::RateLimitConfig};
use serde_json::{Value, json};
use tokio_tungstenite::tungstenite::Message;

use crate::helpers::{Federation, start_router, unique_redis_prefix, websocket};

const QUERY: &str = r#"{ product(upc: "1") { name } }"#;

fn limited(capacity: u64, redis_url: Option<&str>) -> RouterConfig {
    RouterConfig {
        rate_limit: RateLimitConfig {
            enabled: true,
            capacity,
            // Slow enough that no token comes back during a test.
            per_second: 0.01,
            redis_url: redis_url.map(str::to_owned),
            key_prefix: unique_redis_prefix(),
            trusted_proxy_hops: 1,
            ..RateLimitConfig::default()
        },
        ..RouterConfig::default()
    }
}

async fn ask(router: &server::RunningApp, client_ip: &str) -> (u16, Option<String>, Value) {
    let response = reqwest::Client::new()
        .post(router.url("/graphql"))
        .header("accept", "application/graphql-response+json")
        // The trusted proxy appended the client's address; what the client
        // itself claimed (the first entry) is not believed.
        .header("x-forwarded-for", format!("10.9.9.9, {client_ip}"))
        .json(&json!({ "query": QUERY }))
        .send()
        .await
        .expect("router answers");
    let status = response.status().as_u16();
    let retry_after =
        response.headers().get("retry-after").and_then(|v| v.to_str().ok()).map(str::to_owned);
    (status, retry_after, response.json().await.expect("JSON"))
}

#[tokio::test]
async fn each_client_has_its_own_bucket_and_a_refusal_says_when_to_retry() {
    let federation = Federation::start().await;
    let router = start_router(&federation.supergraph, limited(2, None)).await;
    for _ in 0..2 {
        let (status, _, body) = ask(&router, "198.51.100.1").await;
        assert_eq!(status, 200, "{body}");
    }
    let (status, retry_after, body) = ask(&router, "198.51.100.1").await;
    assert_eq!(status, 429, "{body}");
    assert_eq!(body["errors"][0]["extensions"]["code"], "RATE_LIMITED");
    let seconds: u64 = retry_after.expect("Retry-After").parse().expect("seconds");
    assert!(seconds >= 1, "{seconds}");
    // Another client behind the same proxy has a full bucket.
    let (status, _, _) = ask(&router, "198.51.100.2").await;
    assert_eq!(status, 200);
}

#[tokio::test]
async fn buckets_in_redis_hold_across_router_instances() {
    let federation = Federation::start().await;
    let config = limited(3, Some("redis://127.0.0.1:6379"));
    let first = start_router(&federation.supergraph, config.clone()).await;
    let second = start_router(&federation.supergraph, config).await;
    assert_eq!(ask(&first, "203.0.113.5").await.0, 200);
    assert_eq!(ask(&second, "203.0.113.5").await.0, 200);
    assert_eq!(ask(&first, "203.0.113.5").await.0, 200);
    let (status, _, body) = ask(&second, "203.0.113.5").await;
    assert_eq!(status, 429, "the second instance saw the first's requests: {body}");
}

#[tokio::test]
async fn without_redis_each_instance_still_limits() {
    let federation = Federation::start().await;
    // Nothing listens on port 1.
    let router =
        start_router(&federation.supergraph, limited(2, Some("redis://127.0.0.1:1"))).await;
    assert_eq!(ask(&router, "203.0.113.6").await.0, 200);
    assert_eq!(ask(&router, "203.0.113.6").await.0, 200);
    assert_eq!(ask(&router, "203.0.113.6").await.0, 429);
}

#[tokio::test]
async fn every_websocket_subscribe_takes_a_token() {
    let federation = Federation::start().await;
    let mut config = limited(1, None);
    config.rate_limit.trusted_proxy_hops = 0;
    let router = start_router(&federation.supergraph, config).await;
    let mut socket = websocket(&router).await;
    let send = |value: Value| Message::Text(value.to_string().into());
    socket.send(send(json!({ "type": "connection_init" }))).await.expect("init");
    let mut answers: Vec<Value> = Vec::new();
    for id in ["1", "2"] {
        let subscribe = json!({ "id": id, "type": "subscribe", "payload": { "query": QUERY } });
        socket.send(send(subscribe)).await.expect("subscribe");
    }
    while answers.iter().filter(|m| m["type"] == "complete" || m["type"] == "error").count() < 2 {
        let next = tokio::time::timeout(std::time::Duration::from_secs(10), socket.next()).await;
        let Ok(Some(Ok(Message::Text(text)))) = next else {
            panic!("the connection ended: {answers:?}")
        };
        answers.push(serde_json::from_str(text.as_str()).expect("JSON"));
    }
    let of = |id: &str| answers.iter().filter(|m| m["id"] == id).cloned().collect::<Vec<_>>();
    assert_eq!(of("1")[0]["payload"]["data"]["product"]["name"], "Table", "{answers:?}");
    let refused = of("2");
    assert_eq!(refused[0]["type"], "error", "{answers:?}");
    assert_eq!(refused[0]["payload"][0]["extensions"]["code"], "RATE_LIMITED", "{answers:?}");
}
