use kit::{
    auth::JwtVerifier,
    events::{Broker, Consumer, ConsumerSpec, LiveFeed, OutboxRelay},
    http::{App, GraphqlEndpoint, Readiness, ReadinessChecks},
};
use sqlx::{PgPool, migrate::Migrator};

use crate::{
    checkout::Checkout,
    config::OrdersConfig,
    lifecycle,
    promotions::{self, Promotions},
    saga::{LISTENS_TO, SagaEvents},
    schema::{LIVE_EVENTS, build_schema, request_data},
    upstream::Upstream,
};

pub static MIGRATOR: Migrator = sqlx::migrate!("../../migrations/orders");

pub async fn build(config: &OrdersConfig) -> anyhow::Result<App> {
    let pool = kit::db::connect_and_migrate(
        &config.service.database_url,
        config.service.database_max_connections,
        &MIGRATOR,
    )
    .await?;
    Ok(build_with_pool(config, pool, JwtVerifier::from_config(&config.service.auth)?))
}

pub fn build_with_pool(config: &OrdersConfig, pool: PgPool, verifier: JwtVerifier) -> App {
    let checkout = Checkout {
        pool: pool.clone(),
        upstream: Upstream::new(config),
        promotions: Promotions { pool: pool.clone() },
    };
    let broker = Broker::new(config.service.events.clone());
    let feed = LiveFeed::new(LIVE_EVENTS);
    let request_data = request_data(checkout.clone());
    let endpoint = GraphqlEndpoint {
        service: "orders",
        schema: build_schema(Some((checkout, feed.clone()))),
        verifier,
        request_data,
    };
    let consumer = Consumer::new(
        ConsumerSpec::new("orders.saga", LISTENS_TO, &broker),
        pool.clone(),
        broker.clone(),
        SagaEvents,
    );
    // Its own queue, so a slow saga never holds back giving codes back.
    let give_back = Consumer::new(
        ConsumerSpec::new("orders.promotions", promotions::events::LISTENS_TO, &broker),
        pool.clone(),
        broker.clone(),
        promotions::events::GiveBackCodes,
    );
    let relay = OutboxRelay::new("orders", pool.clone(), broker.clone());
    let feed_broker = broker.clone();
    let (sweep_pool, timeout, interval) =
        (pool.clone(), config.saga_timeout, config.sweep_interval);
    App::new(
        endpoint.into_router(&config.service.signing),
        Readiness::new().postgres(pool).broker(broker),
    )
    .with_task(move |stop| relay.run(stop))
    .with_task(move |stop| consumer.run(stop))
    .with_task(move |stop| give_back.run(stop))
    .with_task(move |stop| feed.run(feed_broker, stop))
    .with_task(move |stop| lifecycle::run_sweeper(sweep_pool, timeout, interval, stop))
}

pub fn schema_sdl() -> String {
    kit::http::export_sdl(&build_schema(None))
}

/// The `orders` binary: `orders [serve | schema | seed]`.
pub struct OrdersSubgraph;

impl kit::cli::Subgraph for OrdersSubgraph {
    const NAME: &'static str = "orders";
    const ABOUT: &'static str = "Shopgraph's orders subgraph: checkout, the order state machine and its history, and the checkout saga; PostgreSQL.";
    type Config = OrdersConfig;

    fn config() -> anyhow::Result<OrdersConfig> {
        Ok(OrdersConfig::from_env()?)
    }

    fn service(config: &OrdersConfig) -> &kit::config::ServiceConfig {
        &config.service
    }

    fn schema_sdl() -> String {
        schema_sdl()
    }

    async fn build(config: &OrdersConfig) -> anyhow::Result<App> {
        build(config).await
    }
}
