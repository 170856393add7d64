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

/// A router on port 0 serving `supergraph` with `config`.
pub async fn start_router(supergraph: &str, config: router::RouterConfig) -> RunningApp {
    let app = router::build_from_sdl(config, supergraph, None).expect("router builds");
    let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind router");
    app.spawn(listener)
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
