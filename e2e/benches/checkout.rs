//! Checkouts end to end on loopback with the sandbox provider:
//!
//!     cargo bench -p e2e --bench checkout
//!
//! Starts every subgraph and the router in this process (as the end-to-end
//! tests do; needs PostgreSQL, Redis, RabbitMQ and MongoDB or SecantusDB),
//! then measures (1) the latency from `checkout` returning to the order
//! reading PAID, over `BENCH_ORDERS` (30) orders placed one at a time, and
//! (2) checkouts per second end to end: `BENCH_ORDERS` × 4 orders placed by
//! 8 concurrent customers, timed until every one is PAID.

use std::time::{Duration, Instant};

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let orders: usize = e2e::setting("BENCH_ORDERS", 30);
    let database = e2e::BenchDatabase::create(30).await?;
    let pool = database.pool.clone();
    let platform = e2e::platform::Platform::start(pool.clone()).await;
    let product = platform.products("chair", 1).await.remove(0);
    sqlx::query("UPDATE stock_levels SET on_hand = 100000, reserved = 0").execute(&pool).await?;

    let place = |token: String, key: String| {
        let platform = &platform;
        let product = product.clone();
        async move {
            platform.add_to_cart(&token, &product, 1).await;
            let placed = platform.checkout(&token, "tok_visa", &key).await;
            placed["data"]["checkout"]["id"].as_str().expect("order id").to_owned()
        }
    };

    // (1) Latency from checkout to PAID, one order at a time.
    let token = platform.customer("bench-latency@example.com").await;
    let mut latencies = Vec::new();
    for i in 0..orders {
        let order = place(token.clone(), format!("latency-{i}")).await;
        let started = Instant::now();
        loop {
            let status: String =
                sqlx::query_scalar("SELECT status FROM orders WHERE id = $1::uuid")
                    .bind(&order)
                    .fetch_one(&pool)
                    .await?;
            if status == "PAID" {
                break;
            }
            anyhow::ensure!(
                started.elapsed() < Duration::from_secs(30),
                "order {order} stuck in {status}"
            );
            tokio::time::sleep(Duration::from_millis(2)).await;
        }
        latencies.push(started.elapsed());
    }
    latencies.sort();
    let ms = |q: f64| {
        latencies[((latencies.len() as f64 - 1.0) * q).round() as usize].as_secs_f64() * 1e3
    };
    println!(
        "checkout -> PAID over {orders} orders: p50 {:.1} ms  p99 {:.1} ms",
        ms(0.5),
        ms(0.99)
    );

    // (2) Throughput: 8 customers placing orders concurrently.
    let mut tokens = Vec::new();
    for i in 0..8 {
        tokens.push(platform.customer(&format!("bench-{i}@example.com")).await);
    }
    let total = orders * 4;
    let started = Instant::now();
    let mut placed = Vec::new();
    for round in 0..total / 8 {
        let batch = tokens
            .iter()
            .enumerate()
            .map(|(i, t)| place(t.clone(), format!("throughput-{round}-{i}")));
        placed.extend(futures::future::join_all(batch).await);
    }
    let placing = started.elapsed();
    loop {
        let paid: i64 = sqlx::query_scalar("SELECT count(*) FROM orders WHERE status = 'PAID' AND idempotency_key LIKE 'throughput-%'").fetch_one(&pool).await?;
        if paid as usize >= placed.len() {
            break;
        }
        anyhow::ensure!(
            started.elapsed() < Duration::from_secs(120),
            "only {paid} of {} paid",
            placed.len()
        );
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    let elapsed = started.elapsed();
    println!(
        "{} checkouts by 8 customers: placed in {:.2} s, all PAID after {:.2} s: {:.1} checkouts/s end to end",
        placed.len(),
        placing.as_secs_f64(),
        elapsed.as_secs_f64(),
        placed.len() as f64 / elapsed.as_secs_f64()
    );

    drop(platform);
    database.drop_database().await
}
