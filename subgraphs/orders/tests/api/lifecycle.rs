use orders::status::OrderStatus;
use serde_json::json;
use sqlx::PgPool;
use uuid::Uuid;

use crate::helpers::{TestOrders, error_code};

const SET: &str = "mutation($id: ID!, $s: OrderStatus!) { updateOrderStatus(id: $id, status: $s, reason: \"ops\") { status statusHistory { status reason } } }";

#[sqlx::test(migrations = false)]
async fn admins_walk_the_happy_path_and_every_illegal_move_is_refused(pool: PgPool) {
    let orders = TestOrders::new(pool).await;
    let admin = orders.admin();
    let order = orders.order(Uuid::new_v4()).await;
    for status in ["PAID", "FULFILLING", "SHIPPED", "DELIVERED", "REFUNDED"] {
        let moved = orders.graphql(SET, json!({ "id": order, "s": status }), Some(&admin)).await;
        assert_eq!(moved["data"]["updateOrderStatus"]["status"], status, "{moved}");
    }
    let history = orders.graphql(SET, json!({ "id": order, "s": "REFUNDED" }), Some(&admin)).await;
    let statuses: Vec<&str> = history["data"]["updateOrderStatus"]["statusHistory"]
        .as_array()
        .expect("history")
        .iter()
        .filter_map(|h| h["status"].as_str())
        .collect();
    assert_eq!(statuses, ["PAID", "FULFILLING", "SHIPPED", "DELIVERED", "REFUNDED"]);
    assert_eq!(orders.events("order.status_changed").await.len(), 5);

    // From every status, every move the machine forbids is CONFLICT and
    // changes nothing.
    for from in OrderStatus::ALL {
        for to in OrderStatus::ALL.into_iter().filter(|to| *to != from && !from.can_move(*to)) {
            let order = orders.order(Uuid::new_v4()).await;
            sqlx::query("UPDATE orders SET status = $2 WHERE id = $1")
                .bind(order)
                .bind(from.as_str())
                .execute(&orders.pool)
                .await
                .expect("set");
            let refused =
                orders.graphql(SET, json!({ "id": order, "s": to.as_str() }), Some(&admin)).await;
            assert_eq!(error_code(&refused), "CONFLICT", "{from:?} -> {to:?}");
            assert_eq!(orders.status(order).await, from.as_str());
        }
    }
}

#[sqlx::test(migrations = false)]
async fn orders_are_visible_to_their_owner_and_admins_only(pool: PgPool) {
    let orders = TestOrders::new(pool).await;
    let (ada, eve) = (Uuid::new_v4(), Uuid::new_v4());
    let first = orders.order(ada).await;
    let second = orders.order(ada).await;
    let query = "query($id: ID!) { order(id: $id) { id status total { amount } customer { id } } }";

    let own = orders.graphql(query, json!({ "id": first }), Some(&orders.token(ada))).await;
    assert_eq!(
        own["data"]["order"],
        json!({ "id": first, "status": "PENDING", "total": { "amount": 1499 }, "customer": { "id": ada } })
    );
    let other = orders.graphql(query, json!({ "id": first }), Some(&orders.token(eve))).await;
    let missing =
        orders.graphql(query, json!({ "id": Uuid::new_v4() }), Some(&orders.token(eve))).await;
    assert_eq!(error_code(&other), "NOT_FOUND");
    assert_eq!(
        other["errors"][0]["message"], missing["errors"][0]["message"],
        "probing must not tell them apart"
    );
    let admin = orders.graphql(query, json!({ "id": first }), Some(&orders.admin())).await;
    assert_eq!(admin["data"]["order"]["id"], first.to_string());

    let list = "query($r: [_Any!]!) { _entities(representations: $r) { ... on User { orders { totalCount edges { node { id } } } } } }";
    let vars = json!({ "r": [{ "__typename": "User", "id": ada }] });
    let listed = orders.graphql(list, vars.clone(), Some(&orders.token(ada))).await;
    assert_eq!(
        listed["data"]["_entities"][0]["orders"]["edges"],
        json!([{ "node": { "id": second } }, { "node": { "id": first } }]),
        "{listed}"
    );
    assert_eq!(
        error_code(&orders.graphql(list, vars, Some(&orders.token(eve))).await),
        "FORBIDDEN"
    );
    let all = orders
        .graphql("{ orders(status: PENDING) { totalCount } }", json!({}), Some(&orders.admin()))
        .await;
    assert_eq!(all["data"]["orders"]["totalCount"], 2);
    assert_eq!(
        error_code(
            &orders.graphql("{ orders { totalCount } }", json!({}), Some(&orders.token(ada))).await
        ),
        "FORBIDDEN"
    );
}

#[sqlx::test(migrations = false)]
async fn customers_cancel_until_shipping_and_admins_any_time_the_machine_allows(pool: PgPool) {
    let orders = TestOrders::new(pool).await;
    let ada = Uuid::new_v4();
    let cancel = "mutation($id: ID!) { cancelOrder(id: $id) { status } }";
    let pending = orders.order(ada).await;
    let cancelled =
        orders.graphql(cancel, json!({ "id": pending }), Some(&orders.token(ada))).await;
    assert_eq!(cancelled["data"]["cancelOrder"]["status"], "CANCELLED", "{cancelled}");

    let shipped = orders.order(ada).await;
    sqlx::query("UPDATE orders SET status = 'SHIPPED' WHERE id = $1")
        .bind(shipped)
        .execute(&orders.pool)
        .await
        .expect("ship");
    assert_eq!(
        error_code(
            &orders.graphql(cancel, json!({ "id": shipped }), Some(&orders.token(ada))).await
        ),
        "CONFLICT"
    );
    let theirs = orders.order(Uuid::new_v4()).await;
    assert_eq!(
        error_code(
            &orders.graphql(cancel, json!({ "id": theirs }), Some(&orders.token(ada))).await
        ),
        "NOT_FOUND"
    );
    assert_eq!(orders.status(theirs).await, "PENDING");
}

#[sqlx::test(migrations = false)]
async fn checkout_refuses_bad_input_before_touching_anything(pool: PgPool) {
    let orders = TestOrders::new(pool).await;
    let token = orders.token(Uuid::new_v4());
    let checkout = "mutation($i: CheckoutInput!) { checkout(input: $i) { id } }";
    let address = json!({ "name": "Ada", "line1": "1 Main St", "city": "London", "postalCode": "N1", "country": "GB" });
    for (input, why) in [
        (
            json!({ "paymentToken": "tok_visa", "idempotencyKey": " ", "shippingAddress": address }),
            "blank key",
        ),
        (
            json!({ "paymentToken": "", "idempotencyKey": "k", "shippingAddress": address }),
            "blank token",
        ),
        (json!({ "paymentToken": "tok_visa", "idempotencyKey": "k" }), "no address"),
        (
            json!({ "paymentToken": "tok_visa", "idempotencyKey": "k", "shippingAddress": address, "shippingAddressId": "a" }),
            "two addresses",
        ),
        (
            json!({ "paymentToken": "tok_visa", "idempotencyKey": "k", "shippingAddress": { "name": "A", "line1": "x", "city": "y", "postalCode": "z", "country": "Narnia" } }),
            "bad country",
        ),
    ] {
        let response = orders.graphql(checkout, json!({ "i": input }), Some(&token)).await;
        assert_eq!(error_code(&response), "BAD_USER_INPUT", "{why}: {response}");
    }
    // With the cart unreachable, checkout says so and creates nothing.
    let unreachable = orders
        .graphql(checkout, json!({ "i": { "paymentToken": "tok_visa", "idempotencyKey": "k", "shippingAddress": address } }), Some(&token))
        .await;
    assert_eq!(error_code(&unreachable), "UNAVAILABLE");
    let count: i64 = sqlx::query_scalar("SELECT count(*) FROM orders")
        .fetch_one(&orders.pool)
        .await
        .expect("count");
    assert_eq!(count, 0);
}
