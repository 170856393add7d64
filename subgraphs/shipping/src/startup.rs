use kit::{
    auth::JwtVerifier,
    events::{Broker, Consumer, ConsumerSpec, LiveFeed, OutboxRelay},
    http::{App, GraphqlEndpoint, Readiness, ReadinessChecks},
};
use sqlx::{PgPool, migrate::Migrator};

use crate::{
    config::ShippingConfig,
    consumers::{LISTENS_TO, PaidOrders},
    rates::{self, Weights},
    schema::{Shipping, build_schema, request_data},
    shipments,
    subscription::{LIVE_EVENTS, OrderAccess},
};

pub static MIGRATOR: Migrator = sqlx::migrate!("../../migrations/shipping");

async fn connect(config: &ShippingConfig) -> anyhow::Result<PgPool> {
    kit::db::connect_and_migrate(
        &config.service.database_url,
        config.service.database_max_connections,
        &MIGRATOR,
    )
    .await
}

pub async fn build(config: &ShippingConfig) -> anyhow::Result<App> {
    let pool = connect(config).await?;
    rates::seed(&pool).await?;
    Ok(build_with_pool(config, pool, JwtVerifier::from_config(&config.service.auth)?))
}

pub fn build_with_pool(config: &ShippingConfig, pool: PgPool, verifier: JwtVerifier) -> App {
    let shipping = Shipping {
        pool: pool.clone(),
        weights: Weights::new(config.catalog_url.clone(), &config.service),
        origin_country: config.origin_country.clone(),
        orders: OrderAccess::new(config.orders_url.clone(), &config.service),
    };
    let broker = Broker::new(config.service.events.clone());
    let feed = LiveFeed::new(LIVE_EVENTS);
    let endpoint = GraphqlEndpoint {
        service: "shipping",
        schema: build_schema(Some((shipping, feed.clone()))),
        verifier,
        request_data: request_data(pool.clone()),
    };
    let consumer = Consumer::new(
        ConsumerSpec::new("shipping.orders", LISTENS_TO, &broker),
        pool.clone(),
        broker.clone(),
        PaidOrders,
    );
    let relay = OutboxRelay::new("shipping", pool.clone(), broker.clone());
    let feed_broker = broker.clone();
    let (carrier_pool, step) = (pool.clone(), config.carrier_step);
    App::new(
        endpoint.into_router(&config.service.signing),
        Readiness::new().postgres(pool).broker(broker),
    )
    .with_task(move |stop| relay.run(stop))
    .with_task(move |stop| consumer.run(stop))
    .with_task(move |stop| feed.run(feed_broker, stop))
    .with_task(move |stop| shipments::run_sandbox_carrier(carrier_pool, step, stop))
}

pub fn schema_sdl() -> String {
    kit::http::export_sdl(&build_schema(None))
}

/// The `shipping` binary: `shipping [serve | schema | seed]`.
pub struct ShippingSubgraph;

impl kit::cli::Subgraph for ShippingSubgraph {
    const NAME: &'static str = "shipping";
    const ABOUT: &'static str = "Shopgraph's shipping subgraph: shipping rates, shipments for paid orders, the sandbox carrier and live tracking; PostgreSQL.";
    type Config = ShippingConfig;

    fn config() -> anyhow::Result<ShippingConfig> {
        Ok(ShippingConfig::from_env()?)
    }

    fn service(config: &ShippingConfig) -> &kit::config::ServiceConfig {
        &config.service
    }

    fn schema_sdl() -> String {
        schema_sdl()
    }

    async fn build(config: &ShippingConfig) -> anyhow::Result<App> {
        build(config).await
    }

    async fn seed(config: &ShippingConfig) -> anyhow::Result<()> {
        Ok(rates::seed(&connect(config).await?).await?)
    }
}
