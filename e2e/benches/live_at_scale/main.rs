//! Live tracking at scale: many subscribers on one router, measured from
//! outside its process.
//!
//!     cargo build --release -p router && cargo bench -p e2e --bench live_at_scale
//!
//! Three processes, so that each one's memory and CPU are its own:
//! - this one runs every subgraph (the whole platform, as the end-to-end
//!   tests start it) and drives the events;
//! - the router: the release `router` binary serving the platform's
//!   supergraph, signing for the subgraphs and verifying users' tokens;
//! - the load client: this binary again (`BENCH_ROLE=client`), holding every
//!   subscriber's connection.
//!
//! For each crowd size in `BENCH_CROWDS` (default 1000,5000,20000) it places
//! `BENCH_ORDERS` (20) orders and lets them reach DELIVERED, opens the
//! subscribers spread evenly over them (every `BENCH_SSE_EVERY`th, 10, over
//! SSE, the rest over graphql-transport-ws), waits until each has the
//! order's history, then runs `BENCH_ROUNDS` (5) rounds: one new status row
//! and `order.status_changed` event per order, published together; a round
//! ends when every subscriber has its message. Reported per crowd: router
//! RSS idle (before, and per subscriber), during the fan-out and after
//! everyone has left (also its heap: anonymous memory, without the
//! binary's pages, which stay resident once its code has run); the
//! subgraphs' process RSS; event → subscriber latency p50/p99/max (from
//! the publish call, same machine clock); CPU per delivered event of the
//! router, the load client and the subgraphs (all three share the
//! machine's cores, so the latency is bounded by their sum).
//!
//! Every subscriber here uses the same customer's token, so subscribers of
//! one order are identical subscriptions: the router shares one upstream
//! operation between them. `ROUTER_DEDUPE_SUBSCRIPTIONS=false` (passed on
//! to the router) measures every subscriber with an operation of its own.
//!
//! File descriptors: every client connection costs the router one socket
//! (upstream connections are shared); the hard limit here is 20,000 per
//! process, and the router needs 14 of its own, so at most
//! `BENCH_MAX_CONNECTIONS` (19,980) connections are opened: past that,
//! subscribers share a WebSocket connection two by two (20,000 subscribers
//! are 19,980 connections, 20 of them following two orders).

use std::{
    io::{BufRead, BufReader, Write},
    process::{Child, ChildStdin, Command, Stdio},
    time::{Duration, Instant, SystemTime, UNIX_EPOCH},
};

mod load_client;

use serde_json::json;

const QUERY: &str =
    "subscription($id: ID!) { orderStatusChanged(orderId: $id) { status at order { number } } }";

fn main() -> anyhow::Result<()> {
    let runtime = tokio::runtime::Builder::new_multi_thread().enable_all().build()?;
    if std::env::var("BENCH_ROLE").as_deref() == Ok("client") {
        return runtime.block_on(load_client::run(QUERY));
    }
    runtime.block_on(drive())
}

async fn drive() -> anyhow::Result<()> {
    let crowds: Vec<usize> = std::env::var("BENCH_CROWDS")
        .unwrap_or_else(|_| "1000,5000,20000".into())
        .split(',')
        .filter_map(|n| n.trim().parse().ok())
        .collect();
    let order_count: usize = e2e::setting("BENCH_ORDERS", 20);
    let rounds: usize = e2e::setting("BENCH_ROUNDS", 5);
    // `BENCH_ROUTER` compares builds, e.g. one with `--features system-allocator`
    // or `--features jemalloc`.
    let router_binary = std::env::var("BENCH_ROUTER").unwrap_or_else(|_| {
        concat!(env!("CARGO_MANIFEST_DIR"), "/../target/release/router").to_owned()
    });
    anyhow::ensure!(
        std::path::Path::new(&router_binary).exists(),
        "build the router first: cargo build --release -p router"
    );

    let database = e2e::BenchDatabase::create(60).await?;
    let platform = e2e::platform::Platform::start(database.pool.clone()).await;
    let router = RouterProcess::start(&router_binary, &platform)?;
    router.wait_until_healthy().await?;
    let token = platform.customer("bench-scale@example.com").await;
    let mut publisher = kit::events::Publisher::new(platform.broker());
    let baseline = (rss_kb(router.pid())?, rss_kb(std::process::id())?);
    println!(
        "idle with no subscribers: router {} MB, subgraphs {} MB",
        baseline.0 / 1024,
        baseline.1 / 1024
    );
    println!(
        "| subscribers | router RSS idle | per subscriber | during fan-out | after all left | subgraphs RSS idle | event → subscriber p50 / p99 / max | CPU per delivered event: router / load client / subgraphs |"
    );
    println!("|---|---|---|---|---|---|---|---|");

    for (tier, &crowd) in crowds.iter().enumerate() {
        let units = units_in_stock(&platform, order_count).await;
        let mut orders = Vec::with_capacity(order_count);
        for (i, product) in units.iter().enumerate() {
            platform.add_to_cart(&token, product, 1).await;
            let placed = platform.checkout(&token, "tok_visa", &format!("scale-{tier}-{i}")).await;
            orders.push(placed["data"]["checkout"]["id"].as_str().expect("order").to_owned());
            // Checkout empties the cart by event: wait for it, or the next
            // order would carry this one's product again.
            for _ in 0..200 {
                let cart =
                    platform.graphql("{ cart { itemCount } }", json!({}), Some(&token)).await;
                if cart["data"]["cart"]["itemCount"] == 0 {
                    break;
                }
                tokio::time::sleep(Duration::from_millis(25)).await;
            }
        }
        for order in &orders {
            platform.wait_for_status(&token, order, "DELIVERED").await;
        }
        // The last history row lands with the DELIVERED event; let the
        // carrier's final writes settle before subscribing.
        tokio::time::sleep(Duration::from_millis(500)).await;

        let before = rss_kb(router.pid())?;
        let heap_before = heap_kb(router.pid())?;
        let mut client = LoadClient::start(&router.url, &token, &orders, crowd)?;
        client.wait_for("ready")?;
        let idle = rss_kb(router.pid())?;
        let subgraphs_idle = rss_kb(std::process::id())?;

        let processes = [router.pid(), client.pid(), std::process::id()];
        let cpu_before = processes.map(cpu_ticks);
        let mut peak = idle;
        let mut latencies = Vec::with_capacity(crowd * rounds);
        for _ in 0..rounds {
            for order in &orders {
                platform.record_status_row(order, "bench").await;
            }
            let events: Vec<_> = orders.iter().map(|o| e2e::platform::status_event(o)).collect();
            client.send(&format!("round {}", unix_nanos()))?;
            publisher.publish(&events).await?;
            let report = client.wait_for("round")?;
            peak = peak.max(rss_kb(router.pid())?);
            latencies.extend(
                report
                    .split_whitespace()
                    .skip(1)
                    .filter_map(|n| n.parse::<u64>().ok())
                    .map(Duration::from_micros),
            );
        }
        let cpu: Vec<u64> = processes
            .iter()
            .zip(cpu_before)
            .map(|(&pid, before)| Ok(cpu_ticks(pid)? - before?))
            .collect::<anyhow::Result<_>>()?;
        client.send("leave")?;
        client.wait_for("left")?;
        client.finish()?;
        // Give the router a moment to notice every close and drop its
        // upstream connections.
        tokio::time::sleep(Duration::from_secs(3)).await;
        let after = rss_kb(router.pid())?;
        let left_open = router.still_open().await?;
        // An allocator that gives memory back does it over a few seconds
        // (jemalloc's dirty pages decay over 10 s).
        tokio::time::sleep(Duration::from_secs(12)).await;
        let settled = rss_kb(router.pid())?;
        let heap_settled = heap_kb(router.pid())?;

        latencies.sort();
        let ms = |q: f64| {
            latencies[((latencies.len() as f64 - 1.0) * q).round() as usize].as_secs_f64() * 1e3
        };
        let deliveries = latencies.len() as f64;
        let ticks_per_second = 100.0; // USER_HZ on Linux
        let micros = |ticks: u64| ticks as f64 / ticks_per_second / deliveries * 1e6;
        println!(
            "| {crowd} | {} MB | {:.1} KB | {} MB | {} MB, {} MB after 15 s (idle before: {} MB); heap {} MB after 15 s (idle before: {} MB); {left_open} | {} MB | {:.1} / {:.1} / {:.1} ms | {:.1} / {:.1} / {:.1} µs |",
            idle / 1024,
            (idle as f64 - before as f64) / crowd as f64,
            peak / 1024,
            after / 1024,
            settled / 1024,
            before / 1024,
            heap_settled / 1024,
            heap_before / 1024,
            subgraphs_idle / 1024,
            ms(0.5),
            ms(0.99),
            ms(1.0),
            micros(cpu[0]),
            micros(cpu[1]),
            micros(cpu[2]),
        );
    }
    router.stop();
    platform.stop().await;
    database.drop_database().await
}

/// `n` products to order, one unit each, spread over the products in
/// stock and never more of one than it has available now (the seed has
/// products with a single unit, and earlier crowds' orders took theirs).
async fn units_in_stock(platform: &e2e::platform::Platform, n: usize) -> Vec<String> {
    let query = "query($s: String) { products(first: 50, filter: { search: $s }) { edges { node { id availableQuantity } } } }";
    let mut stock: Vec<(String, u64)> = Vec::new();
    for search in ["chair", "lamp", "table", "desk"] {
        let found = platform.graphql(query, json!({ "s": search }), None).await;
        for edge in found["data"]["products"]["edges"].as_array().into_iter().flatten() {
            let id = edge["node"]["id"].as_str().expect("id").to_owned();
            let available = edge["node"]["availableQuantity"].as_u64().unwrap_or(0);
            if available > 0 && !stock.iter().any(|(known, _)| *known == id) {
                stock.push((id, available));
            }
        }
    }
    let mut picked = Vec::with_capacity(n);
    while picked.len() < n {
        let before = picked.len();
        for (id, left) in stock.iter_mut().filter(|(_, left)| *left > 0) {
            if picked.len() < n {
                *left -= 1;
                picked.push(id.clone());
            }
        }
        assert!(picked.len() > before, "only {} units in stock for {n} orders", picked.len());
    }
    picked
}

/// The release router in its own process, on a free port.
struct RouterProcess {
    child: Child,
    url: String,
    _supergraph: std::path::PathBuf,
}

impl RouterProcess {
    fn start(binary: &str, platform: &e2e::platform::Platform) -> anyhow::Result<Self> {
        let supergraph =
            std::env::temp_dir().join(format!("live-at-scale-{}.graphql", std::process::id()));
        std::fs::write(&supergraph, &platform.supergraph)?;
        let port = std::net::TcpListener::bind("127.0.0.1:0")?.local_addr()?.port();
        let child = Command::new(binary)
            .arg("--supergraph")
            .arg(&supergraph)
            .env("ROUTER_LISTEN", format!("127.0.0.1:{port}"))
            .env("ROUTER_SUBGRAPH_SIGNING_KEY", kit::http::signing::process_key())
            .env("ROUTER_JWKS_URLS", platform.url("users", "/.well-known/jwks.json"))
            .env("ROUTER_JWT_ISSUERS", kit::auth::ISSUER)
            .env("RUST_LOG", "warn")
            .stdout(Stdio::null())
            .spawn()?;
        Ok(Self { child, url: format!("http://127.0.0.1:{port}/graphql"), _supergraph: supergraph })
    }

    /// What the router still holds open by its own metrics: WebSocket
    /// connections, subscriptions, upstream connections and operations.
    async fn still_open(&self) -> anyhow::Result<String> {
        let metrics = reqwest::get(self.url.replace("/graphql", "/metrics")).await?.text().await?;
        let scraped = server::metrics::Scraped::parse(metrics);
        let gauge = |name: &str| scraped.value(name, &[]);
        Ok(format!(
            "open: {} ws, {} subscriptions, {} upstream connections, {} upstream operations",
            gauge("router_websocket_connections"),
            gauge("router_active_subscriptions"),
            gauge("router_subscription_upstream_connections"),
            gauge("router_subscription_upstream_operations"),
        ))
    }

    fn pid(&self) -> u32 {
        self.child.id()
    }

    async fn wait_until_healthy(&self) -> anyhow::Result<()> {
        let health = self.url.replace("/graphql", "/health");
        for _ in 0..200 {
            if reqwest::get(&health).await.is_ok_and(|r| r.status().is_success()) {
                return Ok(());
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        anyhow::bail!("the router did not start")
    }

    fn stop(mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        let _ = std::fs::remove_file(&self._supergraph);
    }
}

/// This binary as the load client, talked to line by line.
struct LoadClient {
    child: Child,
    input: ChildStdin,
    output: BufReader<std::process::ChildStdout>,
}

impl LoadClient {
    fn start(url: &str, token: &str, orders: &[String], crowd: usize) -> anyhow::Result<Self> {
        let mut child = Command::new(std::env::current_exe()?)
            .env("BENCH_ROLE", "client")
            .env("ROUTER_URL", url)
            .env("TOKEN", token)
            .env("ORDERS", orders.join(","))
            .env("CROWD", crowd.to_string())
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .spawn()?;
        let input = child.stdin.take().expect("stdin");
        let output = BufReader::new(child.stdout.take().expect("stdout"));
        Ok(Self { child, input, output })
    }

    fn pid(&self) -> u32 {
        self.child.id()
    }

    fn send(&mut self, line: &str) -> anyhow::Result<()> {
        writeln!(self.input, "{line}")?;
        Ok(self.input.flush()?)
    }

    /// The client's next line starting with `word` (blocking: the client
    /// answers within its own timeouts).
    fn wait_for(&mut self, word: &str) -> anyhow::Result<String> {
        let started = Instant::now();
        loop {
            let mut line = String::new();
            anyhow::ensure!(self.output.read_line(&mut line)? > 0, "the load client stopped");
            if line.starts_with(word) {
                return Ok(line.trim_end().to_owned());
            }
            if line.starts_with("error") {
                anyhow::bail!("load client: {line}");
            }
            anyhow::ensure!(started.elapsed() < Duration::from_secs(600), "no {word} in 10 min");
        }
    }

    fn finish(mut self) -> anyhow::Result<()> {
        drop(self.input);
        self.child.wait()?;
        Ok(())
    }
}

fn unix_nanos() -> u128 {
    SystemTime::now().duration_since(UNIX_EPOCH).expect("clock").as_nanos()
}

/// Resident memory of a process, in KB.
fn rss_kb(pid: u32) -> anyhow::Result<u64> {
    status_kb(pid, "VmRSS:")
}

/// Resident anonymous memory of a process (its heap and stacks, without
/// the pages of its binary and libraries, which stay resident once the code
/// has run), in KB.
fn heap_kb(pid: u32) -> anyhow::Result<u64> {
    status_kb(pid, "RssAnon:")
}

fn status_kb(pid: u32, field: &str) -> anyhow::Result<u64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status"))?;
    status
        .lines()
        .find_map(|l| l.strip_prefix(field))
        .and_then(|v| v.split_whitespace().next()?.parse().ok())
        .ok_or_else(|| anyhow::anyhow!("no {field} for {pid}"))
}

/// User plus system CPU time of a process, in clock ticks.
fn cpu_ticks(pid: u32) -> anyhow::Result<u64> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat"))?;
    // Fields after the command name, which is in parentheses.
    let fields: Vec<&str> =
        stat.rsplit_once(')').map(|(_, r)| r).unwrap_or("").split(' ').collect();
    let number = |i: usize| fields.get(i).and_then(|f| f.parse::<u64>().ok()).unwrap_or(0);
    // utime and stime are fields 14 and 15; index 1 here is field 3.
    Ok(number(12) + number(13))
}
