use kit::{
    auth::JwtVerifier,
    cli::Command,
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
        request_data: request_data(CatalogClient::new(config.catalog_url.clone())),
    };
    let readiness = Readiness::new().check("redis", move || {
        let store = store.clone();
        async move {
            store.ttl_ms("readiness-probe").await.map_err(|e| anyhow::anyhow!("{e:?}"))?;
            Ok(())
        }
    });
    Ok(App::new(endpoint.into_router(), readiness))
}

pub fn schema_sdl() -> String {
    kit::http::export_sdl(&build_schema(None))
}

pub async fn run(command: Command) -> anyhow::Result<()> {
    match command {
        Command::Schema => {
            print!("{}", schema_sdl());
            Ok(())
        }
        // Carts belong to customers; there is no demo cart to seed.
        Command::Seed => Ok(()),
        Command::Serve => {
            let config = CartConfig::from_env()?;
            let addr = (config.service.host, config.service.port).into();
            build(&config)?.run("cart", addr).await
        }
    }
}
