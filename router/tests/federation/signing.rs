//! With `subgraph_signing_key`, every subgraph request carries a signature
//! (`server::signing`) over what it asks, so a subgraph can answer the
//! router and nobody else. The fixture subgraph checks it and answers only
//! signed requests, each signature once.

use std::{sync::Arc, time::Duration};

use axum::{
    Json, Router,
    body::Bytes,
    http::{HeaderMap, StatusCode},
    response::IntoResponse,
    routing::post,
};
use router::{
    RouterConfig,
    compose::{SubgraphSource, compose},
};
use serde_json::{Value, json};
use server::signing::{RequestVerifier, SIGNATURE_HEADER};

use crate::{
    auth::serve,
    helpers::{codes, post_query, start_router},
};

/// `{ caller }`: who signed the request, for signed requests only.
async fn strict_subgraph(key: &str) -> String {
    let verifier = Arc::new(RequestVerifier::new(&[key.to_owned()], Duration::from_secs(60)));
    let app = Router::new().route(
        "/graphql",
        post(move |headers: HeaderMap, body: Bytes| async move {
            let authorization = headers.get("authorization").map(|v| v.as_bytes());
            let proof = headers.get(SIGNATURE_HEADER);
            match verifier.verify(proof, "POST", "/graphql", authorization, &body) {
                Ok(caller) => Json(json!({ "data": { "caller": caller } })).into_response(),
                Err(_) => (StatusCode::UNAUTHORIZED, "unsigned").into_response(),
            }
        }),
    );
    format!("{}/graphql", serve(app).await)
}

#[tokio::test]
async fn subgraph_requests_are_signed_with_the_configured_key() {
    let url = strict_subgraph("shared-key").await;
    let supergraph = compose(&[SubgraphSource {
        name: "strict".into(),
        routing_url: url,
        sdl: "type Query { caller: String }".into(),
    }])
    .expect("composes");
    let signing = |key: Option<&str>| RouterConfig {
        subgraph_signing_key: key.map(str::to_owned),
        // Every request must reach the subgraph with its own signature.
        dedupe_subgraph_requests: false,
        ..RouterConfig::default()
    };
    let signed = start_router(&supergraph, signing(Some("shared-key"))).await;
    for _ in 0..3 {
        let answer: Value = post_query(&signed.url("/graphql"), "{ caller }").await;
        assert_eq!(answer, json!({ "data": { "caller": "router" } }));
    }
    for router in [
        start_router(&supergraph, signing(None)).await,
        start_router(&supergraph, signing(Some("another-key"))).await,
    ] {
        let answer = post_query(&router.url("/graphql"), "{ caller }").await;
        assert_eq!(answer["data"]["caller"], Value::Null, "{answer}");
        assert!(!codes(&answer).is_empty(), "{answer}");
    }
}
