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

/// `headers` in allocations of their own. hyper parses header values as
/// slices of the connection's read buffer (8–16 KiB), so a value kept
/// keeps that whole buffer: a WebSocket connection holding on to its
/// upgrade request's headers would hold it for as long as it is open.
pub fn detached(headers: &HeaderMap) -> HeaderMap {
    headers
        .iter()
        .filter_map(|(name, value)| {
            let name = header::HeaderName::from_bytes(name.as_str().as_bytes()).ok()?;
            let value = header::HeaderValue::from_bytes(value.as_bytes()).ok()?;
            Some((name, value))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use axum::body::Bytes;
    use axum::http::{HeaderMap, HeaderValue};

    #[test]
    fn detached_headers_share_no_memory_with_the_request() {
        let buffer = Bytes::from_static(b"Bearer token, and the rest of a read buffer");
        let shared = HeaderValue::from_maybe_shared(buffer.slice(0..12)).expect("value");
        let mut headers = HeaderMap::new();
        headers.insert("authorization", shared);
        headers.append("x-extra", HeaderValue::from_static("one"));
        headers.append("x-extra", HeaderValue::from_static("two"));

        let detached = super::detached(&headers);
        assert_eq!(detached, headers);
        let value = detached.get("authorization").expect("kept");
        let inside = buffer.as_ptr_range();
        assert!(!inside.contains(&value.as_bytes().as_ptr()), "still points into the buffer");
    }
}
