//! The load client's side (`BENCH_ROLE=client`): opens `CROWD` subscribers
//! to `ROUTER_URL`, spread over `ORDERS`, then follows commands on stdin,
//! one per line, answering on stdout:
//! - (after start) `ready` once every subscriber has its order's history;
//! - `round <unix ns>` → `round <µs> <µs> …`: once every subscriber has
//!   its next message, each one's delay from that instant;
//! - `leave` → `left`, after closing every connection.

use std::{
    sync::Arc,
    time::{Duration, SystemTime, UNIX_EPOCH},
};

use serde_json::json;
use tokio::{
    sync::{Semaphore, mpsc},
    task::JoinSet,
};

/// Every subscriber starts with the order's five statuses, PENDING to
/// DELIVERED.
const HISTORY: usize = 5;
/// Connections being opened at once.
const OPENING: usize = 200;
/// How long a subscriber waits for its next message before giving up.
const PATIENCE: Duration = Duration::from_secs(600);
/// Connections at most (`BENCH_MAX_CONNECTIONS`): each costs the router a
/// file descriptor, a process may have 20,000 here, and the router needs 14
/// of its own. Subscribers beyond it subscribe on a WebSocket connection
/// that already carries one (graphql-transport-ws multiplexes: a page
/// following two orders).
const MAX_CONNECTIONS: usize = 19_980;

pub async fn run(query: &'static str) -> anyhow::Result<()> {
    let url = std::env::var("ROUTER_URL")?;
    let token = std::env::var("TOKEN")?;
    let orders: Vec<String> = std::env::var("ORDERS")?.split(',').map(str::to_owned).collect();
    let crowd: usize = e2e::setting("CROWD", 1000);
    let sse_every: usize = e2e::setting("BENCH_SSE_EVERY", 10).max(1);
    let connections = crowd.min(e2e::setting("BENCH_MAX_CONNECTIONS", MAX_CONNECTIONS));
    // Each connection's orders: one each, then the extra subscribers' on
    // WebSocket connections, one more each.
    let mut followed: Vec<Vec<String>> =
        (0..connections).map(|i| vec![orders[i % orders.len()].clone()]).collect();
    let websockets = (0..connections).filter(|i| i % sse_every != 0);
    for (extra, i) in (connections..crowd).zip(websockets) {
        followed[i].push(orders[extra % orders.len()].clone());
    }
    let carried: usize = followed.iter().map(Vec::len).sum();
    anyhow::ensure!(carried == crowd, "{crowd} subscribers do not fit {connections} connections");

    let (ready_tx, mut ready) = mpsc::unbounded_channel::<()>();
    let (receipt_tx, mut receipts) = mpsc::unbounded_channel::<u128>();
    let (failure_tx, mut failures) = mpsc::unbounded_channel::<String>();
    let opening = Arc::new(Semaphore::new(OPENING));
    let http = reqwest::Client::new();
    let mut subscribers = JoinSet::new();
    for (i, orders) in followed.into_iter().enumerate() {
        let (url, token, http) = (url.clone(), token.clone(), http.clone());
        let (ready_tx, receipt_tx, failure_tx) =
            (ready_tx.clone(), receipt_tx.clone(), failure_tx.clone());
        let opening = opening.clone();
        subscribers.spawn(async move {
            let permit = opening.acquire_owned().await.expect("semaphore");
            let outcome = if i % sse_every == 0 {
                let order = &orders[0];
                follow_sse(&http, &url, &token, query, order, permit, &ready_tx, &receipt_tx).await
            } else {
                follow_ws(&url, &token, query, &orders, permit, &ready_tx, &receipt_tx).await
            };
            if let Err(e) = outcome {
                let _ = failure_tx.send(e);
            }
        });
    }
    drop((ready_tx, receipt_tx, failure_tx));

    for _ in 0..crowd {
        tokio::select! {
            _ = ready.recv() => {}
            Some(failure) = failures.recv() => {
                println!("error {failure}");
                return Ok(());
            }
            // A subscriber that could not even connect panics in its task.
            Some(Err(e)) = subscribers.join_next() => {
                println!("error {e}");
                return Ok(());
            }
        }
    }
    println!("ready");

    let mut commands = stdin_lines();
    while let Some(line) = commands.recv().await {
        let mut words = line.split_whitespace();
        match words.next() {
            Some("round") => {
                let start: u128 = words.next().and_then(|n| n.parse().ok()).unwrap_or(0);
                let mut delays = Vec::with_capacity(crowd);
                while delays.len() < crowd {
                    tokio::select! {
                        Some(at) = receipts.recv() => {
                            delays.push(at.saturating_sub(start) / 1000);
                        }
                        Some(failure) = failures.recv() => {
                            println!("error {failure}");
                            return Ok(());
                        }
                    }
                }
                let delays: Vec<String> = delays.iter().map(u128::to_string).collect();
                println!("round {}", delays.join(" "));
            }
            Some("leave") => {
                subscribers.shutdown().await;
                println!("left");
            }
            _ => {}
        }
    }
    Ok(())
}

/// Lines from stdin, read on a thread of their own.
fn stdin_lines() -> mpsc::UnboundedReceiver<String> {
    let (lines, received) = mpsc::unbounded_channel();
    std::thread::spawn(move || {
        for line in std::io::stdin().lines().map_while(Result::ok) {
            if lines.send(line).is_err() {
                return;
            }
        }
    });
    received
}

fn now() -> u128 {
    SystemTime::now().duration_since(UNIX_EPOCH).expect("clock").as_nanos()
}

/// graphql-transport-ws: connect, subscribe to each order, read the
/// histories, then report each next message.
async fn follow_ws(
    url: &str,
    token: &str,
    query: &str,
    orders: &[String],
    permit: tokio::sync::OwnedSemaphorePermit,
    ready: &mpsc::UnboundedSender<()>,
    receipts: &mpsc::UnboundedSender<u128>,
) -> Result<(), String> {
    let mut client = e2e::ws_client::WsClient::connect(url, Some(token)).await;
    for (i, order) in orders.iter().enumerate() {
        client.subscribe(&format!("s{i}"), query, json!({ "id": order })).await;
    }
    drop(permit);
    for _ in 0..HISTORY * orders.len() {
        client.message_within(PATIENCE).await.ok_or("no history")?;
    }
    for _ in orders {
        let _ = ready.send(());
    }
    loop {
        let message = client.message_within(PATIENCE).await.ok_or("silence")?;
        if message["type"] != "next" || message["payload"].get("errors").is_some() {
            return Err(format!("unexpected {message}"));
        }
        if receipts.send(now()).is_err() {
            return Ok(());
        }
    }
}

/// SSE (GraphQL over server-sent events, one operation per request).
#[allow(clippy::too_many_arguments)]
async fn follow_sse(
    http: &reqwest::Client,
    url: &str,
    token: &str,
    query: &str,
    order: &str,
    permit: tokio::sync::OwnedSemaphorePermit,
    ready: &mpsc::UnboundedSender<()>,
    receipts: &mpsc::UnboundedSender<u128>,
) -> Result<(), String> {
    let mut response = http
        .post(url)
        .bearer_auth(token)
        .header("accept", "text/event-stream")
        .json(&json!({ "query": query, "variables": { "id": order } }))
        .send()
        .await
        .map_err(|e| e.to_string())?;
    drop(permit);
    let mut buffered = String::new();
    let mut seen = 0;
    loop {
        let chunk = tokio::time::timeout(PATIENCE, response.chunk())
            .await
            .map_err(|_| "silence")?
            .map_err(|e| e.to_string())?
            .ok_or("the stream ended")?;
        buffered.push_str(&String::from_utf8_lossy(&chunk));
        while let Some(end) = buffered.find("\n\n") {
            let event: String = buffered.drain(..end + 2).collect();
            if !event.contains("event: next") {
                continue; // keep-alive comments
            }
            if event.contains("\"errors\"") {
                return Err(format!("unexpected {event}"));
            }
            seen += 1;
            if seen == HISTORY {
                let _ = ready.send(());
            } else if seen > HISTORY && receipts.send(now()).is_err() {
                return Ok(());
            }
        }
    }
}
