//! `Apollo-Expose-Query-Plan`: with `expose_query_plan` on, the header
//! puts the plan in `extensions.apolloQueryPlan` (`object` and `text`),
//! and `dry-run` answers the plan without fetching anything. Off by
//! default, and the header alone changes nothing.

use router::RouterConfig;
use serde_json::{Value, json};

use crate::{
    fixtures::Probe,
    helpers::{Federation, start_router},
};

const QUERY: &str = "{ latestReviews { body product { price } } }";

async fn ask(url: &str, header: Option<&str>) -> Value {
    let mut request = reqwest::Client::new().post(url).json(&json!({ "query": QUERY }));
    if let Some(value) = header {
        request = request.header("apollo-expose-query-plan", value);
    }
    request.send().await.expect("router").json().await.expect("json")
}

#[tokio::test]
async fn the_plan_is_exposed_only_when_allowed_and_asked_for() {
    let federation = Federation::start().await;
    let config = RouterConfig { expose_query_plan: true, ..RouterConfig::default() };
    let exposing = start_router(&federation.supergraph, config).await;
    let url = exposing.url("/graphql");

    let answered = ask(&url, Some("true")).await;
    assert_eq!(answered["data"]["latestReviews"][0]["product"]["price"], 899, "{answered}");
    let plan = &answered["extensions"]["apolloQueryPlan"];
    assert_eq!(plan["object"]["kind"], "QueryPlan", "{answered}");
    let services: Vec<&str> = plan["object"]["node"]["nodes"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|node| node["serviceName"].as_str().or(node["node"]["serviceName"].as_str()))
        .collect();
    assert_eq!(services, ["reviews", "products"], "{plan}");
    let text = plan["text"].as_str().unwrap_or_default();
    assert!(text.contains("reviews") && text.contains("products"), "{text}");
    let fetched = Probe::count(&federation.probe.products_resolved);
    assert!(fetched > 0);

    let dry_run = ask(&url, Some("dry-run")).await;
    assert!(dry_run.get("data").is_none(), "{dry_run}");
    assert_eq!(dry_run["extensions"]["apolloQueryPlan"]["object"], plan["object"]);
    assert_eq!(Probe::count(&federation.probe.products_resolved), fetched, "dry-run fetched");

    assert!(ask(&url, None).await.get("extensions").is_none());
    let default = federation.router.url("/graphql");
    let refused = ask(&default, Some("true")).await;
    assert!(refused.get("extensions").is_none(), "{refused}");
    assert_eq!(refused["data"]["latestReviews"][0]["product"]["price"], 899);
}
