//! Running streaming operations, whatever transport carries them
//! (`transport::ws` for graphql-transport-ws and graphql-ws, `transport::sse`
//! for SSE): an admitted operation in, a channel of `Event`s out.
//!
//! The hive planner gives a subscription a `Subscription` node (the owning
//! subgraph's root fetch) plus follow-up fetches. The router opens the
//! upstream subscription and, for every event, runs the follow-ups on the
//! event's data, batched like a query, and shapes the result.
//!
//! Backpressure: each client operation's queue of upstream events is
//! bounded (`subscriptions.buffer` events and `subscriptions.buffer_bytes`
//! of them, `upstream`). The client's own task takes events off it as fast
//! as it writes to the client; a client that stops reading until the queue
//! is full gets one last result carrying a `SUBSCRIPTION_BUFFER_FULL`
//! error, then completion, and leaves the upstream operation. Nothing is
//! dropped silently, and a slow client never holds memory hostage (queued
//! events are shared with the operation's other members).

mod results;
mod upstream;

use std::{collections::VecDeque, sync::Arc};

use axum::http::HeaderMap;
use futures::{StreamExt, stream::BoxStream};
use serde_json::{Map, Value, json};
use tracing::Instrument;

use crate::{
    admission::Admitted,
    error::{GraphqlError, SUBREQUEST_FAILED},
    planning::{
        Kind,
        plan_nodes::{FetchNode, PlanNode, QueryPlan},
    },
};
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

/// `operation`'s events, until it ends; dropping the stream ends it (and
/// leaves its upstream operation).
///
/// The stream is polled by the task that writes to the client (a
/// WebSocket connection's, an SSE response's): no task of its own, and no
/// queue between computing a result and writing it. The queue is the
/// upstream feed's, bounded in events and bytes (`upstream`).
/// Its work (the upstream subscription, follow-up fetches) is done in
/// `span`.
pub fn events(operation: Operation, span: tracing::Span) -> BoxStream<'static, Event> {
    let first = (Step::Start(Box::new(operation)), span);
    futures::stream::unfold(first, |(step, span)| {
        let work = async move {
            match step {
                Step::Start(operation) => start(*operation).await,
                Step::Live(live) => live.next().await,
                Step::Finish(mut rest) => rest.pop_front().map(|event| (event, Step::Finish(rest))),
            }
        };
        let current = span.clone();
        async move { work.instrument(current).await.map(|(event, step)| (event, (step, span))) }
    })
    .boxed()
}

enum Step {
    Start(Box<Operation>),
    Live(Box<Live>),
    /// The last events, then the end.
    Finish(VecDeque<Event>),
}

fn finish(events: impl IntoIterator<Item = Event>) -> Option<(Event, Step)> {
    let mut events: VecDeque<Event> = events.into_iter().collect();
    events.pop_front().map(|event| (event, Step::Finish(events)))
}

/// A subscription whose upstream operation is open.
struct Live {
    admitted: Admitted,
    headers: HeaderMap,
    result_key: Arc<ResultKey>,
    feed: upstream::Feed,
    service: String,
    buffer_full: prometheus_client::metrics::counter::Counter,
    results_computed: prometheus_client::metrics::counter::Counter,
}

/// Opens the upstream subscription (or runs a query or mutation), then
/// waits for the first event.
async fn start(operation: Operation) -> Option<(Event, Step)> {
    let Operation { admitted, headers, authorization, upstreams, buffer_full, results_computed } =
        operation;
    let (supergraph, prepared, variables) =
        (&admitted.supergraph, &admitted.prepared, &admitted.variables);
    if prepared.kind != Kind::Subscription {
        let result = Box::pin(admitted.execution(&headers).run()).await;
        return finish([Event::next(&result.into_body()), Event::Complete]);
    }
    let Some(primary) = primary_fetch(&prepared.plan) else {
        let error =
            GraphqlError::new("this subscription cannot be planned", "OPERATION_NOT_SUPPORTED");
        return finish([Event::Error(vec![error])]);
    };
    let service = primary.service_name.clone();
    let Some(endpoint) = supergraph.subgraphs.endpoint(&service) else {
        return finish([Event::Error(vec![unavailable(&service)])]);
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
    let feed = match opened {
        Ok(feed) => feed,
        Err(e) => {
            tracing::warn!(service, error = %e, "could not open the upstream subscription");
            return finish([Event::Error(vec![unavailable(&service)])]);
        }
    };
    let result_key = results::intern(ResultKey::new(
        prepared.clone(),
        variables.clone(),
        &headers,
        admitted.denied.clone(),
    ));
    let live = Live { admitted, headers, result_key, feed, service, buffer_full, results_computed };
    Box::new(live).next().await
}

impl Live {
    /// The next event's result, or how the subscription ended.
    async fn next(mut self: Box<Self>) -> Option<(Event, Step)> {
        let message = match self.feed.next().await {
            Ok(message) => message,
            Err(FeedEnd::TooSlow) => return finish(self.too_slow()),
        };
        let service = self.service.as_str();
        match &*message {
            Upstream::Next(response, results) => {
                let primary = primary_fetch(&self.admitted.prepared.plan)?;
                let execution = self.admitted.execution(&self.headers);
                let computed = &self.results_computed;
                let result = results
                    .get_or_run(&self.result_key, || async {
                        // Boxed: a large future, kept out of the stream's
                        // state between events.
                        let executed =
                            Box::pin(execution.run_event(primary, response.clone())).await;
                        computed.inc();
                        Arc::from(executed.into_body().to_string())
                    })
                    .await;
                Some((Event::Next(result), Step::Live(self)))
            }
            Upstream::Error(errors) => {
                let errors = errors.iter().cloned().map(|e| refused(e, service)).collect();
                finish([Event::Error(errors)])
            }
            Upstream::Complete => finish([Event::Complete]),
            Upstream::Lost(reason) => {
                tracing::warn!(service, %reason, "upstream subscription lost");
                let mut error = GraphqlError::new(
                    format!("subgraph `{service}` ended the subscription unexpectedly"),
                    SUBREQUEST_FAILED,
                );
                error.extensions.insert("serviceName".into(), Value::from(service));
                finish([Event::next(&json!({ "errors": [error] })), Event::Complete])
            }
        }
    }

    /// A subscription whose client did not keep up: one last result with
    /// the error, then completion.
    fn too_slow(&self) -> [Event; 2] {
        tracing::warn!(service = self.service, "subscriber too slow; ending its subscription");
        self.buffer_full.inc();
        let error = GraphqlError::new(
            "the client did not keep up with this subscription's events",
            BUFFER_FULL,
        );
        [Event::next(&json!({ "errors": [error] })), Event::Complete]
    }
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
