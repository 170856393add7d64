//! `/metrics` after real traffic, read with a Prometheus text parser:
//! requests by type and result (with the refusal's code), subgraph
//! requests by subgraph, plan cache hits and misses.

use prometheus_parse::{Scrape, Value as Metric};
use serde_json::json;

use crate::helpers::Federation;

/// The value of `metric` whose labels include every pair of `labels`.
fn value(scrape: &Scrape, metric: &str, labels: &[(&str, &str)]) -> f64 {
    scrape
        .samples
        .iter()
        .filter(|s| s.metric == metric)
        .filter(|s| labels.iter().all(|(k, v)| s.labels.get(k) == Some(*v)))
        .map(|s| match &s.value {
            Metric::Counter(v) | Metric::Gauge(v) | Metric::Untyped(v) => *v,
            _ => 0.0,
        })
        .sum()
}

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
    let text = response.expect("text");
    let scrape = Scrape::parse(text.lines().map(|l| Ok(l.to_owned()))).expect("Prometheus text");

    let requests = "http_server_request_duration_seconds_count";
    let ok = [("operation_name", "Reviews"), ("operation_type", "query"), ("result", "ok")];
    assert_eq!(value(&scrape, requests, &ok), 3.0, "{text}");
    let rejected = [("result", "rejected"), ("code", "GRAPHQL_VALIDATION_FAILED")];
    assert_eq!(value(&scrape, requests, &rejected), 1.0, "{text}");

    let fetches = "router_subgraph_request_duration_seconds_count";
    for subgraph in ["reviews", "products"] {
        let labels = [("subgraph", subgraph), ("result", "ok")];
        assert_eq!(value(&scrape, fetches, &labels), 3.0, "{subgraph}: {text}");
    }
    let lookups = "router_query_plan_cache_lookups_total";
    assert_eq!(value(&scrape, lookups, &[("result", "hit")]), 2.0, "{text}");
    assert_eq!(value(&scrape, lookups, &[("result", "miss")]), 2.0, "{text}");
}
