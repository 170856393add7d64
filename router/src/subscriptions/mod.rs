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
//! (`subscriptions.buffer` events). A client that stops reading until the
//! buffer is full gets one last result carrying a `SUBSCRIPTION_BUFFER_FULL`
//! error, then completion; the upstream subscription is closed. Nothing is
//! dropped silently, and a slow client never holds memory hostage.

mod upstream;

use axum::http::HeaderMap;
use serde_json::{Map, Value, json};
use tokio::sync::mpsc;
use tokio_util::sync::CancellationToken;

use crate::{
    admission::Admitted,
    error::{GraphqlError, SUBREQUEST_FAILED},
    planning::{
        Kind,
        plan_nodes::{FetchNode, PlanNode, QueryPlan},
    },
};
use upstream::{Upstream, UpstreamSubscription};

pub const BUFFER_FULL: &str = "SUBSCRIPTION_BUFFER_FULL";
/// Buffer slots kept for the closing messages (an error and completion).
const RESERVED: usize = 2;

/// What a transport tells its client about one operation.
#[derive(Debug)]
pub enum Event {
    /// One result: `{ errors?, data }`.
    Next(Value),
    /// The operation failed before producing any result.
    Error(Vec<GraphqlError>),
    Complete,
}

/// One client operation and what it runs with.
pub struct Operation {
    pub admitted: Admitted,
    /// Headers for subgraph requests (the client's `Authorization`…).
    pub headers: HeaderMap,
    /// The `connection_init` payload for the upstream subscription.
    pub init_payload: Value,
    /// Counts the subscription if it ends on a full buffer.
    pub buffer_full: prometheus_client::metrics::counter::Counter,
}

/// The channel an operation's events travel on, sized for `buffer` results.
pub fn channel(buffer: usize) -> (mpsc::Sender<Event>, mpsc::Receiver<Event>) {
    mpsc::channel(buffer.max(1) + RESERVED)
}

/// Runs `operation`, sending its events until it ends, `stop` is cancelled
/// or the receiver is dropped (the client went away).
pub async fn run(operation: Operation, events: mpsc::Sender<Event>, stop: CancellationToken) {
    let Operation { admitted, headers, init_payload, buffer_full } = operation;
    let (supergraph, prepared, variables) =
        (&admitted.supergraph, &admitted.prepared, &admitted.variables);
    let execution = admitted.execution(&headers);
    if prepared.kind != Kind::Subscription {
        let result = execution.run().await;
        let _ = events.send(Event::Next(result.into_body())).await;
        let _ = events.send(Event::Complete).await;
        return;
    }
    let Some(primary) = primary_fetch(&prepared.plan) else {
        let error =
            GraphqlError::new("this subscription cannot be planned", "OPERATION_NOT_SUPPORTED");
        let _ = events.send(Event::Error(vec![error])).await;
        return;
    };
    let service = primary.service_name.as_str();
    let Some(endpoint) = supergraph.subgraphs.endpoint(service) else {
        let _ = events.send(Event::Error(vec![unavailable(service)])).await;
        return;
    };
    let upstream_variables: Map<String, Value> = primary
        .variable_usages
        .iter()
        .flatten()
        .filter_map(|name| variables.get(name).map(|v| (name.clone(), v.clone())))
        .collect();
    let opened = UpstreamSubscription::open(
        &endpoint.url,
        supergraph.subgraphs.upgrade_signature(endpoint),
        headers.get("traceparent").cloned(),
        init_payload,
        &primary.operation.document_str,
        upstream_variables,
        endpoint.timeout,
    )
    .await;
    let mut upstream = match opened {
        Ok(upstream) => upstream,
        Err(e) => {
            tracing::warn!(service, error = %e, "could not open the upstream subscription");
            let _ = events.send(Event::Error(vec![unavailable(service)])).await;
            return;
        }
    };
    loop {
        let message = tokio::select! {
            () = stop.cancelled() => break,
            () = events.closed() => break,
            message = upstream.next() => message,
        };
        match message {
            Upstream::Next(response) => {
                let result = execution.run_event(primary, response).await;
                if events.capacity() <= RESERVED {
                    tracing::warn!(service, "subscriber too slow; ending its subscription");
                    buffer_full.inc();
                    let error = GraphqlError::new(
                        "the client did not keep up with this subscription's events",
                        BUFFER_FULL,
                    );
                    let _ = events.send(Event::Next(json!({ "errors": [error] }))).await;
                    let _ = events.send(Event::Complete).await;
                    break;
                }
                let _ = events.send(Event::Next(result.into_body())).await;
            }
            Upstream::Error(errors) => {
                let errors = errors.into_iter().map(|e| refused(e, service)).collect();
                let _ = events.send(Event::Error(errors)).await;
                return;
            }
            Upstream::Complete => {
                let _ = events.send(Event::Complete).await;
                return;
            }
            Upstream::Lost(reason) => {
                tracing::warn!(service, %reason, "upstream subscription lost");
                let mut error = GraphqlError::new(
                    format!("subgraph `{service}` ended the subscription unexpectedly"),
                    SUBREQUEST_FAILED,
                );
                error.extensions.insert("serviceName".into(), Value::from(service));
                let _ = events.send(Event::Next(json!({ "errors": [error] }))).await;
                let _ = events.send(Event::Complete).await;
                return;
            }
        }
    }
    upstream.complete().await;
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

/// The subgraph-side payload: just the client's credentials.
pub fn upstream_init(authorization: Option<&str>) -> Value {
    match authorization {
        Some(value) => json!({ "Authorization": value }),
        None => json!({}),
    }
}

/// An `Event::Error` as a result, for transports with no error message.
pub fn errors_body(errors: &[GraphqlError]) -> Value {
    json!({ "errors": errors })
}
