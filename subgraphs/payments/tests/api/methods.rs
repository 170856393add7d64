//! Saved payment methods: saved through the provider, only brand, last
//! four and expiry kept, one default, the owner or an admin only, and
//! orders paid with them.

use serde_json::{Value, json};
use sqlx::PgPool;
use uuid::Uuid;

use crate::helpers::{TestPayments, error_code};

const SAVE: &str = "mutation($token: String!, $default: Boolean) { savePaymentMethod(token: $token, makeDefault: $default) { id brand last4 expMonth expYear isDefault } }";
const LIST: &str = "query($user: ID) { paymentMethods(userId: $user) { id last4 isDefault } }";

async fn save(payments: &TestPayments, token: &str, card: &str, default: bool) -> Value {
    let saved =
        payments.graphql(SAVE, json!({ "token": card, "default": default }), Some(token)).await;
    saved["data"]["savePaymentMethod"].clone()
}

async fn listed(payments: &TestPayments, token: &str, user: Option<Uuid>) -> Vec<(String, bool)> {
    let list = payments.graphql(LIST, json!({ "user": user }), Some(token)).await;
    list["data"]["paymentMethods"]
        .as_array()
        .unwrap_or_else(|| panic!("{list}"))
        .iter()
        .map(|m| (m["last4"].as_str().unwrap_or("").to_owned(), m["isDefault"] == true))
        .collect()
}

#[sqlx::test(migrations = false)]
async fn customers_save_list_default_and_remove_their_cards(pool: PgPool) {
    let payments = TestPayments::new(pool).await;
    let customer = Uuid::new_v4();
    let token = payments.token(customer);
    let visa = save(&payments, &token, "tok_visa", false).await;
    assert_eq!(
        (&visa["brand"], &visa["last4"], &visa["expMonth"], &visa["expYear"], &visa["isDefault"]),
        (&json!("visa"), &json!("4242"), &json!(12), &json!(2034), &json!(true)),
        "the first card saved is the default"
    );
    let other = save(&payments, &token, "tok_chargeDeclined", false).await;
    assert_eq!(other["isDefault"], false);
    assert_eq!(save(&payments, &token, "tok_visa", false).await["id"], visa["id"], "saved once");
    assert_eq!(
        listed(&payments, &token, None).await,
        [("4242".into(), true), ("0002".into(), false)]
    );
    let stored: Vec<String> = sqlx::query_scalar(
        "SELECT concat_ws(' ', provider_method_id, brand, last4, exp_month, exp_year) FROM payment_methods ORDER BY created_at",
    )
    .fetch_all(&payments.pool)
    .await
    .expect("rows");
    assert_eq!(stored, ["tok_visa visa 4242 12 2034", "tok_chargeDeclined visa 0002 12 2034"]);

    // A token the provider does not know: a clear client error.
    let refused = payments.graphql(SAVE, json!({ "token": "tok_bogus" }), Some(&token)).await;
    assert_eq!(error_code(&refused), "BAD_USER_INPUT", "{refused}");

    // Another customer sees none of them and cannot touch them.
    let stranger = payments.token(Uuid::new_v4());
    assert!(listed(&payments, &stranger, None).await.is_empty());
    let remove = "mutation($id: ID!) { removePaymentMethod(id: $id) }";
    let theft = payments.graphql(remove, json!({ "id": visa["id"] }), Some(&stranger)).await;
    assert_eq!(error_code(&theft), "NOT_FOUND", "{theft}");
    let peek = payments.graphql(LIST, json!({ "user": customer }), Some(&stranger)).await;
    assert_eq!(error_code(&peek), "FORBIDDEN", "{peek}");
    // An admin may look.
    assert_eq!(listed(&payments, &payments.admin(), Some(customer)).await.len(), 2);

    let make_default = "mutation($id: ID!) { setDefaultPaymentMethod(id: $id) { isDefault } }";
    payments.graphql(make_default, json!({ "id": other["id"] }), Some(&token)).await;
    assert_eq!(
        listed(&payments, &token, None).await,
        [("0002".into(), true), ("4242".into(), false)]
    );
    // Removing the default makes the remaining one the default.
    let removed = payments.graphql(remove, json!({ "id": other["id"] }), Some(&token)).await;
    assert_eq!(removed["data"]["removePaymentMethod"], true, "{removed}");
    assert_eq!(listed(&payments, &token, None).await, [("4242".into(), true)]);
}

#[sqlx::test(migrations = false)]
async fn orders_are_charged_with_a_saved_method_and_only_the_customers_own(pool: PgPool) {
    let payments = TestPayments::new(pool).await;
    let (customer, thief) = (Uuid::new_v4(), Uuid::new_v4());
    let saved = save(&payments, &payments.token(customer), "tok_visa", false).await;
    let method = saved["id"].as_str().expect("id");
    let order_paid_with = |who: Uuid| {
        json!({ "orderId": Uuid::now_v7(), "customerId": who, "paymentMethodId": method,
                "total": { "amount": 1800, "currency": "USD" } })
    };
    for (who, expected, reason) in [
        (customer, "SUCCEEDED", None),
        (thief, "FAILED", Some("the saved payment method is not available")),
    ] {
        let created = order_paid_with(who);
        let order: Uuid = serde_json::from_value(created["orderId"].clone()).expect("uuid");
        payments.deliver("order.created", created).await;
        payments.deliver("inventory.reserved", json!({ "orderId": order })).await;
        let (_, status, _, got_reason) = payments.payment(order).await;
        assert_eq!((status.as_str(), got_reason.as_deref()), (expected, reason), "{who}");
    }
    assert_eq!(payments.sandbox.charges(), [("ch_sandbox_1".to_owned(), 1800)], "one charge");
    let paid_with: Vec<Option<Uuid>> =
        sqlx::query_scalar("SELECT payment_method_id FROM payments WHERE status = 'SUCCEEDED'")
            .fetch_all(&payments.pool)
            .await
            .expect("rows");
    assert_eq!(paid_with, [Some(Uuid::parse_str(method).expect("uuid"))]);
}
