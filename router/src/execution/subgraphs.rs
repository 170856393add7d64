//! HTTP to subgraphs: one pooled keep-alive client, a timeout per subgraph,
//! and a small GraphQL response type.

use std::{collections::HashMap, time::Duration};

use axum::http::{HeaderMap, HeaderName};
use serde::Deserialize;
use serde_json::{Map, Value};

/// A subgraph's answer.
#[derive(Debug, Default, Deserialize)]
pub struct SubgraphResponse {
    #[serde(default)]
    pub data: Option<Value>,
    #[serde(default)]
    pub errors: Vec<Map<String, Value>>,
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
        variables: &Map<String, Value>,
        raw_variables: &[(&str, Vec<u8>)],
        headers: &HeaderMap,
    ) -> Result<SubgraphResponse, FetchError> {
        let endpoint = self
            .endpoints
            .get(subgraph)
            .ok_or_else(|| FetchError::UnknownSubgraph(subgraph.to_owned()))?;
        let body = request_body(query, variables, raw_variables)
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

/// `{"query": …, "variables": {…}}`, written from borrowed parts; raw
/// variables (representations already written as JSON) are copied in as
/// they are.
fn request_body(
    query: &str,
    variables: &Map<String, Value>,
    raw_variables: &[(&str, Vec<u8>)],
) -> serde_json::Result<Vec<u8>> {
    let raw_len: usize = raw_variables.iter().map(|(_, text)| text.len() + 32).sum();
    let mut body = Vec::with_capacity(query.len() + raw_len + 64);
    body.extend_from_slice(b"{\"query\":");
    serde_json::to_writer(&mut body, query)?;
    body.extend_from_slice(b",\"variables\":{");
    let mut first = true;
    for (name, value) in variables {
        if !std::mem::take(&mut first) {
            body.push(b',');
        }
        serde_json::to_writer(&mut body, name)?;
        body.push(b':');
        serde_json::to_writer(&mut body, value)?;
    }
    for (name, text) in raw_variables {
        if !std::mem::take(&mut first) {
            body.push(b',');
        }
        serde_json::to_writer(&mut body, name)?;
        body.push(b':');
        body.extend_from_slice(text);
    }
    body.extend_from_slice(b"}}");
    Ok(body)
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

#[cfg(test)]
mod tests {
    use serde_json::{Value, json};

    #[test]
    fn a_request_body_joins_variables_and_raw_representations() {
        let variables = json!({ "first": 2, "name": "a \"quoted\" name" });
        let Value::Object(variables) = variables else { unreachable!() };
        let raw = [("representations", br#"[{"__typename":"Product","upc":"1"}]"#.to_vec())];
        let body = super::request_body("query($first: Int) { x }", &variables, &raw).expect("body");
        let parsed: Value = serde_json::from_slice(&body).expect("valid JSON");
        assert_eq!(
            parsed,
            json!({ "query": "query($first: Int) { x }", "variables": {
                "first": 2,
                "name": "a \"quoted\" name",
                "representations": [{ "__typename": "Product", "upc": "1" }],
            } })
        );
        let empty = super::request_body("{ x }", &serde_json::Map::new(), &[]).expect("body");
        assert_eq!(empty, br#"{"query":"{ x }","variables":{}}"#);
    }
}
