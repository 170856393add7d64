use std::sync::OnceLock;

use kit::auth::Role;
use orders::OrdersConfig;
use serde_json::{Value, json};
use sqlx::PgPool;
use users::keys::SigningKeys;
use uuid::Uuid;

pub use kit::testing::error_code;

fn keys() -> SigningKeys {
    static KEYS: OnceLock<SigningKeys> = OnceLock::new();
    KEYS.get_or_init(|| SigningKeys::generate().expect("key")).clone()
}

pub struct TestOrders {
    pub router: axum::Router,
    pub pool: PgPool,
}

impl TestOrders {
    pub async fn new(pool: PgPool) -> Self {
        kit::db::migrate(&pool, &orders::MIGRATOR).await.expect("migrate");
        let mut config = OrdersConfig::from_env().expect("config");
        // Nothing listens here: checkout's upstream calls fail fast.
        for url in [
            &mut config.cart_url,
            &mut config.catalog_url,
            &mut config.inventory_url,
            &mut config.users_url,
            &mut config.shipping_url,
            &mut config.payments_url,
        ] {
            *url = "http://127.0.0.1:1/graphql".into();
        }
        let app = orders::build_with_pool(&config, pool.clone(), keys().verifier());
        Self { router: app.router, pool }
    }

    pub fn token(&self, user: Uuid) -> String {
        keys().access_token(user, Role::Customer).expect("token")
    }

    pub fn admin(&self) -> String {
        keys().access_token(Uuid::new_v4(), Role::Admin).expect("token")
    }

    pub async fn graphql(&self, query: &str, variables: Value, token: Option<&str>) -> Value {
        kit::testing::graphql(&self.router, query, variables, token).await
    }

    /// A PENDING order for `customer`, as checkout would write it.
    pub async fn order(&self, customer: Uuid) -> Uuid {
        let address = json!({ "name": "Ada", "line1": "1 Main St", "city": "London", "postalCode": "N1", "country": "GB" });
        let new = orders::repository::NewOrder {
            id: Uuid::now_v7(),
            customer_id: customer,
            currency: "USD",
            subtotal: 1000,
            shipping_cost: 499,
            discount: 0,
            discount_code: None,
            shipping_address: &address,
            idempotency_key: &Uuid::new_v4().to_string(),
        };
        let mut tx = self.pool.begin().await.expect("begin");
        let order =
            orders::repository::insert(&mut tx, &new).await.expect("insert").expect("new order");
        tx.commit().await.expect("commit");
        order.id
    }

    pub async fn status(&self, order: Uuid) -> String {
        sqlx::query_scalar("SELECT status FROM orders WHERE id = $1")
            .bind(order)
            .fetch_one(&self.pool)
            .await
            .expect("status")
    }

    pub async fn events(&self, event_type: &str) -> Vec<Value> {
        sqlx::query_scalar("SELECT envelope FROM outbox WHERE routing_key = $1 ORDER BY seq")
            .bind(event_type)
            .fetch_all(&self.pool)
            .await
            .expect("outbox")
    }
}
