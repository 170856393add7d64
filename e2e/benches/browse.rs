//! The storefront's browsing query through the router, against the real
//! users, catalog and inventory subgraphs with their demo data:
//!
//!     cargo bench -p e2e --bench browse
//!
//! Needs PostgreSQL, Redis and MongoDB (or SecantusDB) on localhost, as the
//! tests do; uses throw-away databases. Reports latency and throughput for
//! `BENCH_SECONDS` (5) at 1, 8 and 32 concurrent clients.

use std::time::{Duration, Instant};

use serde_json::{Value, json};
use tokio::net::TcpListener;

const QUERY: &str = "{ products(first: 5, filter: { search: \"chair\" }) { edges { node {
    name price { formatted } inStock availableQuantity
    reviews(first: 2) { edges { node { rating author { name } } } } } } } }";

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let seconds: u64 = e2e::setting("BENCH_SECONDS", 5);
    let bench_database = e2e::BenchDatabase::create(20).await?;
    let (pool, unique) = (bench_database.pool.clone(), bench_database.unique.clone());
    kit::db::migrate(&pool, &inventory::MIGRATOR).await?;
    users::seed_pool(&pool, "shopgraph-admin").await?;
    inventory::seed::seed(&pool).await?;
    let keys = users::keys::SigningKeys::generate()?;

    let users_app =
        users::build_with_pool(&users::UsersConfig::from_env()?, pool.clone(), keys.clone());
    let mut inventory_config = inventory::InventoryConfig::from_env()?;
    inventory_config.redis.key_prefix = format!("bench:{unique}:");
    let inventory_app =
        inventory::build_with_pool(&inventory_config, pool.clone(), keys.verifier());
    let mut catalog_config = catalog::CatalogConfig::from_env()?;
    catalog_config.mongo.database = format!("bench_{unique}");
    catalog_config.redis.key_prefix = format!("bench:{unique}:");
    let database = kit::mongo::connect(&catalog_config.mongo).await?;
    catalog::seed::seed(&catalog::catalog(&catalog_config, &database).await?).await?;
    let catalog_app =
        catalog::build_with(&catalog_config, database.clone(), keys.verifier()).await?;

    let users_server = users_app.spawn(TcpListener::bind("127.0.0.1:0").await?);
    let inventory_server = inventory_app.spawn(TcpListener::bind("127.0.0.1:0").await?);
    let catalog_server = catalog_app.spawn(TcpListener::bind("127.0.0.1:0").await?);
    let source = |name: &str, url: String, sdl: String| router::compose::SubgraphSource {
        name: name.into(),
        routing_url: url,
        sdl,
    };
    let supergraph = router::compose::compose(&[
        source("users", users_server.url("/graphql"), users::schema_sdl()),
        source("catalog", catalog_server.url("/graphql"), catalog::schema_sdl()),
        source("inventory", inventory_server.url("/graphql"), inventory::schema_sdl()),
    ])
    .map_err(|e| anyhow::anyhow!("{e:?}"))?;
    let router = e2e::start_router(&supergraph, router::RouterConfig::default()).await;
    let url = router.url("/graphql");
    let client = reqwest::Client::builder().pool_max_idle_per_host(256).build()?;

    // Warm caches and connections; check the answer once.
    for _ in 0..50 {
        let body: Value =
            client.post(&url).json(&json!({ "query": QUERY })).send().await?.json().await?;
        anyhow::ensure!(
            body.get("errors").is_none()
                && body["data"]["products"]["edges"].as_array().is_some_and(|e| e.len() == 5),
            "{body}"
        );
    }

    println!("browse query through the router, {seconds}s per level");
    for clients in [1usize, 8, 32] {
        let deadline = Instant::now() + Duration::from_secs(seconds);
        let mut workers = Vec::new();
        for _ in 0..clients {
            let client = client.clone();
            let url = url.clone();
            workers.push(tokio::spawn(async move {
                let body = json!({ "query": QUERY });
                let mut samples = Vec::new();
                while Instant::now() < deadline {
                    let started = Instant::now();
                    let response = client.post(&url).json(&body).send().await.expect("send");
                    response.bytes().await.expect("body");
                    samples.push(started.elapsed());
                }
                samples
            }));
        }
        let mut samples = Vec::new();
        for worker in workers {
            samples.extend(worker.await?);
        }
        samples.sort();
        let p = |q: f64| {
            samples[((samples.len() as f64 - 1.0) * q).round() as usize].as_secs_f64() * 1e3
        };
        println!(
            "{clients:>3} clients: {:>7.0} req/s  p50 {:>6.2} ms  p99 {:>6.2} ms",
            samples.len() as f64 / seconds as f64,
            p(0.5),
            p(0.99)
        );
    }

    router.stop().await;
    for server in [users_server, inventory_server, catalog_server] {
        server.stop().await;
    }
    pool.close().await;
    database.drop().await.ok();
    bench_database.drop_database().await
}
