//! GraphQL over HTTP, following the GraphQL-over-HTTP spec: POST with JSON,
//! GET for queries only, `application/graphql-response+json` (spec status
//! codes) or legacy `application/json` (200 for GraphQL errors).

use std::{net::SocketAddr, sync::Arc, time::Instant};

use axum::{
    Extension, Router,
    body::Bytes,
    extract::{
        ConnectInfo, DefaultBodyLimit, FromRequestParts, Query, State, rejection::BytesRejection,
        ws::WebSocketUpgrade,
    },
    http::{HeaderMap, HeaderValue, Method, StatusCode, header},
    response::{IntoResponse, Response},
    routing::get,
};
use serde::Deserialize;
use serde_json::{Value, json};
use server::telemetry::{self, TraceParent};
use tracing::Instrument;

use super::{encoding::NegotiatedEncodingLayer, multipart, request_span, sse, uploads, ws};
use crate::{
    admission::{Request, admit, auth, bad_request, rate_limit::RATE_LIMITED, subgraph_headers},
    error::{BAD_REQUEST, GraphqlError, RequestError, RequestFailure},
    execution::uploads::Uploads,
    observability::Outcome,
    planning::Kind,
    state::RouterState,
};

const GRAPHQL_RESPONSE: &str = "application/graphql-response+json";
const JSON: &str = "application/json";

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct GetParams {
    query: Option<String>,
    operation_name: Option<String>,
    variables: Option<String>,
    extensions: Option<String>,
    #[serde(alias = "doc_id", alias = "id")]
    document_id: Option<String>,
}

pub fn routes(state: Arc<RouterState>) -> Router {
    // Multipart requests carry files past the JSON limit (checked per
    // kind of body in `post_request`).
    let limit = state.config.uploads.body_limit(state.config.limits.max_body_bytes);
    let plain = Router::new()
        .route(
            "/graphql",
            get(get_graphql).post(post_graphql).options(
                |State(state): State<Arc<RouterState>>, headers: HeaderMap| async move {
                    state.config.cors.preflight(&headers)
                },
            ),
        )
        .route(
            "/metrics",
            get(|State(state): State<Arc<RouterState>>| async move {
                state.metrics.upstreams(state.upstreams.counts());
                state.metrics.exposition()
            }),
        )
        .layer(DefaultBodyLimit::max(limit))
        .with_state(state.clone());
    let plain = if state.config.graphiql.enabled {
        plain.merge(server::graphiql::asset_routes())
    } else {
        plain
    };
    if !state.config.compression {
        return plain;
    }
    plain.layer(NegotiatedEncodingLayer)
}

async fn post_graphql(
    State(state): State<Arc<RouterState>>,
    connect: Option<Extension<ConnectInfo<SocketAddr>>>,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Response {
    let peer = connect.map(|Extension(ConnectInfo(peer))| peer);
    let mut response = post_request(&state, peer, &headers, body).await;
    state.config.cors.decorate(headers.get(header::ORIGIN), &mut response);
    response
}

async fn post_request(
    state: &Arc<RouterState>,
    peer: Option<SocketAddr>,
    headers: &HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Response {
    let media = response_media_type(headers);
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
    if let Err(refused) = state.config.csrf.check(&Method::POST, headers) {
        return failure(media, refused);
    }
    let content_type =
        headers.get(header::CONTENT_TYPE).and_then(|v| v.to_str().ok()).unwrap_or_default();
    if state.config.uploads.enabled && uploads::is_multipart(content_type) {
        let json_limit = state.config.limits.max_body_bytes;
        return match uploads::parse(&state.config.uploads, json_limit, content_type, body).await {
            Ok((request, files)) => {
                handle(state, headers, request, (Method::POST, peer), media, Some(&files)).await
            }
            Err(refused) => failure(media, refused),
        };
    }
    let limit = state.config.limits.max_body_bytes;
    if body.len() > limit {
        let message = format!("the request body is larger than {limit} bytes");
        return failure(
            media,
            RequestError::new(RequestFailure::TooLarge, message, "PAYLOAD_TOO_LARGE"),
        );
    }
    if !content_type.to_ascii_lowercase().starts_with(JSON) {
        return (
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            [(header::CONTENT_TYPE, HeaderValue::from_static(JSON))],
            json!({ "errors": [{ "message": "send GraphQL requests as application/json", "extensions": { "code": BAD_REQUEST } }] }).to_string(),
        )
            .into_response();
    }
    if body.iter().find(|b| !b.is_ascii_whitespace()) == Some(&b'[') {
        return batch(state, headers, &body, media, peer).await;
    }
    let request: Request = match serde_json::from_slice(&body) {
        Ok(request) => request,
        Err(e) => {
            return failure(
                media,
                bad_request(format!("the body is not a valid GraphQL request: {e}")),
            );
        }
    };
    handle(state, headers, request, (Method::POST, peer), media, None).await
}

/// A JSON array of requests: each runs in turn, and the answer is the
/// array of their responses, in order.
async fn batch(
    state: &RouterState,
    headers: &HeaderMap,
    body: &[u8],
    media: &'static str,
    peer: Option<SocketAddr>,
) -> Response {
    let batching = state.config.batching;
    if !batching.enabled {
        return failure(
            media,
            RequestError::new(
                RequestFailure::BadRequest,
                "query batching is not enabled on this router",
                "BATCHING_NOT_ENABLED",
            ),
        );
    }
    let requests: Vec<Value> = match serde_json::from_slice(body) {
        Ok(requests) => requests,
        Err(e) => {
            return failure(media, bad_request(format!("the body is not a valid batch: {e}")));
        }
    };
    if requests.is_empty() || requests.len() > batching.max_size {
        let message = format!(
            "a batch holds 1 to {} operations; this one has {}",
            batching.max_size,
            requests.len()
        );
        return failure(
            media,
            RequestError::new(RequestFailure::BadRequest, message, "BATCH_LIMIT_EXCEEDED"),
        );
    }
    let mut out = Vec::from(&b"["[..]);
    for (index, request) in requests.into_iter().enumerate() {
        if index > 0 {
            out.push(b',');
        }
        let answer = match serde_json::from_value::<Request>(request) {
            Ok(request) => single_json(state, headers, request, peer).await,
            Err(e) => errors_body(bad_request(format!("not a valid GraphQL request: {e}"))),
        };
        out.extend_from_slice(&answer);
    }
    out.push(b']');
    (StatusCode::OK, [(header::CONTENT_TYPE, HeaderValue::from_static(media))], out).into_response()
}

/// One request of a batch, answered as a JSON body (no streaming).
async fn single_json(
    state: &RouterState,
    headers: &HeaderMap,
    request: Request,
    peer: Option<SocketAddr>,
) -> Vec<u8> {
    let claims = match state.authenticator.authenticate(auth::bearer_in(headers)).await {
        Ok(claims) => claims,
        Err(e) => return errors_body(e),
    };
    if let Err(e) = state.rate_limiter.check(headers, peer, claims.as_deref()).await {
        return errors_body(e);
    }
    let headers = &*state.authenticator.with_claims(headers, claims.as_deref());
    let admitted = match admit(state, request, claims.as_deref()).await {
        Ok(admitted) => admitted,
        Err(e) => return errors_body(e),
    };
    if admitted.prepared.kind == Kind::Subscription {
        return errors_body(RequestError::new(
            RequestFailure::Invalid,
            "a batch cannot hold a subscription",
            "OPERATION_NOT_SUPPORTED",
        ));
    }
    let span = request_span("batch", None);
    let trace = telemetry::start(&span, TraceParent::from_headers(headers));
    let forwarded = subgraph_headers(state, headers, &trace);
    admitted.execution(&forwarded).run().instrument(span).await.into_bytes()
}

fn errors_body(error: RequestError) -> Vec<u8> {
    json!({ "errors": error.errors }).to_string().into_bytes()
}

async fn get_graphql(
    State(state): State<Arc<RouterState>>,
    request: axum::extract::Request,
) -> Response {
    let origin = request.headers().get(header::ORIGIN).cloned();
    let mut response = get_request(state.clone(), request).await;
    state.config.cors.decorate(origin.as_ref(), &mut response);
    response
}

async fn get_request(state: Arc<RouterState>, request: axum::extract::Request) -> Response {
    let (mut parts, _) = request.into_parts();
    let peer = parts.extensions.get::<ConnectInfo<SocketAddr>>().map(|c| c.0);
    if parts.headers.contains_key(header::UPGRADE) {
        return match WebSocketUpgrade::from_request_parts(&mut parts, &()).await {
            Ok(upgrade) => {
                let stopping = server::Stopping::of(&parts.extensions);
                ws::upgrade(state, parts.headers, upgrade, stopping, peer)
            }
            Err(rejection) => rejection.into_response(),
        };
    }
    let headers = parts.headers;
    let params = match Query::<GetParams>::try_from_uri(&parts.uri) {
        Ok(Query(params)) => params,
        Err(rejection) => {
            return failure(response_media_type(&headers), bad_request(rejection.body_text()));
        }
    };
    if params.query.is_none()
        && state.config.graphiql.enabled
        && server::headers::wants_html(&headers)
    {
        let graphiql = &state.config.graphiql;
        return server::graphiql::page(server::graphiql::Page {
            title: &graphiql.title,
            default_document: graphiql.default_document.as_deref(),
            default_headers: graphiql.default_headers.as_deref(),
        });
    }
    let media = response_media_type(&headers);
    if let Err(refused) = state.config.csrf.check(&Method::GET, &headers) {
        return failure(media, refused);
    }
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
    let request = Request {
        query: params.query,
        operation_name: params.operation_name,
        variables,
        extensions,
        document_id: params.document_id,
    };
    handle(&state, &headers, request, (Method::GET, peer), media, None).await
}

async fn handle(
    state: &RouterState,
    headers: &HeaderMap,
    request: Request,
    method_and_peer: (Method, Option<SocketAddr>),
    media: &'static str,
    files: Option<&Uploads>,
) -> Response {
    let started = Instant::now();
    let mut record = Record { operation_name: request.operation_name.clone(), ..Record::default() };
    let response =
        answer(state, headers, (request, files), method_and_peer, media, &mut record).await;
    if record.code.as_deref() == Some(RATE_LIMITED) {
        state.metrics.rate_limited();
    }
    let operation_name = record.operation_name.as_deref();
    let code = record.code.as_deref();
    let elapsed = started.elapsed();
    state.metrics.request(operation_name, record.operation_type, record.outcome, code, elapsed);
    response
}

/// What the metrics learn about one request as it is answered.
struct Record {
    /// As the request names it, else as the document does.
    operation_name: Option<String>,
    operation_type: &'static str,
    outcome: Outcome,
    /// The first error's code.
    code: Option<String>,
}

impl Default for Record {
    fn default() -> Self {
        Self { operation_name: None, operation_type: "unknown", outcome: Outcome::Ok, code: None }
    }
}

impl Record {
    /// Refuses the request, noting why.
    fn refuse(&mut self, media: &'static str, error: RequestError) -> Response {
        self.outcome = Outcome::Rejected;
        self.code = first_code(&error.errors);
        failure(media, error)
    }
}

fn first_code(errors: &[GraphqlError]) -> Option<String> {
    errors.first()?.extensions.get("code")?.as_str().map(str::to_owned)
}

async fn answer(
    state: &RouterState,
    headers: &HeaderMap,
    (request, files): (Request, Option<&Uploads>),
    (method, peer): (Method, Option<SocketAddr>),
    media: &'static str,
    record: &mut Record,
) -> Response {
    let claims = match state.authenticator.authenticate(auth::bearer_in(headers)).await {
        Ok(claims) => claims,
        Err(e) => return record.refuse(media, e),
    };
    if let Err(e) = state.rate_limiter.check(headers, peer, claims.as_deref()).await {
        return record.refuse(media, e);
    }
    let headers = &*state.authenticator.with_claims(headers, claims.as_deref());
    let admitted = match admit(state, request, claims.as_deref()).await {
        Ok(admitted) => admitted,
        Err(e) => return record.refuse(media, e),
    };
    if record.operation_name.is_none() {
        record.operation_name = admitted.prepared.operation.name.clone();
    }
    record.operation_type = match admitted.prepared.kind {
        Kind::Query => "query",
        Kind::Mutation => "mutation",
        Kind::Subscription => "subscription",
    };
    if let Some(files) = files {
        if let Err(e) = uploads::check_targets(files, &admitted.prepared.variables) {
            return record.refuse(media, e);
        }
        if sse::wanted(headers) || !admitted.prepared.deferred.is_empty() {
            let message = "a request with files is answered in one response: no SSE or @defer";
            return record.refuse(media, bad_request(message));
        }
    }
    if sse::wanted(headers) {
        if method == Method::GET && admitted.prepared.kind == Kind::Mutation {
            return record
                .refuse(media, bad_request("only queries and subscriptions may be sent with GET"));
        }
        return sse::respond(state, headers, admitted);
    }
    let prepared = &admitted.prepared;
    if method == Method::GET && prepared.kind != Kind::Query {
        return (StatusCode::METHOD_NOT_ALLOWED, [(header::ALLOW, HeaderValue::from_static("POST"))],
            json!({ "errors": [{ "message": "only queries may be sent with GET", "extensions": { "code": BAD_REQUEST } }] }).to_string())
            .into_response();
    }
    if prepared.kind == Kind::Subscription {
        return record.refuse(
            media,
            RequestError::new(
                RequestFailure::Invalid,
                "subscriptions are served over WebSocket or with `Accept: text/event-stream`",
                "OPERATION_NOT_SUPPORTED",
            ),
        );
    }
    let span = request_span(record.operation_type, record.operation_name.as_deref());
    let trace = telemetry::start(&span, TraceParent::from_headers(headers));
    let forwarded = subgraph_headers(state, headers, &trace);
    // Without a multipart `Accept`, deferred fragments are answered with
    // the rest, in one response, as the incremental delivery spec allows.
    if !prepared.deferred.is_empty()
        && let Some(format) = multipart::wanted(headers)
    {
        return multipart::respond(admitted, forwarded, format, span);
    }
    let exposed = query_plan_wanted(state, headers);
    let mut extensions = serde_json::Map::new();
    if let Some(cost) = &admitted.cost {
        extensions.insert("cost".into(), cost.clone());
    }
    if exposed.is_some() {
        let plan = &*admitted.prepared.plan;
        let object = serde_json::to_value(plan).unwrap_or(Value::Null);
        let exposed_plan = json!({ "object": object, "text": plan.to_string() });
        extensions.insert("apolloQueryPlan".into(), exposed_plan);
    }
    let mut body = if exposed == Some(QueryPlanRequest::DryRun) {
        b"{}".to_vec()
    } else {
        let mut execution = admitted.execution(&forwarded);
        execution.uploads = files;
        let result = execution.run().instrument(span).await;
        if !result.errors.is_empty() {
            record.outcome = Outcome::GraphqlError;
            record.code = first_code(&result.errors);
        }
        result.into_bytes()
    };
    if !extensions.is_empty() {
        // The body is one JSON object: its closing brace makes room.
        body.pop();
        if body.len() > 1 {
            body.push(b',');
        }
        body.extend_from_slice(
            format!("\"extensions\":{}}}", Value::Object(extensions)).as_bytes(),
        );
    }
    (StatusCode::OK, [(header::CONTENT_TYPE, HeaderValue::from_static(media))], body)
        .into_response()
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum QueryPlanRequest {
    /// The plan beside the result.
    WithResult,
    /// The plan alone; nothing is fetched.
    DryRun,
}

/// What `Apollo-Expose-Query-Plan` asks for, when the router allows it.
fn query_plan_wanted(state: &RouterState, headers: &HeaderMap) -> Option<QueryPlanRequest> {
    if !state.config.expose_query_plan {
        return None;
    }
    match headers.get("apollo-expose-query-plan")?.as_bytes() {
        b"true" => Some(QueryPlanRequest::WithResult),
        b"dry-run" => Some(QueryPlanRequest::DryRun),
        _ => None,
    }
}

fn failure(media: &'static str, error: RequestError) -> Response {
    if error.failure == RequestFailure::RateLimited {
        let retry_after = error
            .errors
            .first()
            .and_then(|e| e.extensions.get("retryAfter"))
            .and_then(Value::as_u64)
            .unwrap_or(1);
        let body = json!({ "errors": error.errors }).to_string();
        return (
            StatusCode::TOO_MANY_REQUESTS,
            [
                (header::CONTENT_TYPE, HeaderValue::from_static(media)),
                (header::RETRY_AFTER, HeaderValue::from(retry_after)),
            ],
            body,
        )
            .into_response();
    }
    let status = match (error.failure, media) {
        (RequestFailure::BadRequest, _) => StatusCode::BAD_REQUEST,
        (RequestFailure::TooLarge, _) => StatusCode::PAYLOAD_TOO_LARGE,
        (RequestFailure::Unauthenticated, GRAPHQL_RESPONSE) => StatusCode::UNAUTHORIZED,
        (RequestFailure::Unauthenticated, _) => StatusCode::OK,
        (RequestFailure::Forbidden, GRAPHQL_RESPONSE) => StatusCode::FORBIDDEN,
        (RequestFailure::Forbidden, _) => StatusCode::OK,
        (RequestFailure::RateLimited, _) => StatusCode::TOO_MANY_REQUESTS,
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
