//! Transport: the protocols clients speak, and nothing else. GraphQL over
//! HTTP (`http`), graphql-transport-ws and the legacy graphql-ws (`ws`), and
//! SSE (`sse`), and `@defer`'s multipart responses (`multipart`), each
//! turn a client message into a request for `admission`, and write back
//! what `execution` (or `subscriptions`) produces, compressed when the
//! client asks (`encoding`); `http` also serves the GraphiQL page and its
//! embedded assets (`server::graphiql`, shared with the subgraphs). No
//! module here plans or executes.

mod encoding;
mod http;
mod multipart;
mod sse;
pub mod uploads;
mod wake_gate;
mod ws;

pub use http::routes;

/// The server span of one GraphQL operation, named as OpenTelemetry's
/// GraphQL conventions say (`query GetOrder`). Its fields are evaluated
/// only when some subscriber wants the span.
fn request_span(operation_type: &str, operation_name: Option<&str>) -> tracing::Span {
    tracing::info_span!(
        "graphql",
        otel.name = match operation_name {
            Some(name) => format!("{operation_type} {name}"),
            None => operation_type.to_owned(),
        },
        otel.kind = "server",
        graphql.operation.type = operation_type,
        operation = operation_name.unwrap_or_default(),
        trace_id = tracing::field::Empty,
        span_id = tracing::field::Empty,
    )
}
