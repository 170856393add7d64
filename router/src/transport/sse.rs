//! GraphQL over Server-Sent Events, distinct connections mode: one
//! operation per request, answered with `text/event-stream` carrying
//! `next` events and a final `complete` event.

use std::{convert::Infallible, time::Duration};

use axum::{
    http::{HeaderMap, header},
    response::{
        IntoResponse, Response,
        sse::{Event as SseEvent, KeepAlive, Sse},
    },
};
use futures::StreamExt;
use server::telemetry::{self, TraceParent};

use crate::{
    admission::{Admitted, subgraph_headers},
    state::RouterState,
    subscriptions::{self, Event, Operation, errors_body},
};

pub const EVENT_STREAM: &str = "text/event-stream";

/// Whether the client asked for an event stream.
pub fn wanted(headers: &HeaderMap) -> bool {
    headers
        .get(header::ACCEPT)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|accept| accept.contains(EVENT_STREAM))
}

pub fn respond(state: &RouterState, headers: &HeaderMap, admitted: Admitted) -> Response {
    let span = super::request_span("subscription", None);
    let trace = telemetry::start(&span, TraceParent::from_headers(headers));
    let forwarded = subgraph_headers(state, headers, &trace);
    let authorization = headers.get(header::AUTHORIZATION).and_then(|v| v.to_str().ok());
    let operation = Operation {
        admitted,
        authorization: authorization.map(str::to_owned),
        upstreams: state.upstreams.clone(),
        headers: forwarded,
        buffer_full: state.metrics.buffer_full_closes(),
        results_computed: state.metrics.results_computed(),
    };
    // The response body runs the operation as it is polled; the client
    // hanging up drops it, which ends the operation upstream.
    let active = state.metrics.subscription_started();
    let metrics = state.metrics.clone();
    let stream = subscriptions::events(operation, span)
        .flat_map(move |event| {
            let _counted = &active;
            let events = match event {
                Event::Next(payload) => {
                    metrics.subscription_event();
                    vec![next(payload)]
                }
                Event::Error(errors) => vec![next(errors_body(&errors).to_string()), complete()],
                Event::Complete => vec![complete()],
            };
            futures::stream::iter(events)
        })
        .map(Ok::<_, Infallible>);
    let heartbeat = Duration::from_millis(state.config.subscriptions.heartbeat_ms.max(100));
    Sse::new(stream).keep_alive(KeepAlive::new().interval(heartbeat)).into_response()
}

fn next(payload: impl AsRef<str>) -> SseEvent {
    SseEvent::default().event("next").data(payload.as_ref())
}

fn complete() -> SseEvent {
    SseEvent::default().event("complete").data("")
}
