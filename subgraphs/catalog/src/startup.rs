use kit::{
    auth::JwtVerifier,
    cache::Cache,
    events::Broker,
    http::{App, GraphqlEndpoint, Readiness, ReadinessChecks},
};
use mongodb::Database;

use crate::{
    cache::ProductCache,
    catalog::{Catalog, Images},
    config::CatalogConfig,
    events::PendingEventRelay,
    images::{self, storage::ImageStorage},
    schema::{build_schema, request_data},
    seed,
    store::Store,
};

/// Connects to MongoDB, creates indexes and assembles the service.
pub async fn build(config: &CatalogConfig) -> anyhow::Result<App> {
    let database = kit::mongo::connect(&config.mongo).await?;
    let verifier = JwtVerifier::from_config(&config.service.auth)?;
    build_with(config, database, verifier).await
}

/// Assembles the service on a database in hand (tests use a fresh one each).
pub async fn build_with(
    config: &CatalogConfig,
    database: Database,
    verifier: JwtVerifier,
) -> anyhow::Result<App> {
    let catalog = catalog(config, &database).await?;
    let broker = Broker::new(config.service.events.clone());
    let endpoint = GraphqlEndpoint {
        service: "catalog",
        schema: build_schema(Some(catalog.clone())),
        verifier,
        request_data: request_data(catalog.clone()),
    };
    let readiness = Readiness::new().mongo(database).broker(broker.clone());
    let relay = PendingEventRelay::new(catalog.store.clone(), broker);
    // Room for the largest image and the multipart framing around it.
    let body_limit = config.max_image_bytes + 1024 * 1024;
    let router = endpoint
        .into_router_with_body_limit(&config.service.signing, body_limit)
        .merge(images::http::routes(catalog.images.storage.clone()));
    Ok(App::new(router, readiness).with_task(move |stop| relay.run(stop)))
}

/// The use-case layer on a database, indexes ensured.
pub async fn catalog(config: &CatalogConfig, database: &Database) -> anyhow::Result<Catalog> {
    let store = Store::new(database);
    store.ensure_indexes().await?;
    let images = Images {
        storage: ImageStorage::new(database),
        base_url: config.image_base_url.clone(),
        max_bytes: config.max_image_bytes,
    };
    Ok(Catalog { store, cache: ProductCache::new(Cache::new(&config.redis)), images })
}

pub fn schema_sdl() -> String {
    kit::http::export_sdl(&build_schema(None))
}

/// The `catalog` binary: `catalog [serve | schema | seed]`.
pub struct CatalogSubgraph;

impl kit::cli::Subgraph for CatalogSubgraph {
    const NAME: &'static str = "catalog";
    const ABOUT: &'static str = "Shopgraph's catalog subgraph: products, categories and reviews, with search and keyset paging; MongoDB with a Redis read cache.";
    type Config = CatalogConfig;

    fn config() -> anyhow::Result<CatalogConfig> {
        Ok(CatalogConfig::from_env()?)
    }

    fn service(config: &CatalogConfig) -> &kit::config::ServiceConfig {
        &config.service
    }

    fn schema_sdl() -> String {
        schema_sdl()
    }

    async fn build(config: &CatalogConfig) -> anyhow::Result<App> {
        build(config).await
    }

    async fn seed(config: &CatalogConfig) -> anyhow::Result<()> {
        let database = kit::mongo::connect(&config.mongo).await?;
        seed::seed(&catalog(config, &database).await?).await
    }
}
