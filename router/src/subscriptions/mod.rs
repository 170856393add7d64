//! Running streaming operations, whatever transport carries them
//! (`transport::ws` for graphql-transport-ws and graphql-ws, `transport::sse`
//! for SSE): an admitted operation in, a channel of `Event`s out.
//!
//! The hive planner gives a subscription a `Subscription` node (the owning
//! subgraph's root fetch) plus follow-up fetches. The router opens the
//! upstream subscription and, for every event, runs the follow-ups on the
//! event's data, batched like a query, and shapes the result.
//!
//! Backpressure: each client operation has a bounded buffer
//! (`subscriptions.buffer` results and `subscriptions.buffer_bytes` bytes,
//! `queue`). A client that stops reading until the buffer is full gets one
//! last result carrying a `SUBSCRIPTION_BUFFER_FULL` error, then
//! completion; the upstream subscription is closed. Nothing is dropped
//! silently, and a slow client never holds memory hostage.

mod queue;
mod results;
mod upstream;

use axum::http::HeaderMap;
use serde_json::{Map, Value, json};
use std::sync::Arc;
use tokio_util::sync::CancellationToken;

use crate::{
    admission::Admitted,
    error::{GraphqlError, SUBREQUEST_FAILED},
    planning::{
        Kind,
        plan_nodes::{FetchNode, PlanNode, QueryPlan},
    },
};
pub use queue::{EventSender, channel};
use results::ResultKey;
use upstream::{FeedEnd, Upstream};
pub use upstream::{PoolSettings, ReplayLimit, UpstreamPool};

pub const BUFFER_FULL: &str = "SUBSCRIPTION_BUFFER_FULL";

/// What a transport tells its client about one operation.
#[derive(Debug)]
pub enum Event {
    /// One result, `{ errors?, data }`, written as JSON (shared by the
    /// subscribers whose results are the same).
    Next(Arc<str>),
    /// The operation failed before producing any result.
    Error(Vec<GraphqlError>),
    Complete,
}

impl Event {
    pub fn next(result: &Value) -> Self {
        Self::Next(result.to_string().into())
    }

    /// What it holds in the client's queue.
    fn bytes(&self) -> usize {
        match self {
            Self::Next(json) => json.len(),
            Self::Error(_) | Self::Complete => 0,
        }
    }
}

/// One client operation and what it runs with.
pub struct Operation {
    pub admitted: Admitted,
    /// Headers for subgraph requests (the client's `Authorization`…).
    pub headers: HeaderMap,
    /// The client's `Authorization`, named in the upstream operation.
    pub authorization: Option<String>,
    pub upstreams: std::sync::Arc<UpstreamPool>,
    /// Counts the subscription if it ends on a full buffer.
    pub buffer_full: prometheus_client::metrics::counter::Counter,
    /// Counts the results computed (not those shared).
    pub results_computed: prometheus_client::metrics::counter::Counter,
}

/// Runs `operation`, sending its events until it ends, `stop` is cancelled
/// or the receiver is dropped (the client went away).
pub async fn run(operation: Operation, events: EventSender, stop: CancellationToken) {
    let Operation { admitted, headers, authorization, upstreams, buffer_full, results_computed } =
        operation;
    let (supergraph, prepared, variables) =
        (&admitted.supergraph, &admitted.prepared, &admitted.variables);
    let execution = admitted.execution(&headers);
    let result_key = Arc::new(ResultKey::new(
        prepared.clone(),
        variables.clone(),
        &headers,
        admitted.denied.clone(),
    ));
    if prepared.kind != Kind::Subscription {
        let result = Box::pin(execution.run()).await;
        events.send(Event::next(&result.into_body())).await;
        events.send(Event::Complete).await;
        return;
    }
    let Some(primary) = primary_fetch(&prepared.plan) else {
        let error =
            GraphqlError::new("this subscription cannot be planned", "OPERATION_NOT_SUPPORTED");
        events.send(Event::Error(vec![error])).await;
        return;
    };
    let service = primary.service_name.as_str();
    let Some(endpoint) = supergraph.subgraphs.endpoint(service) else {
        events.send(Event::Error(vec![unavailable(service)])).await;
        return;
    };
    let upstream_variables: Map<String, Value> = primary
        .variable_usages
        .iter()
        .flatten()
        .filter_map(|name| variables.get(name).map(|v| (name.clone(), v.clone())))
        .collect();
    let query = primary.operation.document_str.as_str();
    let variables_json = Value::Object(upstream_variables).to_string();
    let authorization = authorization.map(|value| {
        let signature =
            supergraph.subgraphs.operation_signature(endpoint, &value, query, &variables_json);
        (value, signature)
    });
    let opened = Box::pin(upstreams.subscribe(upstream::Subscribe {
        url: &endpoint.url,
        upgrade_signature: supergraph.subgraphs.upgrade_signature(endpoint),
        traceparent: headers.get("traceparent").cloned(),
        query,
        variables_json,
        authorization,
        timeout: endpoint.timeout,
    }))
    .await;
    let mut upstream = match opened {
        Ok(upstream) => upstream,
        Err(e) => {
            tracing::warn!(service, error = %e, "could not open the upstream subscription");
            events.send(Event::Error(vec![unavailable(service)])).await;
            return;
        }
    };
    loop {
        let message = tokio::select! {
            () = stop.cancelled() => break,
            () = events.closed() => break,
            message = upstream.next() => message,
        };
        let message = match message {
            Ok(message) => message,
            Err(FeedEnd::TooSlow) => {
                end_too_slow(&events, &buffer_full, service).await;
                return;
            }
        };
        match &*message {
            Upstream::Next(response, results) => {
                let result = results
                    .get_or_run(&result_key, || async {
                        // Boxed, like the other large futures here: a task's
                        // size is its largest state, and this one lives as
                        // long as the subscription.
                        let executed =
                            Box::pin(execution.run_event(primary, response.clone())).await;
                        results_computed.inc();
                        Arc::from(executed.into_body().to_string())
                    })
                    .await;
                let result = Event::Next(result);
                if !events.has_room(result.bytes()) {
                    end_too_slow(&events, &buffer_full, service).await;
                    return;
                }
                events.send(result).await;
            }
            Upstream::Error(errors) => {
                let errors = errors.iter().cloned().map(|e| refused(e, service)).collect();
                events.send(Event::Error(errors)).await;
                return;
            }
            Upstream::Complete => {
                events.send(Event::Complete).await;
                return;
            }
            Upstream::Lost(reason) => {
                tracing::warn!(service, %reason, "upstream subscription lost");
                let mut error = GraphqlError::new(
                    format!("subgraph `{service}` ended the subscription unexpectedly"),
                    SUBREQUEST_FAILED,
                );
                error.extensions.insert("serviceName".into(), Value::from(service));
                events.send(Event::next(&json!({ "errors": [error] }))).await;
                events.send(Event::Complete).await;
                return;
            }
        }
    }
}

/// Ends a subscription whose client did not keep up: one last result with
/// the error, then completion.
async fn end_too_slow(
    events: &EventSender,
    buffer_full: &prometheus_client::metrics::counter::Counter,
    service: &str,
) {
    tracing::warn!(service, "subscriber too slow; ending its subscription");
    buffer_full.inc();
    let error = GraphqlError::new(
        "the client did not keep up with this subscription's events",
        BUFFER_FULL,
    );
    events.send(Event::next(&json!({ "errors": [error] }))).await;
    events.send(Event::Complete).await;
}

/// The plan's Subscription node: the root, or the first of a sequence.
fn primary_fetch(plan: &QueryPlan) -> Option<&FetchNode> {
    match plan.node.as_ref()? {
        PlanNode::Subscription(node) => Some(&node.primary),
        PlanNode::Sequence(sequence) => match sequence.nodes.first()? {
            PlanNode::Subscription(node) => Some(&node.primary),
            _ => None,
        },
        _ => None,
    }
}

fn unavailable(service: &str) -> GraphqlError {
    let mut error =
        GraphqlError::new(format!("subgraph `{service}` is unavailable"), SUBREQUEST_FAILED);
    error.extensions.insert("serviceName".into(), Value::from(service));
    error
}

/// A subgraph's refusal (FORBIDDEN, NOT_FOUND…) as the client sees it.
fn refused(raw: Map<String, Value>, service: &str) -> GraphqlError {
    crate::execution::subgraph_error(raw, service, |path| Some(path.to_vec()))
}

/// An `Event::Error` as a result, for transports with no error message.
pub fn errors_body(errors: &[GraphqlError]) -> Value {
    json!({ "errors": errors })
}
