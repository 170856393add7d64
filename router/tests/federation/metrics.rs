//! `/metrics` after real traffic, read with a Prometheus text parser:
//! requests by type and result (with the refusal's code), subgraph
//! requests by subgraph, plan cache hits and misses.

use serde_json::json;
use server::metrics::Scraped;

use crate::helpers::Federation;

#[tokio::test]
async fn requests_subgraph_fetches_and_plan_cache_are_counted() {
    let federation = Federation::start().await;
    let cross = "query Reviews { latestReviews { body product { price } } }";
    for _ in 0..3 {
        let answer = federation.query(cross, json!({})).await;
        assert!(answer.get("errors").is_none(), "{answer}");
    }
    let refused = federation.query("{ noSuchField }", json!({})).await;
    assert!(refused.get("errors").is_some());

    let response =
        reqwest::get(federation.router.url("/metrics")).await.expect("scrape").text().await;
    let scrape = Scraped::parse(response.expect("text"));
    let text = &scrape.text;

    let requests = "http_server_request_duration_seconds_count";
    let ok = [("operation_name", "Reviews"), ("operation_type", "query"), ("result", "ok")];
    assert_eq!(scrape.value(requests, &ok), 3.0, "{text}");
    let rejected = [("result", "rejected"), ("code", "GRAPHQL_VALIDATION_FAILED")];
    assert_eq!(scrape.value(requests, &rejected), 1.0, "{text}");

    let fetches = "router_subgraph_request_duration_seconds_count";
    for subgraph in ["reviews", "products"] {
        let labels = [("subgraph", subgraph), ("result", "ok")];
        assert_eq!(scrape.value(fetches, &labels), 3.0, "{subgraph}: {text}");
    }
    let lookups = "router_query_plan_cache_lookups_total";
    assert_eq!(scrape.value(lookups, &[("result", "hit")]), 2.0, "{text}");
    assert_eq!(scrape.value(lookups, &[("result", "miss")]), 2.0, "{text}");
}
