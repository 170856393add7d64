//! Protocol compliance against a third-party client: the `graphql-ws` npm
//! package follows an order through the router. Runs when Node is present
//! (`scripts/test` installs the package); without Node it says so and
//! returns.

use std::process::Command;

use serde_json::Value;
use sqlx::PgPool;

use e2e::platform::Platform;

#[sqlx::test(migrations = false)]
async fn the_graphql_ws_npm_client_follows_an_order(pool: PgPool) {
    if Command::new("node").arg("--version").output().is_err() {
        eprintln!("skipped: Node.js is not installed");
        return;
    }
    let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/node");
    assert!(
        std::path::Path::new(dir).join("node_modules/graphql-ws").exists(),
        "run `npm ci --prefix e2e/tests/node` (scripts/test does)"
    );
    let platform = Platform::start(pool).await;
    let (token, order, names) = crate::live::place_order(&platform, "node@example.com").await;
    let output = tokio::process::Command::new("node")
        .arg(format!("{dir}/follow-order.mjs"))
        .arg(platform.router_url("/graphql"))
        .arg(&token)
        .arg(&order)
        .output()
        .await
        .expect("node runs");
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(output.status.success(), "{stdout}\n{}", String::from_utf8_lossy(&output.stderr));
    let events: Vec<Value> =
        stdout.lines().map(|l| serde_json::from_str(l).expect("a JSON line")).collect();
    let statuses: Vec<&str> =
        events.iter().filter_map(|e| e["data"]["orderStatusChanged"]["status"].as_str()).collect();
    assert_eq!(statuses, ["PENDING", "PAID", "FULFILLING", "SHIPPED", "DELIVERED"]);
    for event in &events {
        let items =
            event["data"]["orderStatusChanged"]["order"]["items"].as_array().expect("items");
        let got: std::collections::BTreeSet<String> =
            items.iter().filter_map(|i| i["product"]["name"].as_str().map(str::to_owned)).collect();
        assert_eq!(got, names);
    }
    platform.stop().await;
}
