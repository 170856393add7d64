//! Subscriptions end to end: RabbitMQ events → subgraph live feeds →
//! router → WebSocket / SSE clients, with follow-up fetches per event.

use std::collections::{BTreeSet, HashMap};

use serde_json::{Value, json};
use sqlx::PgPool;

use e2e::{platform::Platform, ws_client::WsClient};

pub const ORDER_LIVE: &str = "subscription($id: ID!) { orderStatusChanged(orderId: $id) { status previousStatus order { number items { quantity product { name } } customer { name } payment { status } } } }";
pub const SHIPMENT_LIVE: &str = "subscription($id: ID!) { shipmentUpdated(orderId: $id) { status trackingNumber events { status location description } } }";
const JOURNEY: [&str; 5] = ["PENDING", "PAID", "FULFILLING", "SHIPPED", "DELIVERED"];
const PARCEL: [&str; 5] =
    ["LABEL_CREATED", "PICKED_UP", "IN_TRANSIT", "OUT_FOR_DELIVERY", "DELIVERED"];

/// A customer with two chairs in an order paid by `tok_visa`: their token,
/// the order id and the product names.
pub async fn place_order(platform: &Platform, email: &str) -> (String, String, BTreeSet<String>) {
    let token = platform.customer(email).await;
    let products = platform.products("chair", 2).await;
    let mut names = BTreeSet::new();
    for product in &products {
        platform.add_to_cart(&token, product, 1).await;
        let named = platform
            .graphql("query($id: ID) { product(id: $id) { name } }", json!({ "id": product }), None)
            .await;
        names.insert(named["data"]["product"]["name"].as_str().expect("name").to_owned());
    }
    let placed = platform.checkout(&token, "tok_visa", &format!("{email}-1")).await;
    let order = placed["data"]["checkout"]["id"].as_str().unwrap_or_else(|| panic!("{placed}"));
    (token, order.to_owned(), names)
}

fn names_in(event: &Value) -> BTreeSet<String> {
    event["order"]["items"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|i| i["product"]["name"].as_str().map(str::to_owned))
        .collect()
}

#[sqlx::test(migrations = false)]
async fn a_paid_order_is_followed_live_through_the_router_until_delivered(pool: PgPool) {
    let platform = Platform::start(pool).await;
    let (token, order, names) = place_order(&platform, "live@example.com").await;
    let mut client = WsClient::connect(&platform.router_url("/graphql"), Some(&token)).await;
    client.subscribe("status", ORDER_LIVE, json!({ "id": order })).await;
    client.subscribe("parcel", SHIPMENT_LIVE, json!({ "id": order })).await;

    let mut statuses = Vec::new();
    let mut parcel = Vec::new();
    let mut last_parcel = Value::Null;
    while statuses.last() != Some(&"DELIVERED".to_owned())
        || parcel.last() != Some(&"DELIVERED".to_owned())
    {
        let message = client.message().await;
        assert_eq!(message["type"], "next", "{message}");
        assert!(message["payload"].get("errors").is_none(), "{message}");
        match message["id"].as_str() {
            Some("status") => {
                let event = &message["payload"]["data"]["orderStatusChanged"];
                let status = event["status"].as_str().expect("status").to_owned();
                // Joined per event from catalog, users and payments.
                assert_eq!(names_in(event), names, "{event}");
                assert_eq!(event["order"]["customer"]["name"], "Shopper");
                if status != "PENDING" {
                    assert_eq!(event["order"]["payment"]["status"], "SUCCEEDED", "{event}");
                }
                statuses.push(status);
            }
            Some("parcel") => {
                let shipment = &message["payload"]["data"]["shipmentUpdated"];
                parcel.push(shipment["status"].as_str().expect("status").to_owned());
                last_parcel = shipment.clone();
            }
            other => panic!("unexpected id {other:?}"),
        }
    }
    assert_eq!(statuses, JOURNEY, "every step, in order, once");
    // Parcel updates arrive in journey order, ending delivered; the last
    // carries every tracking event with a place and a description.
    let positions: Vec<usize> =
        parcel.iter().map(|s| PARCEL.iter().position(|p| p == s).expect("known")).collect();
    assert!(positions.windows(2).all(|w| w[0] < w[1]), "{parcel:?}");
    let events = last_parcel["events"].as_array().expect("events");
    let tracked: Vec<&str> = events.iter().filter_map(|e| e["status"].as_str()).collect();
    assert_eq!(tracked, PARCEL);
    assert!(events.iter().all(|e| e["description"].as_str().is_some_and(|d| !d.is_empty())));
    assert!(last_parcel["trackingNumber"].as_str().is_some_and(|t| t.starts_with("SGX")));
    platform.stop().await;
}

#[sqlx::test(migrations = false)]
async fn someone_elses_order_cannot_be_followed(pool: PgPool) {
    let platform = Platform::start(pool).await;
    let (_, order, _) = place_order(&platform, "owner@example.com").await;
    let stranger = platform.customer("stranger@example.com").await;
    let url = platform.router_url("/graphql");
    let mut client = WsClient::connect(&url, Some(&stranger)).await;
    client.subscribe("a", ORDER_LIVE, json!({ "id": order })).await;
    client.subscribe("b", SHIPMENT_LIVE, json!({ "id": order })).await;
    // A refusal is the operation's one result, errors and no data, then
    // completion.
    let mut codes = HashMap::new();
    let mut completed = BTreeSet::new();
    while completed.len() < 2 {
        let message = client.message().await;
        let id = message["id"].as_str().expect("id").to_owned();
        match message["type"].as_str() {
            Some("next") => {
                assert_eq!(message["payload"]["data"], Value::Null, "{message}");
                codes.insert(id, message["payload"]["errors"][0]["extensions"]["code"].clone());
            }
            Some("complete") => {
                completed.insert(id);
            }
            _ => panic!("{message}"),
        }
    }
    assert_eq!(codes["a"], "FORBIDDEN");
    assert_eq!(codes["b"], "FORBIDDEN");

    let mut anonymous = WsClient::connect(&url, None).await;
    anonymous.subscribe("a", ORDER_LIVE, json!({ "id": order })).await;
    let message = anonymous.message().await;
    assert_eq!(message["payload"]["errors"][0]["extensions"]["code"], "UNAUTHENTICATED");
    platform.stop().await;
}

#[sqlx::test(migrations = false)]
async fn server_sent_events_carry_the_same_journey(pool: PgPool) {
    let platform = Platform::start(pool).await;
    let (token, order, names) = place_order(&platform, "sse@example.com").await;
    let mut response = reqwest::Client::new()
        .post(platform.router_url("/graphql"))
        .header("accept", "text/event-stream")
        .bearer_auth(&token)
        .json(&json!({ "query": ORDER_LIVE, "variables": { "id": order } }))
        .send()
        .await
        .expect("router");
    assert_eq!(response.headers()["content-type"], "text/event-stream");
    let mut text = String::new();
    let mut statuses = Vec::new();
    while statuses.last().map(String::as_str) != Some("DELIVERED") {
        let chunk = tokio::time::timeout(std::time::Duration::from_secs(20), response.chunk())
            .await
            .expect("an event within 20 s")
            .expect("stream")
            .expect("open");
        text.push_str(std::str::from_utf8(&chunk).expect("utf-8"));
        while let Some(end) = text.find("\n\n") {
            let block: String = text.drain(..end + 2).collect();
            let Some(data) = block.lines().find_map(|l| l.strip_prefix("data: ")) else { continue };
            assert!(block.starts_with("event: next"), "{block}");
            let payload: Value = serde_json::from_str(data).expect("json");
            let event = &payload["data"]["orderStatusChanged"];
            assert_eq!(names_in(event), names, "{payload}");
            statuses.push(event["status"].as_str().expect("status").to_owned());
        }
    }
    assert_eq!(statuses, JOURNEY);
    drop(response);
    platform.stop().await;
}

#[sqlx::test(migrations = false)]
async fn killing_orders_ends_its_subscriptions_with_an_error_and_the_router_stays_up(pool: PgPool) {
    let mut platform = Platform::start(pool).await;
    let (token, order, _) = place_order(&platform, "kill@example.com").await;
    let mut client = WsClient::connect(&platform.router_url("/graphql"), Some(&token)).await;
    client.subscribe("s", ORDER_LIVE, json!({ "id": order })).await;
    let first = client.message().await;
    assert_eq!(first["payload"]["data"]["orderStatusChanged"]["status"], "PENDING", "{first}");

    platform.kill("orders").await;
    let mut message = client.message().await;
    // Events already on their way may still arrive before the failure.
    while message["type"] == "next" && message["payload"].get("errors").is_none() {
        message = client.message().await;
    }
    assert_eq!(message["type"], "next", "{message}");
    assert_eq!(message["payload"]["errors"][0]["extensions"]["code"], "SUBREQUEST_HTTP_ERROR");
    assert_eq!(message["payload"]["errors"][0]["extensions"]["serviceName"], "orders");
    let completed = client.message().await;
    assert_eq!(completed, json!({ "id": "s", "type": "complete" }));

    // The router, and the same connection, still serve.
    client.subscribe("q", "{ products(first: 1) { edges { node { name } } } }", json!({})).await;
    let answer = client.message().await;
    assert!(answer["payload"]["data"]["products"]["edges"][0]["node"]["name"].is_string());
    let health = reqwest::get(platform.router_url("/health")).await.expect("health");
    assert!(health.status().is_success());
    platform.stop().await;
}

#[sqlx::test(migrations = false)]
async fn any_orders_instance_serves_any_subscriber(pool: PgPool) {
    let mut platform = Platform::start(pool).await;
    let second = platform.second_orders().await;
    let (token, order, _) = place_order(&platform, "twice@example.com").await;
    let query = "subscription($id: ID!) { orderStatusChanged(orderId: $id) { status } }";
    let first = platform.url("orders", "/graphql");
    let mut clients = Vec::new();
    for url in [first, second] {
        let mut client = WsClient::connect_to_service(&url, Some(&token)).await;
        client.subscribe("s", query, json!({ "id": order })).await;
        clients.push(client);
    }
    for mut client in clients {
        let mut statuses = Vec::new();
        while statuses.last().map(String::as_str) != Some("DELIVERED") {
            let message = client.message().await;
            let status = &message["payload"]["data"]["orderStatusChanged"]["status"];
            statuses.push(status.as_str().unwrap_or_else(|| panic!("{message}")).to_owned());
        }
        assert_eq!(statuses, JOURNEY);
    }
    platform.stop().await;
}

#[sqlx::test(migrations = false)]
async fn two_hundred_subscribers_on_one_router_each_get_every_event(pool: PgPool) {
    let platform = Platform::start(pool).await;
    let (token, order, _) = place_order(&platform, "crowd@example.com").await;
    let url = platform.router_url("/graphql");
    let query =
        "subscription($id: ID!) { orderStatusChanged(orderId: $id) { status order { number } } }";
    let subscribers = (0..200).map(|_| {
        let (url, token, order) = (url.clone(), token.clone(), order.clone());
        tokio::spawn(async move {
            let mut client = WsClient::connect(&url, Some(&token)).await;
            client.subscribe("s", query, json!({ "id": order })).await;
            let mut statuses = Vec::new();
            while statuses.last().map(String::as_str) != Some("DELIVERED") {
                let message = client.message().await;
                let event = &message["payload"]["data"]["orderStatusChanged"];
                assert!(event["order"]["number"].is_string(), "{message}");
                statuses.push(event["status"].as_str().expect("status").to_owned());
            }
            statuses
        })
    });
    for statuses in futures::future::join_all(subscribers).await {
        assert_eq!(statuses.expect("subscriber"), JOURNEY);
    }
    platform.stop().await;
}

#[sqlx::test(migrations = false)]
async fn placed_and_shipped_emails_reach_the_customer_once(pool: PgPool) {
    let platform = Platform::start(pool).await;
    let (token, order, _) = place_order(&platform, "mail@example.com").await;
    platform.wait_for_status(&token, &order, "DELIVERED").await;
    let number = platform
        .graphql(
            "query($id: ID!) { order(id: $id) { number } }",
            json!({ "id": order }),
            Some(&token),
        )
        .await["data"]["order"]["number"]
        .as_str()
        .expect("number")
        .to_owned();
    let placed = format!("Subject: We received order {number}");
    let shipped = format!("Subject: Order {number} has shipped");
    let email = platform.smtp.wait_for(&[&placed, "To: mail@example.com"], 20).await;
    assert!(email.contains("Hi Shopper"), "{email}");
    platform.smtp.wait_for(&[&shipped], 20).await;
    let delivered = format!("Subject: Order {number} was delivered");
    platform.smtp.wait_for(&[&delivered], 20).await;
    let messages = platform.smtp.messages();
    for subject in [&placed, &shipped] {
        assert_eq!(messages.iter().filter(|m| m.contains(subject.as_str())).count(), 1);
    }
    // The same steps, in the customer's in-app inbox through the router.
    let inbox = platform
        .graphql(
            "{ me { notifications(first: 20) { edges { node { template channel } } } } }",
            json!({}),
            Some(&token),
        )
        .await;
    let templates: BTreeSet<String> = inbox["data"]["me"]["notifications"]["edges"]
        .as_array()
        .unwrap_or_else(|| panic!("{inbox}"))
        .iter()
        .filter(|e| e["node"]["channel"] == "IN_APP")
        .map(|e| e["node"]["template"].as_str().expect("template").to_owned())
        .collect();
    assert!(templates.contains("order.placed") && templates.contains("order.shipped"), "{inbox}");
    platform.stop().await;
}

/// A metric's value in the router's `/metrics` (which must have it).
async fn router_metric(platform: &Platform, name: &str) -> i64 {
    let text = reqwest::get(platform.router_url("/metrics"))
        .await
        .expect("metrics")
        .text()
        .await
        .expect("metrics text");
    let scraped = server::metrics::Scraped::parse(text);
    assert!(scraped.has(name), "no {name} in {}", scraped.text);
    scraped.value(name, &[]) as i64
}

#[sqlx::test(migrations = false)]
async fn users_share_upstream_connections_and_identical_subscriptions_share_one_operation(
    pool: PgPool,
) {
    let platform = Platform::start(pool).await;
    let (alice, alices_order, _) = place_order(&platform, "alice@example.com").await;
    let (bob, bobs_order, _) = place_order(&platform, "bob@example.com").await;
    platform.wait_for_status(&alice, &alices_order, "DELIVERED").await;
    platform.wait_for_status(&bob, &bobs_order, "DELIVERED").await;
    let url = platform.router_url("/graphql");

    // Alice follows her order from three tabs, Bob his from one; each client
    // connection is its own, and stays open until its subscription ends.
    let query = "subscription($id: ID!) { orderStatusChanged(orderId: $id) { status order { customer { email } } } }";
    let mut tabs = Vec::new();
    for (token, order) in [
        (&alice, &alices_order),
        (&alice, &alices_order),
        (&alice, &alices_order),
        (&bob, &bobs_order),
    ] {
        let mut client = WsClient::connect(&url, Some(token)).await;
        client.subscribe("s", query, json!({ "id": order })).await;
        tabs.push(client);
    }
    // Each sees its own order's whole history, joined with its own customer,
    // the late tabs too (from what the shared operation had sent so far).
    for (tab, email) in tabs.iter_mut().zip(["alice", "alice", "alice", "bob"]) {
        let mut statuses = Vec::new();
        while statuses.last().map(String::as_str) != Some("DELIVERED") {
            let message = tab.message().await;
            let event = &message["payload"]["data"]["orderStatusChanged"];
            assert_eq!(event["order"]["customer"]["email"], format!("{email}@example.com"));
            statuses
                .push(event["status"].as_str().unwrap_or_else(|| panic!("{message}")).to_owned());
        }
        assert_eq!(statuses, JOURNEY);
    }
    assert_eq!(router_metric(&platform, "router_active_subscriptions").await, 4);
    assert_eq!(router_metric(&platform, "router_subscription_upstream_operations").await, 2);
    assert_eq!(router_metric(&platform, "router_subscription_upstream_connections").await, 1);
    // Alice's tabs run the same operation as the same user: each event's
    // result (with its follow-up fetch to users) is computed once for all
    // three, and once for Bob.
    let computed = "router_subscription_results_computed_total";
    assert_eq!(router_metric(&platform, computed).await, 2 * JOURNEY.len() as i64);

    // A later change reaches every tab once, computed once.
    platform.record_status_row(&alices_order, "shared").await;
    kit::events::Publisher::new(platform.broker())
        .publish(&[e2e::platform::status_event(&alices_order)])
        .await
        .expect("published");
    for tab in &mut tabs[..3] {
        let message = tab.message().await;
        assert_eq!(message["payload"]["data"]["orderStatusChanged"]["status"], "DELIVERED");
    }
    assert_eq!(router_metric(&platform, computed).await, 2 * JOURNEY.len() as i64 + 1);

    // Two of Alice's tabs close: her operation goes on for the third. The
    // last to leave ends it upstream.
    tabs.drain(1..3);
    tokio::time::sleep(std::time::Duration::from_millis(300)).await;
    assert_eq!(router_metric(&platform, "router_subscription_upstream_operations").await, 2);
    tabs.clear();
    let mut operations = -1;
    for _ in 0..50 {
        operations = router_metric(&platform, "router_subscription_upstream_operations").await;
        if operations == 0 {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    assert_eq!(operations, 0);

    // Bob cannot ride on Alice's shared operation: the same subscription
    // under his token is his own, and refused.
    let mut client = WsClient::connect(&url, Some(&bob)).await;
    client.subscribe("s", query, json!({ "id": alices_order })).await;
    let message = client.message().await;
    assert_eq!(message["payload"]["errors"][0]["extensions"]["code"], "FORBIDDEN", "{message}");
    platform.stop().await;
}

/// The error code of a refused operation, whether the subgraph answered
/// with `error` or with a `next` carrying only errors.
fn refusal_code(message: &Value) -> Value {
    match message["type"].as_str() {
        Some("error") => message["payload"][0]["extensions"]["code"].clone(),
        _ => message["payload"]["errors"][0]["extensions"]["code"].clone(),
    }
}

/// The next message other than an earlier operation's `complete`.
async fn answer_to(connection: &mut WsClient) -> Value {
    loop {
        let message = connection.message().await;
        if message["type"] != "complete" {
            return message;
        }
    }
}

#[sqlx::test(migrations = false)]
async fn a_subgraph_takes_an_operations_user_only_with_its_signature(pool: PgPool) {
    use server::signing::operation::{METHOD, signed_body};
    let platform = Platform::start(pool).await;
    let (alice, order, _) = place_order(&platform, "signed-op@example.com").await;
    platform.wait_for_status(&alice, &order, "DELIVERED").await;
    let query = "subscription($id: ID!) { orderStatusChanged(orderId: $id) { status } }";
    let variables = json!({ "id": order });
    let authorization = format!("Bearer {alice}");
    let sign = |variables: &Value| {
        let body = signed_body(query, &variables.to_string());
        let signature = kit::testing::test_signer().sign(
            METHOD,
            "/graphql",
            Some(authorization.as_bytes()),
            &body,
        );
        signature.to_str().expect("ascii").to_owned()
    };
    // The router's kind of connection: signed, with nobody in connection_init.
    let mut connection =
        WsClient::connect_to_service(&platform.url("orders", "/graphql"), None).await;
    let subscribe = |id: &str, signature: Option<String>, variables: &Value| {
        let mut extensions = json!({ "authorization": authorization });
        if let Some(signature) = signature {
            extensions["signature"] = json!(signature);
        }
        json!({ "id": id, "type": "subscribe",
                "payload": { "query": query, "variables": variables, "extensions": extensions } })
    };

    // A user named without a signature, or with one made for other
    // variables, is refused.
    let other = json!({ "id": uuid::Uuid::new_v4().to_string() });
    let refused = [
        subscribe("unsigned", None, &variables),
        subscribe("other", Some(sign(&other)), &variables),
    ];
    for message in refused {
        connection.send(message).await;
        let answer = answer_to(&mut connection).await;
        assert_eq!(refusal_code(&answer), "UNAUTHENTICATED", "{answer}");
    }
    // Signed, it runs as that user; the same signature again is a replay.
    let signature = sign(&variables);
    connection.send(subscribe("signed", Some(signature.clone()), &variables)).await;
    let mut statuses = Vec::new();
    while statuses.last().map(String::as_str) != Some("DELIVERED") {
        let message = connection.message().await;
        if message["type"] == "complete" {
            continue;
        }
        assert_eq!(message["id"], "signed", "{message}");
        let status = &message["payload"]["data"]["orderStatusChanged"]["status"];
        statuses.push(status.as_str().unwrap_or_else(|| panic!("{message}")).to_owned());
    }
    assert_eq!(statuses, JOURNEY);
    connection.send(subscribe("replayed", Some(signature), &variables)).await;
    let answer = answer_to(&mut connection).await;
    assert_eq!(refusal_code(&answer), "UNAUTHENTICATED", "{answer}");
    platform.stop().await;
}
