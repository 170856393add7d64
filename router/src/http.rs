//! GraphQL over HTTP, following the GraphQL-over-HTTP spec: POST with JSON,
//! GET for queries only, `application/graphql-response+json` (spec status
//! codes) or legacy `application/json` (200 for GraphQL errors).

use std::sync::Arc;

use axum::{
    Router,
    body::Bytes,
    extract::{DefaultBodyLimit, Query, State, rejection::BytesRejection},
    http::{HeaderMap, HeaderValue, Method, StatusCode, header},
    response::{IntoResponse, Response},
    routing::get,
};
use kit::telemetry::TraceParent;
use serde::Deserialize;
use serde_json::{Map, Value, json};
use tracing::Instrument;

use crate::{
    error::{BAD_REQUEST, GraphqlError, RequestError, RequestFailure},
    execution::{Execution, subgraphs::forwarded_headers},
    planning::{Kind, Limits},
    state::RouterState,
    variables,
};

const GRAPHQL_RESPONSE: &str = "application/graphql-response+json";
const JSON: &str = "application/json";

/// The body of a GraphQL request (or the GET query string, decoded).
#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
struct GraphqlRequest {
    query: Option<String>,
    operation_name: Option<String>,
    variables: Option<Value>,
    #[allow(dead_code)]
    extensions: Option<Value>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct GetParams {
    query: Option<String>,
    operation_name: Option<String>,
    variables: Option<String>,
    extensions: Option<String>,
}

pub fn routes(state: Arc<RouterState>) -> Router {
    let limit = state.config.limits.max_body_bytes;
    Router::new()
        .route("/graphql", get(get_graphql).post(post_graphql))
        .layer(DefaultBodyLimit::max(limit))
        .with_state(state)
}

async fn post_graphql(
    State(state): State<Arc<RouterState>>,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Response {
    let media = response_media_type(&headers);
    let body = match body {
        Ok(body) => body,
        Err(rejection) if rejection.status() == StatusCode::PAYLOAD_TOO_LARGE => {
            let limit = state.config.limits.max_body_bytes;
            let message = format!("the request body is larger than {limit} bytes");
            let error = RequestError::new(RequestFailure::TooLarge, message, "PAYLOAD_TOO_LARGE");
            return failure(media, error);
        }
        Err(rejection) => return failure(media, bad_request(rejection.body_text())),
    };
    let content_type =
        headers.get(header::CONTENT_TYPE).and_then(|v| v.to_str().ok()).unwrap_or_default();
    if !content_type.to_ascii_lowercase().starts_with(JSON) {
        return (
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            [(header::CONTENT_TYPE, HeaderValue::from_static(JSON))],
            json!({ "errors": [{ "message": "send GraphQL requests as application/json", "extensions": { "code": BAD_REQUEST } }] }).to_string(),
        )
            .into_response();
    }
    let request: GraphqlRequest = match serde_json::from_slice(&body) {
        Ok(request) => request,
        Err(e) => {
            return failure(
                media,
                bad_request(format!("the body is not a valid GraphQL request: {e}")),
            );
        }
    };
    handle(&state, &headers, request, Method::POST, media).await
}

async fn get_graphql(
    State(state): State<Arc<RouterState>>,
    headers: HeaderMap,
    Query(params): Query<GetParams>,
) -> Response {
    if params.query.is_none() && kit::http::wants_html(&headers) {
        return kit::http::graphiql_page(None).into_response();
    }
    let media = response_media_type(&headers);
    let variables = match params.variables.as_deref().map(serde_json::from_str::<Value>).transpose()
    {
        Ok(v) => v,
        Err(_) => return failure(media, bad_request("`variables` must be a JSON object")),
    };
    let extensions =
        match params.extensions.as_deref().map(serde_json::from_str::<Value>).transpose() {
            Ok(v) => v,
            Err(_) => return failure(media, bad_request("`extensions` must be a JSON object")),
        };
    let request = GraphqlRequest {
        query: params.query,
        operation_name: params.operation_name,
        variables,
        extensions,
    };
    handle(&state, &headers, request, Method::GET, media).await
}

async fn handle(
    state: &RouterState,
    headers: &HeaderMap,
    request: GraphqlRequest,
    method: Method,
    media: &'static str,
) -> Response {
    let Some(query) = request.query.filter(|q| !q.trim().is_empty()) else {
        return failure(media, bad_request("the request has no `query`"));
    };
    let provided = match request.variables {
        None | Some(Value::Null) => Map::new(),
        Some(Value::Object(map)) => map,
        Some(_) => return failure(media, bad_request("`variables` must be an object")),
    };
    let supergraph = state.current();
    let limits = Limits {
        max_depth: state.config.limits.max_depth,
        max_tokens: state.config.limits.max_tokens,
    };
    let prepared =
        match supergraph.planner.prepare(&query, request.operation_name.as_deref(), limits) {
            Ok(prepared) => prepared,
            Err(e) => return failure(media, e),
        };
    if method == Method::GET && prepared.kind != Kind::Query {
        return (StatusCode::METHOD_NOT_ALLOWED, [(header::ALLOW, HeaderValue::from_static("POST"))],
            json!({ "errors": [{ "message": "only queries may be sent with GET", "extensions": { "code": BAD_REQUEST } }] }).to_string())
            .into_response();
    }
    if prepared.kind == Kind::Subscription {
        return failure(
            media,
            RequestError::new(
                RequestFailure::Invalid,
                "subscriptions are served over WebSocket, not plain HTTP",
                "OPERATION_NOT_SUPPORTED",
            ),
        );
    }
    let variables = match variables::coerce(&prepared.variables, &provided, &supergraph.schema) {
        Ok(v) => v,
        Err(errors) => {
            return failure(media, RequestError { failure: RequestFailure::Invalid, errors });
        }
    };
    let mut forwarded = forwarded_headers(headers, &state.forward_headers);
    // Start a trace when the client did not: subgraph logs and the events
    // they emit then share one trace id.
    let trace = headers
        .get("traceparent")
        .and_then(|v| v.to_str().ok())
        .and_then(TraceParent::parse)
        .unwrap_or_else(TraceParent::new_root);
    let forwards_trace = state.forward_headers.iter().any(|h| h == "traceparent");
    if forwards_trace
        && !forwarded.contains_key("traceparent")
        && let Ok(value) = HeaderValue::from_str(&trace.child().to_string())
    {
        forwarded.insert("traceparent", value);
    }
    let span = tracing::info_span!(
        "graphql",
        operation = request.operation_name.as_deref().unwrap_or_default(),
        trace_id = %trace.trace_id_hex(),
    );
    let execution = Execution {
        operation: &prepared,
        variables: &variables,
        headers: &forwarded,
        subgraphs: &supergraph.subgraphs,
        schema: &supergraph.schema,
        introspection: &supergraph.introspection,
    };
    let result = execution.run().instrument(span).await;
    let mut body = Map::new();
    if !result.errors.is_empty() {
        body.insert("errors".into(), serde_json::to_value(&result.errors).unwrap_or_default());
    }
    body.insert("data".into(), result.data.unwrap_or(Value::Null));
    respond(StatusCode::OK, media, Value::Object(body))
}

fn bad_request(message: impl Into<String>) -> RequestError {
    RequestError::new(RequestFailure::BadRequest, message, BAD_REQUEST)
}

fn failure(media: &'static str, error: RequestError) -> Response {
    let status = match (error.failure, media) {
        (RequestFailure::BadRequest, _) => StatusCode::BAD_REQUEST,
        (RequestFailure::TooLarge, _) => StatusCode::PAYLOAD_TOO_LARGE,
        (RequestFailure::Invalid, GRAPHQL_RESPONSE) => StatusCode::BAD_REQUEST,
        (RequestFailure::Invalid, _) => StatusCode::OK,
    };
    let errors: Vec<GraphqlError> = error.errors;
    respond(status, media, json!({ "errors": errors }))
}

fn respond(status: StatusCode, media: &'static str, body: Value) -> Response {
    (status, [(header::CONTENT_TYPE, HeaderValue::from_static(media))], body.to_string())
        .into_response()
}

/// `application/graphql-response+json` when the client accepts it,
/// otherwise the legacy `application/json`.
fn response_media_type(headers: &HeaderMap) -> &'static str {
    let accept = headers.get(header::ACCEPT).and_then(|v| v.to_str().ok()).unwrap_or_default();
    if accept.contains(GRAPHQL_RESPONSE) { GRAPHQL_RESPONSE } else { JSON }
}
