//! `POST /webhooks/stripe`: signed by Stripe's scheme, applied once per
//! event id, settling payments that waited for 3-D Secure.

use payments::webhooks::signature;
use serde_json::{Value, json};
use sqlx::PgPool;
use uuid::Uuid;

use crate::helpers::{TestPayments, WEBHOOK_SECRET, error_code};

fn now() -> i64 {
    chrono::Utc::now().timestamp()
}

/// A Stripe event about `object`, and the header Stripe would send.
fn signed_event(kind: &str, object: Value, at: i64) -> (String, String) {
    let body = json!({
        "id": format!("evt_{}", Uuid::new_v4().simple()), "object": "event", "type": kind,
        "created": at, "data": { "object": object },
    })
    .to_string();
    let header = signature::header(WEBHOOK_SECRET, at, body.as_bytes());
    (body, header)
}

/// Stripe's word that the PaymentIntent `reference` succeeded, now.
fn intent_succeeded(reference: &str) -> (String, String) {
    let intent = json!({ "id": reference, "object": "payment_intent", "status": "succeeded" });
    signed_event("payment_intent.succeeded", intent, now())
}

/// An order whose charge needs 3-D Secure: the payment waits.
async fn waiting_order(payments: &TestPayments, customer: Uuid) -> (Uuid, String) {
    let order = payments.order(customer, 4200, "tok_threeDSecureRequired").await;
    payments.deliver("inventory.reserved", json!({ "orderId": order })).await;
    let reference: String =
        sqlx::query_scalar("SELECT provider_reference FROM payments WHERE order_id = $1")
            .bind(order)
            .fetch_one(&payments.pool)
            .await
            .expect("reference");
    (order, reference)
}

const PAYMENT_OF_ORDER: &str = r#"query($reps: [_Any!]!) { _entities(representations: $reps) { ... on Order { payment { status clientSecret } } } }"#;

async fn payment_seen_by(payments: &TestPayments, order: Uuid, token: &str) -> Value {
    let reps = json!({ "reps": [{ "__typename": "Order", "id": order }] });
    payments.graphql(PAYMENT_OF_ORDER, reps, Some(token)).await
}

#[sqlx::test(migrations = false)]
async fn a_3d_secure_charge_waits_for_its_customer_then_succeeds_by_webhook_once(pool: PgPool) {
    let payments = TestPayments::new(pool).await;
    let customer = Uuid::new_v4();
    let (order, reference) = waiting_order(&payments, customer).await;
    assert_eq!(payments.payment(order).await.1, "ACTION_REQUIRED");
    assert_eq!(payments.events("payment.action_required").await.len(), 1);
    assert!(payments.events("payment.succeeded").await.is_empty());
    assert!(payments.sandbox.charges().is_empty(), "nothing captured before the customer acts");

    // Only the customer gets the client secret.
    let owner = payment_seen_by(&payments, order, &payments.token(customer)).await;
    let seen = &owner["data"]["_entities"][0]["payment"];
    assert_eq!(seen["status"], "ACTION_REQUIRED");
    let secret = seen["clientSecret"].as_str().expect("client secret");
    assert!(secret.starts_with(&format!("{reference}_secret_")), "{secret}");
    let admin = payment_seen_by(&payments, order, &payments.admin()).await;
    assert_eq!(admin["data"]["_entities"][0]["payment"]["clientSecret"], Value::Null);
    let stranger = payment_seen_by(&payments, order, &payments.token(Uuid::new_v4())).await;
    assert_eq!(error_code(&stranger), "FORBIDDEN");

    let (body, header) = intent_succeeded(&reference);
    let (status, answer) = payments.webhook(&body, Some(&header)).await;
    assert_eq!((status, &answer["applied"]), (200, &json!(true)));
    assert_eq!(payments.payment(order).await.1, "SUCCEEDED");
    let succeeded = payments.events("payment.succeeded").await;
    assert_eq!(succeeded.len(), 1);
    assert_eq!(succeeded[0]["data"]["orderId"], json!(order));

    // Stripe redelivers; an attacker replays within the tolerance: ignored.
    for _ in 0..3 {
        let (status, answer) = payments.webhook(&body, Some(&header)).await;
        assert_eq!((status, &answer["applied"]), (200, &json!(false)));
    }
    assert_eq!(payments.events("payment.succeeded").await.len(), 1);
    let owner = payment_seen_by(&payments, order, &payments.token(customer)).await;
    assert_eq!(owner["data"]["_entities"][0]["payment"]["clientSecret"], Value::Null);
}

#[sqlx::test(migrations = false)]
async fn webhooks_without_a_valid_signature_are_refused_and_change_nothing(pool: PgPool) {
    let payments = TestPayments::new(pool).await;
    let (order, reference) = waiting_order(&payments, Uuid::new_v4()).await;
    let object = json!({ "id": reference, "object": "payment_intent", "status": "succeeded" });
    let (body, good) = signed_event("payment_intent.succeeded", object.clone(), now());
    let forged = signature::header("whsec_someone_else", now(), body.as_bytes());
    let (stale_body, stale) = signed_event("payment_intent.succeeded", object, now() - 3600);
    let tampered = body.replace("succeeded\"}", "succeeded\",\"x\":1}");
    let attempts = [
        (body.as_str(), None),
        (body.as_str(), Some(forged.as_str())),
        (stale_body.as_str(), Some(stale.as_str())),
        (tampered.as_str(), Some(good.as_str())),
        (body.as_str(), Some("t=1,v1=00")),
    ];
    for (body, header) in attempts {
        let (status, answer) = payments.webhook(body, header).await;
        assert_eq!(status, 400, "{header:?}: {answer}");
        assert_eq!(answer["error"], "invalid signature");
    }
    assert_eq!(payments.payment(order).await.1, "ACTION_REQUIRED");
    assert!(payments.events("payment.succeeded").await.is_empty());
    let recorded: i64 = sqlx::query_scalar("SELECT count(*) FROM stripe_events")
        .fetch_one(&payments.pool)
        .await
        .expect("count");
    assert_eq!(recorded, 0, "refused events are not remembered");
    // The genuine one still works afterwards.
    assert_eq!(payments.webhook(&body, Some(&good)).await.0, 200);
    assert_eq!(payments.payment(order).await.1, "SUCCEEDED");
}

#[sqlx::test(migrations = false)]
async fn a_failed_confirmation_fails_the_payment_with_stripes_reason(pool: PgPool) {
    let payments = TestPayments::new(pool).await;
    let (order, reference) = waiting_order(&payments, Uuid::new_v4()).await;
    let (body, header) = signed_event(
        "payment_intent.payment_failed",
        json!({ "id": reference, "object": "payment_intent", "status": "requires_payment_method",
                "last_payment_error": { "message": "The customer failed authentication." } }),
        now(),
    );
    assert_eq!(payments.webhook(&body, Some(&header)).await.0, 200);
    let (_, status, _, reason) = payments.payment(order).await;
    assert_eq!(
        (status.as_str(), reason.as_deref()),
        ("FAILED", Some("The customer failed authentication."))
    );
    let failed = payments.events("payment.failed").await;
    assert_eq!(failed.len(), 1);
    // Another failure event (a second attempt in Stripe) changes nothing.
    let (body, header) = signed_event(
        "payment_intent.payment_failed",
        json!({ "id": reference, "object": "payment_intent", "last_payment_error": { "message": "again" } }),
        now(),
    );
    let (status, answer) = payments.webhook(&body, Some(&header)).await;
    assert_eq!((status, &answer["applied"]), (200, &json!(false)));
    assert_eq!(
        payments.payment(order).await.3.as_deref(),
        Some("The customer failed authentication.")
    );
    assert_eq!(payments.events("payment.failed").await.len(), 1);
}

#[sqlx::test(migrations = false)]
async fn refunds_made_in_stripe_are_recorded_and_our_own_are_not_counted_twice(pool: PgPool) {
    let payments = TestPayments::new(pool).await;
    let (order, reference) = waiting_order(&payments, Uuid::new_v4()).await;
    let (body, header) = intent_succeeded(&reference);
    payments.webhook(&body, Some(&header)).await;
    let (payment, ..) = payments.payment(order).await;

    // Our own partial refund, then Stripe's event about it: nothing new.
    payments.payments.refund_now(payment, Some(1000), None, "ours", None).await.expect("refund");
    let charge = |refunded: i64| {
        json!({ "id": "ch_1", "object": "charge", "payment_intent": reference, "amount": 4200,
                "amount_refunded": refunded, "refunds": { "data": [{ "id": format!("re_{refunded}") }] } })
    };
    let (body, header) = signed_event("charge.refunded", charge(1000), now());
    let (_, answer) = payments.webhook(&body, Some(&header)).await;
    assert_eq!(answer["applied"], false);
    assert_eq!(payments.events("payment.refunded").await.len(), 1);

    // The rest refunded in Stripe's dashboard: recorded, the order told.
    let (body, header) = signed_event("charge.refunded", charge(4200), now());
    let (_, answer) = payments.webhook(&body, Some(&header)).await;
    assert_eq!(answer["applied"], true);
    assert_eq!(payments.payment(order).await.1, "REFUNDED");
    let refunded = payments.events("payment.refunded").await;
    assert_eq!(refunded.len(), 2);
    assert_eq!(refunded[1]["data"]["amount"]["amount"], 3200);
    assert_eq!(refunded[1]["data"]["full"], true);
}

#[sqlx::test(migrations = false)]
async fn a_confirmation_after_the_order_was_cancelled_is_refunded_in_full(pool: PgPool) {
    let payments = TestPayments::new(pool).await;
    let (order, reference) = waiting_order(&payments, Uuid::new_v4()).await;
    payments
        .deliver(
            "order.status_changed",
            json!({ "orderId": order, "status": "CANCELLED", "previousStatus": "PAYMENT_ACTION_REQUIRED" }),
        )
        .await;
    let (_, status, _, reason) = payments.payment(order).await;
    assert_eq!(status, "FAILED");
    assert!(reason.expect("reason").contains("cancelled"));

    // The customer's bank confirmed anyway: Stripe took the money.
    let (body, header) = intent_succeeded(&reference);
    let (status, answer) = payments.webhook(&body, Some(&header)).await;
    assert_eq!((status, &answer["applied"]), (200, &json!(true)));
    assert_eq!(payments.payment(order).await.1, "REFUNDED");
    assert_eq!(payments.sandbox.refunds(), [(reference, 4200)]);
    assert!(payments.events("payment.succeeded").await.is_empty(), "the order is not paid");
    let refunded = payments.events("payment.refunded").await;
    assert_eq!((refunded.len(), &refunded[0]["data"]["full"]), (1, &json!(true)));
    // Redelivered: still one refund.
    payments.webhook(&body, Some(&header)).await;
    assert_eq!(payments.sandbox.refunds().len(), 1);
}
