use std::sync::Arc;

use async_graphql::{
    ObjectType, Schema, SchemaBuilder, SubscriptionType, extensions::Tracing, http::GraphiQLSource,
    registry::SDLExportOptions,
};
use async_graphql_axum::{GraphQLRequest, GraphQLResponse};
use axum::{
    Router,
    extract::{DefaultBodyLimit, State},
    http::{HeaderMap, StatusCode, header},
    response::{Html, IntoResponse, Response},
    routing::get,
};
use tracing::Instrument;

use crate::{
    auth::{Authorization, JwtVerifier, authenticate},
    telemetry::TraceParent,
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
        .extension(Tracing)
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
    pub fn into_router(self) -> Router {
        Router::new()
            .route("/graphql", get(graphiql).post(execute::<Q, M, S>))
            .layer(DefaultBodyLimit::max(MAX_BODY_BYTES))
            .with_state(self)
    }
}

async fn execute<Q, M, S>(
    State(endpoint): State<GraphqlEndpoint<Q, M, S>>,
    headers: HeaderMap,
    request: GraphQLRequest,
) -> GraphQLResponse
where
    Q: ObjectType + 'static,
    M: ObjectType + 'static,
    S: SubscriptionType + 'static,
{
    let trace = headers
        .get("traceparent")
        .and_then(|v| v.to_str().ok())
        .and_then(TraceParent::parse)
        .map_or_else(TraceParent::new_root, |incoming| incoming.child());
    let authorization = headers.get(header::AUTHORIZATION).and_then(|v| v.to_str().ok());
    let auth = authenticate(&endpoint.verifier, authorization).await;
    let request = request.into_inner();
    let span = tracing::info_span!(
        "graphql",
        service = endpoint.service,
        operation = request.operation_name.as_deref().unwrap_or_default(),
        trace_id = %trace.trace_id_hex(),
    );
    let mut request = request.data(auth).data(trace);
    if let Some(header) = authorization {
        request = request.data(Authorization(header.to_owned()));
    }
    let request = (endpoint.request_data)(request);
    endpoint.schema.execute(request).instrument(span).await.into()
}

/// The GraphiQL page, pointed at `/graphql` (and at `subscriptions` for
/// WebSocket subscriptions when given).
pub fn graphiql_page(subscriptions: Option<&str>) -> Html<String> {
    let source = GraphiQLSource::build().endpoint("/graphql").title("Shopgraph");
    let source = match subscriptions {
        Some(endpoint) => source.subscription_endpoint(endpoint),
        None => source,
    };
    Html(source.finish())
}

/// Whether a request comes from a browser that wants a page.
pub fn wants_html(headers: &HeaderMap) -> bool {
    headers
        .get(header::ACCEPT)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|accept| accept.contains("text/html"))
}

/// GraphiQL for browsers; anything else must POST.
async fn graphiql(headers: HeaderMap) -> Response {
    if wants_html(&headers) {
        graphiql_page(None).into_response()
    } else {
        (
            StatusCode::METHOD_NOT_ALLOWED,
            [(header::ALLOW, "POST")],
            "send GraphQL requests with POST",
        )
            .into_response()
    }
}
