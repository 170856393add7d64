//! `/metrics` of the router and of the subgraphs after a checkout through
//! the router, read with a Prometheus text parser: the counters moved.
//! The subgraphs' registry is the process's, shared with other tests
//! running beside this one, so their counters are compared as at least
//! what this test did.

use prometheus_parse::{Scrape, Value as Metric};
use sqlx::PgPool;

use e2e::platform::Platform;

async fn scrape(url: &str) -> (Scrape, String) {
    let response = reqwest::get(url).await.expect("scrape");
    assert_eq!(response.status().as_u16(), 200, "{url}");
    let text = response.text().await.expect("text");
    let scrape = Scrape::parse(text.lines().map(|l| Ok(l.to_owned()))).expect("Prometheus text");
    (scrape, text)
}

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

#[sqlx::test(migrations = false)]
async fn a_checkout_moves_the_router_and_service_counters(pool: PgPool) {
    let platform = Platform::start(pool).await;
    let orders_metrics = platform.service("orders").url("/metrics");
    let (before, _) = scrape(&orders_metrics).await;
    let placed_before = value(&before, "orders_placed_total", &[]);

    let (token, order, _) = crate::live::place_order(&platform, "metrics@example.com").await;
    platform.wait_for_status(&token, &order, "PAID").await;

    let (router, text) = scrape(&platform.router.url("/metrics")).await;
    let checkout = [("operation_type", "mutation"), ("result", "ok")];
    assert!(
        value(&router, "http_server_request_duration_seconds_count", &checkout) >= 1.0,
        "{text}"
    );
    for subgraph in ["orders", "cart", "catalog", "users"] {
        let fetched = [("subgraph", subgraph), ("result", "ok")];
        let count = value(&router, "router_subgraph_request_duration_seconds_count", &fetched);
        assert!(count >= 1.0, "{subgraph}: {text}");
    }

    let (orders, text) = scrape(&orders_metrics).await;
    assert!(value(&orders, "orders_placed_total", &[]) >= placed_before + 1.0, "{text}");
    let served = [("service", "orders"), ("result", "ok")];
    assert!(value(&orders, "graphql_server_request_duration_seconds_count", &served) >= 1.0);
    let published = [("event_type", "order.created")];
    assert!(value(&orders, "events_published_total", &published) >= 1.0, "{text}");
    let consumed: f64 = orders
        .samples
        .iter()
        .filter(|s| s.metric == "events_consumed_total")
        .filter(|s| s.labels.get("queue").is_some_and(|q| q.ends_with("payments.saga")))
        .filter(|s| s.labels.get("result") == Some("applied"))
        .map(|s| if let Metric::Counter(v) | Metric::Untyped(v) = s.value { v } else { 0.0 })
        .sum();
    assert!(consumed >= 1.0, "{text}");
    platform.stop().await;
}
