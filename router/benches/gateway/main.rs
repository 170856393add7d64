//! The public federation gateway benchmark, reproduced on this machine:
//! four subgraphs (accounts, inventory, products, reviews), each its own
//! process, one deeply nested query with fragments, and a real HTTP load
//! generator. Run, in release:
//!
//!     apt-get install wrk        # once
//!     cargo bench -p router --bench gateway
//!
//! It starts the subgraphs and our router (`target/release/router`) as
//! separate processes, checks the responses, then runs `wrk` at 1 and 50
//! connections for `BENCH_SECONDS` (10) each, and reports req/s, p50, p99,
//! the router's CPU time per request (from `/proc`) and its peak RSS. Each
//! request carries its own `Authorization`, as the public benchmark's k6
//! script does, so no router can answer several clients with one subgraph
//! request; one more run sends identical requests (plain wrk), where
//! in-flight deduplication applies. When a
//! Hive Router binary is found (`HIVE_ROUTER=/path`, or `hive_router` on the
//! PATH) the same load runs against it, side by side, and the report gives
//! the ratios. Build it once, outside CI (about 25 minutes here):
//!
//!     cargo install hive-router --version 0.2.18 --locked --features graphiql
//!
//! Also measured: `{ users { id username name } }`, one subgraph, through
//! each router and direct to the accounts subgraph.

mod load;
mod subgraphs;

use std::{
    io::{BufRead, BufReader},
    net::{SocketAddr, TcpListener},
    path::{Path, PathBuf},
    process::{Child, Command, Stdio},
    time::{Duration, Instant},
};

use async_graphql::{ObjectType, Schema, SubscriptionType, registry::SDLExportOptions};
use load::{Figures, Requests};
use router::compose::{SubgraphSource, compose};
use serde_json::{Value, json};

/// Set in a child process: which subgraph it serves.
const SUBGRAPH_ENV: &str = "GATEWAY_BENCH_SUBGRAPH";

const HEAVY: &str = "
fragment User on User { id username name }
fragment Review on Review { id body }
fragment Product on Product { inStock name price shippingEstimate upc weight }
query TestQuery {
  users {
    ...User
    reviews {
      ...Review
      product {
        ...Product
        reviews { ...Review author { ...User reviews { ...Review product { ...Product } } } }
      }
    }
  }
  topProducts {
    ...Product
    reviews { ...Review author { ...User reviews { ...Review product { ...Product } } } }
  }
}";

const ONE_SUBGRAPH: &str = "{ users { id username name } }";

/// What is measured: a label, whether the heavy query (else the one-subgraph
/// one), the requests' credentials, and connections.
const LOADS: [(&str, bool, Requests, u32); 4] = [
    ("heavy, 1 connection", true, Requests::UniqueCredentials, 1),
    ("heavy, 50 connections", true, Requests::UniqueCredentials, 50),
    ("heavy, 50 connections, identical requests", true, Requests::Identical, 50),
    ("one subgraph, 50 connections", false, Requests::UniqueCredentials, 50),
];

/// Kills its processes when dropped, so a failed run leaves none behind.
struct Processes(Vec<Child>);

impl Drop for Processes {
    fn drop(&mut self) {
        for child in &mut self.0 {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}

fn main() {
    if let Ok(name) = std::env::var(SUBGRAPH_ENV) {
        serve_subgraph(&name);
        return;
    }
    let seconds: u64 =
        std::env::var("BENCH_SECONDS").ok().and_then(|s| s.parse().ok()).unwrap_or(10);
    let mut processes = Processes(Vec::new());
    let mut sources = Vec::new();
    for (name, sdl) in [
        ("accounts", sdl(subgraphs::accounts::schema())),
        ("inventory", sdl(subgraphs::inventory::schema())),
        ("products", sdl(subgraphs::products::schema())),
        ("reviews", sdl(subgraphs::reviews::schema())),
    ] {
        let (child, url) = spawn_subgraph(name);
        processes.0.push(child);
        sources.push(SubgraphSource { name: name.into(), routing_url: url, sdl });
    }
    let accounts_url = sources[0].routing_url.clone();
    let supergraph = compose(&sources).unwrap_or_else(|e| panic!("composition failed: {e:?}"));
    let supergraph_path =
        std::env::temp_dir().join(format!("gateway-bench-{}.graphql", std::process::id()));
    std::fs::write(&supergraph_path, supergraph).expect("write the supergraph");

    let mut routers: Vec<(&str, SocketAddr, u32)> = Vec::new();
    let ours = free_address();
    let child = Command::new(env!("CARGO_BIN_EXE_router"))
        .arg("--supergraph")
        .arg(&supergraph_path)
        .env("ROUTER_LISTEN", ours.to_string())
        // The benchmark's nested query is estimated at about 24,000, over
        // the default limit of 10,000; Hive Router has no cost limit.
        .env("ROUTER_MAX_COST", "0")
        .env("RUST_LOG", "warn")
        .spawn()
        .expect("start our router");
    routers.push(("shopgraph router", ours, child.id()));
    processes.0.push(child);
    if let Some(hive) = hive_router() {
        let address = free_address();
        // Hive Router reads `router.config.yaml` from its working directory:
        // forward `Authorization` to the subgraphs, as our router does.
        let directory =
            std::env::temp_dir().join(format!("gateway-bench-hive-{}", std::process::id()));
        std::fs::create_dir_all(&directory).expect("hive directory");
        std::fs::write(
            directory.join("router.config.yaml"),
            "headers:\n  all:\n    request:\n      - propagate:\n          named: Authorization\n",
        )
        .expect("hive config");
        let child = Command::new(&hive)
            .current_dir(&directory)
            .env("HOST", "127.0.0.1")
            .env("PORT", address.port().to_string())
            .env("SUPERGRAPH_FILE_PATH", &supergraph_path)
            .env("LOG_LEVEL", "error")
            .stdout(Stdio::null())
            .spawn()
            .expect("start hive_router");
        routers.push(("hive router", address, child.id()));
        processes.0.push(child);
    } else {
        println!("(no Hive Router: set HIVE_ROUTER or put hive_router on the PATH to compare)");
    }

    let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().expect("rt");
    let mut reference: Option<Value> = None;
    for (name, address, _) in &routers {
        let body = runtime.block_on(wait_for_answer(&format!("http://{address}/graphql"), HEAVY));
        assert!(body.get("errors").is_none(), "{name}: {body}");
        let size = body.to_string().len();
        println!("{name}: heavy query answered, {size} bytes of JSON");
        match &reference {
            None => reference = Some(body),
            Some(first) => assert_eq!(first, &body, "{name} answers differently"),
        }
    }

    let heavy = json!({ "query": HEAVY }).to_string();
    let light = json!({ "query": ONE_SUBGRAPH }).to_string();
    println!("\n{seconds} s per run, wrk, on {} cores\n", cores());
    println!("| router | load | req/s | p50 | p99 | CPU per request | non-2xx |");
    println!("| --- | --- | --- | --- | --- | --- | --- |");
    let mut results: Vec<(String, &str, Figures)> = Vec::new();
    for (label, body, requests, connections) in LOADS.map(|(label, heavy_query, requests, c)| {
        (label, if heavy_query { &heavy } else { &light }, requests, c)
    }) {
        for (name, address, pid) in &routers {
            let url = format!("http://{address}/graphql");
            let figures = load::run(&url, body, requests, connections, seconds, *pid);
            print_row(name, label, &figures);
            results.push(((*name).to_owned(), label, figures));
        }
    }
    let accounts_pid = processes.0[0].id();
    let direct =
        load::run(&accounts_url, &light, Requests::UniqueCredentials, 50, seconds, accounts_pid);
    print_row("direct to accounts", "one subgraph, 50 connections", &direct);
    for (name, _, pid) in &routers {
        println!("{name}: peak RSS {:.1} MB", load::peak_rss_mb(*pid));
    }
    report_ratios(&results, &direct);
    let _ = std::fs::remove_file(supergraph_path);
}

fn print_row(name: &str, label: &str, f: &Figures) {
    println!(
        "| {name} | {label} | {:.0} | {:.2} ms | {:.2} ms | {:.3} ms | {} |",
        f.requests_per_second,
        f.p50.as_secs_f64() * 1e3,
        f.p99.as_secs_f64() * 1e3,
        f.cpu_per_request.as_secs_f64() * 1e3,
        f.failures
    );
}

fn report_ratios(results: &[(String, &str, Figures)], direct: &Figures) {
    println!();
    let ours =
        |label: &str| results.iter().find(|(n, l, _)| n == "shopgraph router" && *l == label);
    let hive = |label: &str| results.iter().find(|(n, l, _)| n == "hive router" && *l == label);
    if let Some((_, _, light)) = ours("one subgraph, 50 connections") {
        println!(
            "one subgraph through our router / direct: {:.2} of the throughput",
            light.requests_per_second / direct.requests_per_second
        );
    }
    for (label, ..) in LOADS {
        if let (Some((_, _, a)), Some((_, _, b))) = (ours(label), hive(label)) {
            println!(
                "{label}: ours / hive: throughput {:.2}x, p50 {:.2}x, p99 {:.2}x, CPU per request {:.2}x",
                a.requests_per_second / b.requests_per_second,
                a.p50.as_secs_f64() / b.p50.as_secs_f64(),
                a.p99.as_secs_f64() / b.p99.as_secs_f64(),
                a.cpu_per_request.as_secs_f64() / b.cpu_per_request.as_secs_f64(),
            );
        }
    }
}

fn sdl<Q, M, S>(schema: Schema<Q, M, S>) -> String
where
    Q: ObjectType + 'static,
    M: ObjectType + 'static,
    S: SubscriptionType + 'static,
{
    schema.sdl_with_options(SDLExportOptions::new().federation())
}

/// Starts this binary again as subgraph `name`; it prints its port.
fn spawn_subgraph(name: &str) -> (Child, String) {
    let mut child = Command::new(std::env::current_exe().expect("own path"))
        .env(SUBGRAPH_ENV, name)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .expect("start a subgraph");
    let stdout = child.stdout.take().expect("stdout");
    let mut line = String::new();
    BufReader::new(stdout).read_line(&mut line).expect("the subgraph's port");
    let port = line.trim().strip_prefix("port ").unwrap_or_else(|| panic!("{name}: {line}"));
    (child, format!("http://127.0.0.1:{port}/graphql"))
}

/// A child: serves one subgraph until its parent goes away (stdin closes).
fn serve_subgraph(name: &str) {
    let runtime = tokio::runtime::Builder::new_multi_thread().enable_all().build().expect("rt");
    runtime.block_on(async {
        let routes = match name {
            "accounts" => routes(subgraphs::accounts::schema()),
            "inventory" => routes(subgraphs::inventory::schema()),
            "products" => routes(subgraphs::products::schema()),
            "reviews" => routes(subgraphs::reviews::schema()),
            other => panic!("no subgraph {other}"),
        };
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind");
        println!("port {}", listener.local_addr().expect("address").port());
        tokio::spawn(async {
            // Parent gone: stdin reaches end of file.
            let _ = tokio::task::spawn_blocking(|| {
                std::io::copy(&mut std::io::stdin(), &mut std::io::sink())
            })
            .await;
            std::process::exit(0);
        });
        axum::serve(listener, routes).await.expect("serve");
    });
}

fn routes<Q, M, S>(schema: Schema<Q, M, S>) -> axum::Router
where
    Q: ObjectType + 'static,
    M: ObjectType + 'static,
    S: SubscriptionType + 'static,
{
    axum::Router::new()
        .route("/graphql", axum::routing::post_service(async_graphql_axum::GraphQL::new(schema)))
}

fn free_address() -> SocketAddr {
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
    listener.local_addr().expect("address")
}

fn hive_router() -> Option<PathBuf> {
    if let Ok(path) = std::env::var("HIVE_ROUTER") {
        return Some(PathBuf::from(path));
    }
    std::env::var_os("PATH").and_then(|paths| {
        std::env::split_paths(&paths)
            .map(|dir| dir.join("hive_router"))
            .find(|p| Path::new(p).is_file())
    })
}

/// POSTs `query` until the server answers (up to 30 s), and returns the body.
async fn wait_for_answer(url: &str, query: &str) -> Value {
    let client = reqwest::Client::new();
    let started = Instant::now();
    loop {
        let sent = client.post(url).json(&json!({ "query": query })).send().await;
        if let Ok(response) = sent
            && response.status().is_success()
            && let Ok(body) = response.json::<Value>().await
        {
            return body;
        }
        assert!(started.elapsed() < Duration::from_secs(30), "{url} did not answer");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

fn cores() -> usize {
    std::thread::available_parallelism().map_or(1, |n| n.get())
}
