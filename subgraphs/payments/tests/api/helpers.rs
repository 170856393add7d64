use std::{sync::OnceLock, time::Duration};

use kit::{auth::Role, events::EventHandler};
use payments::{
    PaymentsConfig,
    consumers::PaymentEvents,
    payments::Payments,
    provider::{Provider, Sandbox},
};
use serde_json::{Value, json};
use sqlx::PgPool;
use users::keys::SigningKeys;
use uuid::Uuid;

pub use kit::testing::error_code;

/// The webhook endpoint's signing secret in these tests.
pub const WEBHOOK_SECRET: &str = "whsec_payments_tests";

fn keys() -> SigningKeys {
    static KEYS: OnceLock<SigningKeys> = OnceLock::new();
    KEYS.get_or_init(|| SigningKeys::generate().expect("key")).clone()
}

pub struct TestPayments {
    pub router: axum::Router,
    pub pool: PgPool,
    pub sandbox: Sandbox,
    pub payments: Payments,
}

impl TestPayments {
    pub async fn new(pool: PgPool) -> Self {
        let sandbox = Sandbox::default();
        let mut payments = Self::with_provider(pool, Provider::Sandbox(sandbox.clone())).await;
        payments.sandbox = sandbox;
        payments
    }

    /// With `provider` (e.g. Stripe at a local fake); `sandbox` is then unused.
    pub async fn with_provider(pool: PgPool, provider: Provider) -> Self {
        kit::db::migrate(&pool, &payments::MIGRATOR).await.expect("migrate");
        let mut config = PaymentsConfig::from_env().expect("config");
        config.stripe_webhook_secrets = vec![WEBHOOK_SECRET.to_owned()];
        let sandbox = Sandbox::default();
        let app = payments::build_with(&config, pool.clone(), provider.clone(), keys().verifier());
        let payments = Payments {
            pool: pool.clone(),
            provider,
            max_attempts: 4,
            retry_base: Duration::from_millis(5),
        };
        Self { router: app.router, pool, sandbox, payments }
    }

    pub fn admin(&self) -> String {
        keys().access_token(Uuid::new_v4(), Role::Admin).expect("token")
    }

    pub fn token(&self, user: Uuid) -> String {
        keys().access_token(user, Role::Customer).expect("token")
    }

    pub async fn graphql(&self, query: &str, variables: Value, token: Option<&str>) -> Value {
        kit::testing::graphql(&self.router, query, variables, token).await
    }

    /// Delivers an event to the payments consumer, in its own transaction.
    pub async fn deliver(&self, event_type: &str, data: Value) {
        let envelope = kit::events::Envelope::new("tests", event_type, "x", data, None);
        let mut tx = self.pool.begin().await.expect("begin");
        PaymentEvents(self.payments.clone()).handle(&mut tx, &envelope).await.expect("handled");
        tx.commit().await.expect("commit");
    }

    /// `order.created` for a new order of `amount` paid with `token`.
    pub async fn order(&self, customer: Uuid, amount: i64, token: &str) -> Uuid {
        let order = Uuid::now_v7();
        self.deliver(
            "order.created",
            json!({
                "orderId": order, "customerId": customer, "paymentToken": token,
                "total": { "amount": amount, "currency": "USD" }, "items": [],
            }),
        )
        .await;
        order
    }

    pub async fn payment(&self, order: Uuid) -> (Uuid, String, i32, Option<String>) {
        sqlx::query_as(
            "SELECT id, status, attempts, failure_reason FROM payments WHERE order_id = $1",
        )
        .bind(order)
        .fetch_one(&self.pool)
        .await
        .expect("payment")
    }

    /// POSTs `body` to the Stripe webhook endpoint with `signature`.
    pub async fn webhook(&self, body: &str, signature: Option<&str>) -> (u16, Value) {
        let mut request = axum::http::Request::post(payments::webhooks::PATH)
            .header("content-type", "application/json");
        if let Some(signature) = signature {
            request = request.header("stripe-signature", signature);
        }
        let request = request.body(axum::body::Body::from(body.to_owned())).expect("request");
        let (status, answer) = kit::testing::call(&self.router, request).await;
        (status.as_u16(), answer)
    }

    pub async fn events(&self, event_type: &str) -> Vec<Value> {
        sqlx::query_scalar("SELECT envelope FROM outbox WHERE routing_key = $1 ORDER BY seq")
            .bind(event_type)
            .fetch_all(&self.pool)
            .await
            .expect("outbox")
    }
}
