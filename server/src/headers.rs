//! What servers read from a request's headers or a WebSocket's
//! `connection_init` payload.

use axum::http::{HeaderMap, header};

/// `Authorization` from a WebSocket `connection_init` payload, whatever its
/// case: browsers cannot set headers on a WebSocket, so clients send their
/// credentials there.
pub fn authorization_in(payload: &serde_json::Value) -> Option<&str> {
    let object = payload.as_object()?;
    let (_, value) = object.iter().find(|(k, _)| k.eq_ignore_ascii_case("authorization"))?;
    value.as_str()
}

/// Whether a request comes from a browser that wants a page.
pub fn wants_html(headers: &HeaderMap) -> bool {
    headers
        .get(header::ACCEPT)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|accept| accept.contains("text/html"))
}
