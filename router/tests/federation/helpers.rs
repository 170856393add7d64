use std::time::Duration;

use async_graphql::{ObjectType, Schema, SubscriptionType, registry::SDLExportOptions};
use async_graphql_axum::GraphQL;
use axum::{Router, routing::post_service};
use router::{
    RouterConfig,
    compose::{SubgraphSource, compose},
};
use serde_json::{Value, json};
use server::RunningApp;
use tokio::net::TcpListener;
use tokio_util::sync::CancellationToken;

use crate::fixtures::{Probe, accounts, inventory, products, reviews};

/// A subgraph server that a test can stop.
pub struct SubgraphServer {
    pub name: &'static str,
    pub url: String,
    pub sdl: String,
    stop: CancellationToken,
}

impl SubgraphServer {
    pub async fn start<Q, M, S>(name: &'static str, schema: Schema<Q, M, S>) -> Self
    where
        Q: ObjectType + 'static,
        M: ObjectType + 'static,
        S: SubscriptionType + 'static,
    {
        let sdl = schema.sdl_with_options(SDLExportOptions::new().federation());
        let app = Router::new().route("/graphql", post_service(GraphQL::new(schema)));
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind subgraph");
        let url = format!("http://{}/graphql", listener.local_addr().expect("addr"));
        let stop = CancellationToken::new();
        let token = stop.clone();
        tokio::spawn(async move {
            axum::serve(listener, app).with_graceful_shutdown(token.cancelled_owned()).await.ok();
        });
        Self { name, url, sdl, stop }
    }

    pub fn source(&self) -> SubgraphSource {
        SubgraphSource {
            name: self.name.into(),
            routing_url: self.url.clone(),
            sdl: self.sdl.clone(),
        }
    }

    pub fn stop(&self) {
        self.stop.cancel();
    }
}

/// Four subgraphs and a router in front of them.
pub struct Federation {
    pub subgraphs: Vec<SubgraphServer>,
    pub router: RunningApp,
    pub probe: Probe,
    pub supergraph: String,
    http: reqwest::Client,
}

impl Federation {
    pub async fn start() -> Self {
        let probe = Probe::default();
        let subgraphs = vec![
            SubgraphServer::start("products", products::schema(probe.clone())).await,
            SubgraphServer::start("inventory", inventory::schema()).await,
            SubgraphServer::start("reviews", reviews::schema(probe.clone())).await,
            SubgraphServer::start("accounts", accounts::schema(probe.clone())).await,
        ];
        let sources: Vec<SubgraphSource> = subgraphs.iter().map(SubgraphServer::source).collect();
        let supergraph = compose(&sources).unwrap_or_else(|e| panic!("composition failed: {e:?}"));
        let router = start_router(&supergraph, RouterConfig::default()).await;
        Self { subgraphs, router, probe, supergraph, http: reqwest::Client::new() }
    }

    pub fn subgraph(&self, name: &str) -> &SubgraphServer {
        self.subgraphs.iter().find(|s| s.name == name).expect("known subgraph")
    }

    /// POSTs a query and returns the response body.
    pub async fn query(&self, query: &str, variables: Value) -> Value {
        let (_, body) = self.post(json!({ "query": query, "variables": variables })).await;
        body
    }

    pub async fn post(&self, body: Value) -> (u16, Value) {
        let response = self
            .http
            .post(self.router.url("/graphql"))
            .header("accept", "application/graphql-response+json")
            .json(&body)
            .timeout(Duration::from_secs(30))
            .send()
            .await
            .expect("router answers");
        let status = response.status().as_u16();
        (status, response.json().await.expect("JSON body"))
    }

    pub fn http(&self) -> &reqwest::Client {
        &self.http
    }
}

/// Fixture subgraphs composed, and a router in front of them.
pub struct Composed {
    /// Kept to keep the servers running.
    _subgraphs: Vec<SubgraphServer>,
    pub supergraph: String,
    pub router: RunningApp,
}

impl Composed {
    pub async fn start(subgraphs: Vec<SubgraphServer>) -> Self {
        let sources: Vec<SubgraphSource> = subgraphs.iter().map(SubgraphServer::source).collect();
        let supergraph = compose(&sources).unwrap_or_else(|e| panic!("composition failed: {e:?}"));
        let router = start_router(&supergraph, RouterConfig::default()).await;
        Self { _subgraphs: subgraphs, supergraph, router }
    }

    /// POSTs a query and returns the response body.
    pub async fn query(&self, query: &str, variables: Value) -> Value {
        reqwest::Client::new()
            .post(self.router.url("/graphql"))
            .json(&json!({ "query": query, "variables": variables }))
            .send()
            .await
            .expect("router answers")
            .json()
            .await
            .expect("JSON body")
    }
}

pub async fn start_router(supergraph: &str, config: RouterConfig) -> RunningApp {
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

/// `errors[*].extensions.code`.
/// Redis keys no other test (or run) shares.
pub fn unique_redis_prefix() -> String {
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_nanos())
        .unwrap_or_default();
    format!("router-test:{}:{nanos}:", std::process::id())
}

pub fn codes(response: &Value) -> Vec<String> {
    response["errors"]
        .as_array()
        .map(|errors| {
            errors
                .iter()
                .filter_map(|e| e["extensions"]["code"].as_str().map(str::to_owned))
                .collect()
        })
        .unwrap_or_default()
}

/// A graphql-transport-ws connection to `router`.
pub async fn websocket(
    router: &RunningApp,
) -> tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>> {
    use tokio_tungstenite::tungstenite::client::IntoClientRequest;
    let url = router.url("/graphql").replacen("http", "ws", 1);
    let mut request = url.into_client_request().expect("request");
    request
        .headers_mut()
        .insert("sec-websocket-protocol", "graphql-transport-ws".parse().expect("header"));
    tokio_tungstenite::connect_async(request).await.expect("connects").0
}
