//! `/metrics` of the router and of the subgraphs after a checkout through
//! the router, read with a Prometheus text parser: the counters moved.
//! The subgraphs' registry is the process's, shared with other tests
//! running beside this one, so their counters are compared as at least
//! what this test did.

use server::metrics::Scraped;
use sqlx::PgPool;

use e2e::platform::Platform;

async fn scrape(url: &str) -> Scraped {
    let response = reqwest::get(url).await.expect("scrape");
    assert_eq!(response.status().as_u16(), 200, "{url}");
    Scraped::parse(response.text().await.expect("text"))
}

#[sqlx::test(migrations = false)]
async fn a_checkout_moves_the_router_and_service_counters(pool: PgPool) {
    let platform = Platform::start(pool).await;
    let orders_metrics = platform.service("orders").url("/metrics");
    let placed_before = scrape(&orders_metrics).await.value("orders_placed_total", &[]);

    let (token, order, _) = crate::live::place_order(&platform, "metrics@example.com").await;
    platform.wait_for_status(&token, &order, "PAID").await;

    let router = scrape(&platform.router.url("/metrics")).await;
    let text = &router.text;
    let checkout = [("operation_type", "mutation"), ("result", "ok")];
    assert!(router.value("http_server_request_duration_seconds_count", &checkout) >= 1.0, "{text}");
    for subgraph in ["orders", "cart", "catalog", "users"] {
        let fetched = [("subgraph", subgraph), ("result", "ok")];
        let count = router.value("router_subgraph_request_duration_seconds_count", &fetched);
        assert!(count >= 1.0, "{subgraph}: {text}");
    }

    let orders = scrape(&orders_metrics).await;
    let text = &orders.text;
    assert!(orders.value("orders_placed_total", &[]) >= placed_before + 1.0, "{text}");
    let served = [("service", "orders"), ("result", "ok")];
    assert!(orders.value("graphql_server_request_duration_seconds_count", &served) >= 1.0);
    let published = [("event_type", "order.created")];
    assert!(orders.value("events_published_total", &published) >= 1.0, "{text}");
    let consumed = orders.sum("events_consumed_total", |labels| {
        labels.get("queue").is_some_and(|q| q.ends_with("payments.saga"))
            && labels.get("result") == Some("applied")
    });
    assert!(consumed >= 1.0, "{text}");
    platform.stop().await;
}
