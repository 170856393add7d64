use kit::{auth::Role, testing::error_code};
use serde_json::json;
use sqlx::PgPool;
use uuid::Uuid;

async fn app(pool: &PgPool) -> (axum::Router, users::keys::SigningKeys) {
    kit::db::migrate(pool, &shipping::MIGRATOR).await.expect("migrate");
    shipping::rates::seed(pool).await.expect("rates");
    let keys = users::keys::SigningKeys::generate().expect("keys");
    let config = shipping::ShippingConfig::from_env().expect("config");
    (shipping::build_with_pool(&config, pool.clone(), keys.verifier()).router, keys)
}

#[sqlx::test(migrations = false)]
async fn shipments_move_one_legal_step_at_a_time_and_tracking_reveals_no_customer(pool: PgPool) {
    let (router, keys) = app(&pool).await;
    let (order, customer) = (Uuid::now_v7(), Uuid::new_v4());
    let mut tx = pool.begin().await.expect("begin");
    let created = shipping::shipments::create(&mut tx, order, customer, None)
        .await
        .expect("create")
        .expect("new");
    assert!(
        shipping::shipments::create(&mut tx, order, customer, None).await.expect("again").is_none(),
        "one shipment per order"
    );
    tx.commit().await.expect("commit");

    let admin = keys.access_token(Uuid::new_v4(), Role::Admin).expect("token");
    let set = "mutation($id: ID!, $s: ShipmentStatus!) { updateShipmentStatus(id: $id, status: $s, location: \"Hub\") { status events { status location } } }";
    let skip = kit::testing::graphql(
        &router,
        set,
        json!({ "id": created.id, "s": "DELIVERED" }),
        Some(&admin),
    )
    .await;
    assert_eq!(error_code(&skip), "CONFLICT");
    let step = kit::testing::graphql(
        &router,
        set,
        json!({ "id": created.id, "s": "PICKED_UP" }),
        Some(&admin),
    )
    .await;
    assert_eq!(step["data"]["updateShipmentStatus"]["status"], "PICKED_UP", "{step}");
    assert_eq!(
        step["data"]["updateShipmentStatus"]["events"][1],
        json!({ "status": "PICKED_UP", "location": "Hub" })
    );
    let customer_token = keys.access_token(customer, Role::Customer).expect("token");
    assert_eq!(
        error_code(
            &kit::testing::graphql(
                &router,
                set,
                json!({ "id": created.id, "s": "IN_TRANSIT" }),
                Some(&customer_token)
            )
            .await
        ),
        "FORBIDDEN"
    );

    let track = "query($n: String!) { trackShipment(trackingNumber: $n) { status order { id } } }";
    let stranger = kit::testing::graphql(
        &router,
        track,
        json!({ "n": created.tracking_number }),
        Some(&keys.access_token(Uuid::new_v4(), Role::Customer).expect("token")),
    )
    .await;
    assert_eq!(error_code(&stranger), "FORBIDDEN");
    let owner = kit::testing::graphql(
        &router,
        track,
        json!({ "n": created.tracking_number }),
        Some(&customer_token),
    )
    .await;
    assert_eq!(
        owner["data"]["trackShipment"],
        json!({ "status": "PICKED_UP", "order": { "id": order } })
    );
    let updates: i64 =
        sqlx::query_scalar("SELECT count(*) FROM outbox WHERE routing_key = 'shipment.updated'")
            .fetch_one(&pool)
            .await
            .expect("events");
    assert_eq!(updates, 2);
}

#[sqlx::test(migrations = false)]
async fn shipping_estimates_use_the_required_weight(pool: PgPool) {
    let (router, _) = app(&pool).await;
    let estimate = kit::testing::graphql(
        &router,
        "query($r: [_Any!]!) { _entities(representations: $r) { ... on Product { shippingEstimate { amount } } } }",
        json!({ "r": [{ "__typename": "Product", "id": "p1", "weightGrams": 2500 }] }),
        None,
    )
    .await;
    // Cheapest domestic: 499 + 100 per started kilogram (3 kg).
    assert_eq!(estimate["data"]["_entities"][0]["shippingEstimate"]["amount"], 799, "{estimate}");
}
