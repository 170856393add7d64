use kit::{
    auth::JwtVerifier,
    http::{App, GraphqlEndpoint, Readiness},
};

use crate::{
    carts::Carts,
    catalog_client::CatalogClient,
    config::CartConfig,
    schema::{build_schema, request_data},
    store::CartStore,
};

pub fn build(config: &CartConfig) -> anyhow::Result<App> {
    build_with(config, JwtVerifier::from_config(&config.service.auth)?)
}

pub fn build_with(config: &CartConfig, verifier: JwtVerifier) -> anyhow::Result<App> {
    let store = CartStore::new(&config.redis, config.ttl)?;
    let carts = Carts { store: store.clone(), default_currency: config.default_currency.clone() };
    let endpoint = GraphqlEndpoint {
        service: "cart",
        schema: build_schema(Some(carts)),
        verifier,
        request_data: request_data(CatalogClient::new(config.catalog_url.clone(), &config.service)),
    };
    let readiness = Readiness::new().check("redis", move || {
        let store = store.clone();
        async move {
            store.ttl_ms("readiness-probe").await.map_err(|e| anyhow::anyhow!("{e:?}"))?;
            Ok(())
        }
    });
    Ok(App::new(endpoint.into_router(&config.service.signing), readiness))
}

pub fn schema_sdl() -> String {
    kit::http::export_sdl(&build_schema(None))
}

/// The `cart` binary: `cart [serve | schema | seed]`.
pub struct CartSubgraph;

impl kit::cli::Subgraph for CartSubgraph {
    const NAME: &'static str = "cart";
    const ABOUT: &'static str =
        "Shopgraph's cart subgraph: one cart per customer, priced from the catalog; Redis.";
    type Config = CartConfig;

    fn config() -> anyhow::Result<CartConfig> {
        Ok(CartConfig::from_env()?)
    }

    fn service(config: &CartConfig) -> &kit::config::ServiceConfig {
        &config.service
    }

    fn schema_sdl() -> String {
        schema_sdl()
    }

    async fn build(config: &CartConfig) -> anyhow::Result<App> {
        build(config)
    }
}
