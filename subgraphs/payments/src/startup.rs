use std::time::Duration;

use kit::{
    auth::JwtVerifier,
    events::{Broker, Consumer, ConsumerSpec, OutboxRelay},
    http::{App, GraphqlEndpoint, Readiness, ReadinessChecks},
};
use sqlx::{PgPool, migrate::Migrator};

use crate::{
    config::PaymentsConfig,
    consumers::{LISTENS_TO, PaymentEvents},
    payments::Payments,
    provider::{Provider, Sandbox, Stripe},
    schema::{build_schema, request_data},
    webhooks::StripeWebhooks,
};

pub static MIGRATOR: Migrator = sqlx::migrate!("../../migrations/payments");

pub fn provider(config: &PaymentsConfig) -> Provider {
    match &config.stripe_secret_key {
        Some(key) => Provider::Stripe(Stripe::new(&config.stripe_api_base, key)),
        None => Provider::Sandbox(Sandbox::default()),
    }
}

pub async fn build(config: &PaymentsConfig) -> anyhow::Result<App> {
    let pool = kit::db::connect_and_migrate(
        &config.service.database_url,
        config.service.database_max_connections,
        &MIGRATOR,
    )
    .await?;
    Ok(build_with(config, pool, provider(config), JwtVerifier::from_config(&config.service.auth)?))
}

pub fn build_with(
    config: &PaymentsConfig,
    pool: PgPool,
    provider: Provider,
    verifier: JwtVerifier,
) -> App {
    let payments = Payments {
        pool: pool.clone(),
        provider,
        max_attempts: config.max_attempts.max(1),
        retry_base: Duration::from_millis(config.retry_base_ms),
    };
    let broker = Broker::new(config.service.events.clone());
    let endpoint = GraphqlEndpoint {
        service: "payments",
        schema: build_schema(Some(payments.clone())),
        verifier,
        request_data: request_data(pool.clone()),
    };
    let consumer = Consumer::new(
        ConsumerSpec::new("payments.saga", LISTENS_TO, &broker),
        pool.clone(),
        broker.clone(),
        PaymentEvents(payments.clone()),
    );
    let relay = OutboxRelay::new("payments", pool.clone(), broker.clone());
    // Stripe signs its webhooks itself: they sit outside the check of our
    // own services' signatures.
    let webhooks = StripeWebhooks {
        payments: payments.clone(),
        secrets: config.stripe_webhook_secrets.clone(),
        tolerance_secs: config.stripe_webhook_tolerance_secs,
    };
    App::new(
        endpoint.into_router(&config.service.signing).merge(webhooks.routes()),
        Readiness::new().postgres(pool).broker(broker),
    )
    .with_task(move |stop| relay.run(stop))
    .with_task(move |stop| consumer.run(stop))
}

pub fn schema_sdl() -> String {
    kit::http::export_sdl(&build_schema(None))
}

/// The `payments` binary: `payments [serve | schema | seed]`.
pub struct PaymentsSubgraph;

impl kit::cli::Subgraph for PaymentsSubgraph {
    const NAME: &'static str = "payments";
    const ABOUT: &'static str = "Shopgraph's payments subgraph: one charge per order (sandbox or Stripe), retries and refunds; PostgreSQL.";
    type Config = PaymentsConfig;

    fn config() -> anyhow::Result<PaymentsConfig> {
        Ok(PaymentsConfig::from_env()?)
    }

    fn service(config: &PaymentsConfig) -> &kit::config::ServiceConfig {
        &config.service
    }

    fn schema_sdl() -> String {
        schema_sdl()
    }

    async fn build(config: &PaymentsConfig) -> anyhow::Result<App> {
        build(config).await
    }
}
