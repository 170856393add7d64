//! Shopgraph's end-to-end test platform: every real subgraph and the router
//! in one process on port 0, against real PostgreSQL, Redis, RabbitMQ and
//! MongoDB (SecantusDB). The tests in `tests/platform/` and the benches in
//! `benches/` share these helpers; the router's own tests live in `router/`
//! and use fixture subgraphs only.

pub mod platform;
pub mod ws_client;

use serde_json::{Value, json};
use server::RunningApp;
use tokio::net::TcpListener;

/// A router on port 0 serving `supergraph` with `config`, signing its
/// subgraph requests as the services expect.
pub async fn start_router(supergraph: &str, config: router::RouterConfig) -> RunningApp {
    let config = shopgraph::with_service_signing(config);
    let app = router::build_from_sdl(config, supergraph, None).expect("router builds");
    let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind router");
    app.spawn(listener)
}

/// A throw-away PostgreSQL database for a bench (`bench_<uuid>` on
/// `POSTGRES_URL`), with the users migrations applied.
pub struct BenchDatabase {
    pub pool: sqlx::PgPool,
    /// The uuid in its name, also good for other per-run names.
    pub unique: String,
    server: String,
}

impl BenchDatabase {
    pub async fn create(connections: u32) -> anyhow::Result<Self> {
        let unique = uuid::Uuid::new_v4().simple().to_string();
        let server = std::env::var("POSTGRES_URL")
            .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432".into());
        let url = format!("{server}/bench_{unique}");
        let pool = kit::db::connect_and_migrate(&url, connections, &users::MIGRATOR).await?;
        Ok(Self { pool, unique, server })
    }

    /// Closes the pool and drops the database.
    pub async fn drop_database(self) -> anyhow::Result<()> {
        self.pool.close().await;
        let admin = sqlx::PgPool::connect(&format!("{}/postgres", self.server)).await?;
        sqlx::query(&format!("DROP DATABASE IF EXISTS bench_{} WITH (FORCE)", self.unique))
            .execute(&admin)
            .await?;
        Ok(())
    }
}

/// A bench setting from the environment, `default` when unset or invalid.
pub fn setting<T: std::str::FromStr>(name: &str, default: T) -> T {
    std::env::var(name).ok().and_then(|v| v.parse().ok()).unwrap_or(default)
}

/// POSTs `query` to `url` and returns the JSON body.
pub async fn post_query(url: &str, query: &str) -> Value {
    reqwest::Client::new()
        .post(url)
        .json(&json!({ "query": query }))
        .send()
        .await
        .expect("response")
        .json()
        .await
        .expect("JSON body")
}
