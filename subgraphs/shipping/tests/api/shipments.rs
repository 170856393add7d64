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

/// The shipment's status, read straight from its row.
async fn status_of(pool: &PgPool, id: Uuid) -> String {
    sqlx::query_scalar("SELECT status FROM shipments WHERE id = $1")
        .bind(id)
        .fetch_one(pool)
        .await
        .expect("status")
}

#[sqlx::test(migrations = false)]
async fn with_several_instances_one_sandbox_carrier_moves_the_parcels_each_step(pool: PgPool) {
    kit::db::migrate(&pool, &shipping::MIGRATOR).await.expect("migrate");
    let mut tx = pool.begin().await.expect("begin");
    let shipment = shipping::shipments::create(&mut tx, Uuid::now_v7(), Uuid::new_v4(), None)
        .await
        .expect("create")
        .expect("new");
    tx.commit().await.expect("commit");

    // Another instance is in the middle of its step: it holds the lock.
    let mut other = pool.begin().await.expect("begin");
    sqlx::query("SELECT pg_advisory_xact_lock($1)")
        .bind(shipping::shipments::CARRIER_LOCK)
        .execute(&mut *other)
        .await
        .expect("lock");
    let stop = tokio_util::sync::CancellationToken::new();
    let step = std::time::Duration::from_millis(30);
    let carriers: Vec<_> = (0..2)
        .map(|_| {
            tokio::spawn(shipping::shipments::run_sandbox_carrier(pool.clone(), step, stop.clone()))
        })
        .collect();
    tokio::time::sleep(std::time::Duration::from_millis(300)).await;
    assert_eq!(status_of(&pool, shipment.id).await, "LABEL_CREATED", "moved during another's step");

    // Its step over, the two carriers take turns: the parcel goes through
    // every status once.
    other.rollback().await.expect("release");
    let mut delivered = false;
    for _ in 0..200 {
        if status_of(&pool, shipment.id).await == "DELIVERED" {
            delivered = true;
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
    stop.cancel();
    for carrier in carriers {
        carrier.await.expect("carrier stops");
    }
    assert!(delivered, "never delivered: {}", status_of(&pool, shipment.id).await);
    let steps: Vec<String> =
        sqlx::query_scalar("SELECT status FROM tracking_events WHERE shipment_id = $1 ORDER BY id")
            .bind(shipment.id)
            .fetch_all(&pool)
            .await
            .expect("tracking");
    assert_eq!(
        steps,
        ["LABEL_CREATED", "PICKED_UP", "IN_TRANSIT", "OUT_FOR_DELIVERY", "DELIVERED"]
    );
}
