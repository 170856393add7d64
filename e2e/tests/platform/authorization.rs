//! The authorization and demand-control directives Shopgraph's subgraphs
//! declare (`kit::directives`), enforced by the router on the composed
//! supergraph before any subgraph is asked.

use e2e::platform::Platform;
use serde_json::{Value, json};
use sqlx::PgPool;

const CREATE_PRODUCT: &str = "mutation($i: ProductInput!) { createProduct(input: $i) { id name } }";

fn product(name: &str) -> Value {
    json!({ "i": { "name": name, "description": "A test product", "sku": format!("SKU-{}", name.replace(' ', "-")),
                   "price": { "amount": 1299, "currency": "EUR" }, "weightGrams": 800 } })
}

async fn products_named(platform: &Platform, name: &str) -> usize {
    let found = platform
        .graphql(
            "query($s: String) { products(first: 5, filter: { search: $s }) { edges { node { name } } } }",
            json!({ "s": name }),
            None,
        )
        .await;
    found["data"]["products"]["edges"].as_array().unwrap_or_else(|| panic!("{found}")).len()
}

fn codes(response: &Value) -> Vec<&str> {
    response["errors"]
        .as_array()
        .map(|errors| errors.iter().filter_map(|e| e["extensions"]["code"].as_str()).collect())
        .unwrap_or_default()
}

/// `@policy(policies: [["admin"]])` on `createProduct`: the router maps
/// the policy to the token's role. A customer is refused at the router,
/// with the router's own message, and nothing is created; the admin's
/// token passes the same rule.
#[sqlx::test(migrations = false)]
async fn admin_policies_are_enforced_by_the_router(pool: PgPool) {
    let platform = Platform::start(pool).await;
    let customer = platform.customer("policy@example.com").await;

    let refused = platform.graphql(CREATE_PRODUCT, product("Refused lamp"), Some(&customer)).await;
    assert_eq!(codes(&refused), ["FORBIDDEN"], "{refused}");
    assert_eq!(refused["errors"][0]["path"], json!(["createProduct"]), "{refused}");
    let message = refused["errors"][0]["message"].as_str().unwrap_or_default();
    assert!(message.contains("createProduct"), "not the router's refusal: {refused}");
    assert_eq!(products_named(&platform, "Refused lamp").await, 0);

    let admin = platform.admin().await;
    let created = platform.graphql(CREATE_PRODUCT, product("Allowed lamp"), Some(&admin)).await;
    assert_eq!(created["data"]["createProduct"]["name"], "Allowed lamp", "{created}");
    assert_eq!(products_named(&platform, "Allowed lamp").await, 1);
    platform.stop().await;
}

/// `@authenticated` on `addToCart`: an anonymous caller gets
/// `UNAUTHENTICATED` from the router; a token the users service did not
/// sign is refused before planning, even for a public field.
#[sqlx::test(migrations = false)]
async fn signed_in_fields_need_a_token_the_users_service_signed(pool: PgPool) {
    let platform = Platform::start(pool).await;
    let product = platform.products("", 1).await.remove(0);
    let add = "mutation($p: ID!) { addToCart(productId: $p, quantity: 1) { itemCount } }";

    let anonymous = platform.graphql(add, json!({ "p": product }), None).await;
    assert_eq!(codes(&anonymous), ["UNAUTHENTICATED"], "{anonymous}");
    assert_eq!(anonymous["errors"][0]["path"], json!(["addToCart"]), "{anonymous}");

    let foreign_keys = users::keys::SigningKeys::generate().expect("keys");
    let forged =
        foreign_keys.access_token(uuid::Uuid::new_v4(), kit::auth::Role::Admin).expect("token");
    let refused =
        platform.graphql("{ products(first: 1) { totalCount } }", json!({}), Some(&forged));
    let refused = refused.await;
    assert_eq!(codes(&refused), ["UNAUTHENTICATED"], "{refused}");
    assert!(refused.get("data").is_none_or(Value::is_null), "{refused}");

    let customer = platform.customer("cart@example.com").await;
    let added = platform.add_to_cart(&customer, &product, 1).await;
    assert_eq!(added["data"]["addToCart"]["itemCount"], 1, "{added}");
    platform.stop().await;
}

/// `@listSize(assumedSize: 20, slicingArguments: ["first"], sizedFields:
/// ["edges"])` on the connection fields: the estimate grows with `first`
/// (2 per edge: the edge and its node), and is 20 pages' worth without it.
#[sqlx::test(migrations = false)]
async fn connection_costs_follow_first(pool: PgPool) {
    let platform = Platform::start(pool).await;
    let cost = |first: Option<u32>| {
        let arguments = first.map(|n| format!("(first: {n})")).unwrap_or_default();
        let query = format!("{{ products{arguments} {{ edges {{ node {{ name }} }} }} }}");
        let platform = &platform;
        async move {
            let body = json!({ "query": query, "extensions": { "cost": true } });
            let response = platform.post(&body).await;
            response["extensions"]["cost"]["estimated"]
                .as_u64()
                .unwrap_or_else(|| panic!("{response}"))
        }
    };
    let (five, fifty, unsliced) = (cost(Some(5)).await, cost(Some(50)).await, cost(None).await);
    assert_eq!(fifty - five, 45 * 2, "five: {five}, fifty: {fifty}");
    assert_eq!(unsliced - five, 15 * 2, "five: {five}, without first: {unsliced}");
    platform.stop().await;
}
