//! Two of everything: every subgraph and the router run twice, each pair
//! behind a round-robin balancer, with one database and one broker. Twenty
//! customers place 200 orders and follow each one live while RabbitMQ goes
//! away for 5 s and one orders and one payments instance crash. Nothing
//! may be lost or done twice. Its own test binary, so that no other test
//! shares the machine with it.
//!
//! `SCALE_OUT_LOGS=1 RUST_LOG=warn cargo test -p e2e --test scale_out --
//! --nocapture` prints the figures and the services' warnings.

use std::{
    collections::HashMap,
    sync::{
        Arc,
        atomic::{AtomicUsize, Ordering},
    },
    time::{Duration, Instant},
};

use e2e::{
    platform::{Layout, Platform},
    ws_client::WsClient,
};
use serde_json::{Value, json};
use sqlx::PgPool;

const CUSTOMERS: usize = 20;
const CHECKOUTS_EACH: usize = 10;
const ORDERS: usize = CUSTOMERS * CHECKOUTS_EACH;
/// Orders placed before the broker goes away, and before the crashes.
const CUT_AFTER: usize = ORDERS / 5;
const CRASH_AFTER: usize = ORDERS * 3 / 5;
const JOURNEY: [&str; 5] = ["PENDING", "PAID", "FULFILLING", "SHIPPED", "DELIVERED"];
const FOLLOW: &str = "subscription($id: ID!) { orderStatusChanged(orderId: $id) { status } }";

/// What one customer saw of one order.
struct Journey {
    order: String,
    /// From sending the checkout to its answer (retries included).
    placed: Duration,
    /// From putting it in the cart to the subscriber seeing DELIVERED.
    delivered: Duration,
    /// Subscriptions that ended early and were opened again.
    resubscribed: usize,
}

/// The router's GraphQL endpoint, as a client outside the platform sees it.
#[derive(Clone)]
struct Client {
    url: String,
    http: reqwest::Client,
}

impl Client {
    /// Sends until an answer has `data.<field>`, as a client with an
    /// idempotency key may: transport failures and coded errors are retried
    /// (a crashed instance's requests fail), for up to 30 s.
    async fn until_ok(&self, token: &str, query: &str, variables: Value, field: &str) -> Value {
        let body = json!({ "query": query, "variables": variables });
        let mut last = Value::Null;
        for _ in 0..120 {
            let sent = self.http.post(&self.url).bearer_auth(token).json(&body).send().await;
            if let Ok(response) = sent {
                last = response.json().await.unwrap_or(Value::Null);
                if !last["data"][field].is_null() {
                    return last;
                }
            }
            tokio::time::sleep(Duration::from_millis(250)).await;
        }
        panic!("{field} never succeeded: {last}");
    }
}

/// Places one order for one `product`: the order id and how long placing
/// it took, retries included.
async fn buy(client: &Client, token: &str, product: &str, key: &str) -> (String, Duration) {
    // Setting the quantity (not adding) is safe to repeat.
    client
        .until_ok(
            token,
            "mutation($p: ID!) { updateCartItem(productId: $p, quantity: 1) { itemCount } }",
            json!({ "p": product }),
            "updateCartItem",
        )
        .await;
    let started = Instant::now();
    let placed = client
        .until_ok(
            token,
            "mutation($i: CheckoutInput!) { checkout(input: $i) { id } }",
            json!({ "i": { "paymentToken": "tok_visa", "idempotencyKey": key,
                           "shippingAddress": { "name": "Shopper", "line1": "1 Main St", "city": "London", "postalCode": "N1 9GU", "country": "GB" } } }),
            "checkout",
        )
        .await;
    let order = placed["data"]["checkout"]["id"].as_str().expect("order id").to_owned();
    (order, started.elapsed())
}

/// Subscribes to the order's status until DELIVERED. A subscription that
/// ends early (its orders instance crashed, live updates unavailable while
/// the broker is away) must have ended cleanly, and is opened again; every
/// subscription starts with the whole history and sees statuses in order.
/// Returns how many times it subscribed again.
async fn follow_until_delivered(url: &str, token: &str, order: &str) -> usize {
    let deadline = Instant::now() + Duration::from_secs(240);
    for attempt in 0.. {
        assert!(Instant::now() < deadline, "order {order} was never seen DELIVERED");
        let mut client = WsClient::connect(url, Some(token)).await;
        client.subscribe("1", FOLLOW, json!({ "id": order })).await;
        let mut seen: Vec<String> = Vec::new();
        while let Some(message) = client.message_within(Duration::from_secs(60)).await {
            match message["type"].as_str() {
                Some("next") => {
                    let payload = &message["payload"];
                    if payload.get("errors").is_some() {
                        assert_code_is_clean(payload, order);
                        break;
                    }
                    let status =
                        payload["data"]["orderStatusChanged"]["status"].as_str().expect("status");
                    let expected = JOURNEY.get(seen.len()).copied();
                    assert_eq!(
                        Some(status),
                        expected,
                        "order {order}: {status} after {seen:?} (subscription {attempt})"
                    );
                    seen.push(status.to_owned());
                    if status == "DELIVERED" {
                        return attempt;
                    }
                }
                Some("error") => {
                    assert_code_is_clean(&json!({ "errors": message["payload"] }), order);
                    break;
                }
                // Ended early by the server or its connection: resubscribe.
                _ => break,
            }
        }
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
    unreachable!()
}

/// An early end names a code a client can act on and leaks nothing.
fn assert_code_is_clean(payload: &Value, order: &str) {
    let error = &payload["errors"][0];
    let code = error["extensions"]["code"].as_str().unwrap_or_default();
    assert!(!code.is_empty(), "order {order}: an error without a code: {payload}");
    assert_ne!(code, "INTERNAL_SERVER_ERROR", "order {order}: {payload}");
}

/// Products with enough stock for two customers' ten orders each.
async fn products(platform: &Platform, count: usize) -> Vec<String> {
    let listed = platform
        .graphql(
            "{ products(first: 50) { edges { node { id availableQuantity } } } }",
            json!({}),
            None,
        )
        .await;
    let stocked: Vec<String> = listed["data"]["products"]["edges"]
        .as_array()
        .unwrap_or_else(|| panic!("{listed}"))
        .iter()
        .filter(|e| e["node"]["availableQuantity"].as_i64().unwrap_or(0) >= 25)
        .take(count)
        .map(|e| e["node"]["id"].as_str().expect("id").to_owned())
        .collect();
    assert_eq!(stocked.len(), count, "{listed}");
    stocked
}

/// On hand and reserved, summed over warehouses, per product.
async fn stock(pool: &PgPool) -> HashMap<String, (i64, i64)> {
    let rows: Vec<(String, i64, i64)> = sqlx::query_as(
        "SELECT product_id, sum(on_hand)::bigint, sum(reserved)::bigint FROM stock_levels GROUP BY product_id",
    )
    .fetch_all(pool)
    .await
    .expect("stock");
    rows.into_iter().map(|(product, on_hand, reserved)| (product, (on_hand, reserved))).collect()
}

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    let at = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[at]
}

#[sqlx::test(migrations = false)]
async fn two_of_everything_lose_nothing_through_a_broker_cut_and_two_crashes(pool: PgPool) {
    // The services' logs, when asked for (`SCALE_OUT_LOGS=1 RUST_LOG=…`).
    let _logs = std::env::var_os("SCALE_OUT_LOGS").map(|_| server::telemetry::init("scale-out"));
    let mut platform = Platform::start_laid_out(pool, Layout::scaled(2)).await;
    let client = Client { url: platform.router_url("/graphql"), http: reqwest::Client::new() };
    let products = products(&platform, CUSTOMERS / 2).await;
    let stock_before = stock(&platform.pool).await;
    let mut tokens = Vec::new();
    for n in 0..CUSTOMERS {
        tokens.push(platform.customer(&format!("scale-{n}@example.com")).await);
    }

    // Each customer places ten orders one after the other; a subscriber
    // follows each order from the moment it is placed.
    let placed = Arc::new(AtomicUsize::new(0));
    let started = Instant::now();
    let customers: Vec<_> = tokens
        .iter()
        .enumerate()
        .map(|(n, token)| {
            let (client, token, placed) = (client.clone(), token.clone(), placed.clone());
            let product = products[n % products.len()].clone();
            tokio::spawn(async move {
                let mut followers = Vec::new();
                for k in 0..CHECKOUTS_EACH {
                    let key = format!("scale-{n}-{k}");
                    let began = Instant::now();
                    let (order, placing) = buy(&client, &token, &product, &key).await;
                    placed.fetch_add(1, Ordering::SeqCst);
                    let (url, token) = (client.url.clone(), token.clone());
                    followers.push(tokio::spawn(async move {
                        let resubscribed = follow_until_delivered(&url, &token, &order).await;
                        Journey { order, placed: placing, delivered: began.elapsed(), resubscribed }
                    }));
                }
                followers
            })
        })
        .collect();

    // The faults, while the customers shop.
    let wait_for_orders = async |count: usize| {
        while placed.load(Ordering::SeqCst) < count {
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    };
    wait_for_orders(CUT_AFTER).await;
    platform.broker_links(false).await;
    tokio::time::sleep(Duration::from_secs(5)).await;
    platform.broker_links(true).await;
    let back = Instant::now();
    let back_at: String = sqlx::query_scalar("SELECT clock_timestamp()::text")
        .fetch_one(&platform.pool)
        .await
        .expect("clock");
    // Recovered: every order placed before the broker came back is paid.
    loop {
        let waiting: i64 = sqlx::query_scalar(
            "SELECT count(*) FROM orders WHERE placed_at < $1::timestamptz AND status = 'PENDING'",
        )
        .bind(&back_at)
        .fetch_one(&platform.pool)
        .await
        .expect("pending");
        if waiting == 0 {
            break;
        }
        assert!(back.elapsed() < Duration::from_secs(60), "{waiting} orders stayed PENDING");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let recovery = back.elapsed();
    wait_for_orders(CRASH_AFTER).await;
    platform.kill("orders").await;
    platform.kill("payments").await;

    let mut followers = Vec::new();
    for customer in customers {
        followers.extend(customer.await.expect("a customer"));
    }
    let placing_took = started.elapsed();
    let mut journeys = Vec::new();
    for follower in followers {
        journeys.push(follower.await.expect("a subscriber"));
    }

    // Every order, once, delivered; one charge each, for its total.
    assert_eq!(journeys.len(), ORDERS);
    let orders: Vec<(String, String, String, i64)> =
        sqlx::query_as("SELECT id::text, number, status, total FROM orders ORDER BY number")
            .fetch_all(&platform.pool)
            .await
            .expect("orders");
    assert_eq!(orders.len(), ORDERS, "one order per idempotency key");
    assert!(orders.iter().all(|o| o.2 == "DELIVERED"), "{orders:?}");
    let paid: Vec<(String, i64)> = sqlx::query_as(
        "SELECT order_id::text, count(*) FROM payments WHERE status = 'SUCCEEDED' GROUP BY order_id",
    )
    .fetch_all(&platform.pool)
    .await
    .expect("payments");
    assert_eq!(paid.len(), ORDERS);
    assert!(paid.iter().all(|(_, n)| *n == 1), "{paid:?}");
    let payments::provider::Provider::Sandbox(sandbox) = &platform.provider else {
        panic!("the platform charges the sandbox")
    };
    let charges = sandbox.charges();
    assert_eq!(charges.len(), ORDERS, "charges at the provider");
    assert_eq!(
        charges.iter().map(|c| c.1).sum::<i64>(),
        orders.iter().map(|o| o.3).sum::<i64>(),
        "the provider charged the orders' totals"
    );

    // Stock: exactly what was ordered left, nothing still reserved.
    let stock_after = stock(&platform.pool).await;
    let ordered: Vec<(String, i64)> = sqlx::query_as(
        "SELECT product_id, sum(quantity)::bigint FROM order_items GROUP BY product_id",
    )
    .fetch_all(&platform.pool)
    .await
    .expect("items");
    assert_eq!(ordered.iter().map(|o| o.1).sum::<i64>(), ORDERS as i64);
    for (product, quantity) in &ordered {
        let (before, after) = (stock_before[product], stock_after[product]);
        assert_eq!(after, (before.0 - quantity, 0), "stock of {product}");
    }

    // One email of each kind per order, none twice.
    let subjects: Vec<String> = orders
        .iter()
        .flat_map(|(_, number, ..)| {
            [
                format!("Subject: We received order {number}"),
                format!("Subject: Order {number} has shipped"),
                format!("Subject: Order {number} was delivered"),
            ]
        })
        .collect();
    // The emails trail the orders: SecantusDB (this machine's MongoDB) is
    // much slower than MongoDB, and the notifications pipeline waits on it.
    let mail_started = Instant::now();
    let deadline = mail_started + Duration::from_secs(300);
    loop {
        let messages = platform.smtp.messages();
        let sent = |subject: &String| messages.iter().filter(|m| m.contains(subject)).count();
        let twice: Vec<&String> = subjects.iter().filter(|s| sent(s) > 1).collect();
        assert!(twice.is_empty(), "sent more than once: {twice:?}");
        let missing: Vec<&String> = subjects.iter().filter(|s| sent(s) == 0).collect();
        if missing.is_empty() {
            break;
        }
        assert!(Instant::now() < deadline, "never sent: {missing:?}");
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    let mail_took = mail_started.elapsed();

    let mut placing: Vec<Duration> = journeys.iter().map(|j| j.placed).collect();
    let mut delivering: Vec<Duration> = journeys.iter().map(|j| j.delivered).collect();
    placing.sort();
    delivering.sort();
    let resubscribed: usize = journeys.iter().map(|j| j.resubscribed).sum();
    assert!(journeys.iter().all(|j| orders.iter().any(|o| o.0 == j.order)));
    println!(
        "scale-out: {ORDERS} checkouts placed in {:.1} s ({:.1} checkouts/s); checkout p50 {:?} p99 {:?}; \
         cart → DELIVERED seen live p50 {:?} p99 {:?}; recovery after the broker returned {:?}; \
         {resubscribed} subscriptions reopened; last email {:?} after the last delivery",
        placing_took.as_secs_f64(),
        ORDERS as f64 / placing_took.as_secs_f64(),
        percentile(&placing, 0.5),
        percentile(&placing, 0.99),
        percentile(&delivering, 0.5),
        percentile(&delivering, 0.99),
        recovery,
        mail_took,
    );
    platform.stop().await;
}
