//! The subgraph-to-subgraph client against a local server that speaks
//! GraphQL over HTTP, and against ones that misbehave.

use std::time::Duration;

use axum::{Json, Router, body::Bytes, http::HeaderMap, routing::post};
use kit::{
    config::ServiceConfig,
    error::ErrorCode,
    graphql_client::{GraphqlClient, id_key},
};
use serde::Deserialize;
use serde_json::{Value, json};
use server::signing::{RequestVerifier, SIGNATURE_HEADER, process_key};
use tokio::net::TcpListener;

/// Serves `routes` on port 0 and returns its GraphQL URL.
async fn serve(routes: Router) -> String {
    let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let url = format!("http://{}/graphql", listener.local_addr().expect("address"));
    tokio::spawn(async move { axum::serve(listener, routes).await.ok() });
    url
}

/// A service called `caller`, whose calls time out after `timeout`.
fn caller(name: &'static str, timeout: Duration) -> ServiceConfig {
    let mut config = ServiceConfig::from_env(name, 0).expect("config");
    config.upstream_timeout = timeout;
    config
}

/// Answers with what it was sent: the Authorization header, the query,
/// the variables, and who signed the request.
async fn echo(headers: HeaderMap, body: Bytes) -> Json<Value> {
    let authorization = headers.get("authorization");
    let verifier = RequestVerifier::new(&[process_key().to_owned()], Duration::from_secs(60));
    let signer = verifier
        .verify(
            headers.get(SIGNATURE_HEADER),
            "POST",
            "/graphql",
            authorization.map(|v| v.as_bytes()),
            &body,
        )
        .ok();
    let body: Value = serde_json::from_slice(&body).expect("JSON");
    Json(json!({ "data": {
        "authorization": authorization.and_then(|v| v.to_str().ok()),
        "query": body["query"],
        "variables": body["variables"],
        "signer": signer,
    } }))
}

#[derive(Debug, Deserialize)]
struct Echo {
    authorization: Option<String>,
    query: String,
    variables: Value,
    signer: Option<String>,
}

#[tokio::test]
async fn a_query_carries_the_callers_authorization_and_reads_typed_data() {
    let url = serve(Router::new().route("/graphql", post(echo))).await;
    let client = GraphqlClient::new("echo", url, &caller("orders", Duration::from_secs(5)));

    let echoed: Echo =
        client.query("{ me { id } }", json!({ "a": 1 }), Some("Bearer t0ken")).await.expect("data");
    assert_eq!(echoed.authorization.as_deref(), Some("Bearer t0ken"));
    assert_eq!(echoed.signer.as_deref(), Some("orders"), "signed as the calling service");
    assert_eq!(echoed.query, "{ me { id } }");
    assert_eq!(echoed.variables, json!({ "a": 1 }));

    let anonymous: Echo = client.query("{ x }", json!({}), None).await.expect("data");
    assert_eq!(anonymous.authorization, None);
    assert_eq!(anonymous.signer.as_deref(), Some("orders"));
}

#[tokio::test]
async fn entities_are_asked_by_typename_and_key_in_order() {
    let routes = Router::new().route(
        "/graphql",
        post(|Json(body): Json<Value>| async move {
            let query = body["query"].as_str().unwrap_or_default().to_owned();
            assert!(query.contains("... on Product { id name }"), "{query}");
            // The second product does not exist: null in its place.
            let entities: Vec<Value> = body["variables"]["representations"]
                .as_array()
                .expect("representations")
                .iter()
                .map(|r| match r["id"].as_str() {
                    Some("missing") => Value::Null,
                    _ => json!({ "id": r["id"], "name": r["__typename"] }),
                })
                .collect();
            Json(json!({ "data": { "_entities": entities } }))
        }),
    );
    let client =
        GraphqlClient::new("catalog", serve(routes).await, &caller("cart", Duration::from_secs(5)));

    #[derive(Debug, Deserialize, PartialEq)]
    struct Named {
        id: String,
        name: String,
    }
    let found = client
        .entities::<Named>("Product", ["p1", "missing", "p3"].map(id_key), "id name")
        .await
        .expect("entities");
    assert_eq!(
        found,
        vec![
            Some(Named { id: "p1".into(), name: "Product".into() }),
            None,
            Some(Named { id: "p3".into(), name: "Product".into() }),
        ]
    );
    let none = client.entities::<Named>("Product", [], "id name").await.expect("no call");
    assert!(none.is_empty());
}

#[tokio::test]
async fn graphql_errors_are_unavailable_for_query_and_visible_in_response() {
    let routes = Router::new().route(
        "/graphql",
        post(|| async {
            Json(json!({ "data": { "order": null }, "errors": [
                { "message": "no such order", "extensions": { "code": "NOT_FOUND" } } ] }))
        }),
    );
    let client = GraphqlClient::new(
        "orders",
        serve(routes).await,
        &caller("shipping", Duration::from_secs(5)),
    );

    let error = client.query::<Value>("{ order }", json!({}), None).await.expect_err("errors");
    assert_eq!(error.code(), ErrorCode::Unavailable);
    assert!(error.public_message().contains("orders"), "{error:?}");
    assert!(!error.public_message().contains("no such order"), "{error:?}");

    let response = client.response::<Value>("{ order }", json!({}), None).await.expect("answer");
    assert_eq!(response.codes().collect::<Vec<_>>(), ["NOT_FOUND"]);
    assert_eq!(response.data, Some(json!({ "order": null })));
}

#[tokio::test]
async fn unreachable_slow_or_broken_upstreams_are_unavailable_naming_them() {
    // Nothing listens on a port that was just released.
    let closed = TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let closed_url = format!("http://{}/graphql", closed.local_addr().expect("address"));
    drop(closed);
    let slow = serve(Router::new().route(
        "/graphql",
        post(|| async {
            tokio::time::sleep(Duration::from_secs(5)).await;
            Json(json!({ "data": {} }))
        }),
    ))
    .await;
    let broken = serve(Router::new().route(
        "/graphql",
        post(|| async { (axum::http::StatusCode::BAD_GATEWAY, "upstream connect error") }),
    ))
    .await;

    for (name, url) in [("cart", closed_url), ("inventory", slow), ("users", broken)] {
        let client = GraphqlClient::new(name, url, &caller("orders", Duration::from_millis(300)));
        let error = client.query::<Value>("{ x }", json!({}), None).await.expect_err(name);
        assert_eq!(error.code(), ErrorCode::Unavailable, "{name}");
        assert_eq!(
            error.public_message(),
            format!("the {name} service is unavailable; please retry"),
            "{name}"
        );
    }
}
