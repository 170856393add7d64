//! Operation limits and demand control through the running router: each
//! limit refuses with its own code and names the limit and the value found,
//! before any subgraph is called.

use router::RouterConfig;
use serde_json::{Value, json};

use crate::{
    fixtures::Probe,
    helpers::{Federation, SubgraphServer, codes, start_router},
};

/// The alias bomb: many aliases of a nested list query.
fn alias_bomb(aliases: usize) -> String {
    let fields: String = (0..aliases)
        .map(|i| format!("a{i}: topProducts(first: 100) {{ reviews {{ author {{ name }} }} }} "))
        .collect();
    format!("{{ {fields} }}")
}

async fn post(router: &server::RunningApp, query: &str, variables: Value) -> (u16, Value) {
    let response = reqwest::Client::new()
        .post(router.url("/graphql"))
        .header("accept", "application/graphql-response+json")
        .json(&json!({ "query": query, "variables": variables }))
        .send()
        .await
        .expect("router answers");
    (response.status().as_u16(), response.json().await.expect("JSON body"))
}

fn message(body: &Value) -> &str {
    body["errors"][0]["message"].as_str().unwrap_or_default()
}

fn nothing_resolved(probe: &Probe) {
    assert_eq!(Probe::count(&probe.products_resolved), 0);
    assert_eq!(Probe::count(&probe.accounts_resolved), 0);
}

#[tokio::test]
async fn each_shape_limit_refuses_with_its_own_code() {
    let federation = Federation::start().await;
    let router = &federation.router;

    let (status, body) = post(router, &alias_bomb(200), json!({})).await;
    assert_eq!((status, codes(&body)), (400, vec!["MAX_ALIASES_EXCEEDED".to_owned()]));
    assert_eq!(message(&body), "the operation has 200 aliases; the limit is 30");

    let roots: String =
        (0..21).map(|i| format!("p{i}: product(upc: \"{i}\") {{ name }} ")).collect();
    let config = RouterConfig {
        limits: router::config::LimitsConfig { max_aliases: 100, ..Default::default() },
        ..Default::default()
    };
    let lenient = start_router(&federation.supergraph, config).await;
    let (status, body) = post(&lenient, &format!("{{ {roots} }}"), json!({})).await;
    assert_eq!((status, codes(&body)), (400, vec!["MAX_ROOT_FIELDS_EXCEEDED".to_owned()]));
    assert_eq!(message(&body), "the operation has 21 root fields; the limit is 20");

    // 3 fields in a fragment spread 200 times: 600 fields.
    let spreads = "...P ".repeat(200);
    let height =
        format!("{{ topProducts {{ {spreads} }} }} fragment P on Product {{ name price upc }}");
    let (status, body) = post(router, &height, json!({})).await;
    assert_eq!((status, codes(&body)), (400, vec!["MAX_HEIGHT_EXCEEDED".to_owned()]));
    assert!(message(&body).contains("fields; the limit is 500"), "{body}");

    let directives = "@include(if: true) ".repeat(11);
    let (status, body) =
        post(router, &format!("{{ topProducts {{ name {directives} }} }}"), json!({})).await;
    assert_eq!((status, codes(&body)), (400, vec!["MAX_DIRECTIVES_EXCEEDED".to_owned()]));

    nothing_resolved(&federation.probe);
}

#[tokio::test]
async fn the_estimated_cost_refuses_expensive_operations_before_fetching() {
    let federation = Federation::start().await;
    // Default list size 10: 10 × (1 + 10 × (1 + 1)) + the root's 0 = 210.
    let query = "{ topProducts { reviews { author { name } } } }";
    let tight = RouterConfig {
        limits: router::config::LimitsConfig { max_cost: 209, ..Default::default() },
        ..Default::default()
    };
    let router = start_router(&federation.supergraph, tight).await;
    let (status, body) = post(&router, query, json!({})).await;
    assert_eq!((status, codes(&body)), (400, vec!["COST_ESTIMATED_TOO_EXPENSIVE".to_owned()]));
    assert_eq!(message(&body), "the operation's estimated cost is 210; the limit is 209");
    nothing_resolved(&federation.probe);

    let enough = RouterConfig {
        limits: router::config::LimitsConfig { max_cost: 210, ..Default::default() },
        ..Default::default()
    };
    let router = start_router(&federation.supergraph, enough).await;
    let (status, body) = post(&router, query, json!({})).await;
    assert_eq!(status, 200, "{body}");
    assert!(body["data"]["topProducts"].is_array(), "{body}");
    assert!(body.get("extensions").is_none(), "only when asked: {body}");

    // Asked for, the estimate comes back in `extensions.cost`.
    let response = reqwest::Client::new()
        .post(router.url("/graphql"))
        .json(&json!({ "query": query, "extensions": { "cost": true } }))
        .send()
        .await
        .expect("router answers");
    let body: Value = response.json().await.expect("JSON");
    assert_eq!(body["extensions"]["cost"], json!({ "estimated": 210, "max": 210 }), "{body}");
    assert!(body["data"]["topProducts"].is_array(), "{body}");
}

/// The products subgraph's SDL with `@listSize` and `@cost` added, as a
/// federation 2.9 subgraph would declare them.
fn with_cost_directives(sdl: &str) -> String {
    let top = "topProducts(first: Int! = 5): [Product!]!";
    assert!(sdl.contains(top), "the fixture's field changed: {sdl}");
    sdl.replace(top, &format!("{top} @listSize(slicingArguments: [\"first\"], assumedSize: 50)"))
        .replace("product(upc: ID!): Product", "product(upc: ID!): Product @cost(weight: 7)")
}

#[tokio::test]
async fn list_sizes_come_from_slicing_arguments_and_weights_from_cost() {
    let probe = Probe::default();
    let mut products =
        SubgraphServer::start("products", crate::fixtures::products::schema(probe.clone())).await;
    products.sdl = with_cost_directives(&products.sdl);
    let subgraphs = vec![
        products,
        SubgraphServer::start("reviews", crate::fixtures::reviews::schema(probe.clone())).await,
        SubgraphServer::start("accounts", crate::fixtures::accounts::schema(probe.clone())).await,
    ];
    let composed = crate::helpers::Composed::start(subgraphs).await;
    let config = RouterConfig {
        limits: router::config::LimitsConfig { max_cost: 100, ..Default::default() },
        ..Default::default()
    };
    let router = start_router(&composed.supergraph, config).await;
    let query = "query ($n: Int!) { topProducts(first: $n) { reviews { author { name } } } }";
    // n × (1 + 10 × 2): 4 items cost 84, 5 cost 105.
    let (status, body) = post(&router, query, json!({ "n": 4 })).await;
    assert_eq!(status, 200, "{body}");
    let (status, body) = post(&router, query, json!({ "n": 5 })).await;
    assert_eq!(codes(&body), ["COST_ESTIMATED_TOO_EXPENSIVE"], "{body}");
    assert_eq!(status, 400);
    assert!(message(&body).contains("is 105;"), "{body}");
    // Without the argument, the assumed size: 50 × 21.
    let (_, body) =
        post(&router, "{ topProducts { reviews { author { name } } } }", json!({})).await;
    assert!(message(&body).contains("is 1050;"), "{body}");
    // `@cost(weight: 7)` on a field replaces its type's 1.
    let config = RouterConfig {
        limits: router::config::LimitsConfig { max_cost: 6, ..Default::default() },
        ..Default::default()
    };
    let router = start_router(&composed.supergraph, config).await;
    let (_, body) = post(&router, r#"{ product(upc: "1") { name } }"#, json!({})).await;
    assert!(message(&body).contains("is 7;"), "{body}");
}
