//! HTTP to subgraphs: one pooled keep-alive client, a timeout per subgraph,
//! and a small GraphQL response type.

use std::{collections::HashMap, time::Duration};

use axum::http::{HeaderMap, HeaderName};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

/// A subgraph's answer.
#[derive(Debug, Default, Deserialize)]
pub struct SubgraphResponse {
    #[serde(default)]
    pub data: Option<Value>,
    #[serde(default)]
    pub errors: Vec<Map<String, Value>>,
}

/// What is POSTed to a subgraph, serialised straight from borrowed parts.
#[derive(Serialize)]
struct SubgraphRequest<'a> {
    query: &'a str,
    variables: &'a Map<String, Value>,
}

#[derive(Debug, Clone)]
pub struct SubgraphEndpoint {
    pub url: String,
    pub timeout: Duration,
}

/// Why a subgraph request produced no GraphQL response.
#[derive(Debug, thiserror::Error)]
pub enum FetchError {
    #[error("subgraph `{0}` is not part of the supergraph")]
    UnknownSubgraph(String),
    #[error("timed out")]
    Timeout,
    #[error("{0}")]
    Transport(String),
    #[error("HTTP status {0}")]
    Status(u16),
    #[error("invalid response: {0}")]
    Invalid(String),
}

#[derive(Clone)]
pub struct Subgraphs {
    http: reqwest::Client,
    endpoints: HashMap<String, SubgraphEndpoint>,
}

impl Subgraphs {
    pub fn new(endpoints: HashMap<String, SubgraphEndpoint>) -> Self {
        let http = reqwest::Client::builder()
            .pool_max_idle_per_host(64)
            .tcp_nodelay(true)
            .build()
            .unwrap_or_default();
        Self { http, endpoints }
    }

    pub fn endpoint(&self, subgraph: &str) -> Option<&SubgraphEndpoint> {
        self.endpoints.get(subgraph)
    }

    pub fn names(&self) -> impl Iterator<Item = &String> {
        self.endpoints.keys()
    }

    pub async fn fetch(
        &self,
        subgraph: &str,
        query: &str,
        variables: Map<String, Value>,
        headers: &HeaderMap,
    ) -> Result<SubgraphResponse, FetchError> {
        let endpoint = self
            .endpoints
            .get(subgraph)
            .ok_or_else(|| FetchError::UnknownSubgraph(subgraph.to_owned()))?;
        let body = serde_json::to_vec(&SubgraphRequest { query, variables: &variables })
            .map_err(|e| FetchError::Invalid(e.to_string()))?;
        let mut request = self
            .http
            .post(&endpoint.url)
            .timeout(endpoint.timeout)
            .header("content-type", "application/json")
            .header("accept", "application/graphql-response+json, application/json");
        for (name, value) in headers {
            request = request.header(name, value);
        }
        let response = request.body(body).send().await.map_err(|e| {
            if e.is_timeout() { FetchError::Timeout } else { FetchError::Transport(e.to_string()) }
        })?;
        let status = response.status();
        let bytes = response.bytes().await.map_err(|e| {
            if e.is_timeout() { FetchError::Timeout } else { FetchError::Transport(e.to_string()) }
        })?;
        match serde_json::from_slice::<SubgraphResponse>(&bytes) {
            Ok(parsed) => Ok(parsed),
            Err(_) if !status.is_success() => Err(FetchError::Status(status.as_u16())),
            Err(e) => Err(FetchError::Invalid(e.to_string())),
        }
    }
}

/// Which client headers go to subgraphs.
pub fn forwarded_headers(incoming: &HeaderMap, names: &[HeaderName]) -> HeaderMap {
    let mut out = HeaderMap::new();
    for name in names {
        for value in incoming.get_all(name) {
            out.append(name.clone(), value.clone());
        }
    }
    out
}
