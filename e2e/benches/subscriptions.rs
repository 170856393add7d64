//! Subscription latency through the router, from an event being published
//! to RabbitMQ to a WebSocket client receiving the resulting message:
//!
//!     cargo bench -p e2e --bench subscriptions
//!
//! Starts the whole platform in this process (as the end-to-end tests do),
//! delivers one order, then opens `1` and then `BENCH_SUBSCRIBERS` (500)
//! router subscriptions to its `orderStatusChanged`. Each round records a
//! new status row and publishes its `order.status_changed` event; a round
//! ends when every subscriber has the message. Latency per delivery runs
//! from the publish call (with publisher confirms) through RabbitMQ → the
//! orders instance's live queue → its reload → the upstream WebSocket → the
//! router's per-event plan → the client.

use std::time::{Duration, Instant};

use serde_json::json;
use tokio::sync::mpsc;

const ORDERS_ONLY: &str =
    "subscription($id: ID!) { orderStatusChanged(orderId: $id) { status at order { number } } }";
const JOINED: &str = "subscription($id: ID!) { orderStatusChanged(orderId: $id) { status at order { number items { product { name } } customer { name } } } }";

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let crowd: usize = e2e::setting("BENCH_SUBSCRIBERS", 500);
    let database = e2e::BenchDatabase::create(30).await?;
    let pool = database.pool.clone();
    let platform = e2e::platform::Platform::start(pool.clone()).await;
    let token = platform.customer("bench-live@example.com").await;
    let product = platform.products("chair", 1).await.remove(0);
    // A delivered order per scenario, so each starts from a five-step
    // history and only our events flow.
    let delivered_order = |key: &'static str| {
        let (platform, token, product) = (&platform, token.clone(), product.clone());
        async move {
            platform.add_to_cart(&token, &product, 1).await;
            let placed = platform.checkout(&token, "tok_visa", key).await;
            let order = placed["data"]["checkout"]["id"].as_str().expect("order").to_owned();
            platform.wait_for_status(&token, &order, "DELIVERED").await;
            tokio::time::sleep(Duration::from_millis(500)).await;
            order
        }
    };

    // One publisher for the run: its channel is open before the clock starts.
    let mut publisher = kit::events::Publisher::new(platform.broker());
    let url = platform.router_url("/graphql");
    for (subscribers, query, rounds, label) in [
        (1, ORDERS_ONLY, 100, "1 subscriber, orders fields"),
        (1, JOINED, 100, "1 subscriber, + catalog and users per event"),
        (crowd, ORDERS_ONLY, 20, "subscribers, orders fields"),
    ] {
        let order = delivered_order(label).await;
        let (received, mut receipts) = mpsc::unbounded_channel();
        let (ready, mut readiness) = mpsc::unbounded_channel();
        let mut clients = Vec::new();
        for _ in 0..subscribers {
            let (url, token, order) = (url.clone(), token.clone(), order.clone());
            let (received, ready) = (received.clone(), ready.clone());
            clients.push(tokio::spawn(async move {
                let mut client = e2e::ws_client::WsClient::connect(&url, Some(&token)).await;
                client.subscribe("s", query, json!({ "id": order })).await;
                // The history so far: PENDING … DELIVERED.
                for _ in 0..5 {
                    client.message().await;
                }
                let _ = ready.send(());
                loop {
                    let message = client.message().await;
                    if message["type"] != "next" {
                        return;
                    }
                    assert!(message["payload"].get("errors").is_none(), "{message}");
                    if received.send(Instant::now()).is_err() {
                        return;
                    }
                }
            }));
        }
        for _ in 0..subscribers {
            readiness.recv().await;
        }
        let mut latencies = Vec::with_capacity(subscribers * rounds);
        for _ in 0..rounds {
            platform.record_status_row(&order, "bench").await;
            let event = e2e::platform::status_event(&order);
            let published = Instant::now();
            publisher.publish(std::slice::from_ref(&event)).await?;
            for _ in 0..subscribers {
                let at = tokio::time::timeout(Duration::from_secs(30), receipts.recv())
                    .await?
                    .expect("a receipt");
                latencies.push(at - published);
            }
        }
        for client in clients {
            client.abort();
        }
        latencies.sort();
        let ms = |q: f64| {
            latencies[((latencies.len() as f64 - 1.0) * q).round() as usize].as_secs_f64() * 1e3
        };
        let label = if subscribers > 1 { format!("{subscribers} {label}") } else { label.into() };
        println!(
            "{label}: {} deliveries, p50 {:.2} ms  p99 {:.2} ms  max {:.2} ms",
            latencies.len(),
            ms(0.5),
            ms(0.99),
            ms(1.0)
        );
    }

    platform.stop().await;
    database.drop_database().await
}
