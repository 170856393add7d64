use std::sync::OnceLock;

use cart::CartConfig;
use kit::{auth::Role, http::RunningApp};
use serde_json::{Value, json};
use users::keys::SigningKeys;
use uuid::Uuid;

pub use kit::testing::error_code;

fn keys() -> SigningKeys {
    static KEYS: OnceLock<SigningKeys> = OnceLock::new();
    KEYS.get_or_init(|| SigningKeys::generate().expect("key")).clone()
}

pub struct TestCart {
    pub router: axum::Router,
    pub config: CartConfig,
    _catalog: RunningApp,
    catalog_url: String,
}

impl TestCart {
    pub async fn new() -> Self {
        Self::with_redis(None).await
    }

    pub async fn with_redis(redis_url: Option<&str>) -> Self {
        let unique = Uuid::new_v4().simple().to_string();
        let mut catalog_config = catalog::CatalogConfig::from_env().expect("config");
        catalog_config.mongo.database = format!("test_cart_{unique}");
        catalog_config.redis.key_prefix = format!("test:{unique}:catalog:");
        let database = kit::mongo::connect(&catalog_config.mongo).await.expect("mongo");
        let catalog = catalog::build_with(&catalog_config, database, keys().verifier())
            .await
            .expect("catalog");
        let catalog =
            catalog.spawn(tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind"));
        let catalog_url = catalog.url("/graphql");

        let mut config = CartConfig::from_env().expect("config");
        config.redis.key_prefix = format!("test:{unique}:cart:");
        config.catalog_url = catalog_url.clone();
        if let Some(url) = redis_url {
            config.redis.url = url.to_owned();
        }
        let app = cart::build_with(&config, keys().verifier()).expect("cart");
        Self { router: app.router, config, _catalog: catalog, catalog_url }
    }

    pub fn token(&self, customer: Uuid) -> String {
        keys().access_token(customer, Role::Customer).expect("token")
    }

    pub fn admin(&self) -> String {
        keys().access_token(Uuid::new_v4(), Role::Admin).expect("token")
    }

    pub async fn graphql(&self, query: &str, variables: Value, token: Option<&str>) -> Value {
        kit::testing::graphql(&self.router, query, variables, token).await
    }

    /// A product in the catalog, created as admin; its id.
    pub async fn product(&self, sku: &str, price: i64) -> String {
        let response = kit::testing::graphql_at(
            &self.catalog_url,
            "mutation($i: ProductInput!) { createProduct(input: $i) { id } }",
            json!({ "i": { "sku": sku, "name": sku, "description": "d", "weightGrams": 1,
                           "price": { "amount": price, "currency": "USD" } } }),
            Some(&self.admin()),
        )
        .await;
        response["data"]["createProduct"]["id"]
            .as_str()
            .unwrap_or_else(|| panic!("{response}"))
            .to_owned()
    }

    pub async fn set_price(&self, product: &str, price: i64) {
        kit::testing::graphql_at(
            &self.catalog_url,
            "mutation($id: ID!, $a: Int!) { updateProduct(id: $id, input: { price: { amount: $a, currency: \"USD\" } }) { id } }",
            json!({ "id": product, "a": price }),
            Some(&self.admin()),
        )
        .await;
    }
}
