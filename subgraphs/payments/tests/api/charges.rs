use serde_json::json;
use sqlx::PgPool;
use uuid::Uuid;

use crate::helpers::TestPayments;

#[sqlx::test(migrations = false)]
async fn sandbox_tokens_succeed_decline_and_recover_from_transient_failures(pool: PgPool) {
    let payments = TestPayments::new(pool).await;
    let customer = Uuid::new_v4();
    let cases = [
        ("tok_visa", "SUCCEEDED", 1, None),
        ("tok_chargeDeclined", "FAILED", 1, Some("card declined")),
        ("tok_insufficientFunds", "FAILED", 1, Some("insufficient funds")),
        ("tok_transientTwice", "SUCCEEDED", 3, None),
    ];
    for (token, status, attempts, reason) in cases {
        let order = payments.order(customer, 2500, token).await;
        payments.deliver("inventory.reserved", json!({ "orderId": order })).await;
        let (_, got_status, got_attempts, got_reason) = payments.payment(order).await;
        assert_eq!(
            (got_status.as_str(), got_attempts, got_reason.as_deref()),
            (status, attempts, reason),
            "{token}"
        );
    }
    assert_eq!(payments.sandbox.charges().len(), 2, "two successful charges");
    assert_eq!(payments.events("payment.succeeded").await.len(), 2);
    let failed = payments.events("payment.failed").await;
    assert_eq!(
        failed.iter().map(|e| e["data"]["reason"].as_str().expect("reason")).collect::<Vec<_>>(),
        ["card declined", "insufficient funds"]
    );
}

#[sqlx::test(migrations = false)]
async fn duplicate_and_concurrent_reservation_events_charge_once(pool: PgPool) {
    let payments = TestPayments::new(pool).await;
    let order = payments.order(Uuid::new_v4(), 1000, "tok_visa").await;
    // The same order.created twice records one payment.
    payments.deliver("order.created", json!({ "orderId": order, "customerId": Uuid::new_v4(), "paymentToken": "tok_visa", "total": { "amount": 1000, "currency": "USD" } })).await;
    let deliveries =
        (0..10).map(|_| payments.deliver("inventory.reserved", json!({ "orderId": order })));
    futures::future::join_all(deliveries).await;
    assert_eq!(payments.sandbox.charges(), [("ch_sandbox_1".to_owned(), 1000)]);
    assert_eq!(payments.events("payment.succeeded").await.len(), 1);
    let count: i64 = sqlx::query_scalar("SELECT count(*) FROM payments")
        .fetch_one(&payments.pool)
        .await
        .expect("count");
    assert_eq!(count, 1);
}

#[sqlx::test(migrations = false)]
async fn a_reservation_that_overtakes_order_created_is_charged_once_the_order_arrives(
    pool: PgPool,
) {
    let payments = TestPayments::new(pool).await;
    let created = |order: Uuid| json!({ "orderId": order, "customerId": Uuid::new_v4(), "paymentToken": "tok_visa", "total": { "amount": 1500, "currency": "USD" } });
    // One after the other: the reservation first, nothing to charge yet.
    let order = Uuid::now_v7();
    payments.deliver("inventory.reserved", json!({ "orderId": order })).await;
    assert!(payments.sandbox.charges().is_empty());
    payments.deliver("order.created", created(order)).await;
    assert_eq!(payments.payment(order).await.1, "SUCCEEDED");
    // Redelivered, either event charges nothing more.
    payments.deliver("inventory.reserved", json!({ "orderId": order })).await;
    payments.deliver("order.created", created(order)).await;
    assert_eq!(payments.sandbox.charges().len(), 1);

    // At the same moment, as two instances would handle them: whichever
    // commits second sees the first's work, so each order is charged once.
    let orders: Vec<Uuid> = (0..20).map(|_| Uuid::now_v7()).collect();
    let (payments, created) = (&payments, &created);
    let both = orders.iter().map(|&order| async move {
        futures::join!(
            payments.deliver("inventory.reserved", json!({ "orderId": order })),
            payments.deliver("order.created", created(order)),
        )
    });
    futures::future::join_all(both).await;
    for order in &orders {
        assert_eq!(payments.payment(*order).await.1, "SUCCEEDED", "{order}");
    }
    assert_eq!(payments.sandbox.charges().len(), 1 + orders.len());
    assert_eq!(payments.events("payment.succeeded").await.len(), 1 + orders.len());
}

#[sqlx::test(migrations = false)]
async fn a_crash_after_the_charge_but_before_commit_does_not_charge_twice(pool: PgPool) {
    let payments = TestPayments::new(pool).await;
    let order = payments.order(Uuid::new_v4(), 4200, "tok_visa").await;
    // First life: the provider charges, then the transaction never commits.
    let mut tx = payments.pool.begin().await.expect("begin");
    payments.payments.charge(&mut tx, order, None).await.expect("charge");
    tx.rollback().await.expect("crash");
    assert_eq!(payments.payment(order).await.1, "PENDING");
    // Redelivery: the idempotency key gets the provider's first answer.
    payments.deliver("inventory.reserved", json!({ "orderId": order })).await;
    assert_eq!(payments.payment(order).await.1, "SUCCEEDED");
    assert_eq!(payments.sandbox.charges().len(), 1, "the card must be charged once");
}

#[sqlx::test(migrations = false)]
async fn only_the_customer_and_admins_see_an_orders_payment(pool: PgPool) {
    let payments = TestPayments::new(pool).await;
    let customer = Uuid::new_v4();
    let order = payments.order(customer, 999, "tok_visa").await;
    payments.deliver("inventory.reserved", json!({ "orderId": order })).await;
    let query = "query($r: [_Any!]!) { _entities(representations: $r) { ... on Order { payment { status amount { formatted } provider attempts } } } }";
    let vars = json!({ "r": [{ "__typename": "Order", "id": order }] });
    let own = payments.graphql(query, vars.clone(), Some(&payments.token(customer))).await;
    assert_eq!(
        own["data"]["_entities"][0]["payment"],
        json!({ "status": "SUCCEEDED", "amount": { "formatted": "$9.99" }, "provider": "sandbox", "attempts": 1 })
    );
    let other = payments.graphql(query, vars, Some(&payments.token(Uuid::new_v4()))).await;
    assert_eq!(other["data"]["_entities"][0]["payment"], serde_json::Value::Null, "{other}");
}
