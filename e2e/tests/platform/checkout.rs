//! The checkout saga end to end, through the router, over RabbitMQ.

use serde_json::{Value, json};
use sqlx::PgPool;

use e2e::platform::{Platform, STRIPE_WEBHOOK_SECRET};

#[sqlx::test(migrations = false)]
async fn checkout_with_a_good_card_reaches_paid_and_commits_the_stock(pool: PgPool) {
    let platform = Platform::start(pool).await;
    let token = platform.customer("ada@example.com").await;
    let products = platform.products("chair", 3).await;
    assert_eq!(products.len(), 3);
    let before: Vec<i64> =
        futures::future::join_all(products.iter().map(|p| platform.available(p))).await;
    for product in &products {
        platform.add_to_cart(&token, product, 1).await;
    }
    let placed = platform.checkout(&token, "tok_visa", "ada-1").await;
    assert_eq!(placed["data"]["checkout"]["status"], "PENDING", "{placed}");
    let order = placed["data"]["checkout"]["id"].as_str().expect("id").to_owned();

    let paid = platform.wait_for_status(&token, &order, "PAID").await;
    assert_eq!(paid["data"]["order"]["payment"], json!({ "status": "SUCCEEDED", "attempts": 1 }));
    // Committed: on-hand dropped by one each and nothing is left reserved.
    for (product, before) in products.iter().zip(before) {
        let mut committed = false;
        for _ in 0..100 {
            let (on_hand, reserved): (i64, i64) = sqlx::query_as(
                "SELECT sum(on_hand)::bigint, sum(reserved)::bigint FROM stock_levels WHERE product_id = $1",
            )
            .bind(product)
            .fetch_one(&platform.pool)
            .await
            .expect("stock");
            if reserved == 0 && on_hand == before - 1 {
                committed = true;
                break;
            }
            tokio::time::sleep(std::time::Duration::from_millis(50)).await;
        }
        assert!(committed, "stock of {product} was not committed");
    }
    let cart = platform.graphql("{ cart { itemCount } }", json!({}), Some(&token)).await;
    assert_eq!(cart["data"]["cart"]["itemCount"], 0, "{cart}");

    // Shipping is the cheapest rate quoted for these items to this address.
    let items: Vec<_> = products.iter().map(|p| json!({ "productId": p, "quantity": 1 })).collect();
    let rates = platform
        .graphql("query($i: [RateItemInput!]!) { shippingRates(country: \"GB\", postalCode: \"N1 9GU\", items: $i) { cost { amount } } }", json!({ "i": items }), None)
        .await;
    let cheapest = rates["data"]["shippingRates"][0]["cost"]["amount"]
        .as_i64()
        .unwrap_or_else(|| panic!("{rates}"));
    let totals = platform
        .graphql("query($id: ID!) { order(id: $id) { subtotal { amount } shippingCost { amount } total { amount } } }", json!({ "id": order }), Some(&token))
        .await;
    let order_totals = &totals["data"]["order"];
    assert_eq!(order_totals["shippingCost"]["amount"], cheapest, "{totals}");
    assert_eq!(
        order_totals["total"]["amount"].as_i64(),
        Some(order_totals["subtotal"]["amount"].as_i64().expect("subtotal") + cheapest)
    );
    platform.stop().await;
}

#[sqlx::test(migrations = false)]
async fn a_declined_card_ends_payment_failed_and_the_stock_is_available_again(pool: PgPool) {
    let platform = Platform::start(pool).await;
    let token = platform.customer("bob@example.com").await;
    let product = platform.products("table", 1).await.remove(0);
    let before = platform.available(&product).await;
    platform.add_to_cart(&token, &product, 2).await;
    let placed = platform.checkout(&token, "tok_chargeDeclined", "bob-1").await;
    let order =
        placed["data"]["checkout"]["id"].as_str().unwrap_or_else(|| panic!("{placed}")).to_owned();
    let failed = platform.wait_for_status(&token, &order, "PAYMENT_FAILED").await;
    assert_eq!(failed["data"]["order"]["payment"]["status"], "FAILED");
    let mut released = false;
    for _ in 0..100 {
        if platform.available(&product).await == before {
            released = true;
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    assert!(released, "the reservation was not released");
    platform.stop().await;
}

#[sqlx::test(migrations = false)]
async fn the_same_idempotency_key_twice_gives_one_order_and_one_charge(pool: PgPool) {
    let platform = Platform::start(pool).await;
    let token = platform.customer("carol@example.com").await;
    let product = platform.products("lamp", 1).await.remove(0);
    platform.add_to_cart(&token, &product, 1).await;
    let (first, second) = tokio::join!(
        platform.checkout(&token, "tok_visa", "carol-1"),
        platform.checkout(&token, "tok_visa", "carol-1"),
    );
    let id =
        first["data"]["checkout"]["id"].as_str().unwrap_or_else(|| panic!("{first}")).to_owned();
    assert_eq!(second["data"]["checkout"]["id"], id.as_str(), "{second}");
    platform.wait_for_status(&token, &id, "PAID").await;
    let (orders, payments): (i64, i64) =
        sqlx::query_as("SELECT (SELECT count(*) FROM orders), (SELECT count(*) FROM payments)")
            .fetch_one(&platform.pool)
            .await
            .expect("counts");
    assert_eq!((orders, payments), (1, 1));
    let retry = platform.checkout(&token, "tok_visa", "carol-1").await;
    assert_eq!(
        retry["data"]["checkout"]["id"],
        id.as_str(),
        "a later retry gets the same order: {retry}"
    );
    platform.stop().await;
}

#[sqlx::test(migrations = false)]
async fn twenty_customers_race_for_the_last_five_units_and_exactly_five_pay(pool: PgPool) {
    let platform = Platform::start(pool).await;
    let product = platform.products("chair", 1).await.remove(0);
    // Five units left, split over both warehouses.
    sqlx::query("UPDATE stock_levels SET on_hand = CASE WHEN warehouse_id = (SELECT min(warehouse_id::text)::uuid FROM stock_levels) THEN 3 ELSE 2 END, reserved = 0 WHERE product_id = $1")
        .bind(&product)
        .execute(&platform.pool)
        .await
        .expect("stock");
    let mut customers = Vec::new();
    for i in 0..20 {
        let token = platform.customer(&format!("racer{i}@example.com")).await;
        platform.add_to_cart(&token, &product, 1).await;
        customers.push(token);
    }
    // Wait out the 5 s availability cache so every checkout sees five left.
    tokio::time::sleep(std::time::Duration::from_secs(5)).await;
    let keys: Vec<String> = (0..customers.len()).map(|i| format!("race-{i}")).collect();
    let placed = futures::future::join_all(
        customers.iter().zip(&keys).map(|(token, key)| platform.checkout(token, "tok_visa", key)),
    )
    .await;
    let ids: Vec<String> = placed
        .iter()
        .map(|p| p["data"]["checkout"]["id"].as_str().unwrap_or_else(|| panic!("{p}")).to_owned())
        .collect();

    let mut outcomes = std::collections::HashMap::<String, usize>::new();
    for (token, id) in customers.iter().zip(&ids) {
        let mut status = String::new();
        for _ in 0..300 {
            let order = platform
                .graphql(
                    "query($id: ID!) { order(id: $id) { status } }",
                    json!({ "id": id }),
                    Some(token),
                )
                .await;
            status = order["data"]["order"]["status"].as_str().unwrap_or_default().to_owned();
            if e2e::platform::reached(&status, "PAID") {
                status = "PAID".into();
                break;
            }
            if status == "CANCELLED" {
                break;
            }
            tokio::time::sleep(std::time::Duration::from_millis(50)).await;
        }
        *outcomes.entry(status).or_default() += 1;
    }
    assert_eq!(outcomes.get("PAID"), Some(&5), "{outcomes:?}");
    assert_eq!(outcomes.get("CANCELLED"), Some(&15), "{outcomes:?}");
    let charges: i64 =
        sqlx::query_scalar("SELECT count(*) FROM payments WHERE status = 'SUCCEEDED'")
            .fetch_one(&platform.pool)
            .await
            .expect("charges");
    assert_eq!(charges, 5);
    // Inventory commits a reservation when it hears of PAID, a moment after
    // the order reads PAID: wait for the stock to settle, never below zero.
    let mut stock: (i64, i64, i64) = (-1, -1, -1);
    for _ in 0..100 {
        stock = sqlx::query_as(
            "SELECT sum(on_hand)::bigint, sum(reserved)::bigint, count(*) FILTER (WHERE on_hand < 0 OR reserved < 0) FROM stock_levels WHERE product_id = $1",
        )
        .bind(&product)
        .fetch_one(&platform.pool)
        .await
        .expect("stock");
        assert_eq!(stock.2, 0, "negative stock: {stock:?}");
        if stock == (0, 0, 0) {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    assert_eq!(stock, (0, 0, 0));
    platform.stop().await;
}

#[sqlx::test(migrations = false)]
async fn with_rabbitmq_down_during_checkout_the_saga_completes_once_it_is_back(pool: PgPool) {
    let mut proxy = kit::testing::BrokerProxy::start().await;
    let platform = Platform::start_with(pool, Some(proxy.addr)).await;
    let token = platform.customer("dora@example.com").await;
    let product = platform.products("chair", 1).await.remove(0);
    platform.add_to_cart(&token, &product, 1).await;

    proxy.stop().await;
    let placed = platform.checkout(&token, "tok_visa", "dora-1").await;
    let order =
        placed["data"]["checkout"]["id"].as_str().unwrap_or_else(|| panic!("{placed}")).to_owned();
    tokio::time::sleep(std::time::Duration::from_secs(1)).await;
    let waiting: i64 = sqlx::query_scalar(
        "SELECT count(*) FROM outbox WHERE routing_key = 'order.created' AND published_at IS NULL",
    )
    .fetch_one(&platform.pool)
    .await
    .expect("outbox");
    assert_eq!(waiting, 1, "the event must wait in the outbox");
    let pending = platform
        .graphql(
            "query($id: ID!) { order(id: $id) { status } }",
            json!({ "id": order }),
            Some(&token),
        )
        .await;
    assert_eq!(pending["data"]["order"]["status"], "PENDING");

    proxy.restart().await;
    let paid = platform.wait_for_status(&token, &order, "PAID").await;
    assert_eq!(paid["data"]["order"]["payment"]["status"], "SUCCEEDED");
    proxy.stop().await;
    platform.stop().await;
}

#[sqlx::test(migrations = false)]
async fn a_paid_order_is_shipped_by_the_sandbox_carrier_and_delivered(pool: PgPool) {
    let platform = Platform::start(pool).await;
    let token = platform.customer("erin@example.com").await;
    let product = platform.products("chair", 1).await.remove(0);
    platform.add_to_cart(&token, &product, 1).await;
    let placed = platform.checkout(&token, "tok_visa", "erin-1").await;
    let order =
        placed["data"]["checkout"]["id"].as_str().unwrap_or_else(|| panic!("{placed}")).to_owned();
    platform.wait_for_status(&token, &order, "DELIVERED").await;

    let tracked = platform
        .graphql("query($id: ID!) { order(id: $id) { statusHistory { status } shipment { status trackingNumber events { status location } } } }", json!({ "id": order }), Some(&token))
        .await;
    let history: Vec<&str> = tracked["data"]["order"]["statusHistory"]
        .as_array()
        .expect("history")
        .iter()
        .filter_map(|h| h["status"].as_str())
        .collect();
    assert_eq!(history, ["PENDING", "PAID", "FULFILLING", "SHIPPED", "DELIVERED"]);
    let shipment = &tracked["data"]["order"]["shipment"];
    assert_eq!(shipment["status"], "DELIVERED");
    let steps: Vec<&str> = shipment["events"]
        .as_array()
        .expect("events")
        .iter()
        .filter_map(|e| e["status"].as_str())
        .collect();
    assert_eq!(
        steps,
        ["LABEL_CREATED", "PICKED_UP", "IN_TRANSIT", "OUT_FOR_DELIVERY", "DELIVERED"]
    );

    // Anyone with the tracking number sees the journey, not the customer.
    let number = shipment["trackingNumber"].as_str().expect("number");
    let public = platform.graphql("query($n: String!) { trackShipment(trackingNumber: $n) { status events { description } estimatedDelivery } }", json!({ "n": number }), None).await;
    assert_eq!(public["data"]["trackShipment"]["status"], "DELIVERED", "{public}");
    let nosy = platform
        .graphql(
            "query($n: String!) { trackShipment(trackingNumber: $n) { order { id } } }",
            json!({ "n": number }),
            None,
        )
        .await;
    assert_eq!(nosy["errors"][0]["extensions"]["code"], "UNAUTHENTICATED", "{nosy}");
    platform.stop().await;
}

/// Plays Stripe: POSTs `payment_intent.succeeded` (event `event`) for
/// `intent` to the payments service, signed as Stripe signs, with `secret`.
async fn stripe_confirms(
    platform: &Platform,
    (event, intent): (&str, &str),
    secret: &str,
) -> (u16, Value) {
    let body = json!({
        "id": event, "object": "event",
        "type": "payment_intent.succeeded",
        "data": { "object": { "id": intent, "object": "payment_intent", "status": "succeeded" } },
    })
    .to_string();
    let at = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .expect("clock")
        .as_secs() as i64;
    let signature = payments::webhooks::signature::header(secret, at, body.as_bytes());
    let response = reqwest::Client::new()
        .post(platform.url("payments", payments::webhooks::PATH))
        .header("content-type", "application/json")
        .header("stripe-signature", signature)
        .body(body)
        .send()
        .await
        .expect("webhook");
    let status = response.status().as_u16();
    (status, response.json().await.unwrap_or(Value::Null))
}

#[sqlx::test(migrations = false)]
async fn a_card_that_needs_3d_secure_waits_for_the_customer_then_is_paid_by_webhook(pool: PgPool) {
    let platform = Platform::start(pool).await;
    let token = platform.customer("dora@example.com").await;
    let product = platform.products("lamp", 1).await.remove(0);
    platform.add_to_cart(&token, &product, 1).await;
    let placed = platform.checkout(&token, "tok_threeDSecureRequired", "dora-1").await;
    let order =
        placed["data"]["checkout"]["id"].as_str().unwrap_or_else(|| panic!("{placed}")).to_owned();
    platform.wait_for_status(&token, &order, "PAYMENT_ACTION_REQUIRED").await;

    // What the customer's browser hands to Stripe.js, through the router.
    let waiting = platform
        .graphql(
            "query($id: ID!) { order(id: $id) { status payment { status clientSecret } } }",
            json!({ "id": order }),
            Some(&token),
        )
        .await;
    let payment = &waiting["data"]["order"]["payment"];
    assert_eq!(payment["status"], "ACTION_REQUIRED", "{waiting}");
    let secret = payment["clientSecret"].as_str().unwrap_or_else(|| panic!("{waiting}"));
    let intent = secret.split("_secret_").next().expect("intent id");

    // A forged confirmation is refused and changes nothing.
    let event = format!("evt_{}", uuid::Uuid::new_v4().simple());
    let (status, _) = stripe_confirms(&platform, (&event, intent), "whsec_forged").await;
    assert_eq!(status, 400);
    let (status, answer) =
        stripe_confirms(&platform, (&event, intent), STRIPE_WEBHOOK_SECRET).await;
    assert_eq!((status, &answer["applied"]), (200, &json!(true)), "{answer}");
    let paid = platform.wait_for_status(&token, &order, "PAID").await;
    assert_eq!(paid["data"]["order"]["payment"]["status"], "SUCCEEDED", "{paid}");
    // The same event again (Stripe's redelivery, or a replay): ignored.
    let (status, answer) =
        stripe_confirms(&platform, (&event, intent), STRIPE_WEBHOOK_SECRET).await;
    assert_eq!((status, &answer["applied"]), (200, &json!(false)), "{answer}");
    let succeeded: i64 = sqlx::query_scalar(
        "SELECT count(*) FROM outbox WHERE routing_key = 'payment.succeeded' AND envelope->'data'->>'orderId' = $1",
    )
    .bind(&order)
    .fetch_one(&platform.pool)
    .await
    .expect("events");
    assert_eq!(succeeded, 1, "one payment.succeeded for the order");
    platform.stop().await;
}

#[sqlx::test(migrations = false)]
async fn a_saved_card_pays_a_second_order_and_no_one_else_can_use_it(pool: PgPool) {
    let platform = Platform::start(pool).await;
    let token = platform.customer("erin@example.com").await;
    let saved = platform
        .graphql(
            "mutation { savePaymentMethod(token: \"tok_visa\") { id brand last4 isDefault } }",
            json!({}),
            Some(&token),
        )
        .await;
    let method = &saved["data"]["savePaymentMethod"];
    assert_eq!((&method["last4"], &method["isDefault"]), (&json!("4242"), &json!(true)), "{saved}");
    let product = platform.products("lamp", 1).await.remove(0);
    let mut orders = Vec::new();
    for (i, payment) in
        [json!({ "paymentToken": "tok_visa" }), json!({ "paymentMethodId": method["id"] })]
            .into_iter()
            .enumerate()
    {
        platform.add_to_cart(&token, &product, 1).await;
        let placed = platform.checkout_paying(&token, payment, &format!("erin-{i}")).await;
        let order = placed["data"]["checkout"]["id"].as_str().unwrap_or_else(|| panic!("{placed}"));
        let paid = platform.wait_for_status(&token, order, "PAID").await;
        assert_eq!(paid["data"]["order"]["payment"]["status"], "SUCCEEDED", "{paid}");
        orders.push(order.to_owned());
    }
    let payments::provider::Provider::Sandbox(sandbox) = &platform.provider else {
        panic!("the platform tests use the sandbox provider")
    };
    assert_eq!(sandbox.charges().len(), 2);

    // Both or neither: refused before anything is placed.
    let both = platform
        .checkout_paying(
            &token,
            json!({ "paymentToken": "tok_visa", "paymentMethodId": method["id"] }),
            "erin-x",
        )
        .await;
    assert_eq!(both["errors"][0]["extensions"]["code"], "BAD_USER_INPUT", "{both}");
    // Another customer naming it is refused at checkout: no order, no charge.
    let mallory = platform.customer("mallory@example.com").await;
    platform.add_to_cart(&mallory, &product, 1).await;
    let stolen =
        platform.checkout_paying(&mallory, json!({ "paymentMethodId": method["id"] }), "m-1").await;
    assert_eq!(stolen["errors"][0]["extensions"]["code"], "BAD_USER_INPUT", "{stolen}");
    assert_eq!(stolen["data"], Value::Null, "{stolen}");
    assert_eq!(sandbox.charges().len(), 2, "no charge for someone else's card");
    platform.stop().await;
}
