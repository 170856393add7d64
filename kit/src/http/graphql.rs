use std::sync::Arc;

use ::server::headers::{authorization_in, wants_html};
use async_graphql::Data;
use async_graphql::{
    ObjectType, Schema, SchemaBuilder, SubscriptionType, extensions::Tracing,
    registry::SDLExportOptions,
};
use async_graphql_axum::{GraphQLProtocol, GraphQLRequest, GraphQLResponse, GraphQLWebSocket};
use axum::{
    Router,
    extract::{DefaultBodyLimit, FromRequestParts, Request, State, ws::WebSocketUpgrade},
    http::{HeaderMap, StatusCode, header},
    response::{IntoResponse, Response},
    routing::get,
};
use tracing::Instrument;

use super::{operation_identity::OperationCredentials, signed::Caller};
use crate::{
    auth::{Authorization, JwtVerifier, authenticate},
    config::SigningConfig,
    telemetry::{self, TraceParent},
};

/// Largest accepted request body.
const MAX_BODY_BYTES: usize = 1024 * 1024;
/// Limits every subgraph applies, so no query can exhaust a service.
const MAX_DEPTH: usize = 32;
const MAX_COMPLEXITY: usize = 5_000;

/// Attaches per-request data (DataLoaders, mostly) to a GraphQL request.
pub type RequestData = Arc<dyn Fn(async_graphql::Request) -> async_graphql::Request + Send + Sync>;

/// The standard schema setup: federation, tracing and limits.
pub fn configure_schema<Q, M, S>(builder: SchemaBuilder<Q, M, S>) -> SchemaBuilder<Q, M, S>
where
    Q: ObjectType + 'static,
    M: ObjectType + 'static,
    S: SubscriptionType + 'static,
{
    builder
        .enable_federation()
        // Federation 2 routers plan subscriptions from the subgraph SDL.
        .enable_subscription_in_federation()
        .extension(Tracing)
        .extension(super::operation_identity::OperationIdentity)
        .limit_depth(MAX_DEPTH)
        .limit_complexity(MAX_COMPLEXITY)
}

/// The subgraph SDL, as `_service { sdl }` serves it and `schema/` stores it.
pub fn export_sdl<Q, M, S>(schema: &Schema<Q, M, S>) -> String
where
    Q: ObjectType + 'static,
    M: ObjectType + 'static,
    S: SubscriptionType + 'static,
{
    schema.sdl_with_options(SDLExportOptions::new().federation().compose_directive())
}

/// `/graphql` for one subgraph.
pub struct GraphqlEndpoint<Q, M, S> {
    pub service: &'static str,
    pub schema: Schema<Q, M, S>,
    pub verifier: JwtVerifier,
    pub request_data: RequestData,
}

impl<Q, M, S> Clone for GraphqlEndpoint<Q, M, S> {
    fn clone(&self) -> Self {
        Self {
            service: self.service,
            schema: self.schema.clone(),
            verifier: self.verifier.clone(),
            request_data: self.request_data.clone(),
        }
    }
}

impl<Q, M, S> GraphqlEndpoint<Q, M, S>
where
    Q: ObjectType + 'static,
    M: ObjectType + 'static,
    S: SubscriptionType + 'static,
{
    /// `/graphql`, answering only requests signed as `signing` says
    /// (unless it is disabled).
    pub fn into_router(self, signing: &SigningConfig) -> Router {
        self.into_router_with_body_limit(signing, MAX_BODY_BYTES)
    }

    /// As `into_router`, taking bodies up to `max_body` bytes (file
    /// uploads, as GraphQL multipart requests).
    pub fn into_router_with_body_limit(self, signing: &SigningConfig, max_body: usize) -> Router {
        let verifier = signing.verifier(self.service).map(Arc::new);
        let router = Router::new()
            .route("/graphql", get(get_graphql::<Q, M, S>).post(execute::<Q, M, S>))
            .layer(DefaultBodyLimit::max(max_body))
            .layer(axum::Extension(OperationSignatures(verifier.clone())))
            .with_state(self);
        let router = match verifier {
            Some(verifier) => router.layer(axum::middleware::from_fn_with_state(
                (verifier, max_body),
                super::signed::require_signature,
            )),
            None => router,
        };
        // Scrapers and browsers are not signed: `/metrics` and GraphiQL's
        // assets sit outside the check, like `/health` and `/ready`.
        router
            .route("/metrics", get(|| async { crate::metrics::metrics().exposition() }))
            .merge(server::graphiql::asset_routes())
    }
}

async fn execute<Q, M, S>(
    State(endpoint): State<GraphqlEndpoint<Q, M, S>>,
    caller: Option<axum::Extension<Caller>>,
    headers: HeaderMap,
    request: GraphQLRequest,
) -> GraphQLResponse
where
    Q: ObjectType + 'static,
    M: ObjectType + 'static,
    S: SubscriptionType + 'static,
{
    let authorization = headers.get(header::AUTHORIZATION).and_then(|v| v.to_str().ok());
    let auth = authenticate(&endpoint.verifier, authorization).await;
    let request = request.into_inner();
    // Who signed the request (`router`, `orders`, ...), when signing is on.
    let caller = caller.map(|axum::Extension(Caller(name))| name);
    let operation = request.operation_name.as_deref().unwrap_or_default();
    let operation_type =
        crate::metrics::operation_type(&request.query, request.operation_name.as_deref());
    let span = tracing::info_span!(
        "graphql",
        otel.name = format!("{} {operation}", endpoint.service).trim_end(),
        otel.kind = "server",
        service = endpoint.service,
        caller = caller.as_deref().unwrap_or("unverified"),
        operation,
        trace_id = tracing::field::Empty,
        span_id = tracing::field::Empty,
    );
    // Events this request writes to the outbox carry the request's own
    // context: their consumers' spans become its children.
    let trace = telemetry::start(&span, TraceParent::from_headers(&headers));
    let mut request = request.data(auth).data(trace);
    if let Some(header) = authorization {
        request = request.data(Authorization(header.to_owned()));
    }
    let request = (endpoint.request_data)(request);
    let started = std::time::Instant::now();
    let response = endpoint.schema.execute(request).instrument(span).await;
    let ok = response.errors.is_empty();
    crate::metrics::metrics().graphql_request(
        endpoint.service,
        operation_type,
        ok,
        started.elapsed(),
    );
    response.into()
}

/// The verifier of each subscription's own signature, when signing is on.
#[derive(Clone)]
struct OperationSignatures(Option<Arc<server::signing::RequestVerifier>>);

fn subscriptions<Q, M, S>(
    endpoint: GraphqlEndpoint<Q, M, S>,
    credentials: OperationCredentials,
    headers: &HeaderMap,
    protocol: GraphQLProtocol,
    upgrade: WebSocketUpgrade,
    stopping: tokio_util::sync::CancellationToken,
) -> Response
where
    Q: ObjectType + 'static,
    M: ObjectType + 'static,
    S: SubscriptionType + 'static,
{
    let header_authorization =
        headers.get(header::AUTHORIZATION).and_then(|v| v.to_str().ok()).map(str::to_owned);
    let trace = TraceParent::continuing(TraceParent::from_headers(headers));
    // The per-request data (DataLoaders) lives for the connection here;
    // services' loaders do not cache, so later events still read fresh rows.
    let mut data = (endpoint.request_data)(async_graphql::Request::new("")).data;
    data.insert(trace);
    data.insert(credentials);
    server::websocket::sized(upgrade, MAX_BODY_BYTES)
        .protocols(async_graphql::http::ALL_WEBSOCKET_PROTOCOLS)
        .on_upgrade(move |socket| async move {
            let connection = GraphQLWebSocket::new(socket, endpoint.schema.clone(), protocol)
                .with_data(data)
                .on_connection_init(move |payload| async move {
                    // The contract puts the token in connection_init's
                    // payload; a header on the upgrade request works too.
                    let authorization =
                        authorization_in(&payload).map(str::to_owned).or(header_authorization);
                    let mut data = Data::default();
                    data.insert(authenticate(&endpoint.verifier, authorization.as_deref()).await);
                    if let Some(value) = authorization {
                        data.insert(Authorization(value));
                    }
                    Ok(data)
                })
                .serve();
            // Dropping the connection closes it: clients see the service go.
            tokio::select! {
                () = connection => {}
                () = stopping.cancelled() => {}
            }
        })
        .into_response()
}

/// Subscriptions over WebSocket (graphql-transport-ws, or the legacy
/// graphql-ws), GraphiQL for browsers; anything else must POST.
async fn get_graphql<Q, M, S>(
    State(endpoint): State<GraphqlEndpoint<Q, M, S>>,
    request: Request,
) -> Response
where
    Q: ObjectType + 'static,
    M: ObjectType + 'static,
    S: SubscriptionType + 'static,
{
    let (mut parts, _) = request.into_parts();
    if parts.headers.contains_key(header::UPGRADE) {
        let protocol = match GraphQLProtocol::from_request_parts(&mut parts, &()).await {
            Ok(protocol) => protocol,
            Err(rejection) => return rejection.into_response(),
        };
        return match WebSocketUpgrade::from_request_parts(&mut parts, &()).await {
            Ok(upgrade) => {
                let stopping = super::Stopping::of(&parts.extensions);
                let credentials = OperationCredentials {
                    tokens: endpoint.verifier.clone(),
                    signatures: parts
                        .extensions
                        .get::<OperationSignatures>()
                        .and_then(|signatures| signatures.0.clone()),
                    path: parts.uri.path().to_owned(),
                };
                subscriptions(endpoint, credentials, &parts.headers, protocol, upgrade, stopping)
            }
            Err(rejection) => rejection.into_response(),
        };
    }
    if wants_html(&parts.headers) {
        // The router's offline page. A subgraph answers only signed
        // requests unless signing is disabled, so this is for that case.
        server::graphiql::page(server::graphiql::Page {
            title: &format!("{} subgraph", endpoint.service),
            default_document: None,
            default_headers: None,
        })
    } else {
        (
            StatusCode::METHOD_NOT_ALLOWED,
            [(header::ALLOW, "POST")],
            "send GraphQL requests with POST",
        )
            .into_response()
    }
}
