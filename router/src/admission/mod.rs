//! Admission: whether a request may run. Every transport (HTTP, WebSocket,
//! SSE) turns its protocol into a query, an operation name and variables,
//! and asks here; what comes back is an operation that is parsed,
//! validated, within the limits, planned, and has coerced variables, or a
//! coded refusal. Admission also decides what the subgraphs are told about
//! the client (forwarded headers, trace context).

pub mod auth;
pub mod cors;
pub mod csrf;
pub mod persisted;
pub mod rate_limit;
mod shared_redis;

use axum::http::{HeaderMap, HeaderValue};
use serde_json::{Map, Value, json};
use server::telemetry::TraceParent;
use std::sync::Arc;

use crate::{
    error::{BAD_REQUEST, GraphqlError, RequestError, RequestFailure},
    execution::{Execution, subgraphs::forwarded_headers},
    planning::{PreparedOperation, refusal},
    state::RouterState,
    supergraph::Supergraph,
    variables,
};

/// An operation checked and planned, with coerced variables: what every
/// transport (HTTP, WebSocket, SSE) executes.
pub struct Admitted {
    pub supergraph: Arc<Supergraph>,
    pub prepared: Arc<PreparedOperation>,
    pub variables: Map<String, Value>,
    /// Errors for the fields authorization took out (they answer `null`).
    pub denied: Vec<GraphqlError>,
    /// The cost estimate, when the request asked for it.
    pub cost: Option<Value>,
}

impl Admitted {
    /// The execution of this operation, with `headers` for the subgraphs.
    pub fn execution<'a>(&'a self, headers: &'a HeaderMap) -> Execution<'a> {
        Execution {
            operation: &self.prepared,
            variables: &self.variables,
            headers,
            subgraphs: &self.supergraph.subgraphs,
            schema: self.supergraph.planner.schema(),
            introspection: &self.supergraph.introspection,
            contexts: self.supergraph.planner.contexts(),
            denied: &self.denied,
            uploads: None,
        }
    }
}

pub const COST_ESTIMATED_TOO_EXPENSIVE: &str = "COST_ESTIMATED_TOO_EXPENSIVE";

/// One GraphQL request, as every transport hands it over.
#[derive(Debug, Default, serde::Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Request {
    pub query: Option<String>,
    pub operation_name: Option<String>,
    pub variables: Option<Value>,
    pub extensions: Option<Value>,
    /// A trusted document's id (`documentId`, or Relay's `doc_id`).
    #[serde(alias = "doc_id", alias = "id")]
    pub document_id: Option<String>,
}

pub const INTROSPECTION_DISABLED: &str = "INTROSPECTION_DISABLED";

pub async fn admit(
    state: &RouterState,
    mut request: Request,
    claims: Option<&auth::Claims>,
) -> Result<Admitted, RequestError> {
    state.persisted.resolve(&mut request).await?;
    // `extensions: {"cost": true}` asks for the estimate in the response.
    let wants_cost =
        request.extensions.as_ref().and_then(|e| e.get("cost")) == Some(&Value::Bool(true));
    let Request { query, operation_name, variables, .. } = request;
    let operation_name = operation_name.as_deref();
    let Some(query) = query.filter(|q| !q.trim().is_empty()) else {
        return Err(bad_request("the request has no `query`"));
    };
    let provided = match variables {
        None | Some(Value::Null) => Map::new(),
        Some(Value::Object(map)) => map,
        Some(_) => return Err(bad_request("`variables` must be an object")),
    };
    let supergraph = state.current();
    let prepared = supergraph.planner.prepare(&query, operation_name, state.config.limits)?;
    let (prepared, denied) =
        supergraph.planner.authorize(prepared, claims, &state.config.authorization)?;
    if !state.config.introspection && prepared.introspects() {
        return Err(RequestError::new(
            RequestFailure::Invalid,
            "introspection is disabled on this router",
            INTROSPECTION_DISABLED,
        ));
    }
    let mut variables =
        variables::coerce(&prepared.variables, &provided, supergraph.planner.schema())
            .map_err(|errors| RequestError { failure: RequestFailure::Invalid, errors })?;
    let limits = &state.config.limits;
    let mut cost = None;
    if limits.max_cost > 0 || wants_cost {
        let planner = &supergraph.planner;
        let estimated = planner.estimate_cost(&prepared, &variables, limits.default_list_size);
        if limits.max_cost > 0 && estimated > limits.max_cost {
            let message = format!(
                "the operation's estimated cost is {estimated}; the limit is {}",
                limits.max_cost
            );
            return Err(refusal(message, COST_ESTIMATED_TOO_EXPENSIVE));
        }
        cost = wants_cost.then(|| json!({ "estimated": estimated, "max": limits.max_cost }));
    }
    prepared.deferred.add_markers(&mut variables);
    Ok(Admitted { supergraph, prepared, variables, denied, cost })
}

/// The headers subgraphs get: the configured client headers, plus a
/// `traceparent` continuing `trace` (the router's own context for the
/// request; each fetch hands on its own span's when traces are exported).
pub fn subgraph_headers(
    state: &RouterState,
    headers: &HeaderMap,
    trace: &TraceParent,
) -> HeaderMap {
    let mut forwarded = forwarded_headers(headers, &state.forward_headers);
    // Start a trace when the client did not: subgraph logs and the events
    // they emit then share one trace id.
    let forwards_trace = state.forward_headers.iter().any(|h| h == "traceparent");
    if forwards_trace && let Ok(value) = HeaderValue::from_str(&trace.to_string()) {
        forwarded.insert("traceparent", value);
    }
    forwarded
}

pub fn bad_request(message: impl Into<String>) -> RequestError {
    RequestError::new(RequestFailure::BadRequest, message, BAD_REQUEST)
}
