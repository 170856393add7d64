//! CORS: which browser origins may call the router, answered before any
//! GraphQL work. Preflights (`OPTIONS` with `Access-Control-Request-Method`)
//! get 204; an allowed origin gets the `Access-Control-*` headers on both
//! the preflight and the actual response, a disallowed one gets none (the
//! browser then refuses to hand the response to the page).

use axum::{
    http::{HeaderMap, HeaderValue, StatusCode, header},
    response::{IntoResponse, Response},
};
use serde::Deserialize;

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct CorsConfig {
    /// Origins allowed exactly (`https://shop.example.com`).
    /// `ROUTER_CORS_ORIGINS`, comma-separated.
    pub origins: Vec<String>,
    /// Origins allowed by pattern, `*` standing for any run of characters
    /// other than `/` (`https://*.example.com`, `http://localhost:*`).
    /// `ROUTER_CORS_ORIGIN_PATTERNS`; by default localhost on any port.
    pub origin_patterns: Vec<String>,
    /// Any origin (never with credentials). `ROUTER_CORS_ALLOW_ANY_ORIGIN`.
    pub allow_any_origin: bool,
    /// Send `Access-Control-Allow-Credentials: true` (cookies).
    /// `ROUTER_CORS_ALLOW_CREDENTIALS`.
    pub allow_credentials: bool,
    /// Request headers a browser may send.
    pub allow_headers: Vec<String>,
    /// Response headers a page may read.
    pub expose_headers: Vec<String>,
    /// How long a browser may cache a preflight. `ROUTER_CORS_MAX_AGE_SECS`.
    pub max_age_secs: u64,
}

impl Default for CorsConfig {
    fn default() -> Self {
        Self {
            origins: Vec::new(),
            origin_patterns: [
                "http://localhost",
                "http://localhost:*",
                "http://127.0.0.1",
                "http://127.0.0.1:*",
            ]
            .map(String::from)
            .to_vec(),
            allow_any_origin: false,
            allow_credentials: false,
            allow_headers: [
                "content-type",
                "authorization",
                "apollo-require-preflight",
                "apollo-expose-query-plan",
                "x-apollo-operation-name",
                "apollographql-client-name",
                "apollographql-client-version",
                "traceparent",
            ]
            .map(String::from)
            .to_vec(),
            expose_headers: Vec::new(),
            max_age_secs: 7200,
        }
    }
}

impl CorsConfig {
    /// Whether `origin` may call the router.
    pub fn allows(&self, origin: &str) -> bool {
        self.allow_any_origin
            || self.origins.iter().any(|o| o.eq_ignore_ascii_case(origin))
            || self.origin_patterns.iter().any(|p| wildcard_match(p, origin))
    }

    /// The headers that go on every response to an allowed `origin`.
    fn add_headers(&self, origin: &HeaderValue, headers: &mut HeaderMap) {
        let any = self.allow_any_origin && !self.allow_credentials;
        let allowed = if any { HeaderValue::from_static("*") } else { origin.clone() };
        headers.insert(header::ACCESS_CONTROL_ALLOW_ORIGIN, allowed);
        if self.allow_credentials {
            headers
                .insert(header::ACCESS_CONTROL_ALLOW_CREDENTIALS, HeaderValue::from_static("true"));
        }
        if !self.expose_headers.is_empty()
            && let Ok(value) = HeaderValue::from_str(&self.expose_headers.join(", "))
        {
            headers.insert(header::ACCESS_CONTROL_EXPOSE_HEADERS, value);
        }
    }
}

/// `*` matches any run of characters other than `/`; the rest literally,
/// ignoring ASCII case.
fn wildcard_match(pattern: &str, origin: &str) -> bool {
    let (pattern, origin) = (pattern.to_ascii_lowercase(), origin.to_ascii_lowercase());
    fn go(p: &[u8], o: &[u8]) -> bool {
        match p.split_first() {
            None => o.is_empty(),
            Some((b'*', rest)) => {
                (0..=o.len()).take_while(|&i| i == 0 || o[i - 1] != b'/').any(|i| go(rest, &o[i..]))
            }
            Some((c, rest)) => o.first() == Some(c) && go(rest, &o[1..]),
        }
    }
    go(pattern.as_bytes(), origin.as_bytes())
}

impl CorsConfig {
    /// The answer to an `OPTIONS` request: a preflight gets 204 with the
    /// CORS headers when its origin is allowed (none otherwise); any other
    /// `OPTIONS` gets 204 with `Allow`.
    pub fn preflight(&self, headers: &HeaderMap) -> Response {
        let mut response = StatusCode::NO_CONTENT.into_response();
        if !headers.contains_key(header::ACCESS_CONTROL_REQUEST_METHOD) {
            let allow = HeaderValue::from_static("GET, POST, OPTIONS");
            response.headers_mut().insert(header::ALLOW, allow);
            return response;
        }
        let out = response.headers_mut();
        out.insert(header::VARY, vary());
        if let Some(origin) = self.allowed_origin(headers) {
            self.add_headers(origin, out);
            out.insert(
                header::ACCESS_CONTROL_ALLOW_METHODS,
                HeaderValue::from_static("GET, POST, OPTIONS"),
            );
            if let Ok(value) = HeaderValue::from_str(&self.allow_headers.join(", ")) {
                out.insert(header::ACCESS_CONTROL_ALLOW_HEADERS, value);
            }
            out.insert(header::ACCESS_CONTROL_MAX_AGE, HeaderValue::from(self.max_age_secs));
        }
        response
    }

    /// Adds the CORS headers a response to a request from `origin` carries
    /// (done by the handlers themselves: a middleware layer cost a boxed
    /// service and future on every request).
    pub fn decorate(&self, origin: Option<&HeaderValue>, response: &mut Response) {
        let Some(origin) = origin else { return };
        if origin.to_str().is_ok_and(|o| self.allows(o)) {
            self.add_headers(origin, response.headers_mut());
        }
        response.headers_mut().append(header::VARY, vary());
    }

    fn allowed_origin<'h>(&self, headers: &'h HeaderMap) -> Option<&'h HeaderValue> {
        headers.get(header::ORIGIN).filter(|o| o.to_str().is_ok_and(|o| self.allows(o)))
    }
}

fn vary() -> HeaderValue {
    HeaderValue::from_static(
        "origin, access-control-request-method, access-control-request-headers",
    )
}

#[cfg(test)]
mod tests {
    use super::wildcard_match;

    #[test]
    fn patterns_match_one_host_label_run_per_star() {
        assert!(wildcard_match("http://localhost:*", "http://localhost:5173"));
        assert!(wildcard_match("https://*.example.com", "https://shop.example.com"));
        assert!(wildcard_match("https://*.example.com", "https://a.b.example.com"));
        assert!(!wildcard_match("https://*.example.com", "https://example.com"));
        assert!(!wildcard_match("https://*.example.com", "https://evil.com/.example.com"));
        assert!(!wildcard_match("http://localhost:*", "http://localhost.evil.com"));
        assert!(wildcard_match("HTTP://LOCALHOST:*", "http://localhost:3000"));
    }
}
