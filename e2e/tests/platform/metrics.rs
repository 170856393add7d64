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
    let orders_metrics = platform.url("orders", "/metrics");
    let placed_before = scrape(&orders_metrics).await.value("orders_placed_total", &[]);

    let (token, order, _) = crate::live::place_order(&platform, "metrics@example.com").await;
    platform.wait_for_status(&token, &order, "PAID").await;

    let router_url = platform.router_url("/metrics");
    let router = scrape(&router_url).await;
    let text = &router.text;
    let checkout = [("operation_type", "mutation"), ("result", "ok")];
    assert!(router.value("http_server_request_duration_seconds_count", &checkout) >= 1.0, "{text}");
    assert!(router.value("router_query_planning_duration_seconds_count", &[]) >= 1.0, "{text}");
    for subgraph in ["orders", "cart", "catalog", "users"] {
        let fetched = [("subgraph", subgraph), ("result", "ok")];
        let count = router.value("router_subgraph_request_duration_seconds_count", &fetched);
        assert!(count >= 1.0, "{subgraph}: {text}");
    }

    let orders = scrape(&orders_metrics).await;
    let text = &orders.text;
    assert!(orders.value("orders_placed_total", &[]) >= placed_before + 1.0, "{text}");
    let served = [("service", "orders"), ("operation_type", "mutation"), ("result", "ok")];
    assert!(orders.value("graphql_server_request_duration_seconds_count", &served) >= 1.0);
    let published = [("event_type", "order.created")];
    assert!(orders.value("events_published_total", &published) >= 1.0, "{text}");
    let consumed = orders.sum("events_consumed_total", |labels| {
        labels.get("queue").is_some_and(|q| q.ends_with("payments.saga"))
            && labels.get("result") == Some("applied")
    });
    assert!(consumed >= 1.0, "{text}");
    // Checkout read the products through catalog's cache and their stock
    // through inventory's.
    for cache in ["catalog.products", "inventory.availability"] {
        let looked_up =
            orders.sum("cache_lookups_total", |labels| labels.get("cache") == Some(cache));
        assert!(looked_up >= 1.0, "no {cache} lookups counted: {text}");
    }
    // The business count: the relay publishes PAID after the change
    // committed, maybe a moment after the status is readable.
    let paid = [("event_type", "order.status_changed"), ("status", "PAID")];
    let mut published_paid = 0.0;
    for _ in 0..50 {
        published_paid = scrape(&orders_metrics).await.value("events_published_total", &paid);
        if published_paid >= 1.0 {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    assert!(published_paid >= 1.0, "no order.status_changed PAID counted");

    // Every series the alert rules and the dashboard query is served.
    let (router, orders) = (scrape(&router_url).await, scrape(&orders_metrics).await);
    for (file, expr) in deploy_queries() {
        for metric in metric_names(&expr) {
            assert!(router.has(&metric) || orders.has(&metric), "{file}: {metric} in {expr}");
        }
    }
    platform.stop().await;
}

/// The PromQL of `deploy/`: the alert rules' and the dashboard's.
fn deploy_queries() -> Vec<(&'static str, String)> {
    let root = concat!(env!("CARGO_MANIFEST_DIR"), "/../deploy");
    let read = |path: &str| std::fs::read_to_string(format!("{root}/{path}")).expect(path);
    let rules: serde_yaml::Value =
        serde_yaml::from_str(&read("prometheus/alerts.yml")).expect("alert rules are YAML");
    let mut queries = Vec::new();
    for group in rules["groups"].as_sequence().expect("groups") {
        for rule in group["rules"].as_sequence().expect("rules") {
            assert!(rule["alert"].as_str().is_some_and(|a| !a.is_empty()), "{rule:?}");
            assert!(rule["annotations"]["summary"].as_str().is_some(), "{rule:?}");
            queries.push(("alerts.yml", rule["expr"].as_str().expect("expr").to_owned()));
        }
    }
    let dashboard: serde_json::Value =
        serde_json::from_str(&read("grafana/dashboards/shopgraph.json")).expect("dashboard JSON");
    let panels = dashboard["panels"].as_array().expect("panels");
    let mut ids: Vec<u64> = panels.iter().map(|p| p["id"].as_u64().expect("panel id")).collect();
    ids.dedup();
    assert_eq!(ids.len(), panels.len(), "panel ids are unique");
    for target in panels.iter().flat_map(|p| p["targets"].as_array().expect("targets")) {
        queries.push(("shopgraph.json", target["expr"].as_str().expect("expr").to_owned()));
    }
    assert!(queries.len() > 10, "{queries:?}");
    queries
}

/// The metric names in a PromQL expression: identifiers that are not a
/// function, a keyword, or a label inside `{}` or `by ()`.
fn metric_names(expr: &str) -> Vec<String> {
    let mut text = String::new();
    let mut depth = 0;
    for c in expr.chars() {
        match c {
            '{' => depth += 1,
            '}' => depth -= 1,
            _ if depth == 0 => text.push(c),
            _ => {}
        }
    }
    let text = text.replace("by (", "by_(");
    let mut names = Vec::new();
    let mut rest = text.as_str();
    while let Some(start) = rest.find(|c: char| c.is_ascii_alphabetic() || c == '_') {
        let tail = &rest[start..];
        let end =
            tail.find(|c: char| !(c.is_ascii_alphanumeric() || c == '_')).unwrap_or(tail.len());
        let word = &tail[..end];
        let after = tail[end..].trim_start();
        let preceded_by_digit = rest[..start].ends_with(|c: char| c.is_ascii_digit() || c == '.');
        if word == "by_" {
            // Skip the label list.
            rest = &after[after.find(')').map_or(after.len(), |i| i + 1)..];
            continue;
        }
        let keyword = ["and", "or", "unless", "without", "on", "ignoring", "bool"].contains(&word);
        // A function, or an aggregation followed by its label list.
        let applied = after.starts_with('(') || after.starts_with("by_(");
        if !applied && !keyword && !preceded_by_digit {
            names.push(word.to_owned());
        }
        rest = &tail[end..];
    }
    names
}
