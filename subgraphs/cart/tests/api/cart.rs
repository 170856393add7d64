use serde_json::json;
use uuid::Uuid;

use crate::helpers::{TestCart, error_code};

const CART: &str = "{ cart { id itemCount subtotal { amount currency formatted } items { product { id } quantity unitPrice { amount } lineTotal { amount } } } }";
const ADD: &str =
    "mutation($p: ID!, $q: Int!) { addToCart(productId: $p, quantity: $q) { itemCount } }";
const UPDATE: &str =
    "mutation($p: ID!, $q: Int!) { updateCartItem(productId: $p, quantity: $q) { itemCount } }";

#[tokio::test]
async fn a_cart_is_filled_changed_and_emptied_at_catalog_prices() {
    let cart = TestCart::new().await;
    let (lamp, rug) = (cart.product("LAMP", 1250).await, cart.product("RUG", 4000).await);
    let customer = Uuid::new_v4();
    let token = cart.token(customer);

    cart.graphql(ADD, json!({ "p": lamp, "q": 2 }), Some(&token)).await;
    cart.graphql(ADD, json!({ "p": rug, "q": 1 }), Some(&token)).await;
    cart.graphql(ADD, json!({ "p": lamp, "q": 1 }), Some(&token)).await;
    let filled = cart.graphql(CART, json!({}), Some(&token)).await;
    assert_eq!(filled["data"]["cart"]["id"], customer.to_string(), "{filled}");
    assert_eq!(filled["data"]["cart"]["itemCount"], 4);
    assert_eq!(
        filled["data"]["cart"]["subtotal"],
        json!({ "amount": 7750, "currency": "USD", "formatted": "$77.50" })
    );
    let lamp_line = filled["data"]["cart"]["items"]
        .as_array()
        .expect("items")
        .iter()
        .find(|i| i["product"]["id"] == lamp.as_str())
        .cloned()
        .expect("lamp");
    assert_eq!(
        lamp_line,
        json!({ "product": { "id": lamp }, "quantity": 3, "unitPrice": { "amount": 1250 }, "lineTotal": { "amount": 3750 } })
    );

    let updated = cart.graphql(UPDATE, json!({ "p": lamp, "q": 1 }), Some(&token)).await;
    assert_eq!(updated["data"]["updateCartItem"]["itemCount"], 2, "{updated}");
    let zero = cart.graphql(UPDATE, json!({ "p": rug, "q": 0 }), Some(&token)).await;
    assert_eq!(zero["data"]["updateCartItem"]["itemCount"], 1);
    let removed = cart
        .graphql(
            "mutation($p: ID!) { removeFromCart(productId: $p) { itemCount } }",
            json!({ "p": lamp }),
            Some(&token),
        )
        .await;
    assert_eq!(removed["data"]["removeFromCart"]["itemCount"], 0);
    cart.graphql(ADD, json!({ "p": rug, "q": 5 }), Some(&token)).await;
    let cleared = cart
        .graphql(
            "mutation { clearCart { itemCount subtotal { amount } } }",
            json!({}),
            Some(&token),
        )
        .await;
    assert_eq!(
        cleared["data"]["clearCart"],
        json!({ "itemCount": 0, "subtotal": { "amount": 0 } })
    );
}

#[tokio::test]
async fn prices_follow_the_catalog_not_the_moment_of_adding() {
    let cart = TestCart::new().await;
    let lamp = cart.product("LAMP", 1000).await;
    let token = cart.token(Uuid::new_v4());
    cart.graphql(ADD, json!({ "p": lamp, "q": 2 }), Some(&token)).await;
    cart.set_price(&lamp, 1500).await;
    let priced = cart.graphql("{ cart { subtotal { amount } } }", json!({}), Some(&token)).await;
    assert_eq!(priced["data"]["cart"]["subtotal"]["amount"], 3000, "{priced}");
}

#[tokio::test]
async fn bad_quantities_unknown_products_and_anonymous_callers_are_refused() {
    let cart = TestCart::new().await;
    let lamp = cart.product("LAMP", 1000).await;
    let token = cart.token(Uuid::new_v4());
    for q in [0, -1, 100] {
        assert_eq!(
            error_code(&cart.graphql(ADD, json!({ "p": lamp, "q": q }), Some(&token)).await),
            "BAD_USER_INPUT",
            "q={q}"
        );
    }
    assert_eq!(
        error_code(&cart.graphql(UPDATE, json!({ "p": lamp, "q": 100 }), Some(&token)).await),
        "BAD_USER_INPUT"
    );
    cart.graphql(ADD, json!({ "p": lamp, "q": 98 }), Some(&token)).await;
    let over = cart.graphql(ADD, json!({ "p": lamp, "q": 2 }), Some(&token)).await;
    assert_eq!(error_code(&over), "BAD_USER_INPUT");
    let unknown =
        cart.graphql(ADD, json!({ "p": Uuid::new_v4().to_string(), "q": 1 }), Some(&token)).await;
    assert_eq!(error_code(&unknown), "NOT_FOUND");
    assert_eq!(
        error_code(&cart.graphql(ADD, json!({ "p": lamp, "q": 1 }), None).await),
        "UNAUTHENTICATED"
    );
    let kept = cart.graphql("{ cart { itemCount } }", json!({}), Some(&token)).await;
    assert_eq!(
        kept["data"]["cart"]["itemCount"], 98,
        "refused changes must leave the cart as it was"
    );
}

#[tokio::test]
async fn concurrent_adds_lose_no_update() {
    let cart = TestCart::new().await;
    let (a, b) = (cart.product("A", 100).await, cart.product("B", 100).await);
    let token = cart.token(Uuid::new_v4());
    let adds = (0..30).map(|i| {
        let product = if i % 3 == 0 { &b } else { &a };
        cart.graphql(ADD, json!({ "p": product, "q": 1 }), Some(&token))
    });
    for response in futures::future::join_all(adds).await {
        assert!(response.get("errors").is_none(), "{response}");
    }
    let total =
        cart.graphql("{ cart { itemCount items { quantity } } }", json!({}), Some(&token)).await;
    assert_eq!(total["data"]["cart"]["itemCount"], 30, "{total}");
}

#[tokio::test]
async fn carts_expire_after_thirty_days_of_inactivity_and_are_private() {
    let cart = TestCart::new().await;
    let lamp = cart.product("LAMP", 1000).await;
    let owner = Uuid::new_v4();
    cart.graphql(ADD, json!({ "p": lamp, "q": 1 }), Some(&cart.token(owner))).await;
    let store = cart::store::CartStore::new(&cart.config.redis, cart.config.ttl).expect("store");
    let ttl = store.ttl_ms(&owner.to_string()).await.expect("ttl");
    let thirty_days = 30 * 86_400 * 1000;
    assert!(ttl > thirty_days - 60_000 && ttl <= thirty_days, "ttl {ttl}");

    let query = "query($r: [_Any!]!) { _entities(representations: $r) { ... on User { cart { itemCount } } } }";
    let vars = json!({ "r": [{ "__typename": "User", "id": owner.to_string() }] });
    let stranger = cart.graphql(query, vars.clone(), Some(&cart.token(Uuid::new_v4()))).await;
    assert_eq!(error_code(&stranger), "FORBIDDEN");
    let own = cart.graphql(query, vars.clone(), Some(&cart.token(owner))).await;
    assert_eq!(own["data"]["_entities"][0]["cart"]["itemCount"], 1, "{own}");
    let admin = cart.graphql(query, vars, Some(&cart.admin())).await;
    assert_eq!(admin["data"]["_entities"][0]["cart"]["itemCount"], 1, "{admin}");
}

#[tokio::test]
async fn with_redis_down_the_cart_says_unavailable() {
    let cart = TestCart::with_redis(Some("redis://127.0.0.1:1")).await;
    let response =
        cart.graphql("{ cart { itemCount } }", json!({}), Some(&cart.token(Uuid::new_v4()))).await;
    assert_eq!(error_code(&response), "UNAVAILABLE");
    assert!(!response.to_string().contains("127.0.0.1"), "internals leaked: {response}");
}
