//! Browser tests against the whole platform: Debian's Chromium driven by
//! `playwright-core` (e2e/tests/browser), which never downloads a browser.
//! GraphiQL as the router serves it, and the reference storefront as
//! `shopgraph dev` serves it. Each script prints one JSON line per step and
//! saves a screenshot when it fails (under `target/browser-tests`).
//! Without Chromium, Node or the built storefront the tests say so and
//! return, unless `REQUIRE_BROWSER=1` (CI) makes that a failure.

use std::path::{Path, PathBuf};

use serde_json::{Value, json};
use sqlx::PgPool;

use e2e::platform::Platform;

const SCRIPTS: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/browser");
const STOREFRONT_BUILD: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../storefront/dist");
const CHROMIUM: &str = "/usr/bin/chromium";

#[sqlx::test(migrations = false)]
async fn graphiql_renders_offline_runs_a_query_and_shows_a_live_subscription(pool: PgPool) {
    if !browser_ready() {
        return;
    }
    let platform = Platform::start(pool).await;
    let (token, order, _) = crate::live::place_order(&platform, "graphiql@example.com").await;
    let steps = run_script(
        "graphiql.mjs",
        &[("ROUTER_URL", platform.router_url("")), ("TOKEN", token), ("ORDER_ID", order)],
    )
    .await;
    let loaded = step(&steps, "loaded");
    assert!(loaded["requests"].as_u64().unwrap_or(0) > 0, "{loaded}");
    assert_eq!(loaded["foreign"], json!([]), "{loaded}");
    let query = step(&steps, "query");
    assert!(query["totalCount"].as_u64().unwrap_or(0) >= 2, "{query}");
    let shown = step(&steps, "subscription")["statuses"].clone();
    let statuses: Vec<&str> =
        shown.as_array().expect("statuses").iter().filter_map(Value::as_str).collect();
    assert!(statuses.len() >= 2, "{shown}");
    assert_eq!(statuses.last(), Some(&"DELIVERED"), "{shown}");
    platform.stop().await;
}

#[sqlx::test(migrations = false)]
async fn a_new_customer_shops_in_the_storefront_and_watches_the_order_delivered(pool: PgPool) {
    if !browser_ready() || !storefront_built() {
        return;
    }
    let platform = Platform::start(pool).await;
    let steps = shop(&platform, "tok_visa").await;
    let journey = step(&steps, "journey");
    assert_eq!(journey["statuses"].as_array().and_then(|s| s.last()), Some(&json!("Delivered")));

    // What the pages showed is what the API holds.
    let email = step(&steps, "registered")["email"].as_str().expect("email").to_owned();
    let order = customer_order(&platform, &email).await;
    assert_eq!(order["number"], journey["number"], "{order}");
    assert_eq!(order["status"], "DELIVERED", "{order}");
    assert_eq!(order["payment"]["status"], "SUCCEEDED", "{order}");
    let bought: Vec<&str> = order["items"]
        .as_array()
        .expect("items")
        .iter()
        .filter_map(|i| i["productName"].as_str())
        .collect();
    let searched = &step(&steps, "searched")["names"];
    assert_eq!(bought.len(), 2, "{order}");
    for name in &bought {
        assert!(searched.as_array().expect("names").contains(&json!(name)), "{order}");
    }
    platform.stop().await;
}

#[sqlx::test(migrations = false)]
async fn the_storefront_shows_a_declined_payment(pool: PgPool) {
    if !browser_ready() || !storefront_built() {
        return;
    }
    let platform = Platform::start(pool).await;
    let steps = shop(&platform, "tok_chargeDeclined").await;
    let shown = step(&steps, "payment-failure-shown")["text"].as_str().expect("text").to_owned();
    assert!(shown.contains("declined"), "{shown}");
    let email = step(&steps, "registered")["email"].as_str().expect("email").to_owned();
    let order = customer_order(&platform, &email).await;
    assert_eq!(order["status"], "PAYMENT_FAILED", "{order}");
    platform.stop().await;
}

/// Serves the built storefront against this platform's router and runs the
/// whole journey in the browser with `card`.
async fn shop(platform: &Platform, card: &str) -> Vec<Value> {
    let config = shopgraph::storefront::StorefrontConfig {
        dir: PathBuf::from(STOREFRONT_BUILD),
        listen: ([127, 0, 0, 1], 0).into(),
        graphql_url: Some(platform.router_url("/graphql")),
    };
    let listener = server::bind(config.listen).await.expect("a port");
    let storefront = shopgraph::storefront::build(&config, 0).spawn(listener);
    let steps = run_script(
        "storefront.mjs",
        &[
            ("STOREFRONT_URL", storefront.url("")),
            ("CARD", card.to_owned()),
            // Two seeded lamps are in stock in every fresh platform.
            ("SEARCH", "lamp".to_owned()),
        ],
    )
    .await;
    storefront.stop().await;
    steps
}

/// The customer's only order, read through the router as the customer.
async fn customer_order(platform: &Platform, email: &str) -> Value {
    let login = platform
        .graphql(
            "mutation($e: String!) { login(email: $e, password: \"a long browser passphrase\") { accessToken } }",
            json!({ "e": email }),
            None,
        )
        .await;
    let token = login["data"]["login"]["accessToken"].as_str().unwrap_or_else(|| panic!("{login}"));
    let orders = platform
        .graphql(
            "{ me { orders(first: 5) { edges { node { number status payment { status } items { productName } } } } } }",
            json!({}),
            Some(token),
        )
        .await;
    let edges = orders["data"]["me"]["orders"]["edges"].as_array().expect("orders");
    assert_eq!(edges.len(), 1, "{orders}");
    edges[0]["node"].clone()
}

/// Runs a browser script; its steps, after asserting that it passed.
async fn run_script(script: &str, env: &[(&str, String)]) -> Vec<Value> {
    let output_dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../target/browser-tests");
    std::fs::create_dir_all(&output_dir).expect("screenshot folder");
    let output = tokio::process::Command::new("node")
        .arg(Path::new(SCRIPTS).join(script))
        .envs(env.iter().map(|(k, v)| (*k, v.as_str())))
        .env("BROWSER_OUTPUT_DIR", &output_dir)
        .env("CHROMIUM", CHROMIUM)
        .output()
        .await
        .expect("node runs");
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(
        output.status.success(),
        "{script} failed (screenshot in {}):\n{stdout}\n{}",
        output_dir.display(),
        String::from_utf8_lossy(&output.stderr)
    );
    stdout.lines().filter_map(|line| serde_json::from_str(line).ok()).collect()
}

/// The first step called `event`.
fn step<'a>(steps: &'a [Value], event: &str) -> &'a Value {
    steps
        .iter()
        .find(|s| s["event"] == event)
        .unwrap_or_else(|| panic!("no {event} step in {steps:?}"))
}

/// Chromium, Node and the scripts' packages (`scripts/test` installs them).
fn browser_ready() -> bool {
    let node = std::process::Command::new("node").arg("--version").output().is_ok();
    let packages = Path::new(SCRIPTS).join("node_modules/playwright-core").exists();
    require(Path::new(CHROMIUM).exists(), "Chromium (apt-get install chromium)")
        && require(node, "Node.js")
        && require(packages, "the browser tests' packages (npm ci --prefix e2e/tests/browser)")
}

fn storefront_built() -> bool {
    require(
        Path::new(STOREFRONT_BUILD).join("index.html").exists(),
        "the storefront build (npm --prefix storefront ci && npm --prefix storefront run build)",
    )
}

fn require(present: bool, what: &str) -> bool {
    if !present {
        assert!(std::env::var_os("REQUIRE_BROWSER").is_none(), "REQUIRE_BROWSER: missing {what}");
        eprintln!("skipped: missing {what}");
    }
    present
}
