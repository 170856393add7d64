//! Transport: the protocols clients speak, and nothing else. GraphQL over
//! HTTP (`http`), graphql-transport-ws and the legacy graphql-ws (`ws`), and
//! SSE (`sse`), and `@defer`'s multipart responses (`multipart`), each
//! turn a client message into a request for `admission`, and write back
//! what `execution` (or `subscriptions`) produces, compressed when the
//! client asks (`encoding`). No module here plans or executes.

mod encoding;
mod http;
mod multipart;
mod sse;
mod ws;

pub use http::routes;
