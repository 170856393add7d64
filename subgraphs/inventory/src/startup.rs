use kit::{
    auth::JwtVerifier,
    cache::Cache,
    events::{Broker, Consumer, ConsumerSpec, OutboxRelay},
    http::{App, GraphqlEndpoint, Readiness, ReadinessChecks},
};
use sqlx::{PgPool, migrate::Migrator};

use crate::{
    config::InventoryConfig,
    consumers::{ORDER_CREATED, ORDER_STATUS_CHANGED, OrderEvents},
    reservations::Reservations,
    schema::{build_schema, request_data},
    seed,
    stock::Stock,
};

pub static MIGRATOR: Migrator = sqlx::migrate!("../../migrations/inventory");

pub async fn build(config: &InventoryConfig) -> anyhow::Result<App> {
    let pool = connect(config).await?;
    let verifier = JwtVerifier::from_config(&config.service.auth)?;
    Ok(build_with_pool(config, pool, verifier))
}

async fn connect(config: &InventoryConfig) -> anyhow::Result<PgPool> {
    kit::db::connect_and_migrate(
        &config.service.database_url,
        config.service.database_max_connections,
        &MIGRATOR,
    )
    .await
}

/// The stock and reservation services on a pool.
pub fn services(config: &InventoryConfig, pool: PgPool) -> (Stock, Reservations) {
    let stock = Stock {
        pool,
        cache: Cache::new(&config.redis),
        low_stock_threshold: config.low_stock_threshold,
    };
    let reservations = Reservations { stock: stock.clone(), ttl: config.reservation_ttl };
    (stock, reservations)
}

pub fn build_with_pool(config: &InventoryConfig, pool: PgPool, verifier: JwtVerifier) -> App {
    let (stock, reservations) = services(config, pool.clone());
    let broker = Broker::new(config.service.events.clone());
    let endpoint = GraphqlEndpoint {
        service: "inventory",
        schema: build_schema(Some(stock.clone())),
        verifier,
        request_data: request_data(stock),
    };
    let spec =
        ConsumerSpec::new("inventory.orders", &[ORDER_CREATED, ORDER_STATUS_CHANGED], &broker);
    let consumer =
        Consumer::new(spec, pool.clone(), broker.clone(), OrderEvents(reservations.clone()));
    let relay = OutboxRelay::new("inventory", pool.clone(), broker.clone());
    let sweep = config.sweep_interval;
    App::new(
        endpoint.into_router(&config.service.signing),
        Readiness::new().postgres(pool).broker(broker),
    )
    .with_task(move |stop| relay.run(stop))
    .with_task(move |stop| consumer.run(stop))
    .with_task(move |stop| reservations.run_sweeper(sweep, stop))
}

pub fn schema_sdl() -> String {
    kit::http::export_sdl(&build_schema(None))
}

/// The `inventory` binary: `inventory [serve | schema | seed]`.
pub struct InventorySubgraph;

impl kit::cli::Subgraph for InventorySubgraph {
    const NAME: &'static str = "inventory";
    const ABOUT: &'static str = "Shopgraph's inventory subgraph: warehouses, stock with a ledger, availability and reservations driven by order events; PostgreSQL and Redis.";
    type Config = InventoryConfig;

    fn config() -> anyhow::Result<InventoryConfig> {
        Ok(InventoryConfig::from_env()?)
    }

    fn service(config: &InventoryConfig) -> &kit::config::ServiceConfig {
        &config.service
    }

    fn schema_sdl() -> String {
        schema_sdl()
    }

    async fn build(config: &InventoryConfig) -> anyhow::Result<App> {
        build(config).await
    }

    async fn seed(config: &InventoryConfig) -> anyhow::Result<()> {
        seed::seed_url(config).await
    }
}
