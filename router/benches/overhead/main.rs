//! Router overhead and throughput on loopback, release build:
//!
//!     cargo bench -p router --bench overhead
//!
//! Starts the four fixture subgraphs from the federation tests and the
//! router in this process, then measures
//! 1. one single-subgraph query sent directly to the subgraph and through
//!    the router, side by side: the difference is the router's overhead;
//! 2. a query across all four subgraphs through the router;
//! 3. throughput of (2) with `BENCH_CONCURRENCY` clients for `BENCH_SECONDS`;
//! 4. the single-subgraph query through two more routers, alternately: one
//!    with the edge features off (no compression, CSRF, cost or shape
//!    limits, no JWT), one with them all on (CORS for the request's
//!    `Origin`, gzip for its `Accept-Encoding`, a JWT verified against a
//!    local JWKS, CSRF, shape limits and cost), and the alias bomb refused;
//! 5. the single-subgraph query through a router that signs its subgraph
//!    requests to a subgraph that verifies them, against one that does
//!    neither, alternately (`signing.rs`);
//! 6. (1)'s overhead with traces exported over OTLP at sampler ratios 0.01
//!    and 1.0 against logging alone, each in a child process
//!    (`trace_export.rs`).
//!
//! Everything shares the machine's cores, so absolute numbers are
//! pessimistic; ratios from one run are what to compare.

#[path = "../../tests/federation/fixtures.rs"]
#[allow(dead_code)]
mod fixtures;
#[path = "../../tests/federation/helpers.rs"]
#[allow(dead_code)]
mod helpers;
mod signing;
mod trace_export;

use std::time::{Duration, Instant};

use axum::{Json, Router, routing::get};
use jsonwebtoken::{Algorithm, EncodingKey, Header};
use router::RouterConfig;
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

/// Latencies of `n` requests with `headers`, reading the body as bytes
/// (it may be compressed); each must be 200 with `expect_encoding`.
async fn latencies_with(
    client: &reqwest::Client,
    url: &str,
    body: &Value,
    headers: &[(&str, String)],
    n: u64,
    expect_encoding: Option<&str>,
) -> Vec<Duration> {
    let mut samples = Vec::with_capacity(n as usize);
    for _ in 0..n {
        let started = Instant::now();
        let mut request = client.post(url).json(body);
        for (name, value) in headers {
            request = request.header(*name, value);
        }
        let response = request.send().await.expect("send");
        assert_eq!(response.status().as_u16(), 200);
        let encoding =
            response.headers().get("content-encoding").map(|v| v.to_str().unwrap_or("").to_owned());
        assert_eq!(encoding.as_deref(), expect_encoding);
        response.bytes().await.expect("body");
        samples.push(started.elapsed());
    }
    samples.sort();
    samples
}

const SIGNER: &str = include_str!("../../tests/federation/keys/signer.pem");
const SIGNER_N: &str = include_str!("../../tests/federation/keys/signer.n");

/// A JWKS endpoint on port 0 with the test signer's key.
async fn jwks_url() -> String {
    let app = Router::new().route(
        "/jwks.json",
        get(|| async {
            Json(json!({ "keys": [{ "kty": "RSA", "kid": "k1", "alg": "RS256", "n": SIGNER_N.trim(), "e": "AQAB" }] }))
        }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let address = listener.local_addr().expect("address");
    tokio::spawn(async move { axum::serve(listener, app).await.ok() });
    format!("http://{address}/jwks.json")
}

fn bearer_token() -> String {
    let exp = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .expect("clock")
        .as_secs()
        + 3600;
    let mut header = Header::new(Algorithm::RS256);
    header.kid = Some("k1".into());
    let key = EncodingKey::from_rsa_pem(SIGNER.as_bytes()).expect("key");
    jsonwebtoken::encode(&header, &json!({ "sub": "bench", "exp": exp }), &key).expect("token")
}

/// One router of a side-by-side comparison.
struct Side<'a> {
    label: &'static str,
    url: String,
    headers: &'a [(&'a str, String)],
}

/// The single-subgraph query's overhead through two routers: warmed up,
/// then alternated with direct requests in ten rounds, so drift on a
/// shared machine hits all three alike. Prints each and the ratio of the
/// second's overhead to the first's at p50 and p99.
async fn side_by_side(
    client: &reqwest::Client,
    run: &str,
    direct_url: &str,
    sides: [Side<'_>; 2],
    requests: u64,
) {
    let body = json!({ "query": SINGLE });
    for side in &sides {
        latencies_with(client, &side.url, &body, side.headers, 200, None).await;
    }
    let (mut direct, mut samples) = (Vec::new(), [Vec::new(), Vec::new()]);
    for _ in 0..10 {
        let n = requests / 10;
        direct.extend(latencies(client, direct_url, SINGLE, n).await);
        for (side, samples) in sides.iter().zip(&mut samples) {
            samples.extend(latencies_with(client, &side.url, &body, side.headers, n, None).await);
        }
    }
    direct.sort();
    samples.iter_mut().for_each(|s| s.sort());
    let overhead = |samples: &[Duration], p: f64| {
        micros(percentile(samples, p)) - micros(percentile(&direct, p))
    };
    println!();
    line(&format!("direct ({run} run)"), &direct);
    for (side, samples) in sides.iter().zip(&samples) {
        line(side.label, samples);
    }
    for p in [0.5, 0.99] {
        let (first, second) = (overhead(&samples[0], p), overhead(&samples[1], p));
        println!(
            "overhead p{:<2} {first:>6.0} us, then {second:>6.0} us: ratio {:.3} ({:+.1}%)",
            (p * 100.0) as u32,
            second / first,
            (second - first) / first * 100.0
        );
    }
}

fn line(label: &str, samples: &[Duration]) {
    println!(
        "{label:<30}: p50 {:>8.0} us  p99 {:>8.0} us",
        micros(percentile(samples, 0.5)),
        micros(percentile(samples, 0.99))
    );
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
    let _telemetry = trace_export::child_telemetry();
    let requests = env("BENCH_REQUESTS", 2000);
    let concurrency = env("BENCH_CONCURRENCY", 32);
    let seconds = env("BENCH_SECONDS", 5);
    let federation = helpers::Federation::start().await;
    let client = reqwest::Client::builder().pool_max_idle_per_host(256).build().expect("client");
    // `BENCH_EDGE=off` runs (1)-(3) through a router with the edge features
    // off, to compare the executor with builds from before they existed.
    let plain_router = match std::env::var("BENCH_EDGE").as_deref() {
        Ok("off") => Some(helpers::start_router(&federation.supergraph, edge_off()).await),
        _ => None,
    };
    let router_url = plain_router.as_ref().unwrap_or(&federation.router).url("/graphql");
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

    // `BENCH_SECTIONS=` (empty) measures (1)-(3) only, e.g. for a profile
    // comparable with an older build's.
    let sections =
        std::env::var("BENCH_SECTIONS").unwrap_or_else(|_| "edge,signing,tracing".into());
    if sections.split(',').any(|s| s == "edge") {
        edge(&federation, &client, &products_url, requests).await;
    }
    if sections.split(',').any(|s| s == "signing") {
        signing::compare(&federation, &client, &products_url, requests).await;
    }
    if sections.split(',').any(|s| s == "tracing") {
        trace_export::compare(requests).await;
    }
}

/// No compression, CSRF, cost or shape limits, and no JWT.
fn edge_off() -> RouterConfig {
    RouterConfig {
        compression: false,
        csrf: router::config::CsrfConfig { enabled: false, ..Default::default() },
        limits: router::config::LimitsConfig::unlimited(),
        ..RouterConfig::default()
    }
}

/// Overhead with the edge features off and on, side by side.
async fn edge(
    federation: &helpers::Federation,
    client: &reqwest::Client,
    products_url: &str,
    requests: u64,
) {
    let off = edge_off();
    let mut on = RouterConfig::default();
    on.auth.jwks_urls = vec![jwks_url().await];
    let router_off = helpers::start_router(&federation.supergraph, off).await;
    let router_on = helpers::start_router(&federation.supergraph, on).await;
    let url_on = router_on.url("/graphql");
    // Both get the same browser request, so what differs is the router's
    // work on it (the token is forwarded to the subgraph either way). The
    // answer is under the 1 KiB compression threshold: it goes as it is.
    let browser = vec![
        ("origin", "http://localhost:5173".to_owned()),
        ("accept-encoding", "gzip".to_owned()),
        ("authorization", format!("Bearer {}", bearer_token())),
    ];
    let off = Side {
        label: "router, edge features off",
        url: router_off.url("/graphql"),
        headers: &browser,
    };
    let on = Side { label: "router, edge features on", url: url_on.clone(), headers: &browser };
    side_by_side(client, "edge", products_url, [off, on], requests).await;

    let aliases: String = (0..200)
        .map(|i| format!("a{i}: topProducts(first: 100) {{ reviews {{ author {{ name }} }} }} "))
        .collect();
    let bomb = json!({ "query": format!("{{ {aliases} }}") });
    let mut refused = Vec::new();
    for _ in 0..200 {
        let started = Instant::now();
        let response: Value = client
            .post(&url_on)
            .json(&bomb)
            .send()
            .await
            .expect("send")
            .json()
            .await
            .expect("json");
        refused.push(started.elapsed());
        assert_eq!(
            response["errors"][0]["extensions"]["code"], "MAX_ALIASES_EXCEEDED",
            "{response}"
        );
    }
    refused.sort();
    line("alias bomb refused (200 runs)", &refused);
}
