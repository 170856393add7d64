use std::sync::{
    Arc, OnceLock,
    atomic::{AtomicUsize, Ordering},
};

use catalog::CatalogConfig;
use kit::auth::Role;
use serde_json::{Value, json};
use users::keys::SigningKeys;
use uuid::Uuid;

fn keys() -> SigningKeys {
    static KEYS: OnceLock<SigningKeys> = OnceLock::new();
    KEYS.get_or_init(|| SigningKeys::generate().expect("key")).clone()
}

pub struct TestCatalog {
    pub router: axum::Router,
    pub config: CatalogConfig,
    database: mongodb::Database,
    /// `find` commands sent to MongoDB since the last `take_finds`.
    finds: Arc<AtomicUsize>,
}

impl TestCatalog {
    pub async fn new() -> Self {
        Self::with_redis(None).await
    }

    /// With `redis_url`, e.g. one where nothing listens.
    pub async fn with_redis(redis_url: Option<&str>) -> Self {
        let unique = Uuid::new_v4().simple().to_string();
        let mut config = CatalogConfig::from_env().expect("config");
        config.mongo.database = format!("test_catalog_{unique}");
        config.redis.key_prefix = format!("test:{unique}:");
        config.service.events.exchange = format!("test.events.{unique}");
        config.service.events.outbox_poll = std::time::Duration::from_millis(50);
        config.service.events.queue_prefix = format!("test.{unique}.");
        if let Some(url) = redis_url {
            config.redis.url = url.to_owned();
        }
        let finds = Arc::new(AtomicUsize::new(0));
        let counter = finds.clone();
        let observer: kit::mongo::CommandObserver = Arc::new(move |command: &str| {
            if command == "find" {
                counter.fetch_add(1, Ordering::SeqCst);
            }
        });
        let database =
            kit::mongo::connect_with(&config.mongo, Some(observer)).await.expect("mongo");
        let app =
            catalog::build_with(&config, database.clone(), keys().verifier()).await.expect("build");
        Self { router: app.router, config, database, finds }
    }

    /// Runs the whole service, background relay included, on port 0.
    pub async fn spawn(&self) -> kit::http::RunningApp {
        let app = catalog::build_with(&self.config, self.database.clone(), keys().verifier())
            .await
            .expect("build");
        app.spawn(tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind"))
    }

    pub fn take_finds(&self) -> usize {
        self.finds.swap(0, Ordering::SeqCst)
    }

    pub fn admin(&self) -> String {
        keys().access_token(Uuid::new_v4(), Role::Admin).expect("token")
    }

    pub fn customer(&self, id: Uuid) -> String {
        keys().access_token(id, Role::Customer).expect("token")
    }

    pub async fn graphql(&self, query: &str, variables: Value, token: Option<&str>) -> Value {
        kit::testing::graphql(&self.router, query, variables, token).await
    }

    /// Creates a product as admin and returns its id.
    pub async fn create(&self, sku: &str, name: &str, price: i64, extra: Value) -> String {
        let mut input = json!({
            "sku": sku, "name": name, "description": "test", "weightGrams": 500,
            "price": { "amount": price, "currency": "USD" },
        });
        if let (Some(input), Some(extra)) = (input.as_object_mut(), extra.as_object()) {
            input.extend(extra.clone());
        }
        let response = self
            .graphql(
                "mutation($input: ProductInput!) { createProduct(input: $input) { id } }",
                json!({ "input": input }),
                Some(&self.admin()),
            )
            .await;
        response["data"]["createProduct"]["id"]
            .as_str()
            .unwrap_or_else(|| panic!("{response}"))
            .to_owned()
    }
}

pub use kit::testing::error_code;
