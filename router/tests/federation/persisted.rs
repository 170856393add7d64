//! Persisted queries (APQ and trusted documents), batching and the
//! introspection switch, through the running router.

use router::{RouterConfig, config::PersistedConfig};
use serde_json::{Value, json};
use sha2::{Digest, Sha256};

use crate::helpers::{Federation, codes, start_router, unique_redis_prefix};

const QUERY: &str = r#"{ product(upc: "1") { name } }"#;
const ANSWER: &str = r#"{"data":{"product":{"name":"Table"}}}"#;

async fn post(url: &str, body: Value) -> (u16, Value) {
    let response =
        reqwest::Client::new().post(url).json(&body).send().await.expect("router answers");
    (response.status().as_u16(), response.json().await.expect("JSON body"))
}

fn sha256_hex(text: &str) -> String {
    Sha256::digest(text.as_bytes()).iter().map(|b| format!("{b:02x}")).collect()
}

fn apq(hash: &str) -> Value {
    json!({ "persistedQuery": { "version": 1, "sha256Hash": hash } })
}

#[tokio::test]
async fn automatic_persisted_queries_register_once_the_hash_is_checked() {
    let federation = Federation::start().await;
    let url = federation.router.url("/graphql");
    let hash = sha256_hex(QUERY);
    let answer: Value = serde_json::from_str(ANSWER).expect("json");

    let (_, body) = post(&url, json!({ "extensions": apq(&hash) })).await;
    assert_eq!(codes(&body), ["PERSISTED_QUERY_NOT_FOUND"]);

    let (status, body) =
        post(&url, json!({ "query": QUERY, "extensions": apq(&"0".repeat(64)) })).await;
    assert_eq!((status, codes(&body)), (400, vec!["PERSISTED_QUERY_HASH_MISMATCH".to_owned()]));

    let (status, body) = post(&url, json!({ "query": QUERY, "extensions": apq(&hash) })).await;
    assert_eq!((status, &body), (200, &answer));

    let (status, body) = post(&url, json!({ "extensions": apq(&hash) })).await;
    assert_eq!((status, &body), (200, &answer));

    // Hash-only GET, which a CDN can cache.
    let response = reqwest::Client::new()
        .get(&url)
        .header("apollo-require-preflight", "true")
        .query(&[("extensions", apq(&hash).to_string())])
        .send()
        .await
        .expect("response");
    assert_eq!(response.status().as_u16(), 200);
    assert_eq!(response.json::<Value>().await.expect("json"), answer);
}

fn apq_through(redis_url: &str, key_prefix: &str) -> RouterConfig {
    RouterConfig {
        persisted: PersistedConfig {
            apq_redis_url: Some(redis_url.to_owned()),
            apq_redis_key_prefix: key_prefix.to_owned(),
            ..PersistedConfig::default()
        },
        ..RouterConfig::default()
    }
}

/// A query registered through one instance runs hash-only on another that
/// shares the Redis keys (and not on one with other keys); a text stored
/// under a hash it does not have is not taken.
#[tokio::test]
async fn apq_registrations_are_shared_by_instances_through_redis() {
    let federation = Federation::start().await;
    let prefix = unique_redis_prefix();
    let shared = apq_through("redis://127.0.0.1:6379", &prefix);
    let first = start_router(&federation.supergraph, shared.clone()).await;
    let second = start_router(&federation.supergraph, shared).await;
    let elsewhere = start_router(
        &federation.supergraph,
        apq_through("redis://127.0.0.1:6379", &unique_redis_prefix()),
    )
    .await;
    let hash = sha256_hex(QUERY);
    let answer: Value = serde_json::from_str(ANSWER).expect("json");

    let registered =
        post(&first.url("/graphql"), json!({ "query": QUERY, "extensions": apq(&hash) })).await;
    assert_eq!(registered, (200, answer.clone()));
    let hash_only = json!({ "extensions": apq(&hash) });
    assert_eq!(post(&second.url("/graphql"), hash_only.clone()).await, (200, answer));
    let (_, body) = post(&elsewhere.url("/graphql"), hash_only).await;
    assert_eq!(codes(&body), ["PERSISTED_QUERY_NOT_FOUND"]);

    let redis = redis::Client::open("redis://127.0.0.1:6379").expect("redis url");
    let mut connection = redis.get_multiplexed_async_connection().await.expect("redis");
    let planted = sha256_hex("{ product(upc: \"3\") { name } }");
    redis::cmd("SET")
        .arg(format!("{prefix}{planted}"))
        .arg(QUERY)
        .exec_async(&mut connection)
        .await
        .expect("SET");
    let (_, body) = post(&second.url("/graphql"), json!({ "extensions": apq(&planted) })).await;
    assert_eq!(codes(&body), ["PERSISTED_QUERY_NOT_FOUND"], "{body}");
}

/// With Redis unreachable, APQ keeps working in each instance's memory.
#[tokio::test]
async fn without_redis_apq_works_per_instance() {
    let federation = Federation::start().await;
    let config = apq_through("redis://127.0.0.1:1", &unique_redis_prefix());
    let router = start_router(&federation.supergraph, config).await;
    let url = router.url("/graphql");
    let hash = sha256_hex(QUERY);
    let answer: Value = serde_json::from_str(ANSWER).expect("json");
    let (_, body) = post(&url, json!({ "extensions": apq(&hash) })).await;
    assert_eq!(codes(&body), ["PERSISTED_QUERY_NOT_FOUND"]);
    assert_eq!(post(&url, json!({ "query": QUERY, "extensions": apq(&hash) })).await.0, 200);
    assert_eq!(post(&url, json!({ "extensions": apq(&hash) })).await, (200, answer));
}

#[tokio::test]
async fn only_trusted_documents_run_when_the_router_says_so() {
    let federation = Federation::start().await;
    let directory = std::env::temp_dir().join(format!("router-pq-{}", std::process::id()));
    std::fs::create_dir_all(&directory).expect("temp dir");
    let apollo = directory.join("apollo.json");
    let manifest = json!({
        "format": "apollo-persisted-query-manifest",
        "version": 1,
        "operations": [{ "id": "product-1", "name": "P", "type": "query", "body": QUERY }],
    });
    std::fs::write(&apollo, manifest.to_string()).expect("manifest");
    let relay = directory.join("relay.json");
    std::fs::write(&relay, json!({ "q-top": "{ topProducts(first: 1) { upc } }" }).to_string())
        .expect("manifest");

    let mut config = RouterConfig::default();
    config.persisted.manifest = Some(apollo);
    config.persisted.only_persisted = true;
    let router = start_router(&federation.supergraph, config).await;
    let url = router.url("/graphql");
    let answer: Value = serde_json::from_str(ANSWER).expect("json");
    let (status, body) = post(&url, json!({ "extensions": apq("product-1") })).await;
    assert_eq!((status, &body), (200, &answer));
    let (status, body) = post(&url, json!({ "documentId": "product-1" })).await;
    assert_eq!((status, &body), (200, &answer));
    // The full text of a trusted document is let through too.
    let (status, body) = post(&url, json!({ "query": QUERY })).await;
    assert_eq!((status, &body), (200, &answer));
    let (status, body) = post(&url, json!({ "query": "{ topProducts { upc } }" })).await;
    assert_eq!((status, codes(&body)), (400, vec!["PERSISTED_QUERY_NOT_IN_LIST".to_owned()]));
    let (status, body) = post(&url, json!({ "documentId": "nope" })).await;
    assert_eq!((status, codes(&body)), (400, vec!["PERSISTED_QUERY_NOT_IN_LIST".to_owned()]));

    // Relay's map, in log-only mode: other documents still run.
    let mut config = RouterConfig::default();
    config.persisted.manifest = Some(relay);
    config.persisted.only_persisted = true;
    config.persisted.log_only = true;
    let router = start_router(&federation.supergraph, config).await;
    let url = router.url("/graphql");
    let (_, body) = post(&url, json!({ "doc_id": "q-top" })).await;
    assert_eq!(body, json!({ "data": { "topProducts": [{ "upc": "1" }] } }));
    let (status, body) = post(&url, json!({ "query": QUERY })).await;
    assert_eq!((status, &body), (200, &answer));
    std::fs::remove_dir_all(&directory).ok();
}

#[tokio::test]
async fn batches_run_in_order_when_enabled_and_are_bounded() {
    let federation = Federation::start().await;
    let batch = json!([
        { "query": QUERY },
        { "query": "{ nope }" },
        { "query": "query($u: ID!) { product(upc: $u) { name } }", "variables": { "u": "2" } },
    ]);
    let (status, body) = post(&federation.router.url("/graphql"), batch.clone()).await;
    assert_eq!((status, codes(&body)), (400, vec!["BATCHING_NOT_ENABLED".to_owned()]));

    let mut config = RouterConfig::default();
    config.batching.enabled = true;
    config.batching.max_size = 3;
    let router = start_router(&federation.supergraph, config).await;
    let url = router.url("/graphql");
    let (status, body) = post(&url, batch).await;
    assert_eq!(status, 200);
    let answers = body.as_array().expect("an array").clone();
    assert_eq!(answers.len(), 3);
    assert_eq!(answers[0], serde_json::from_str::<Value>(ANSWER).expect("json"));
    assert_eq!(codes(&answers[1]), ["GRAPHQL_VALIDATION_FAILED"]);
    assert_eq!(answers[2], json!({ "data": { "product": { "name": "Couch" } } }));

    let too_many = Value::Array(vec![json!({ "query": QUERY }); 4]);
    let (status, body) = post(&url, too_many).await;
    assert_eq!((status, codes(&body)), (400, vec!["BATCH_LIMIT_EXCEEDED".to_owned()]));
}

#[tokio::test]
async fn introspection_can_be_switched_off() {
    let federation = Federation::start().await;
    let config = RouterConfig { introspection: false, ..RouterConfig::default() };
    let router = start_router(&federation.supergraph, config).await;
    let url = router.url("/graphql");
    for query in ["{ __schema { types { name } } }", r#"{ __type(name: "Product") { name } }"#] {
        let (_, body) = post(&url, json!({ "query": query })).await;
        assert_eq!(codes(&body), ["INTROSPECTION_DISABLED"], "{query}");
    }
    let (_, body) =
        post(&url, json!({ "query": r#"{ product(upc: "1") { __typename name } }"# })).await;
    assert_eq!(
        body,
        json!({ "data": { "product": { "__typename": "Product", "name": "Table" } } })
    );
}
