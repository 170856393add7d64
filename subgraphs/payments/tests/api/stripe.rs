//! The Stripe adapter against a local server speaking Stripe's REST API:
//! form-encoded bodies, bearer secret key, `Idempotency-Key`, and Stripe's
//! error shapes.

use std::{
    collections::HashMap,
    sync::{Arc, Mutex},
};

use axum::{
    Json, Router,
    extract::State,
    http::{HeaderMap, StatusCode},
    response::{IntoResponse, Response},
    routing::post,
};
use payments::provider::{Charge, Charged, Provider, ProviderError, Stripe};
use serde_json::json;

#[derive(Default)]
struct Fake {
    /// Idempotency-Key -> the response given.
    answers: HashMap<String, (u16, serde_json::Value)>,
    created: usize,
    seen_forms: Vec<HashMap<String, String>>,
    /// Where webhooks go, and the endpoint's signing secret.
    webhook: Option<(String, String)>,
    /// PaymentIntents waiting for or past 3-D Secure: id -> status.
    intents: HashMap<String, String>,
}

type Shared = Arc<Mutex<Fake>>;

fn parse_form(body: &str) -> HashMap<String, String> {
    body.split('&')
        .filter_map(|pair| pair.split_once('='))
        .map(|(k, v)| (decode(k), decode(v)))
        .collect()
}

fn decode(s: &str) -> String {
    let mut out = Vec::new();
    let bytes = s.as_bytes();
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'+' => out.push(b' '),
            b'%' if i + 2 < bytes.len() => {
                out.push(u8::from_str_radix(&s[i + 1..i + 3], 16).unwrap_or(b'?'));
                i += 2;
            }
            b => out.push(b),
        }
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

async fn payment_intents(State(fake): State<Shared>, headers: HeaderMap, body: String) -> Response {
    if headers.get("authorization").and_then(|v| v.to_str().ok()) != Some("Bearer sk_test_123") {
        return (StatusCode::UNAUTHORIZED, Json(json!({ "error": { "type": "invalid_request_error", "message": "Invalid API Key" } }))).into_response();
    }
    let Some(key) = headers.get("idempotency-key").and_then(|v| v.to_str().ok()).map(str::to_owned)
    else {
        return (StatusCode::BAD_REQUEST, Json(json!({ "error": { "type": "invalid_request_error", "message": "Idempotency-Key required by this test" } }))).into_response();
    };
    let mut fake = fake.lock().expect("fake");
    if let Some((status, body)) = fake.answers.get(&key) {
        return (StatusCode::from_u16(*status).expect("status"), Json(body.clone()))
            .into_response();
    }
    let form = parse_form(&body);
    fake.seen_forms.push(form.clone());
    let (status, answer) = match form.get("payment_method").map(String::as_str) {
        Some("pm_card_visa" | "pm_card_visa_attached") => {
            fake.created += 1;
            (
                200,
                json!({ "id": format!("pi_{}", fake.created), "object": "payment_intent", "status": "succeeded", "amount": form["amount"] }),
            )
        }
        // Stripe's test card that always asks for 3-D Secure.
        Some("pm_card_threeDSecure2Required") => {
            fake.created += 1;
            let id = format!("pi_{}", fake.created);
            fake.intents.insert(id.clone(), "requires_action".into());
            (
                200,
                json!({ "id": id, "object": "payment_intent", "status": "requires_action", "client_secret": format!("{id}_secret_abc"), "next_action": { "type": "use_stripe_sdk" } }),
            )
        }
        Some("pm_card_chargeDeclined") => (
            402,
            json!({ "error": { "type": "card_error", "code": "card_declined", "decline_code": "generic_decline", "message": "Your card was declined." } }),
        ),
        _ => (500, json!({ "error": { "type": "api_error", "message": "Something went wrong" } })),
    };
    if status != 500 {
        fake.answers.insert(key, (status, answer.clone()));
    }
    (StatusCode::from_u16(status).expect("status"), Json(answer)).into_response()
}

async fn refunds(State(fake): State<Shared>, body: String) -> Response {
    let form = parse_form(&body);
    fake.lock().expect("fake").seen_forms.push(form.clone());
    Json(json!({ "id": "re_1", "object": "refund", "payment_intent": form["payment_intent"], "amount": form["amount"] })).into_response()
}

/// What Stripe does once the customer has passed 3-D Secure in their
/// browser: the intent succeeds, and a signed `payment_intent.succeeded`
/// goes to the webhook endpoint (this route stands in for the browser).
async fn customer_authenticates(
    State(fake): State<Shared>,
    axum::extract::Path(intent): axum::extract::Path<String>,
) -> StatusCode {
    let webhook = {
        let mut fake = fake.lock().expect("fake");
        match fake.intents.get_mut(&intent) {
            Some(status) if status == "requires_action" => *status = "succeeded".into(),
            _ => return StatusCode::CONFLICT,
        }
        fake.webhook.clone()
    };
    // Without an endpoint (or when it is down) the event is not delivered.
    let Some((url, secret)) = webhook else { return StatusCode::OK };
    let created = chrono::Utc::now().timestamp();
    let body = json!({
        "id": format!("evt_{}", uuid::Uuid::new_v4().simple()), "object": "event",
        "api_version": "2024-06-20", "created": created, "type": "payment_intent.succeeded",
        "data": { "object": { "id": intent, "object": "payment_intent", "status": "succeeded" } },
    })
    .to_string();
    let signature = payments::webhooks::signature::header(&secret, created, body.as_bytes());
    let delivered = reqwest::Client::new()
        .post(url)
        .header("content-type", "application/json; charset=utf-8")
        .header("user-agent", "Stripe/1.0 (+https://stripe.com/docs/webhooks)")
        .header("stripe-signature", signature)
        .body(body)
        .send()
        .await;
    match delivered {
        Ok(response) => response.status(),
        Err(_) => StatusCode::BAD_GATEWAY,
    }
}

async fn cancel_intent(
    State(fake): State<Shared>,
    axum::extract::Path(intent): axum::extract::Path<String>,
) -> Response {
    let mut fake = fake.lock().expect("fake");
    match fake.intents.get_mut(&intent) {
        Some(status) if status == "requires_action" => {
            *status = "canceled".into();
            Json(json!({ "id": intent, "object": "payment_intent", "status": "canceled" })).into_response()
        }
        Some(status) => (
            StatusCode::BAD_REQUEST,
            Json(json!({ "error": { "type": "invalid_request_error", "code": "payment_intent_unexpected_state",
                "message": format!("This PaymentIntent's status is {status}") } })),
        )
            .into_response(),
        None => (StatusCode::NOT_FOUND, Json(json!({ "error": { "type": "invalid_request_error", "code": "resource_missing" } }))).into_response(),
    }
}

async fn read_intent(
    State(fake): State<Shared>,
    axum::extract::Path(intent): axum::extract::Path<String>,
) -> Response {
    let status = fake.lock().expect("fake").intents.get(&intent).cloned();
    match status {
        Some(status) => Json(json!({ "id": intent, "object": "payment_intent", "status": status }))
            .into_response(),
        None => StatusCode::NOT_FOUND.into_response(),
    }
}

async fn customers(headers: HeaderMap) -> Response {
    let key = headers.get("idempotency-key").and_then(|v| v.to_str().ok()).unwrap_or("none");
    Json(json!({ "id": format!("cus_{key}"), "object": "customer" })).into_response()
}

/// Attaching Stripe's test PaymentMethods to a customer.
async fn attach(
    State(fake): State<Shared>,
    axum::extract::Path(method): axum::extract::Path<String>,
    body: String,
) -> Response {
    let form = parse_form(&body);
    fake.lock().expect("fake").seen_forms.push(form.clone());
    let (brand, last4) = match method.as_str() {
        "pm_card_visa" => ("visa", "4242"),
        "pm_card_mastercard" => ("mastercard", "4444"),
        _ => {
            return (StatusCode::BAD_REQUEST, Json(json!({ "error": { "type": "invalid_request_error", "code": "resource_missing", "message": "No such PaymentMethod" } }))).into_response();
        }
    };
    Json(json!({
        "id": format!("{method}_attached"), "object": "payment_method", "type": "card",
        "customer": form.get("customer"),
        "card": { "brand": brand, "last4": last4, "exp_month": 8, "exp_year": 2031, "funding": "credit" },
    }))
    .into_response()
}

async fn detach(axum::extract::Path(method): axum::extract::Path<String>) -> Response {
    Json(json!({ "id": method, "object": "payment_method", "customer": null })).into_response()
}

async fn fake_stripe() -> (String, Shared) {
    let shared: Shared = Arc::default();
    let app = Router::new()
        .route("/v1/payment_intents", post(payment_intents))
        .route("/v1/refunds", post(refunds))
        .route("/v1/payment_intents/{intent}", axum::routing::get(read_intent))
        .route("/v1/payment_intents/{intent}/cancel", post(cancel_intent))
        .route("/v1/customers", post(customers))
        .route("/v1/payment_methods/{method}/attach", post(attach))
        .route("/v1/payment_methods/{method}/detach", post(detach))
        .route("/test/authenticate/{intent}", post(customer_authenticates))
        .with_state(shared.clone());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let url = format!("http://{}", listener.local_addr().expect("addr"));
    tokio::spawn(async move { axum::serve(listener, app).await.ok() });
    (url, shared)
}

fn charge<'a>(token: &'a str, key: &'a str) -> Charge<'a> {
    Charge { amount: 2599, currency: "USD", token, customer: None, idempotency_key: key }
}

#[tokio::test]
async fn charges_are_form_encoded_idempotent_payment_intents() {
    let (url, fake) = fake_stripe().await;
    let stripe = Stripe::new(&url, "sk_test_123");
    let first = stripe.charge(&charge("pm_card_visa", "charge-1")).await.expect("charge");
    let retry = stripe.charge(&charge("pm_card_visa", "charge-1")).await.expect("retry");
    assert_eq!(first, Charged::Succeeded("pi_1".into()));
    assert_eq!(retry, first, "the same key must return the same intent");
    let fake = fake.lock().expect("fake");
    assert_eq!(fake.created, 1);
    let form = &fake.seen_forms[0];
    assert_eq!(form["amount"], "2599");
    assert_eq!(form["currency"], "usd");
    assert_eq!(form["confirm"], "true");
    assert_eq!(form["automatic_payment_methods[allow_redirects]"], "never");
}

#[tokio::test]
async fn declines_and_server_errors_are_told_apart() {
    let (url, _) = fake_stripe().await;
    let stripe = Stripe::new(&url, "sk_test_123");
    assert_eq!(
        stripe.charge(&charge("pm_card_chargeDeclined", "c-2")).await,
        Err(ProviderError::Declined("generic decline".into()))
    );
    assert!(matches!(
        stripe.charge(&charge("pm_whatever", "c-3")).await,
        Err(ProviderError::Transient(_))
    ));
    let wrong_key = Stripe::new(&url, "sk_wrong");
    assert!(matches!(
        wrong_key.charge(&charge("pm_card_visa", "c-4")).await,
        Err(ProviderError::Declined(_))
    ));
}

#[tokio::test]
async fn refunds_name_the_payment_intent_and_amount() {
    let (url, fake) = fake_stripe().await;
    let stripe = Stripe::new(&url, "sk_test_123");
    assert_eq!(stripe.refund("pi_9", 500, "refund-1").await.expect("refund"), "re_1");
    let form = fake.lock().expect("fake").seen_forms[0].clone();
    assert_eq!((form["payment_intent"].as_str(), form["amount"].as_str()), ("pi_9", "500"));
}

#[tokio::test]
async fn a_card_that_needs_3d_secure_waits_with_its_client_secret() {
    let (url, _) = fake_stripe().await;
    let stripe = Stripe::new(&url, "sk_test_123");
    assert_eq!(
        stripe.charge(&charge("pm_card_threeDSecure2Required", "c-5")).await,
        Ok(Charged::ActionRequired {
            reference: "pi_1".into(),
            client_secret: "pi_1_secret_abc".into()
        })
    );
}

/// The whole 3-D Secure path against the fake: the charge waits, the
/// customer authenticates, Stripe's signed webhook reaches the running
/// payments service and settles the payment once.
#[sqlx::test(migrations = false)]
async fn stripe_settles_a_3d_secure_charge_by_signed_webhook(pool: sqlx::PgPool) {
    let (url, fake) = fake_stripe().await;
    let stripe = Provider::Stripe(Stripe::new(&url, "sk_test_123"));
    let payments = crate::helpers::TestPayments::with_provider(pool, stripe).await;
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let served =
        format!("http://{}{}", listener.local_addr().expect("addr"), payments::webhooks::PATH);
    let router = payments.router.clone();
    tokio::spawn(async move { axum::serve(listener, router).await.ok() });
    fake.lock().expect("fake").webhook = Some((served, crate::helpers::WEBHOOK_SECRET.to_owned()));

    let order = payments.order(uuid::Uuid::new_v4(), 3100, "pm_card_threeDSecure2Required").await;
    payments.deliver("inventory.reserved", json!({ "orderId": order })).await;
    assert_eq!(payments.payment(order).await.1, "ACTION_REQUIRED");

    let client = reqwest::Client::new();
    let authenticate = format!("{url}/test/authenticate/pi_1");
    let status = client.post(&authenticate).send().await.expect("authenticate").status();
    assert_eq!(status, 200, "the webhook was not accepted");
    assert_eq!(payments.payment(order).await.1, "SUCCEEDED");
    // Another success for the same intent changes nothing.
    client.post(&authenticate).send().await.expect("again");
    assert_eq!(payments.events("payment.succeeded").await.len(), 1);
}

#[tokio::test]
async fn cards_are_saved_on_a_stripe_customer_and_charged_with_it() {
    let (url, fake) = fake_stripe().await;
    let stripe = Provider::Stripe(Stripe::new(&url, "sk_test_123"));
    let customer = stripe.create_customer("customer-1").await.expect("customer");
    assert_eq!(customer, "cus_customer-1");
    let card = stripe.save_card(&customer, "pm_card_visa").await.expect("saved");
    assert_eq!(
        (
            card.method.as_str(),
            card.brand.as_str(),
            card.last4.as_str(),
            card.exp_month,
            card.exp_year
        ),
        ("pm_card_visa_attached", "visa", "4242", 8, 2031)
    );
    assert!(matches!(
        stripe.save_card(&customer, "pm_card_unknown").await,
        Err(ProviderError::Declined(_))
    ));
    let saved = Charge { customer: Some(&customer), ..charge(&card.method, "c-6") };
    assert!(matches!(stripe.charge(&saved).await, Ok(Charged::Succeeded(_))));
    let charged = fake.lock().expect("fake").seen_forms.last().cloned().expect("form");
    assert_eq!(
        (charged["customer"].as_str(), charged["payment_method"].as_str()),
        ("cus_customer-1", "pm_card_visa_attached")
    );
    stripe.remove_card(&card.method).await.expect("detached");
}

/// A 3-D Secure order cancelled while its customer has not confirmed: the
/// intent is cancelled at Stripe, and the customer can no longer pay it.
/// Cancelled after the customer confirmed but before the webhook arrived:
/// the money is refunded in full.
#[sqlx::test(migrations = false)]
async fn cancelling_a_waiting_order_cancels_the_intent_or_refunds_a_confirmed_one(
    pool: sqlx::PgPool,
) {
    let (url, fake) = fake_stripe().await;
    let stripe = Provider::Stripe(Stripe::new(&url, "sk_test_123"));
    let payments = crate::helpers::TestPayments::with_provider(pool, stripe).await;
    let client = reqwest::Client::new();
    let mut orders = Vec::new();
    for confirmed_first in [false, true] {
        let order =
            payments.order(uuid::Uuid::new_v4(), 2700, "pm_card_threeDSecure2Required").await;
        payments.deliver("inventory.reserved", json!({ "orderId": order })).await;
        let intent = format!("pi_{}", orders.len() + 1);
        if confirmed_first {
            // Confirmed, but the webhook has not arrived (no endpoint yet).
            let answer = client.post(format!("{url}/test/authenticate/{intent}")).send().await;
            assert_eq!(answer.expect("authenticate").status(), 200);
        }
        payments
            .deliver(
                "order.status_changed",
                json!({ "orderId": order, "status": "CANCELLED", "previousStatus": "PAYMENT_ACTION_REQUIRED" }),
            )
            .await;
        orders.push((order, intent));
    }
    let (waiting, confirmed) = (&orders[0], &orders[1]);
    assert_eq!(payments.payment(waiting.0).await.1, "FAILED");
    assert_eq!(fake.lock().expect("fake").intents[&waiting.1], "canceled");
    let too_late = client.post(format!("{url}/test/authenticate/{}", waiting.1)).send().await;
    assert_eq!(too_late.expect("authenticate").status(), 409, "a cancelled intent cannot be paid");

    assert_eq!(payments.payment(confirmed.0).await.1, "REFUNDED");
    let refunds = payments.events("payment.refunded").await;
    assert_eq!(refunds.len(), 1);
    assert_eq!(refunds[0]["data"]["orderId"], json!(confirmed.0));
    assert_eq!(refunds[0]["data"]["amount"]["amount"], 2700);
    let refund_form = fake.lock().expect("fake").seen_forms.last().cloned().expect("form");
    assert_eq!(refund_form["payment_intent"], confirmed.1);
    assert!(payments.events("payment.succeeded").await.is_empty());
}
