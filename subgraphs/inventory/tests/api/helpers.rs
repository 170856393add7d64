use std::sync::OnceLock;

use inventory::{InventoryConfig, reservations::Reservations};
use kit::auth::Role;
use serde_json::{Value, json};
use sqlx::PgPool;
use users::keys::SigningKeys;
use uuid::Uuid;

fn keys() -> SigningKeys {
    static KEYS: OnceLock<SigningKeys> = OnceLock::new();
    KEYS.get_or_init(|| SigningKeys::generate().expect("key")).clone()
}

pub struct TestInventory {
    pub router: axum::Router,
    pub pool: PgPool,
    pub reservations: Reservations,
    pub config: InventoryConfig,
}

impl TestInventory {
    pub async fn new(pool: PgPool) -> Self {
        Self::with_redis(pool, None).await
    }

    pub async fn with_redis(pool: PgPool, redis_url: Option<&str>) -> Self {
        kit::db::migrate(&pool, &inventory::MIGRATOR).await.expect("migrate");
        let mut config = InventoryConfig::from_env().expect("config");
        let unique = Uuid::new_v4().simple().to_string();
        config.redis.key_prefix = format!("test:{unique}:");
        config.service.events.exchange = format!("test.events.{unique}");
        config.service.events.outbox_poll = std::time::Duration::from_millis(50);
        config.service.events.queue_prefix = format!("test.{unique}.");
        if let Some(url) = redis_url {
            config.redis.url = url.to_owned();
        }
        let app = inventory::build_with_pool(&config, pool.clone(), keys().verifier());
        let (_, reservations) = inventory::services(&config, pool.clone());
        Self { router: app.router, pool, reservations, config }
    }

    /// The whole service, consumers and relay included, on port 0.
    pub async fn spawn(&self) -> kit::http::RunningApp {
        let app = inventory::build_with_pool(&self.config, self.pool.clone(), keys().verifier());
        app.spawn(tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind"))
    }

    pub fn admin(&self) -> String {
        keys().access_token(Uuid::new_v4(), Role::Admin).expect("token")
    }

    pub fn customer(&self) -> String {
        keys().access_token(Uuid::new_v4(), Role::Customer).expect("token")
    }

    pub async fn graphql(&self, query: &str, variables: Value, token: Option<&str>) -> Value {
        kit::testing::graphql(&self.router, query, variables, token).await
    }

    pub async fn warehouse(&self, code: &str) -> String {
        let response = self
            .graphql(
                "mutation($i: WarehouseInput!) { createWarehouse(input: $i) { id } }",
                json!({ "i": { "code": code, "name": code, "country": "GB" } }),
                Some(&self.admin()),
            )
            .await;
        response["data"]["createWarehouse"]["id"]
            .as_str()
            .unwrap_or_else(|| panic!("{response}"))
            .to_owned()
    }

    pub async fn adjust(&self, product: &str, warehouse: &str, delta: i32) -> Value {
        self.graphql(
            "mutation($p: ID!, $w: ID!, $d: Int!) { adjustStock(productId: $p, warehouseId: $w, delta: $d, reason: \"count\") { onHand reserved available } }",
            json!({ "p": product, "w": warehouse, "d": delta }),
            Some(&self.admin()),
        )
        .await
    }

    /// (inStock, availableQuantity) through `_entities`, as the router asks.
    pub async fn availability(&self, product: &str) -> (bool, i64) {
        let response = self
            .graphql(
                "query($r: [_Any!]!) { _entities(representations: $r) { ... on Product { inStock availableQuantity } } }",
                json!({ "r": [{ "__typename": "Product", "id": product }] }),
                None,
            )
            .await;
        let entity = &response["data"]["_entities"][0];
        (
            entity["inStock"].as_bool().unwrap_or_else(|| panic!("{response}")),
            entity["availableQuantity"].as_i64().expect("quantity"),
        )
    }

    pub async fn outbox(&self, event_type: &str) -> Vec<Value> {
        sqlx::query_scalar("SELECT envelope FROM outbox WHERE routing_key = $1 ORDER BY seq")
            .bind(event_type)
            .fetch_all(&self.pool)
            .await
            .expect("outbox")
    }
}

pub use kit::testing::error_code;
