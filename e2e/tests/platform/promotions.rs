//! Sale prices and discount codes end to end, through the router.

use serde_json::{Value, json};
use sqlx::PgPool;

use e2e::platform::Platform;

const ORDER: &str = "query($id: ID!) { order(id: $id) { subtotal { amount } shippingCost { amount } discount { amount } total { amount } discountCode items { unitPrice { amount } listPrice { amount } quantity } appliedPromotions { kind name amount { amount } } } }";

fn error_code(response: &Value) -> Option<&str> {
    response["errors"][0]["extensions"]["code"].as_str()
}

async fn create_code(platform: &Platform, admin: &str, input: Value) -> Value {
    platform
        .graphql(
            "mutation($i: DiscountCodeInput!) { createDiscountCode(input: $i) { id code timesUsed } }",
            json!({ "i": input }),
            Some(admin),
        )
        .await
}

async fn times_used(platform: &Platform, admin: &str, code: &str) -> i64 {
    let found = platform
        .graphql(
            "query($c: String!) { discountCode(code: $c) { timesUsed } }",
            json!({ "c": code }),
            Some(admin),
        )
        .await;
    found["data"]["discountCode"]["timesUsed"].as_i64().unwrap_or_else(|| panic!("{found}"))
}

async fn charged(platform: &Platform, order: &str) -> i64 {
    sqlx::query_scalar("SELECT amount FROM payments WHERE order_id = $1::uuid")
        .bind(order)
        .fetch_one(&platform.pool)
        .await
        .expect("payment")
}

/// Plenty of every product, so only the code can run out.
async fn stock_up(platform: &Platform) {
    sqlx::query("UPDATE stock_levels SET on_hand = 1000, reserved = 0")
        .execute(&platform.pool)
        .await
        .expect("stock");
}

#[sqlx::test(migrations = false)]
async fn a_sale_price_is_shown_on_the_product_and_in_the_cart_and_charged(pool: PgPool) {
    let platform = Platform::start(pool).await;
    let admin = platform.admin().await;
    let product = platform.products("chair", 1).await.remove(0);
    let listed = platform
        .graphql(
            "query($id: ID) { product(id: $id) { price { amount } salePrice { amount } } }",
            json!({ "id": product }),
            None,
        )
        .await;
    let price = listed["data"]["product"]["price"]["amount"].as_i64().expect("price");
    assert_eq!(listed["data"]["product"]["salePrice"], Value::Null, "{listed}");

    let sale = platform
        .graphql(
            "mutation($i: PromotionInput!) { createPromotion(input: $i) { id isActive } }",
            json!({ "i": { "name": "Chair week", "rewardType": "PERCENTAGE", "percentage": 25, "productIds": [product] } }),
            Some(&admin),
        )
        .await;
    assert_eq!(sale["data"]["createPromotion"]["isActive"], true, "{sale}");
    let sale_price = price - price * 25 / 100;
    let shown = platform
        .graphql("query($id: ID) { product(id: $id) { price { amount } salePrice { amount } activePromotion { name } } }", json!({ "id": product }), None)
        .await;
    assert_eq!(shown["data"]["product"]["price"]["amount"], price, "the list price stays: {shown}");
    assert_eq!(shown["data"]["product"]["salePrice"]["amount"], sale_price, "{shown}");
    assert_eq!(shown["data"]["product"]["activePromotion"]["name"], "Chair week");

    let token = platform.customer("sale@example.com").await;
    platform.add_to_cart(&token, &product, 2).await;
    let cart = platform
        .graphql("{ cart { subtotal { amount } discount { amount } total { amount } appliedPromotions { kind name amount { amount } } } }", json!({}), Some(&token))
        .await;
    let cart = &cart["data"]["cart"];
    assert_eq!(cart["subtotal"]["amount"], 2 * price, "{cart}");
    assert_eq!(cart["total"]["amount"], 2 * sale_price, "{cart}");
    assert_eq!(cart["discount"]["amount"], 2 * (price - sale_price));
    assert_eq!(cart["appliedPromotions"][0]["kind"], "SALE");

    let placed = platform.checkout(&token, "tok_visa", "sale-1").await;
    let order = placed["data"]["checkout"]["id"].as_str().unwrap_or_else(|| panic!("{placed}"));
    platform.wait_for_status(&token, order, "PAID").await;
    let read = platform.graphql(ORDER, json!({ "id": order }), Some(&token)).await;
    let read = &read["data"]["order"];
    assert_eq!(read["items"][0]["unitPrice"]["amount"], sale_price, "{read}");
    assert_eq!(read["items"][0]["listPrice"]["amount"], price);
    assert_eq!(read["subtotal"]["amount"], 2 * sale_price);
    assert_eq!(read["appliedPromotions"][0]["name"], "Chair week");
    let total = read["total"]["amount"].as_i64().expect("total");
    assert_eq!(total, 2 * sale_price + read["shippingCost"]["amount"].as_i64().expect("shipping"));
    assert_eq!(charged(&platform, order).await, total, "the card is charged the sale price");
    platform.stop().await;
}

#[sqlx::test(migrations = false)]
async fn a_discount_code_is_repriced_at_checkout_counted_once_and_given_back_on_cancel_or_failure(
    pool: PgPool,
) {
    let platform = Platform::start(pool).await;
    let admin = platform.admin().await;
    let product = platform.products("lamp", 1).await.remove(0);
    let refused = create_code(
        &platform,
        &admin,
        json!({ "code": "TOO-MUCH", "rewardType": "PERCENTAGE", "percentage": 150 }),
    )
    .await;
    assert_eq!(error_code(&refused), Some("BAD_USER_INPUT"), "{refused}");
    let customer = platform.customer("code@example.com").await;
    let by_customer = create_code(
        &platform,
        &customer,
        json!({ "code": "MINE", "rewardType": "PERCENTAGE", "percentage": 50 }),
    )
    .await;
    assert!(by_customer["data"].is_null() || by_customer["data"]["createDiscountCode"].is_null());
    let created = create_code(
        &platform,
        &admin,
        json!({ "code": "save10", "rewardType": "PERCENTAGE", "percentage": 10, "usageLimit": 5, "usageLimitPerCustomer": 1 }),
    )
    .await;
    assert_eq!(created["data"]["createDiscountCode"]["code"], "SAVE10", "{created}");

    platform.add_to_cart(&customer, &product, 3).await;
    let unknown = platform
        .graphql(
            "mutation { applyDiscountCode(code: \"NOPE\") { appliedCode } }",
            json!({}),
            Some(&customer),
        )
        .await;
    assert_eq!(error_code(&unknown), Some("BAD_USER_INPUT"), "{unknown}");
    let applied = platform
        .graphql("mutation { applyDiscountCode(code: \" Save10 \") { appliedCode subtotal { amount } discount { amount } total { amount } } }", json!({}), Some(&customer))
        .await;
    let cart = &applied["data"]["applyDiscountCode"];
    assert_eq!(cart["appliedCode"], "SAVE10", "{applied}");
    let subtotal = cart["subtotal"]["amount"].as_i64().expect("subtotal");
    assert_eq!(cart["discount"]["amount"], subtotal / 10);

    // The price changes after the code was applied: checkout prices anew.
    let new_price = 4321;
    let updated = platform
        .graphql(
            "mutation($id: ID!, $a: Int!) { updateProduct(id: $id, input: { price: { amount: $a, currency: \"USD\" } }) { id } }",
            json!({ "id": product, "a": new_price }),
            Some(&admin),
        )
        .await;
    assert!(updated["errors"].is_null(), "{updated}");
    let placed = platform.checkout(&customer, "tok_visa", "code-1").await;
    let order =
        placed["data"]["checkout"]["id"].as_str().unwrap_or_else(|| panic!("{placed}")).to_owned();
    platform.wait_for_status(&customer, &order, "PAID").await;
    let read = platform.graphql(ORDER, json!({ "id": order }), Some(&customer)).await;
    let read = &read["data"]["order"];
    assert_eq!(read["subtotal"]["amount"], 3 * new_price, "{read}");
    assert_eq!(read["discount"]["amount"], 3 * new_price / 10, "{read}");
    assert_eq!(read["discountCode"], "SAVE10");
    let total = read["total"]["amount"].as_i64().expect("total");
    let shipping = read["shippingCost"]["amount"].as_i64().expect("shipping");
    assert_eq!(total, 3 * new_price + shipping - 3 * new_price / 10);
    assert_eq!(charged(&platform, &order).await, total);
    assert_eq!(times_used(&platform, &admin, "SAVE10").await, 1);
    let after = platform.graphql("{ cart { appliedCode } }", json!({}), Some(&customer)).await;
    assert_eq!(after["data"]["cart"]["appliedCode"], Value::Null, "checkout used the code up");

    // order.created delivered again: nothing counts or charges twice.
    let envelope: Value = sqlx::query_scalar(
        "SELECT envelope FROM outbox WHERE routing_key = 'order.created' AND envelope->'data'->>'orderId' = $1",
    )
    .bind(&order)
    .fetch_one(&platform.pool)
    .await
    .expect("order.created");
    let envelope: kit::events::Envelope = serde_json::from_value(envelope).expect("envelope");
    kit::events::Publisher::new(platform.broker()).publish(&[envelope]).await.expect("published");
    for _ in 0..20 {
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
        assert_eq!(times_used(&platform, &admin, "SAVE10").await, 1);
        let payments: i64 = sqlx::query_scalar("SELECT count(*) FROM payments")
            .fetch_one(&platform.pool)
            .await
            .expect("payments");
        assert_eq!(payments, 1);
    }

    // The per-customer limit holds while the order stands.
    platform.add_to_cart(&customer, &product, 1).await;
    let again = platform
        .graphql(
            "mutation { applyDiscountCode(code: \"SAVE10\") { appliedCode } }",
            json!({}),
            Some(&customer),
        )
        .await;
    assert_eq!(error_code(&again), Some("BAD_USER_INPUT"), "{again}");

    // An order cancelled while it waits for 3-D Secure, and one whose card
    // is declined, each give their use back, by event.
    for (email, card, ends) in [
        ("cancels@example.com", "tok_threeDSecureRequired", "CANCELLED"),
        ("declined@example.com", "tok_chargeDeclined", "PAYMENT_FAILED"),
    ] {
        let token = platform.customer(email).await;
        platform.add_to_cart(&token, &product, 1).await;
        let applied = platform
            .graphql(
                "mutation { applyDiscountCode(code: \"SAVE10\") { appliedCode } }",
                json!({}),
                Some(&token),
            )
            .await;
        assert_eq!(applied["data"]["applyDiscountCode"]["appliedCode"], "SAVE10", "{applied}");
        let placed = platform.checkout(&token, card, email).await;
        let order = placed["data"]["checkout"]["id"].as_str().unwrap_or_else(|| panic!("{placed}"));
        if ends == "CANCELLED" {
            platform.wait_for_status(&token, order, "PAYMENT_ACTION_REQUIRED").await;
            assert_eq!(times_used(&platform, &admin, "SAVE10").await, 2);
            let cancelled = platform
                .graphql(
                    "mutation($id: ID!) { cancelOrder(id: $id) { status } }",
                    json!({ "id": order }),
                    Some(&token),
                )
                .await;
            assert_eq!(cancelled["data"]["cancelOrder"]["status"], "CANCELLED", "{cancelled}");
        } else {
            platform.wait_for_status(&token, order, ends).await;
        }
        let mut uses = -1;
        for _ in 0..100 {
            uses = times_used(&platform, &admin, "SAVE10").await;
            if uses == 1 {
                break;
            }
            tokio::time::sleep(std::time::Duration::from_millis(50)).await;
        }
        assert_eq!(uses, 1, "the {ends} order's use was not given back");
    }
    let released: i64 = sqlx::query_scalar(
        "SELECT count(*) FROM outbox WHERE routing_key = 'promotion.code_released'",
    )
    .fetch_one(&platform.pool)
    .await
    .expect("events");
    assert_eq!(released, 2);
    platform.stop().await;
}

#[sqlx::test(migrations = false)]
async fn fifty_customers_race_for_a_code_limited_to_ten_uses_and_exactly_ten_get_it(pool: PgPool) {
    let platform = Platform::start(pool).await;
    stock_up(&platform).await;
    let admin = platform.admin().await;
    let product = platform.products("chair", 1).await.remove(0);
    let created = create_code(
        &platform,
        &admin,
        json!({ "code": "FIRST10", "rewardType": "FIXED_AMOUNT", "amount": { "amount": 500, "currency": "USD" }, "usageLimit": 10 }),
    )
    .await;
    assert!(created["errors"].is_null(), "{created}");
    let mut customers = Vec::new();
    for i in 0..50 {
        let token = platform.customer(&format!("code-racer{i}@example.com")).await;
        platform.add_to_cart(&token, &product, 1).await;
        let applied = platform
            .graphql(
                "mutation { applyDiscountCode(code: \"FIRST10\") { appliedCode } }",
                json!({}),
                Some(&token),
            )
            .await;
        assert_eq!(applied["data"]["applyDiscountCode"]["appliedCode"], "FIRST10", "{applied}");
        customers.push(token);
    }
    let keys: Vec<String> = (0..customers.len()).map(|i| format!("race-{i}")).collect();
    let placed = futures::future::join_all(
        customers.iter().zip(&keys).map(|(token, key)| platform.checkout(token, "tok_visa", key)),
    )
    .await;
    let won = placed.iter().filter(|p| p["data"]["checkout"]["id"].is_string()).count();
    let used_up = placed
        .iter()
        .filter(|p| {
            error_code(p) == Some("BAD_USER_INPUT")
                && p["errors"][0]["message"].as_str().is_some_and(|m| m.contains("used up"))
        })
        .count();
    assert_eq!((won, used_up), (10, 40), "{placed:?}");
    let discounted: i64 = sqlx::query_scalar(
        "SELECT count(*) FROM orders WHERE discount_code = 'FIRST10' AND discount = 500",
    )
    .fetch_one(&platform.pool)
    .await
    .expect("orders");
    assert_eq!(discounted, 10);
    assert_eq!(times_used(&platform, &admin, "FIRST10").await, 10);
    platform.stop().await;
}

#[sqlx::test(migrations = false)]
async fn a_free_shipping_code_takes_the_shipping_cost_off_once_its_minimum_is_met(pool: PgPool) {
    let platform = Platform::start(pool).await;
    let admin = platform.admin().await;
    let product = platform.products("lamp", 1).await.remove(0);
    let terms = |minimum: i64| json!({ "code": "SHIPFREE", "rewardType": "FREE_SHIPPING", "minimumSubtotal": { "amount": minimum, "currency": "USD" } });
    let created = create_code(&platform, &admin, terms(10_000_000)).await;
    let id =
        created["data"]["createDiscountCode"]["id"].as_str().unwrap_or_else(|| panic!("{created}"));
    let duplicate = create_code(&platform, &admin, terms(1)).await;
    assert_eq!(error_code(&duplicate), Some("CONFLICT"), "{duplicate}");

    let customer = platform.customer("freeship@example.com").await;
    platform.add_to_cart(&customer, &product, 1).await;
    let apply =
        "mutation { applyDiscountCode(code: \"shipfree\") { appliedCode discount { amount } } }";
    let short = platform.graphql(apply, json!({}), Some(&customer)).await;
    assert_eq!(error_code(&short), Some("BAD_USER_INPUT"), "{short}");
    assert!(
        short["errors"][0]["message"].as_str().is_some_and(|m| m.contains("at least")),
        "{short}"
    );

    let updated = platform
        .graphql(
            "mutation($id: ID!, $i: DiscountCodeInput!) { updateDiscountCode(id: $id, input: $i) { minimumSubtotal { amount } } }",
            json!({ "id": id, "i": terms(1) }),
            Some(&admin),
        )
        .await;
    assert_eq!(updated["data"]["updateDiscountCode"]["minimumSubtotal"]["amount"], 1, "{updated}");
    let applied = platform.graphql(apply, json!({}), Some(&customer)).await;
    assert_eq!(applied["data"]["applyDiscountCode"]["appliedCode"], "SHIPFREE", "{applied}");
    // Shipping is priced at checkout: the cart shows nothing off yet.
    assert_eq!(applied["data"]["applyDiscountCode"]["discount"]["amount"], 0);

    let placed = platform.checkout(&customer, "tok_visa", "freeship-1").await;
    let order = placed["data"]["checkout"]["id"].as_str().unwrap_or_else(|| panic!("{placed}"));
    platform.wait_for_status(&customer, order, "PAID").await;
    let read = platform.graphql(ORDER, json!({ "id": order }), Some(&customer)).await;
    let read = &read["data"]["order"];
    let shipping = read["shippingCost"]["amount"].as_i64().expect("shipping");
    assert!(shipping > 0, "{read}");
    assert_eq!(read["discount"]["amount"], shipping, "{read}");
    assert_eq!(read["total"]["amount"], read["subtotal"]["amount"], "{read}");
    assert_eq!(read["appliedPromotions"][0]["kind"], "DISCOUNT_CODE");
    assert_eq!(
        charged(&platform, order).await,
        read["subtotal"]["amount"].as_i64().expect("subtotal")
    );

    // A used code is kept for the orders' history.
    let deleted = platform
        .graphql(
            "mutation($id: ID!) { deleteDiscountCode(id: $id) }",
            json!({ "id": id }),
            Some(&admin),
        )
        .await;
    assert_eq!(error_code(&deleted), Some("CONFLICT"), "{deleted}");
    platform.stop().await;
}
