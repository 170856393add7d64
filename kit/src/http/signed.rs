//! Only signed requests reach a subgraph's GraphQL endpoint (queries,
//! `_entities`, `_service`, WebSocket upgrades for subscriptions): the
//! router and the other services sign theirs (`server::signing`), anyone
//! else who reaches the port gets 401 and nothing more. Health, readiness
//! and the public JWKS are routes of their own, outside this check.

use std::sync::Arc;

use axum::{
    body::Body,
    extract::{Request, State},
    http::{StatusCode, header},
    middleware::Next,
    response::{IntoResponse, Response},
};
use serde_json::json;
use server::signing::{RequestVerifier, SIGNATURE_HEADER};

/// Who signed the request (`router`, `orders`, ...), for the logs.
#[derive(Debug, Clone)]
pub struct Caller(pub String);

pub async fn require_signature(
    State((verifier, max_body)): State<(Arc<RequestVerifier>, usize)>,
    request: Request,
    next: Next,
) -> Response {
    let (mut parts, body) = request.into_parts();
    let Ok(body) = axum::body::to_bytes(body, max_body).await else {
        return StatusCode::PAYLOAD_TOO_LARGE.into_response();
    };
    let path = parts.uri.path_and_query().map_or("/", |p| p.as_str());
    let authorization = parts.headers.get(header::AUTHORIZATION).map(|v| v.as_bytes());
    let verified = verifier.verify(
        parts.headers.get(SIGNATURE_HEADER),
        parts.method.as_str(),
        path,
        authorization,
        &body,
    );
    match verified {
        Ok(caller) => {
            parts.extensions.insert(Caller(caller));
            next.run(Request::from_parts(parts, Body::from(body))).await
        }
        Err(refusal) => {
            tracing::warn!(%refusal, path, "refused a request without a valid signature");
            let error = json!({ "errors": [{
                "message": "this service answers only requests signed by the router or another service",
                "extensions": { "code": "UNAUTHENTICATED" },
            }] });
            (
                StatusCode::UNAUTHORIZED,
                [(header::CONTENT_TYPE, "application/json")],
                error.to_string(),
            )
                .into_response()
        }
    }
}
