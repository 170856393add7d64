use std::sync::Arc;

use kit::{
    auth::JwtVerifier,
    events::{Broker, Consumer, ConsumerSpec},
    http::{App, GraphqlEndpoint, Readiness, ReadinessChecks},
};
use mongodb::Database;

use crate::{
    channels::Channels,
    config::NotificationsConfig,
    delivery::Worker,
    events::{LISTENS_TO, Notify},
    schema::build_schema,
    store::Store,
    templates,
};

pub async fn build(config: &NotificationsConfig) -> anyhow::Result<App> {
    let database = kit::mongo::connect(&config.mongo).await?;
    let verifier = JwtVerifier::from_config(&config.service.auth)?;
    build_with(config, database, verifier).await
}

/// Assembles the service on a database in hand (tests use a fresh one each).
pub async fn build_with(
    config: &NotificationsConfig,
    database: Database,
    verifier: JwtVerifier,
) -> anyhow::Result<App> {
    let store = store(&database).await?;
    let channels = Arc::new(Channels::new(&config.smtp, config.email)?);
    let broker = Broker::new(config.service.events.clone());
    let endpoint = GraphqlEndpoint {
        service: "notifications",
        schema: build_schema(Some(store.clone())),
        verifier,
        request_data: Arc::new(|request| request),
    };
    let worker = Worker::new(store.clone(), channels, broker.clone(), config);
    let consumer = Consumer::with_applier(
        ConsumerSpec::new("notifications.events", LISTENS_TO, &broker),
        broker.clone(),
        Notify { store, wake_worker: worker.waker() },
    );
    let readiness = Readiness::new().mongo(database).broker(broker);
    Ok(App::new(endpoint.into_router(&config.service.signing), readiness)
        .with_task(move |stop| consumer.run(stop))
        .with_task(move |stop| worker.run(stop)))
}

/// The store on a database, indexes ensured and default templates added.
pub async fn store(database: &Database) -> anyhow::Result<Store> {
    let store = Store::new(database);
    store.create_indexes().await?;
    store.seed_templates(templates::defaults()).await?;
    Ok(store)
}

pub fn schema_sdl() -> String {
    kit::http::export_sdl(&build_schema(None))
}

/// The `notifications` binary: `notifications [serve | schema | seed]`.
pub struct NotificationsSubgraph;

impl kit::cli::Subgraph for NotificationsSubgraph {
    const NAME: &'static str = "notifications";
    const ABOUT: &'static str = "Shopgraph's notifications subgraph: templated email, SMS, push and in-app notifications for customer events; MongoDB.";
    type Config = NotificationsConfig;

    fn config() -> anyhow::Result<NotificationsConfig> {
        Ok(NotificationsConfig::from_env()?)
    }

    fn service(config: &NotificationsConfig) -> &kit::config::ServiceConfig {
        &config.service
    }

    fn schema_sdl() -> String {
        schema_sdl()
    }

    async fn build(config: &NotificationsConfig) -> anyhow::Result<App> {
        build(config).await
    }

    async fn seed(config: &NotificationsConfig) -> anyhow::Result<()> {
        store(&kit::mongo::connect(&config.mongo).await?).await?;
        Ok(())
    }
}
