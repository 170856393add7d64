//! GraphQL over HTTP: status codes and error codes for bad requests.

use serde_json::json;

use crate::helpers::{Federation, codes};

async fn raw(
    federation: &Federation,
    content_type: &str,
    body: String,
) -> (u16, serde_json::Value) {
    let response = federation
        .http()
        .post(federation.router.url("/graphql"))
        .header("content-type", content_type)
        .header("accept", "application/graphql-response+json")
        .body(body)
        .send()
        .await
        .expect("response");
    let status = response.status().as_u16();
    (status, response.json().await.unwrap_or(serde_json::Value::Null))
}

#[tokio::test]
async fn malformed_requests_get_400_and_a_code_and_the_router_stays_up() {
    let federation = Federation::start().await;

    let (status, body) = raw(&federation, "application/json", "{ not json".into()).await;
    assert_eq!((status, codes(&body)), (400, vec!["BAD_REQUEST".to_owned()]));

    let (status, body) = federation.post(json!({ "variables": {} })).await;
    assert_eq!((status, codes(&body)), (400, vec!["BAD_REQUEST".to_owned()]));

    let (status, body) = federation.post(json!({ "query": "{ topProducts { name }" })).await;
    assert_eq!((status, codes(&body)), (400, vec!["GRAPHQL_PARSE_FAILED".to_owned()]));

    let (status, body) = federation
        .post(json!({ "query": "query A { topProducts { name } }", "operationName": "B" }))
        .await;
    assert_eq!((status, codes(&body)), (400, vec!["GRAPHQL_VALIDATION_FAILED".to_owned()]));

    let (status, body) = federation
        .post(json!({ "query": "query($n: Int!) { topProducts(first: $n) { name } }", "variables": { "n": "two" } }))
        .await;
    assert_eq!((status, codes(&body)), (400, vec!["BAD_USER_INPUT".to_owned()]));

    let (status, body) = federation
        .post(json!({ "query": "query($n: Int!) { topProducts(first: $n) { name } }" }))
        .await;
    assert_eq!((status, codes(&body)), (400, vec!["BAD_USER_INPUT".to_owned()]));

    // Wrong JSON types for the request's members.
    for body in [
        json!({ "query": 5 }),
        json!({ "query": "{ topProducts { name } }", "variables": "n=1" }),
        json!({ "query": "{ topProducts { name } }", "operationName": ["A"] }),
    ] {
        let (status, answer) = federation.post(body.clone()).await;
        assert_eq!((status, codes(&answer)), (400, vec!["BAD_REQUEST".to_owned()]), "{body}");
    }

    // A huge string literal under the body limit is an ordinary argument.
    let literal = "x".repeat(900 * 1024);
    let (status, body) = federation
        .post(json!({ "query": format!("{{ product(upc: \"{literal}\") {{ name }} }}") }))
        .await;
    assert_eq!((status, &body), (200, &json!({ "data": { "product": null } })));

    let huge = format!("{{ topProducts {{ name }} }} #{}", "x".repeat(2 * 1024 * 1024));
    let (status, body) = federation.post(json!({ "query": huge })).await;
    assert_eq!((status, codes(&body)), (413, vec!["PAYLOAD_TOO_LARGE".to_owned()]));

    let deep = format!("{}{}", "{ topProducts ".repeat(500), "}".repeat(500));
    let (status, body) = federation.post(json!({ "query": deep })).await;
    assert_eq!((status, codes(&body)), (400, vec!["MAX_DEPTH_EXCEEDED".to_owned()]));

    // A content type a browser may send cross-site without a preflight.
    let (status, body) = raw(&federation, "text/plain", "{ topProducts { name } }".into()).await;
    assert_eq!((status, codes(&body)), (400, vec!["CSRF_PREVENTION".to_owned()]));
    let response = federation
        .http()
        .post(federation.router.url("/graphql"))
        .header("content-type", "text/plain")
        .header("apollo-require-preflight", "true")
        .body("{ topProducts { name } }")
        .send()
        .await
        .expect("response");
    assert_eq!(response.status().as_u16(), 415);

    let ok = federation.query("{ product(upc: \"1\") { name } }", json!({})).await;
    assert_eq!(ok, json!({ "data": { "product": { "name": "Table" } } }));
}

#[tokio::test]
async fn legacy_json_clients_get_200_for_graphql_errors() {
    let federation = Federation::start().await;
    let response = federation
        .http()
        .post(federation.router.url("/graphql"))
        .header("accept", "application/json")
        .json(&json!({ "query": "{ nope }" }))
        .send()
        .await
        .expect("response");
    assert_eq!(response.status().as_u16(), 200);
    assert_eq!(response.headers()["content-type"].to_str().expect("header"), "application/json");
    let body: serde_json::Value = response.json().await.expect("json");
    assert_eq!(codes(&body), ["GRAPHQL_VALIDATION_FAILED"]);
}

#[tokio::test]
async fn get_serves_queries_graphiql_and_refuses_mutations() {
    let federation = Federation::start().await;
    let url = federation.router.url("/graphql");
    let query = federation
        .http()
        .get(&url)
        .header("apollo-require-preflight", "true")
        .query(&[
            ("query", "query($u: ID!) { product(upc: $u) { name } }"),
            ("variables", "{\"u\":\"2\"}"),
        ])
        .send()
        .await
        .expect("response");
    assert_eq!(query.status().as_u16(), 200);
    let body: serde_json::Value = query.json().await.expect("json");
    assert_eq!(body, json!({ "data": { "product": { "name": "Couch" } } }));

    // Without a header that forces a preflight, a GET could come from any site.
    let forged = federation
        .http()
        .get(&url)
        .query(&[("query", "{ topProducts { name } }")])
        .send()
        .await
        .expect("response");
    assert_eq!(forged.status().as_u16(), 400);
    let body: serde_json::Value = forged.json().await.expect("json");
    assert_eq!(codes(&body), ["CSRF_PREVENTION"]);

    let mutation = federation
        .http()
        .get(&url)
        .header("x-apollo-operation-name", "Record")
        .query(&[("query", "mutation { record(entry: \"x\") }")])
        .send()
        .await
        .expect("response");
    assert_eq!(mutation.status().as_u16(), 405);
    assert!(federation.probe.log.lock().expect("log").is_empty(), "a GET must not mutate");

    let page =
        federation.http().get(&url).header("accept", "text/html").send().await.expect("response");
    assert_eq!(page.status().as_u16(), 200);
    assert!(page.text().await.expect("html").to_lowercase().contains("graphiql"));

    let health =
        federation.http().get(federation.router.url("/health")).send().await.expect("response");
    assert_eq!(health.status().as_u16(), 200);
}
