//! GraphQL errors as the router returns them, and request-level failures
//! with the HTTP status the GraphQL-over-HTTP spec asks for.

use serde::Serialize;
use serde_json::{Map, Value};

/// One entry of the response's `errors` list.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct GraphqlError {
    pub message: String,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub locations: Vec<Location>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub path: Option<Vec<Value>>,
    #[serde(skip_serializing_if = "Map::is_empty")]
    pub extensions: Map<String, Value>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Location {
    pub line: usize,
    pub column: usize,
}

impl GraphqlError {
    pub fn new(message: impl Into<String>, code: &str) -> Self {
        let mut extensions = Map::new();
        extensions.insert("code".into(), Value::from(code));
        Self { message: message.into(), locations: Vec::new(), path: None, extensions }
    }

    pub fn at(mut self, path: Vec<Value>) -> Self {
        self.path = Some(path);
        self
    }

    pub fn with_location(mut self, line: usize, column: usize) -> Self {
        self.locations.push(Location { line, column });
        self
    }
}

/// Why a request could not be executed at all.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RequestFailure {
    /// Malformed HTTP or JSON, missing query: 400 always.
    BadRequest,
    /// Parse or validation errors: 400 with `application/graphql-response+json`,
    /// 200 with legacy `application/json`.
    Invalid,
    /// The body is over the size limit: 413.
    TooLarge,
    /// An invalid, expired or forged token: 401 with
    /// `application/graphql-response+json`, 200 with legacy JSON.
    Unauthenticated,
    /// The caller may not run this operation: 403 with
    /// `application/graphql-response+json`, 200 with legacy JSON.
    Forbidden,
    /// Over a rate limit: 429 with `Retry-After`.
    RateLimited,
}

#[derive(Debug, Clone)]
pub struct RequestError {
    pub failure: RequestFailure,
    pub errors: Vec<GraphqlError>,
}

impl RequestError {
    pub fn new(failure: RequestFailure, message: impl Into<String>, code: &str) -> Self {
        Self { failure, errors: vec![GraphqlError::new(message, code)] }
    }
}

pub const PARSE_FAILED: &str = "GRAPHQL_PARSE_FAILED";
pub const VALIDATION_FAILED: &str = "GRAPHQL_VALIDATION_FAILED";
pub const BAD_REQUEST: &str = "BAD_REQUEST";
pub const BAD_USER_INPUT: &str = "BAD_USER_INPUT";
pub const SUBREQUEST_FAILED: &str = "SUBREQUEST_HTTP_ERROR";
