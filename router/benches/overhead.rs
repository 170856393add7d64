//! Router overhead and throughput on loopback, release build:
//!
//!     cargo bench -p router --bench overhead
//!
//! Starts the four fixture subgraphs from the federation tests and the
//! router in this process, then measures
//! 1. one single-subgraph query sent directly to the subgraph and through
//!    the router, side by side: the difference is the router's overhead;
//! 2. a query across all four subgraphs through the router;
//! 3. throughput of (2) with `BENCH_CONCURRENCY` clients for `BENCH_SECONDS`.
//!
//! Everything shares the machine's cores, so absolute numbers are
//! pessimistic; ratios from one run are what to compare.

#[path = "../tests/federation/fixtures.rs"]
#[allow(dead_code)]
mod fixtures;
#[path = "../tests/federation/helpers.rs"]
#[allow(dead_code)]
mod helpers;

use std::time::{Duration, Instant};

use serde_json::{Value, json};

const SINGLE: &str = "{ topProducts { upc name price } }";
const CROSS: &str =
    "{ topProducts { name price inStock shippingEstimate reviews { body author { name } } } }";

fn env(name: &str, default: u64) -> u64 {
    std::env::var(name).ok().and_then(|v| v.parse().ok()).unwrap_or(default)
}

async fn latencies(client: &reqwest::Client, url: &str, query: &str, n: u64) -> Vec<Duration> {
    let body = json!({ "query": query });
    let mut samples = Vec::with_capacity(n as usize);
    for _ in 0..n {
        let started = Instant::now();
        let response: Value =
            client.post(url).json(&body).send().await.expect("send").json().await.expect("json");
        samples.push(started.elapsed());
        assert!(response.get("errors").is_none(), "{response}");
    }
    samples.sort();
    samples
}

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    let index = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[index]
}

fn micros(d: Duration) -> f64 {
    d.as_secs_f64() * 1e6
}

#[tokio::main]
async fn main() {
    let requests = env("BENCH_REQUESTS", 2000);
    let concurrency = env("BENCH_CONCURRENCY", 32);
    let seconds = env("BENCH_SECONDS", 5);
    let federation = helpers::Federation::start().await;
    let client = reqwest::Client::builder().pool_max_idle_per_host(256).build().expect("client");
    let router_url = federation.router.url("/graphql");
    let products_url = federation.subgraph("products").url.clone();

    // Warm up connections, plan caches and allocators.
    latencies(&client, &router_url, CROSS, 200).await;
    latencies(&client, &router_url, SINGLE, 200).await;
    latencies(&client, &products_url, SINGLE, 200).await;

    let direct = latencies(&client, &products_url, SINGLE, requests).await;
    let routed = latencies(&client, &router_url, SINGLE, requests).await;
    let cross = latencies(&client, &router_url, CROSS, requests).await;

    println!("requests per measurement: {requests}");
    println!(
        "single-subgraph query, direct : p50 {:>8.0} us  p99 {:>8.0} us",
        micros(percentile(&direct, 0.5)),
        micros(percentile(&direct, 0.99))
    );
    println!(
        "single-subgraph query, router : p50 {:>8.0} us  p99 {:>8.0} us",
        micros(percentile(&routed, 0.5)),
        micros(percentile(&routed, 0.99))
    );
    println!(
        "router overhead               : p50 {:>8.0} us  p99 {:>8.0} us",
        micros(percentile(&routed, 0.5)) - micros(percentile(&direct, 0.5)),
        micros(percentile(&routed, 0.99)) - micros(percentile(&direct, 0.99)),
    );
    println!(
        "4-subgraph query, router      : p50 {:>8.0} us  p99 {:>8.0} us",
        micros(percentile(&cross, 0.5)),
        micros(percentile(&cross, 0.99))
    );

    let deadline = Instant::now() + Duration::from_secs(seconds);
    let mut workers = Vec::new();
    for _ in 0..concurrency {
        let client = client.clone();
        let url = router_url.clone();
        workers.push(tokio::spawn(async move {
            let body = json!({ "query": CROSS });
            let mut done = 0u64;
            while Instant::now() < deadline {
                let response = client.post(&url).json(&body).send().await.expect("send");
                assert!(response.status().is_success());
                response.bytes().await.expect("body");
                done += 1;
            }
            done
        }));
    }
    let mut total = 0;
    for worker in workers {
        total += worker.await.expect("worker");
    }
    println!(
        "4-subgraph query throughput   : {:.0} req/s with {concurrency} clients over {seconds}s",
        total as f64 / seconds as f64
    );
}
