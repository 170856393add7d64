use axum::{Json, routing::get};
use kit::{
    events::{Broker, OutboxRelay},
    http::{App, GraphqlEndpoint, Readiness, ReadinessChecks},
};
use sqlx::{PgPool, migrate::Migrator};

use crate::{
    accounts::{Accounts, Policy},
    config::UsersConfig,
    keys::SigningKeys,
    schema::{self, build_schema, request_data},
    seed::seed,
    tokens::TokenIssuer,
};

pub static MIGRATOR: Migrator = sqlx::migrate!("../../migrations/users");

/// Connects to the database (creating and migrating it as needed), loads
/// the signing key and assembles the service.
pub async fn build(config: &UsersConfig) -> anyhow::Result<App> {
    let pool = kit::db::connect_and_migrate(
        &config.service.database_url,
        config.service.database_max_connections,
        &MIGRATOR,
    )
    .await?;
    let keys = SigningKeys::load(&config.signing_key)?;
    Ok(build_with_pool(config, pool, keys))
}

/// Assembles the service on an existing pool; tests use this with a fresh
/// database per test.
pub fn build_with_pool(config: &UsersConfig, pool: PgPool, keys: SigningKeys) -> App {
    let broker = Broker::new(config.service.events.clone());
    let issuer = TokenIssuer::new(keys.clone(), config.access_token_ttl);
    let accounts = Accounts::new(pool.clone(), issuer, Policy::from(config));
    let endpoint = GraphqlEndpoint {
        service: "users",
        schema: build_schema(accounts, pool.clone()),
        verifier: keys.verifier(),
        request_data: request_data(pool.clone()),
    };
    let jwks = keys.jwks.clone();
    let routes = endpoint
        .into_router(&config.service.signing)
        .route("/.well-known/jwks.json", get(move || std::future::ready(Json(jwks.clone()))));
    let readiness = Readiness::new().postgres(pool.clone()).broker(broker.clone());
    App::new(routes, readiness)
        .with_task(move |stop| OutboxRelay::new("users", pool, broker).run(stop))
}

/// The SDL `_service { sdl }` serves; needs no database.
pub fn schema_sdl() -> String {
    let schema: schema::UsersSchema = kit::http::configure_schema(async_graphql::Schema::build(
        schema::Query,
        schema::Mutation,
        async_graphql::EmptySubscription,
    ))
    .finish();
    kit::http::export_sdl(&schema)
}

/// The `users` binary: `users [serve | schema | seed]`.
pub struct UsersSubgraph;

impl kit::cli::Subgraph for UsersSubgraph {
    const NAME: &'static str = "users";
    const ABOUT: &'static str = "Shopgraph's users subgraph: accounts, sign-in (RS256 access tokens, rotating refresh tokens), profiles and address books; PostgreSQL.";
    type Config = UsersConfig;

    fn config() -> anyhow::Result<UsersConfig> {
        Ok(UsersConfig::from_env()?)
    }

    fn service(config: &UsersConfig) -> &kit::config::ServiceConfig {
        &config.service
    }

    fn schema_sdl() -> String {
        schema_sdl()
    }

    async fn build(config: &UsersConfig) -> anyhow::Result<App> {
        build(config).await
    }

    async fn seed(config: &UsersConfig) -> anyhow::Result<()> {
        seed(config).await
    }
}
