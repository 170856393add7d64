use std::sync::{
    Arc, OnceLock,
    atomic::{AtomicUsize, Ordering},
};

use serde_json::{Value, json};
use sqlx::PgPool;
use users::{UsersConfig, keys::SigningKeys};

/// RSA key generation takes a moment; one key (and one "foreign" key) per
/// test binary is plenty.
pub fn signing_keys() -> SigningKeys {
    static KEYS: OnceLock<SigningKeys> = OnceLock::new();
    KEYS.get_or_init(|| SigningKeys::generate().expect("generate key")).clone()
}

pub fn foreign_keys() -> SigningKeys {
    static KEYS: OnceLock<SigningKeys> = OnceLock::new();
    KEYS.get_or_init(|| SigningKeys::generate().expect("generate key")).clone()
}

pub const PASSWORD: &str = "correct horse battery";

pub struct TestApp {
    pub router: axum::Router,
    pub pool: PgPool,
}

impl TestApp {
    pub async fn new(pool: PgPool) -> Self {
        Self::with_config(pool, |_| {}).await
    }

    pub async fn with_config(pool: PgPool, tweak: impl FnOnce(&mut UsersConfig)) -> Self {
        kit::db::migrate(&pool, &users::MIGRATOR).await.expect("migrate");
        let mut config = UsersConfig::from_env().expect("config");
        tweak(&mut config);
        let app = users::build_with_pool(&config, pool.clone(), signing_keys());
        Self { router: app.router, pool }
    }

    /// POSTs a GraphQL request through the real router, without a socket.
    pub async fn graphql(&self, query: &str, variables: Value, token: Option<&str>) -> Value {
        kit::testing::graphql(&self.router, query, variables, token).await
    }

    pub async fn register(&self, email: &str, name: &str) -> Session {
        let response = self
            .graphql(
                "mutation($input: RegisterInput!) { register(input: $input) {
                    accessToken refreshToken expiresAt user { id email name role } } }",
                json!({ "input": { "email": email, "password": PASSWORD, "name": name } }),
                None,
            )
            .await;
        Session::from_payload(&response, "register")
    }

    pub async fn login(&self, email: &str, password: &str) -> Value {
        self.graphql(
            "mutation($e: String!, $p: String!) { login(email: $e, password: $p) {
                accessToken refreshToken user { id email } } }",
            json!({ "e": email, "p": password }),
            None,
        )
        .await
    }

    /// Registers admin@example.com, promotes it and signs in again (role
    /// claims are fixed when a token is issued): the session and its token.
    pub async fn admin(&self) -> (Session, String) {
        let admin = self.register("admin@example.com", "Admin").await;
        self.make_admin(&admin.user_id).await;
        let token =
            Session::from_payload(&self.login("admin@example.com", PASSWORD).await, "login")
                .access_token;
        (admin, token)
    }

    pub async fn make_admin(&self, user_id: &str) {
        sqlx::query("UPDATE users SET role = 'ADMIN' WHERE id = $1::uuid")
            .bind(user_id)
            .execute(&self.pool)
            .await
            .expect("promote");
    }

    /// The outbox rows of one event type, oldest first.
    pub async fn outbox(&self, event_type: &str) -> Vec<Value> {
        sqlx::query_scalar("SELECT envelope FROM outbox WHERE routing_key = $1 ORDER BY seq")
            .bind(event_type)
            .fetch_all(&self.pool)
            .await
            .expect("outbox")
    }
}

#[derive(Debug, Clone)]
pub struct Session {
    pub access_token: String,
    pub refresh_token: String,
    pub user_id: String,
}

impl Session {
    pub fn from_payload(response: &Value, field: &str) -> Self {
        let payload = &response["data"][field];
        assert!(payload.is_object(), "{field} failed: {response}");
        Self {
            access_token: payload["accessToken"].as_str().expect("accessToken").to_owned(),
            refresh_token: payload["refreshToken"].as_str().expect("refreshToken").to_owned(),
            user_id: payload["user"]["id"].as_str().expect("user id").to_owned(),
        }
    }
}

pub use kit::testing::error_code;

/// Counts the SQL statements sqlx runs on this thread while it is installed.
///
/// sqlx reports every statement as a `sqlx::query` tracing event. One
/// global subscriber (installed once per test binary) forwards those events
/// to the counter of the thread they happen on; `#[sqlx::test]` runs each
/// test on its own current-thread runtime, so a test sees exactly its own
/// statements, DataLoader tasks included. (A thread-local *subscriber*
/// would not do: tracing caches per-callsite interest process-wide, and a
/// test running first without one can switch the callsite off.)
pub struct QueryCounter {
    count: Arc<AtomicUsize>,
}

thread_local! {
    static ACTIVE: std::cell::RefCell<Option<Arc<AtomicUsize>>> = const { std::cell::RefCell::new(None) };
}

impl QueryCounter {
    pub fn install() -> Self {
        static GLOBAL: OnceLock<()> = OnceLock::new();
        GLOBAL.get_or_init(|| {
            use tracing_subscriber::{
                Layer, filter, layer::SubscriberExt, util::SubscriberInitExt,
            };
            let layer = CountLayer.with_filter(
                filter::Targets::new().with_target("sqlx::query", tracing::Level::TRACE),
            );
            tracing_subscriber::registry().with(layer).try_init().expect("one global subscriber");
        });
        let count = Arc::new(AtomicUsize::new(0));
        ACTIVE.with(|active| *active.borrow_mut() = Some(count.clone()));
        Self { count }
    }

    pub fn take(&self) -> usize {
        self.count.swap(0, Ordering::SeqCst)
    }
}

impl Drop for QueryCounter {
    fn drop(&mut self) {
        ACTIVE.with(|active| *active.borrow_mut() = None);
    }
}

struct CountLayer;

impl<S: tracing::Subscriber> tracing_subscriber::Layer<S> for CountLayer {
    fn on_event(
        &self,
        _event: &tracing::Event<'_>,
        _ctx: tracing_subscriber::layer::Context<'_, S>,
    ) {
        ACTIVE.with(|active| {
            if let Some(count) = active.borrow().as_ref() {
                count.fetch_add(1, Ordering::SeqCst);
            }
        });
    }
}
