//! An attacker on the platform's network, against every subgraph directly:
//! without the router's proof, with a stale, replayed or foreign one, and
//! even with a leaked key (a valid signature) anonymously or as another
//! customer, `_entities` for every entity type with real ids gives away
//! none of a customer's data. The owner, through the router, still sees it
//! all.

use std::time::Duration;

use e2e::{platform::Platform, ws_client::WsClient};
use kit::{
    http::signing::{RequestSigner, SIGNATURE_HEADER, process_key},
    testing::graphql_at,
};
use serde_json::{Value, json};
use sqlx::PgPool;

const OWNER_VIEW: &str = "query($id: ID!) { order(id: $id) { id number total { amount }
    items { productName } shippingAddress { line1 city }
    payment { id status } shipment { id trackingNumber } customer { id email } } }";

/// What the owner sees through the router: the order, and the strings an
/// attacker must never see (order number, address, tracking number, email).
async fn owner_view(platform: &Platform, token: &str, order: &str) -> (Value, Vec<String>) {
    let mut seen = Value::Null;
    // The shipment appears once the order is paid: wait for it.
    for _ in 0..200 {
        let answer = platform.graphql(OWNER_VIEW, json!({ "id": order }), Some(token)).await;
        assert!(answer.get("errors").is_none(), "{answer}");
        seen = answer["data"]["order"].clone();
        if seen["shipment"]["trackingNumber"].is_string() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let secrets = [
        &seen["number"],
        &seen["shippingAddress"]["line1"],
        &seen["shipment"]["trackingNumber"],
        &seen["customer"]["email"],
    ]
    .iter()
    .map(|value| value.as_str().unwrap_or_else(|| panic!("owner view: {seen}")).to_owned())
    .collect();
    (seen, secrets)
}

/// Every entity type that holds customer data, by subgraph: the
/// representation and what to ask of it.
fn probes(seen: &Value) -> Vec<(&'static str, Value, &'static str)> {
    let order = json!({ "__typename": "Order", "id": seen["id"] });
    let user = json!({ "__typename": "User", "id": seen["customer"]["id"] });
    vec![
        (
            "orders",
            order.clone(),
            "... on Order { number total { amount } items { productName } shippingAddress { line1 } }",
        ),
        ("orders", user.clone(), "... on User { orders(first: 5) { edges { node { number } } } }"),
        ("payments", order.clone(), "... on Order { payment { id status } }"),
        (
            "payments",
            json!({ "__typename": "Payment", "id": seen["payment"]["id"] }),
            "... on Payment { status amount { amount } }",
        ),
        ("shipping", order, "... on Order { shipment { trackingNumber } }"),
        (
            "shipping",
            json!({ "__typename": "Shipment", "id": seen["shipment"]["id"] }),
            "... on Shipment { trackingNumber order { id } }",
        ),
        ("users", user.clone(), "... on User { email addresses { line1 } }"),
        ("cart", user.clone(), "... on User { cart { itemCount } }"),
        (
            "notifications",
            user,
            "... on User { notifications(first: 5) { edges { node { body } } } }",
        ),
    ]
}

fn entities_query(selection: &str) -> String {
    format!("query($r: [_Any!]!) {{ _entities(representations: $r) {{ {selection} }} }}")
}

fn leaks(answer: &Value, secrets: &[String]) -> Option<String> {
    let text = answer.to_string();
    secrets.iter().find(|secret| text.contains(secret.as_str())).cloned()
}

#[sqlx::test(migrations = false)]
async fn no_subgraph_gives_a_customers_data_to_anyone_else(pool: PgPool) {
    let platform = Platform::start(pool).await;
    let (owner, order, _) = crate::live::place_order(&platform, "victim@example.com").await;
    let (seen, secrets) = owner_view(&platform, &owner, &order).await;
    let other = platform.customer("attacker@example.com").await;
    let http = reqwest::Client::new();

    for (service, representation, selection) in probes(&seen) {
        let url = platform.url(service, "/graphql");
        let query = entities_query(selection);
        let variables = json!({ "r": [representation] });
        let body = json!({ "query": query, "variables": variables });

        // No proof, or proofs that must not pass.
        let text = body.to_string();
        let signer = RequestSigner::new("router", process_key());
        let valid = signer.sign("POST", "/graphql", None, text.as_bytes());
        let foreign =
            RequestSigner::new("router", "guessed").sign("POST", "/graphql", None, text.as_bytes());
        // The proof's timestamp set ten minutes back: stale, whatever the
        // signature says.
        let stale = {
            let fresh = signer.sign("POST", "/graphql", None, text.as_bytes());
            let fresh = fresh.to_str().expect("ascii").to_owned();
            let (head, rest) = fresh.split_once(",t=").expect("a timestamp");
            let (seconds, tail) = rest.split_once(',').expect("more after it");
            let old = seconds.parse::<u64>().expect("seconds") - 600;
            axum::http::HeaderValue::from_str(&format!("{head},t={old},{tail}")).expect("header")
        };
        let replay = {
            let first = post(&http, &url, &text, Some(valid.clone())).await;
            assert_eq!(first.0, 200, "{service}: the first use of a valid proof");
            valid
        };
        let attempts = [
            ("no proof", None),
            ("a foreign key", Some(foreign)),
            ("a stale proof", Some(stale)),
            ("a replay", Some(replay)),
        ];
        for (attempt, proof) in attempts {
            let (status, answer) = post(&http, &url, &text, proof).await;
            assert_eq!(status, 401, "{service} with {attempt}: {answer}");
            assert!(answer.get("data").is_none(), "{service} with {attempt}: {answer}");
        }

        // A leaked key: anonymous, then as another customer.
        for (who, token) in [("anonymous", None), ("another customer", Some(other.as_str()))] {
            let answer = graphql_at(&url, &query, variables.clone(), token).await;
            assert_eq!(leaks(&answer, &secrets), None, "{service} {selection} as {who}: {answer}");
            let code = answer["errors"][0]["extensions"]["code"].as_str();
            assert!(
                matches!(code, Some("UNAUTHENTICATED" | "FORBIDDEN")),
                "{service} {selection} as {who}: {answer}"
            );
        }
        // The owner, with the same proof, is answered.
        let answer = graphql_at(&url, &query, variables, Some(&owner)).await;
        assert!(answer.get("errors").is_none(), "{service} {selection} as the owner: {answer}");
    }
    platform.stop().await;
}

async fn post(
    http: &reqwest::Client,
    url: &str,
    body: &str,
    proof: Option<axum::http::HeaderValue>,
) -> (u16, Value) {
    let mut request =
        http.post(url).header("content-type", "application/json").body(body.to_owned());
    if let Some(proof) = proof {
        request = request.header(SIGNATURE_HEADER, proof);
    }
    let response = request.send().await.expect("answer");
    let status = response.status().as_u16();
    (status, response.json().await.unwrap_or(Value::Null))
}

/// Subscriptions opened straight against orders and shipping: refused
/// without proof; with a leaked key, another customer's subscription to
/// the order is refused too.
#[sqlx::test(migrations = false)]
async fn direct_subscriptions_need_proof_and_the_owner(pool: PgPool) {
    let platform = Platform::start(pool).await;
    let (_, order, _) = crate::live::place_order(&platform, "followed@example.com").await;
    let other = platform.customer("snoop@example.com").await;
    let subscriptions = [
        (
            "orders",
            "subscription($id: ID!) { orderStatusChanged(orderId: $id) { status order { number } } }",
        ),
        ("shipping", "subscription($id: ID!) { shipmentUpdated(orderId: $id) { trackingNumber } }"),
    ];
    for (service, subscription) in subscriptions {
        let url = platform.url(service, "/graphql");
        let ws = url.replacen("http://", "ws://", 1);
        let unsigned = tokio_tungstenite::connect_async(ws.as_str()).await;
        assert!(unsigned.is_err(), "{service}: an unsigned upgrade was accepted");

        let mut client = WsClient::connect_to_service(&url, Some(&other)).await;
        client.subscribe("s", subscription, json!({ "id": order })).await;
        let refused = client.message().await;
        // An `error` message, or a `next` holding only errors.
        let errors = match refused["type"].as_str() {
            Some("error") => &refused["payload"],
            _ => &refused["payload"]["errors"],
        };
        assert!(refused["payload"]["data"].is_null(), "{service}: {refused}");
        let code = errors[0]["extensions"]["code"].as_str();
        assert!(matches!(code, Some("FORBIDDEN" | "NOT_FOUND")), "{service}: {refused}");
    }
    platform.stop().await;
}
