//! What signed subgraph requests cost: the single-subgraph query through
//! a router that signs (`subgraph_signing_key`) to a products subgraph
//! that verifies every request, against a router that does not sign to
//! one that does not verify, alternately.

use std::{sync::Arc, time::Duration};

use async_graphql_axum::GraphQL;
use axum::{
    Router,
    body::Body,
    extract::{Request, State},
    http::StatusCode,
    middleware::Next,
    response::{IntoResponse, Response},
    routing::post_service,
};
use router::RouterConfig;
use server::signing::{RequestVerifier, SIGNATURE_HEADER};
use tokio::net::TcpListener;

use crate::{Side, fixtures, helpers, side_by_side};

const KEY: &str = "bench-signing-key";

/// Buffers the body, checks the signature and passes the request on, as
/// the services' middleware does.
async fn verify(
    State(verifier): State<Arc<RequestVerifier>>,
    request: Request,
    next: Next,
) -> Response {
    let (parts, body) = request.into_parts();
    let Ok(body) = axum::body::to_bytes(body, 1 << 20).await else {
        return StatusCode::PAYLOAD_TOO_LARGE.into_response();
    };
    let path = parts.uri.path_and_query().map_or("/", |p| p.as_str());
    let authorization = parts.headers.get("authorization").map(|v| v.as_bytes());
    let proof = parts.headers.get(SIGNATURE_HEADER);
    match verifier.verify(proof, parts.method.as_str(), path, authorization, &body) {
        Ok(_) => next.run(Request::from_parts(parts, Body::from(body))).await,
        Err(_) => StatusCode::UNAUTHORIZED.into_response(),
    }
}

/// A products subgraph that answers signed requests only; its URL.
async fn verifying_products() -> String {
    let verifier = Arc::new(RequestVerifier::new(&[KEY.to_owned()], Duration::from_secs(60)));
    let schema = fixtures::products::schema(fixtures::Probe::default());
    let app = Router::new()
        .route("/graphql", post_service(GraphQL::new(schema)))
        .layer(axum::middleware::from_fn_with_state(verifier, verify));
    let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let url = format!("http://{}/graphql", listener.local_addr().expect("address"));
    tokio::spawn(async move { axum::serve(listener, app).await.ok() });
    url
}

pub async fn compare(
    federation: &helpers::Federation,
    client: &reqwest::Client,
    products_url: &str,
    requests: u64,
) {
    let signed_config = RouterConfig {
        subgraph_signing_key: Some(KEY.to_owned()),
        subgraph_urls: [("products".to_owned(), verifying_products().await)].into(),
        ..RouterConfig::default()
    };
    let unsigned = helpers::start_router(&federation.supergraph, RouterConfig::default()).await;
    let signed = helpers::start_router(&federation.supergraph, signed_config).await;
    let plain = Side { label: "router, unsigned", url: unsigned.url("/graphql"), headers: &[] };
    let signed = Side {
        label: "router signs, subgraph verifies",
        url: signed.url("/graphql"),
        headers: &[],
    };
    side_by_side(client, "signing", products_url, [plain, signed], requests).await;
}
