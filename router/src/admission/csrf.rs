//! CSRF prevention: a request a browser could send cross-site without a
//! preflight (a GET, or a POST with a simple content type) is refused
//! unless it carries a header that forces one. Such a request could
//! otherwise run a mutation with the user's cookies, or read nothing but
//! still cause effects.

use axum::http::{HeaderMap, Method, header};
use serde::Deserialize;

use crate::error::{RequestError, RequestFailure};

pub const CSRF_PREVENTION: &str = "CSRF_PREVENTION";

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct CsrfConfig {
    /// `ROUTER_CSRF_PREVENTION`, default true.
    pub enabled: bool,
    /// Any of these headers makes a simple request safe (browsers send a
    /// preflight for it).
    pub required_headers: Vec<String>,
}

impl Default for CsrfConfig {
    fn default() -> Self {
        Self {
            enabled: true,
            required_headers: vec![
                "x-apollo-operation-name".into(),
                "apollo-require-preflight".into(),
            ],
        }
    }
}

/// Content types a browser sends cross-site without a preflight.
const SIMPLE_CONTENT_TYPES: &[&str] =
    &["application/x-www-form-urlencoded", "multipart/form-data", "text/plain"];

impl CsrfConfig {
    /// Refuses a GraphQL request that a browser could have sent from
    /// another site without a preflight.
    pub fn check(&self, method: &Method, headers: &HeaderMap) -> Result<(), RequestError> {
        if !self.enabled || (method != Method::GET && method != Method::POST) {
            return Ok(());
        }
        // A content type a browser would not send without a preflight
        // (application/json, the usual case) is enough: nothing else to read.
        let content_type = headers.get(header::CONTENT_TYPE).map(|v| v.as_bytes());
        let media_type = content_type.map(|t| t.split(|b| *b == b';').next().unwrap_or_default());
        let simple_type = media_type.is_none_or(|t| {
            SIMPLE_CONTENT_TYPES
                .iter()
                .any(|simple| t.trim_ascii().eq_ignore_ascii_case(simple.as_bytes()))
        });
        if !simple_type || self.required_headers.iter().any(|h| headers.contains_key(h.as_str())) {
            return Ok(());
        }
        Err(RequestError::new(
            RequestFailure::BadRequest,
            format!(
                "this request was blocked as a possible cross-site request forgery: send it with a \
                 `content-type` other than {} (such as application/json), or with one of these \
                 headers: {}",
                SIMPLE_CONTENT_TYPES.join(", "),
                self.required_headers.join(", ")
            ),
            CSRF_PREVENTION,
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headers(pairs: &[(&'static str, &'static str)]) -> HeaderMap {
        pairs
            .iter()
            .map(|(k, v)| (axum::http::HeaderName::from_static(k), v.parse().expect("value")))
            .collect()
    }

    #[test]
    fn simple_requests_need_a_preflight_header() {
        let csrf = CsrfConfig::default();
        assert!(csrf.check(&Method::GET, &headers(&[])).is_err());
        assert!(csrf.check(&Method::POST, &headers(&[("content-type", "text/plain")])).is_err());
        assert!(
            csrf.check(
                &Method::POST,
                &headers(&[("content-type", "multipart/form-data; boundary=x")])
            )
            .is_err()
        );
        assert!(
            csrf.check(&Method::POST, &headers(&[("content-type", "application/json")])).is_ok()
        );
        assert!(
            csrf.check(&Method::GET, &headers(&[("apollo-require-preflight", "true")])).is_ok()
        );
        assert!(csrf.check(&Method::GET, &headers(&[("x-apollo-operation-name", "Q")])).is_ok());
        let off = CsrfConfig { enabled: false, ..CsrfConfig::default() };
        assert!(off.check(&Method::GET, &headers(&[])).is_ok());
    }
}
