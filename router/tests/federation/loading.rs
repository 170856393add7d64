//! Loading supergraphs: foreign ones, reloads, per-environment URLs, limits.

use std::time::Duration;

use router::RouterConfig;
use serde_json::json;

use crate::helpers::{Federation, codes, post_query, start_router};

/// A supergraph as Apollo's composition writes it (link imports, tag spec,
/// `join__enumValue`, `@join__field` with `type:`), for two of our
/// subgraphs. Not produced by our composer.
const FOREIGN: &str = r#"
schema
  @link(url: "https://specs.apollo.dev/link/v1.0")
  @link(url: "https://specs.apollo.dev/join/v0.3", for: EXECUTION)
  @link(url: "https://specs.apollo.dev/tag/v0.3", import: ["@tag"])
{
  query: Query
}

directive @join__enumValue(graph: join__Graph!) repeatable on ENUM_VALUE
directive @join__field(graph: join__Graph, requires: join__FieldSet, provides: join__FieldSet, type: String, external: Boolean, override: String, usedOverridden: Boolean) repeatable on FIELD_DEFINITION | INPUT_FIELD_DEFINITION
directive @join__graph(name: String!, url: String!) on ENUM_VALUE
directive @join__implements(graph: join__Graph!, interface: String!) repeatable on OBJECT | INTERFACE
directive @join__type(graph: join__Graph!, key: join__FieldSet, extension: Boolean! = false, resolvable: Boolean! = true, isInterfaceObject: Boolean! = false) repeatable on OBJECT | INTERFACE | UNION | ENUM | INPUT_OBJECT | SCALAR
directive @join__unionMember(graph: join__Graph!, member: String!) repeatable on UNION
directive @link(url: String, as: String, for: link__Purpose, import: [link__Import]) repeatable on SCHEMA
directive @tag(name: String!) repeatable on FIELD_DEFINITION | OBJECT | INTERFACE | UNION | ARGUMENT_DEFINITION | SCALAR | ENUM | ENUM_VALUE | INPUT_OBJECT | INPUT_FIELD_DEFINITION | SCHEMA

scalar join__FieldSet
scalar link__Import

enum link__Purpose {
  SECURITY
  EXECUTION
}

enum join__Graph {
  PRODUCTS @join__graph(name: "products", url: "PRODUCTS_URL")
  INVENTORY @join__graph(name: "inventory", url: "INVENTORY_URL")
}

enum Category @join__type(graph: PRODUCTS) {
  FURNITURE @join__enumValue(graph: PRODUCTS)
  SEATING @join__enumValue(graph: PRODUCTS)
}

type Product
  @join__type(graph: PRODUCTS, key: "upc")
  @join__type(graph: INVENTORY, key: "upc")
  @tag(name: "public")
{
  upc: ID!
  name: String! @join__field(graph: PRODUCTS)
  category: Category! @join__field(graph: PRODUCTS)
  weight: Int! @join__field(graph: PRODUCTS) @join__field(graph: INVENTORY, type: "Int", external: true)
  inStock: Boolean! @join__field(graph: INVENTORY)
  shippingEstimate: Int! @join__field(graph: INVENTORY, requires: "weight")
}

type Query @join__type(graph: PRODUCTS) @join__type(graph: INVENTORY) {
  byCategory(category: Category!): [Product!]! @join__field(graph: PRODUCTS)
}
"#;

#[tokio::test]
async fn a_supergraph_in_apollos_format_loads_and_answers() {
    let federation = Federation::start().await;
    let sdl = FOREIGN
        .replace("PRODUCTS_URL", &federation.subgraph("products").url)
        .replace("INVENTORY_URL", &federation.subgraph("inventory").url);
    let router = start_router(&sdl, RouterConfig::default()).await;
    let response = post_query(
        &router.url("/graphql"),
        "{ byCategory(category: SEATING) { name category inStock } }",
    )
    .await;
    assert_eq!(
        response,
        json!({ "data": { "byCategory": [{ "name": "Chair", "category": "SEATING", "inStock": true }] } })
    );
}

#[tokio::test]
async fn subgraph_urls_can_be_overridden_per_environment() {
    let federation = Federation::start().await;
    // Compose with a URL nobody listens on, then override it.
    let wrong = federation
        .supergraph
        .replace(&federation.subgraph("products").url, "http://127.0.0.1:9/graphql");
    let mut config = RouterConfig::default();
    config.subgraph_urls.insert("products".into(), federation.subgraph("products").url.clone());
    let router = start_router(&wrong, config).await;
    let response = post_query(&router.url("/graphql"), "{ product(upc: \"1\") { name } }").await;
    assert_eq!(response, json!({ "data": { "product": { "name": "Table" } } }));
}

#[tokio::test]
async fn a_slow_subgraph_times_out_into_an_error_instead_of_a_hang() {
    let federation = Federation::start().await;
    let mut config = RouterConfig::default();
    config.subgraph_timeouts_ms.insert("accounts".into(), 200);
    let router = start_router(&federation.supergraph, config).await;
    let started = std::time::Instant::now();
    let response = post_query(&router.url("/graphql"), "{ slow }").await;
    assert!(started.elapsed() < Duration::from_millis(1500), "took {:?}", started.elapsed());
    assert_eq!(response["data"], json!(null));
    assert_eq!(codes(&response), ["SUBREQUEST_HTTP_ERROR"]);
    assert_eq!(response["errors"][0]["extensions"]["serviceName"], "accounts");
}

#[tokio::test]
async fn the_supergraph_file_is_hot_reloaded_and_a_bad_one_is_ignored() {
    let federation = Federation::start().await;
    let dir = std::env::temp_dir().join(format!("shopgraph-reload-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("dir");
    let path = dir.join(format!("supergraph-{}.graphql", uuid_like()));
    // Start with products only.
    let only_products =
        router::compose::compose(&[federation.subgraph("products").source()]).expect("compose");
    std::fs::write(&path, &only_products).expect("write");
    let config = RouterConfig {
        supergraph_path: path.clone(),
        reload_interval_ms: 50,
        ..RouterConfig::default()
    };
    let app = router::build(config).expect("router");
    let router = app.spawn(tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind"));
    let client = reqwest::Client::new();
    let ask = |query: &'static str| {
        let client = client.clone();
        let url = router.url("/graphql");
        async move {
            client
                .post(url)
                .json(&json!({ "query": query }))
                .send()
                .await
                .expect("response")
                .json::<serde_json::Value>()
                .await
                .expect("json")
        }
    };
    assert_eq!(codes(&ask("{ accounts { name } }").await), ["GRAPHQL_VALIDATION_FAILED"]);

    std::fs::write(&path, &federation.supergraph).expect("write");
    let mut reloaded = serde_json::Value::Null;
    for _ in 0..100 {
        reloaded = ask("{ accounts { name } }").await;
        if reloaded.get("data").is_some_and(|d| !d.is_null()) {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert_eq!(reloaded["data"]["accounts"][0]["name"], "Ada Lovelace", "{reloaded}");

    std::fs::write(&path, "this is not a supergraph").expect("write");
    tokio::time::sleep(Duration::from_millis(300)).await;
    let still = ask("{ accounts { name } }").await;
    assert_eq!(still["data"]["accounts"][1]["name"], "Alan Turing", "{still}");
    std::fs::remove_dir_all(&dir).ok();
}

fn uuid_like() -> String {
    format!(
        "{:x}",
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_nanos())
            .unwrap_or(0)
    )
}
