//! GraphQL calls from one subgraph to another: checkout reading the cart as
//! the customer, the cart pricing from the catalog, shipping asking orders
//! who owns an order. One client per upstream, with a timeout; the caller's
//! `Authorization` goes along when the call is made on their behalf.
//!
//! Each call is signed as the calling service (`server::signing`), so the
//! upstream knows it comes from inside the platform; the end user's token,
//! when there is one, travels beside it.
//!
//! Whatever goes wrong on the way (unreachable, timed out, an HTTP error, a
//! body that is not the expected GraphQL response) is logged with its cause
//! and reaches the client as `UNAVAILABLE`, naming the upstream and nothing
//! more.

use serde::{Deserialize, de::DeserializeOwned};
use serde_json::{Map, Value, json};

use server::signing::{RequestSigner, SIGNATURE_HEADER};

use crate::{AppError, AppResult, config::ServiceConfig, telemetry::TraceParent};

/// A client for one upstream subgraph.
#[derive(Clone)]
pub struct GraphqlClient {
    http: reqwest::Client,
    upstream: &'static str,
    url: String,
    /// `url`'s path and query, as signed.
    path: String,
    signer: RequestSigner,
}

/// A GraphQL response whose errors the caller wants to see, for calls where
/// an error is an answer (`NOT_FOUND` means "not yours").
#[derive(Debug, Deserialize)]
#[serde(bound = "T: DeserializeOwned")]
pub struct Response<T> {
    pub data: Option<T>,
    #[serde(default)]
    pub errors: Vec<Map<String, Value>>,
}

impl<T> Response<T> {
    /// The `extensions.code` of each error.
    pub fn codes(&self) -> impl Iterator<Item = &str> {
        self.errors.iter().filter_map(|e| e.get("extensions")?.get("code")?.as_str())
    }
}

/// `_entities` data.
#[derive(Deserialize)]
#[serde(bound = "T: DeserializeOwned")]
struct Entities<T> {
    #[serde(rename = "_entities")]
    entities: Vec<Option<T>>,
}

impl GraphqlClient {
    /// `upstream` names the subgraph in logs and in `UNAVAILABLE` errors;
    /// `caller`'s `upstream_timeout` bounds each call, and its signing
    /// settings sign it.
    pub fn new(upstream: &'static str, url: impl Into<String>, caller: &ServiceConfig) -> Self {
        let http = reqwest::Client::builder()
            .timeout(caller.upstream_timeout)
            .build()
            .unwrap_or_else(|e| {
                tracing::warn!(error = %e, "HTTP client settings refused; using the defaults");
                reqwest::Client::new()
            });
        let url = url.into();
        let path = reqwest::Url::parse(&url).map_or_else(
            |_| "/".to_owned(),
            |u| match u.query() {
                Some(query) => format!("{}?{query}", u.path()),
                None => u.path().to_owned(),
            },
        );
        let signer = caller.signing.signer(caller.name);
        Self { http, upstream, url, path, signer }
    }

    pub fn upstream(&self) -> &'static str {
        self.upstream
    }

    /// The operation's `data` as `T`; any GraphQL error is `UNAVAILABLE`
    /// too, since the calling service cannot do its work without the data.
    pub async fn query<T: DeserializeOwned>(
        &self,
        document: &str,
        variables: Value,
        authorization: Option<&str>,
    ) -> AppResult<T> {
        let response = self.response::<T>(document, variables, authorization).await?;
        if !response.errors.is_empty() {
            return Err(self.unavailable(&Value::from(response.errors)));
        }
        response.data.ok_or_else(|| self.unavailable(&"the response has no data"))
    }

    /// The whole response, GraphQL errors included; only a failed call is
    /// an error here.
    #[tracing::instrument(
        name = "call",
        skip_all,
        fields(otel.name = format!("call {}", self.upstream), otel.kind = "client", subgraph.name = self.upstream)
    )]
    pub async fn response<T: DeserializeOwned>(
        &self,
        document: &str,
        variables: Value,
        authorization: Option<&str>,
    ) -> AppResult<Response<T>> {
        let body = json!({ "query": document, "variables": variables }).to_string();
        let signature =
            self.signer.sign("POST", &self.path, authorization.map(str::as_bytes), body.as_bytes());
        let mut request = self
            .http
            .post(&self.url)
            .header(reqwest::header::CONTENT_TYPE, "application/json")
            .header(SIGNATURE_HEADER, signature)
            .body(body);
        if let Some(value) = authorization {
            request = request.header(reqwest::header::AUTHORIZATION, value);
        }
        // The callee's span continues this call's, when traces are exported.
        if let Some(trace) = TraceParent::of_current_span() {
            request = request.header("traceparent", trace.to_string());
        }
        let response = request.send().await.map_err(|e| self.unavailable(&e))?;
        let status = response.status();
        let body = response.bytes().await.map_err(|e| self.unavailable(&e))?;
        serde_json::from_slice(&body).map_err(|e| {
            let text = String::from_utf8_lossy(&body[..body.len().min(200)]).into_owned();
            self.unavailable(&format!("HTTP {status}, not a GraphQL response ({e}): {text}"))
        })
    }

    /// Entities of `typename` by their keys (`{"id": ...}`), in the order
    /// asked; `None` where the upstream has none. `selection` is what to
    /// read of each, e.g. `id name price { amount currency }`.
    pub async fn entities<T: DeserializeOwned>(
        &self,
        typename: &str,
        keys: impl IntoIterator<Item = Map<String, Value>>,
        selection: &str,
    ) -> AppResult<Vec<Option<T>>> {
        let representations: Vec<Value> = keys
            .into_iter()
            .map(|mut key| {
                key.insert("__typename".into(), Value::from(typename));
                Value::Object(key)
            })
            .collect();
        if representations.is_empty() {
            return Ok(Vec::new());
        }
        let document = format!(
            "query($representations: [_Any!]!) {{ _entities(representations: $representations) {{ ... on {typename} {{ {selection} }} }} }}"
        );
        let variables = json!({ "representations": representations });
        let data: Entities<T> = self.query(&document, variables, None).await?;
        Ok(data.entities)
    }

    fn unavailable(&self, cause: &dyn std::fmt::Display) -> AppError {
        tracing::error!(upstream = self.upstream, url = %self.url, error = %cause, "subgraph call failed");
        AppError::unavailable(format!("the {} service is unavailable; please retry", self.upstream))
    }
}

/// `{"id": id}`, the key most entities are found by.
pub fn id_key(id: &str) -> Map<String, Value> {
    let mut key = Map::new();
    key.insert("id".into(), Value::from(id));
    key
}
