//! The differential harness: the same generated operations sent to our
//! router and to a reference router (Hive Router, pinned, from crates.io)
//! over the same supergraph and subgraphs, and every difference reported.
//! Not run in CI (it needs the reference binary); run it with
//!
//!     cargo install hive-router --version 0.2.18 --locked --features graphiql
//!     cargo test -p router --test federation differential -- --ignored --nocapture
//!
//! `HIVE_ROUTER=/path` names the binary when it is not on the PATH,
//! `DIFFERENTIAL_DEPTH` (3) bounds the generated selections. The Shopgraph
//! supergraph is compared with its subgraphs running (`shopgraph dev`):
//! `DIFFERENTIAL_SUPERGRAPH=schema/supergraph.graphql`, with
//! `DIFFERENTIAL_TOKEN` as a bearer token for both routers when set,
//! `DIFFERENTIAL_ROUTER_CONFIG=router.yaml` configuring ours (to verify
//! that token and evaluate the supergraph's policies), and
//! `DIFFERENTIAL_VOLATILE=updatedAt,...` naming keys whose values change
//! between two requests (an empty cart's `updatedAt` is the request time).

pub mod generate;

use std::{
    path::PathBuf,
    process::{Child, Command, Stdio},
    sync::atomic::{AtomicUsize, Ordering},
    time::{Duration, Instant},
};

use router::{RouterConfig, planning::QueryPlanner};
use serde_json::{Value, json};

use crate::{
    api_schema, context,
    helpers::{Composed, Federation, start_router},
    requires_abstract, requires_arguments,
};

/// A reference router process, killed when dropped.
struct Reference {
    child: Child,
    url: String,
    _directory: PathBuf,
}

impl Drop for Reference {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn reference_binary() -> PathBuf {
    if let Ok(path) = std::env::var("HIVE_ROUTER") {
        return PathBuf::from(path);
    }
    std::env::var_os("PATH")
        .and_then(|paths| {
            std::env::split_paths(&paths).map(|d| d.join("hive_router")).find(|p| p.is_file())
        })
        .expect("no reference router: install hive-router or set HIVE_ROUTER")
}

async fn start_reference(supergraph: &str) -> Reference {
    static STARTED: AtomicUsize = AtomicUsize::new(0);
    let directory = std::env::temp_dir().join(format!(
        "differential-{}-{}",
        std::process::id(),
        STARTED.fetch_add(1, Ordering::SeqCst)
    ));
    std::fs::create_dir_all(&directory).expect("reference directory");
    let supergraph_path = directory.join("supergraph.graphql");
    std::fs::write(&supergraph_path, supergraph).expect("write the supergraph");
    std::fs::write(
        directory.join("router.config.yaml"),
        "headers:\n  all:\n    request:\n      - propagate:\n          named: Authorization\n",
    )
    .expect("reference config");
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("free port")
        .port();
    let child = Command::new(reference_binary())
        .current_dir(&directory)
        .env("HOST", "127.0.0.1")
        .env("PORT", port.to_string())
        .env("SUPERGRAPH_FILE_PATH", &supergraph_path)
        .env("LOG_LEVEL", "error")
        .stdout(Stdio::null())
        .spawn()
        .expect("start the reference router");
    let reference =
        Reference { child, url: format!("http://127.0.0.1:{port}/graphql"), _directory: directory };
    let started = Instant::now();
    while send(&reference.url, "{ __typename }").await.is_none() {
        assert!(started.elapsed() < Duration::from_secs(30), "the reference router did not start");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    reference
}

async fn send(url: &str, query: &str) -> Option<Value> {
    let mut request = reqwest::Client::new()
        .post(url)
        .header("accept", "application/graphql-response+json, application/json")
        .timeout(Duration::from_secs(30))
        .json(&json!({ "query": query }));
    if let Ok(token) = std::env::var("DIFFERENTIAL_TOKEN") {
        request = request.bearer_auth(token);
    }
    request.send().await.ok()?.json().await.ok()
}

/// One operation on which the routers disagree.
struct Difference {
    operation: String,
    ours: Value,
    reference: Value,
}

/// What the routers answer is compared on `data` exactly and on whether
/// there are errors (messages and extensions differ between routers by
/// design).
fn same(ours: &Value, reference: &Value) -> bool {
    let has_errors = |v: &Value| v.get("errors").is_some_and(|e| !e.is_null());
    let volatile = std::env::var("DIFFERENTIAL_VOLATILE").unwrap_or_default();
    let volatile: Vec<&str> = volatile.split(',').filter(|k| !k.is_empty()).collect();
    let data = |v: &Value| v.get("data").cloned().map(|mut d| without(&mut d, &volatile));
    data(ours) == data(reference) && has_errors(ours) == has_errors(reference)
}

/// `value` without the keys named, at any depth.
fn without(value: &mut Value, keys: &[&str]) -> Value {
    match value {
        Value::Object(object) => {
            object.retain(|k, _| !keys.contains(&k.as_str()));
            object.values_mut().for_each(|v| *v = without(v, keys));
        }
        Value::Array(items) => items.iter_mut().for_each(|v| *v = without(v, keys)),
        _ => {}
    }
    value.take()
}

/// Generates operations from `supergraph`'s API schema, sends each to both
/// routers, prints the report and returns the differences.
async fn compare(label: &str, supergraph: &str, ours: &str) -> usize {
    let document = graphql_tools::parser::schema::parse_schema::<String>(supergraph)
        .expect("supergraph SDL")
        .into_static();
    let planner = QueryPlanner::new(&document, 1, &[]).expect("plannable supergraph");
    let depth = std::env::var("DIFFERENTIAL_DEPTH").ok().and_then(|d| d.parse().ok()).unwrap_or(3);
    let operations = generate::operations(planner.schema(), depth);
    let reference = start_reference(supergraph).await;
    let mut differences = Vec::new();
    for operation in &operations {
        let ours = send(ours, operation).await.unwrap_or(Value::Null);
        let theirs = send(&reference.url, operation).await.unwrap_or(Value::Null);
        if !same(&ours, &theirs) {
            differences.push(Difference { operation: operation.clone(), ours, reference: theirs });
        }
    }
    println!(
        "\n== {label}: {} operations (depth {depth}), {} differences",
        operations.len(),
        differences.len()
    );
    for d in &differences {
        println!("-- {}\n   ours:      {}\n   reference: {}", d.operation, d.ours, d.reference);
    }
    differences.len()
}

#[tokio::test]
#[ignore = "needs the reference router binary; see the module docs"]
async fn differential_fixture_supergraphs() {
    let mut total = 0;
    let federation = Federation::start().await;
    total += compare("fixtures", &federation.supergraph, &federation.router.url("/graphql")).await;
    for (label, subgraphs) in [
        ("api schema values", api_schema::subgraphs().await),
        ("requires with arguments", requires_arguments::subgraphs().await),
        ("requires with fragments", requires_abstract::subgraphs().await),
        ("context", context::subgraphs().await),
    ] {
        let composed = Composed::start(subgraphs).await;
        total += compare(label, &composed.supergraph, &composed.router.url("/graphql")).await;
    }
    assert_eq!(total, 0, "the routers disagree; see the report above");
}

#[tokio::test]
#[ignore = "needs the reference router and `shopgraph dev`; see the module docs"]
async fn differential_shopgraph() {
    let path = std::env::var("DIFFERENTIAL_SUPERGRAPH").unwrap_or_else(|_| {
        concat!(env!("CARGO_MANIFEST_DIR"), "/../schema/supergraph.graphql").into()
    });
    let supergraph = std::fs::read_to_string(&path).expect("read the supergraph");
    // The generated operations are large on purpose: compare semantics, not limits.
    // `DIFFERENTIAL_ROUTER_CONFIG`: a router YAML for ours, e.g. one that
    // verifies tokens and defines the supergraph's policies, as the
    // deployed router does.
    let file = std::env::var_os("DIFFERENTIAL_ROUTER_CONFIG").map(PathBuf::from);
    let mut config = RouterConfig::load(file.as_deref()).expect("router config");
    // The generated operations are large on purpose: compare semantics, not limits.
    config.limits = router::config::LimitsConfig::unlimited();
    let router = start_router(&supergraph, config).await;
    let differences = compare("shopgraph", &supergraph, &router.url("/graphql")).await;
    assert_eq!(differences, 0, "the routers disagree; see the report above");
}
