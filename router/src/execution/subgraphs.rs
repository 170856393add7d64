//! HTTP to subgraphs: one pooled keep-alive client, a timeout per subgraph,
//! a small GraphQL response type, and in-flight deduplication: while a
//! query's request to a subgraph is on its way, an identical one (same
//! subgraph, headers and body) waits for its answer instead of being sent
//! again. Mutations are always sent. Waiters share the body's bytes; each
//! parses its own copy of the tree.

use std::{
    collections::HashMap,
    sync::{Arc, Mutex},
    time::Duration,
};

use futures::{
    FutureExt,
    future::{BoxFuture, Shared},
};

use axum::http::{
    HeaderMap, HeaderName, HeaderValue, Method, Request, Uri,
    header::{ACCEPT, AUTHORIZATION, CONTENT_TYPE},
};
use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper_rustls::HttpsConnector;
use hyper_util::{
    client::legacy::{Client, connect::HttpConnector},
    rt::TokioExecutor,
};
use serde::Deserialize;
use serde_json::{Map, Value};
use server::{
    signing::{RequestSigner, SIGNATURE_HEADER},
    telemetry::TraceParent,
};

use crate::observability::{RouterMetrics, SubgraphTimer};

/// A subgraph's answer as it arrived: the executor parses the body into
/// values that borrow from it.
#[derive(Debug, Clone)]
pub struct RawAnswer {
    pub status: u16,
    pub body: Bytes,
}

impl RawAnswer {
    /// The body as text, to be kept while its values are in use.
    pub fn into_text(self) -> Result<String, FetchError> {
        let status = self.status;
        String::from_utf8(Vec::from(self.body))
            .map_err(|_| FetchError::unreadable(status, "the body is not UTF-8".into()))
    }
}

/// A decoded subgraph answer, as subscriptions receive them.
#[derive(Debug, Default, Clone, Deserialize)]
pub struct SubgraphResponse {
    #[serde(default)]
    pub data: Option<Value>,
    #[serde(default)]
    pub errors: Vec<Map<String, Value>>,
}

#[derive(Debug, Clone)]
pub struct SubgraphEndpoint {
    pub url: String,
    /// `url`, parsed once; `None` when it is not a valid URI.
    uri: Option<Uri>,
    pub timeout: Duration,
    /// Where its requests are timed; set when the endpoints are gathered.
    timer: Option<SubgraphTimer>,
}

impl SubgraphEndpoint {
    pub fn new(url: String, timeout: Duration) -> Self {
        Self { uri: url.parse().ok(), url, timeout, timer: None }
    }
}

/// HTTP/1.1 keep-alive client, plain or TLS (webpki roots), on hyper
/// directly: a request costs no URL parsing, redirect policy or extra
/// header copies.
type HttpClient = Client<HttpsConnector<HttpConnector>, Full<Bytes>>;

/// Why a subgraph request produced no GraphQL response.
#[derive(Debug, Clone, thiserror::Error)]
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

impl FetchError {
    /// A body that is not a GraphQL response: an HTTP error when the status
    /// says so, or else an invalid response.
    pub fn unreadable(status: u16, reason: String) -> Self {
        if (200..300).contains(&status) { Self::Invalid(reason) } else { Self::Status(status) }
    }
}

type Answer = Result<RawAnswer, FetchError>;

/// Requests on their way, by subgraph, headers and body.
/// Hashed with foldhash: the key holds the whole request body.
type InFlight = Arc<
    Mutex<
        std::collections::HashMap<
            RequestKey,
            Shared<BoxFuture<'static, Answer>>,
            foldhash::fast::RandomState,
        >,
    >,
>;

/// Everything that makes two requests the same: the subgraph and the
/// headers sent (credentials differ per client), then the body, shared with
/// the request rather than copied.
#[derive(Clone, PartialEq, Eq, Hash)]
struct RequestKey {
    route: Vec<u8>,
    body: Bytes,
}

#[derive(Clone)]
pub struct Subgraphs {
    http: HttpClient,
    endpoints: HashMap<String, SubgraphEndpoint>,
    /// `None` when deduplication is off.
    in_flight: Option<InFlight>,
    /// Signs each request when subgraphs want proof it is the router's.
    signer: Option<Arc<RequestSigner>>,
}

/// Whether identical requests may share one answer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Sharing {
    /// A query's fetch: identical requests in flight share one answer.
    Query,
    /// A mutation's: always sent.
    Mutation,
}

impl Subgraphs {
    pub fn new(
        mut endpoints: HashMap<String, SubgraphEndpoint>,
        dedupe: bool,
        signer: Option<RequestSigner>,
        metrics: &RouterMetrics,
    ) -> Self {
        for (name, endpoint) in &mut endpoints {
            endpoint.timer = Some(metrics.subgraph_timer(name));
        }
        let mut plain = HttpConnector::new();
        plain.set_nodelay(true);
        plain.enforce_http(false);
        let connector = hyper_rustls::HttpsConnectorBuilder::new()
            .with_webpki_roots()
            .https_or_http()
            .enable_http1()
            .wrap_connector(plain);
        let http = Client::builder(TokioExecutor::new())
            .pool_max_idle_per_host(usize::MAX)
            .pool_idle_timeout(Duration::from_secs(90))
            .build(connector);
        let in_flight = dedupe.then(InFlight::default);
        Self { http, endpoints, in_flight, signer: signer.map(Arc::new) }
    }

    /// The signature of one operation on a shared subscription connection
    /// to `endpoint`, naming its user (`server::signing::operation`).
    pub fn operation_signature(
        &self,
        endpoint: &SubgraphEndpoint,
        authorization: &str,
        query: &str,
        variables_json: &str,
    ) -> Option<HeaderValue> {
        use server::signing::operation::{METHOD, signed_body};
        let signer = self.signer.as_ref()?;
        let path = endpoint.uri.as_ref().map_or("/", |uri| uri.path());
        let body = signed_body(query, variables_json);
        Some(signer.sign(METHOD, path, Some(authorization.as_bytes()), &body))
    }

    /// The signature of a WebSocket upgrade to `endpoint` (a GET without
    /// a body; each operation's user travels in the operation).
    pub fn upgrade_signature(&self, endpoint: &SubgraphEndpoint) -> Option<HeaderValue> {
        let signer = self.signer.as_ref()?;
        let path = endpoint.uri.as_ref()?.path_and_query().map_or("/", |p| p.as_str());
        Some(signer.sign("GET", path, None, b""))
    }

    pub fn endpoint(&self, subgraph: &str) -> Option<&SubgraphEndpoint> {
        self.endpoints.get(subgraph)
    }

    pub fn names(&self) -> impl Iterator<Item = &String> {
        self.endpoints.keys()
    }

    #[allow(clippy::too_many_arguments)]
    pub async fn fetch(
        &self,
        subgraph: &str,
        query: &str,
        variables: &Map<String, Value>,
        raw_variables: &[(&str, Vec<u8>)],
        headers: &HeaderMap,
        sharing: Sharing,
    ) -> Answer {
        let body = Bytes::from(
            request_body(query, variables, raw_variables)
                .map_err(|e| FetchError::Invalid(e.to_string()))?,
        );
        let request =
            self.outgoing(subgraph, headers, HeaderValue::from_static("application/json"))?;
        let Some(in_flight) = self.in_flight.as_ref().filter(|_| sharing == Sharing::Query) else {
            return send(request, body).await;
        };
        let key = RequestKey { route: route(subgraph, headers), body: body.clone() };
        let answer = {
            let mut requests = in_flight.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
            match requests.get(&key) {
                Some(answer) => answer.clone(),
                None => {
                    let registry = in_flight.clone();
                    let own_key = key.clone();
                    // The request leaves the registry when it is answered,
                    // whoever is waiting for it then: no answer outlives
                    // its request.
                    let answer = async move {
                        let answer = send(request, body).await;
                        registry
                            .lock()
                            .unwrap_or_else(std::sync::PoisonError::into_inner)
                            .remove(&own_key);
                        answer
                    }
                    .boxed()
                    .shared();
                    requests.insert(key, answer.clone());
                    answer
                }
            }
        };
        answer.await
    }

    /// A multipart request (file uploads): always sent, never shared.
    pub async fn fetch_multipart(
        &self,
        subgraph: &str,
        content_type: &str,
        body: Bytes,
        headers: &HeaderMap,
    ) -> Answer {
        let content_type =
            HeaderValue::from_str(content_type).map_err(|e| FetchError::Invalid(e.to_string()))?;
        send(self.outgoing(subgraph, headers, content_type)?, body).await
    }

    /// A request to `subgraph` with the client's `headers`, ready for a
    /// body of `content_type`.
    fn outgoing(
        &self,
        subgraph: &str,
        headers: &HeaderMap,
        content_type: HeaderValue,
    ) -> Result<Outgoing, FetchError> {
        let endpoint = self
            .endpoints
            .get(subgraph)
            .ok_or_else(|| FetchError::UnknownSubgraph(subgraph.to_owned()))?;
        let uri = endpoint
            .uri
            .clone()
            .ok_or_else(|| FetchError::Transport(format!("invalid URL {}", endpoint.url)))?;
        let mut request_headers = headers.clone();
        // Called inside the fetch's span: the subgraph's span becomes its
        // child (shared requests carry the first caller's), when trace
        // context is forwarded at all.
        if request_headers.contains_key("traceparent")
            && let Some(trace) = TraceParent::of_current_span()
            && let Ok(value) = HeaderValue::from_str(&trace.to_string())
        {
            request_headers.insert("traceparent", value);
        }
        request_headers.insert(CONTENT_TYPE, content_type);
        request_headers.insert(ACCEPT, HeaderValue::from_static(ACCEPTED));
        Ok(Outgoing {
            http: self.http.clone(),
            uri,
            headers: request_headers,
            timeout: endpoint.timeout,
            signer: self.signer.clone(),
            timer: endpoint.timer.clone(),
        })
    }
}

const ACCEPTED: &str = "application/graphql-response+json, application/json";

/// A request ready to go.
struct Outgoing {
    http: HttpClient,
    uri: Uri,
    headers: HeaderMap,
    timeout: Duration,
    signer: Option<Arc<RequestSigner>>,
    timer: Option<SubgraphTimer>,
}

/// Sends the request and reads the whole answer, within the timeout.
async fn send(request: Outgoing, body: Bytes) -> Answer {
    let Outgoing { http, uri, mut headers, timeout, signer, timer } = request;
    let started = std::time::Instant::now();
    if let Some(signer) = signer {
        let path = uri.path_and_query().map_or("/", |p| p.as_str());
        let authorization = headers.get(AUTHORIZATION).map(HeaderValue::as_bytes);
        let signature = signer.sign("POST", path, authorization, &body);
        headers.insert(SIGNATURE_HEADER, signature);
    }
    let mut outgoing = Request::new(Full::new(body));
    *outgoing.method_mut() = Method::POST;
    *outgoing.uri_mut() = uri;
    *outgoing.headers_mut() = headers;
    let exchange = async {
        let response =
            http.request(outgoing).await.map_err(|e| FetchError::Transport(error_chain(&e)))?;
        let status = response.status().as_u16();
        let body = response
            .into_body()
            .collect()
            .await
            .map_err(|e| FetchError::Transport(error_chain(&e)))?
            .to_bytes();
        Ok(RawAnswer { status, body })
    };
    let answer = tokio::time::timeout(timeout, exchange).await.unwrap_or(Err(FetchError::Timeout));
    if let Some(timer) = timer {
        timer.observe(matches!(&answer, Ok(raw) if raw.status < 400), started.elapsed());
    }
    answer
}

/// An error and its causes, for the logs ("client error (Connect): tcp
/// connect error: Connection refused").
fn error_chain(error: &dyn std::error::Error) -> String {
    let mut text = error.to_string();
    let mut source = error.source();
    while let Some(cause) = source {
        text.push_str(": ");
        text.push_str(&cause.to_string());
        source = cause.source();
    }
    text
}

/// The subgraph and the headers a request carries. Trace context is left
/// out: it differs on every request and changes no answer (the shared
/// request carries the first one's).
fn route(subgraph: &str, headers: &HeaderMap) -> Vec<u8> {
    let mut route = Vec::with_capacity(subgraph.len() + 128);
    route.extend_from_slice(subgraph.as_bytes());
    route.push(b'\n');
    for (name, value) in headers.iter().filter(|(name, _)| !is_trace_context(name.as_str())) {
        route.extend_from_slice(name.as_str().as_bytes());
        route.push(b':');
        route.extend_from_slice(value.as_bytes());
        route.push(b'\n');
    }
    route
}

fn is_trace_context(header: &str) -> bool {
    matches!(header, "traceparent" | "tracestate")
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
