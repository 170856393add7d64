//! GraphQL over WebSocket for clients: graphql-transport-ws (the current
//! protocol) and graphql-ws (the legacy subscriptions-transport-ws), chosen
//! by the `Sec-WebSocket-Protocol` the client asks for.

use std::{collections::HashMap, future::poll_fn, sync::Arc, task::Poll, time::Duration};

use axum::{
    extract::ws::{CloseFrame, Message, WebSocket, WebSocketUpgrade},
    http::{HeaderMap, HeaderValue, header},
    response::Response,
};
use futures::{
    StreamExt,
    stream::{AbortHandle, BoxStream, SelectAll},
};
use serde_json::{Value, json};
use server::headers::authorization_in;
use server::telemetry::{self, TraceParent};
use tokio_util::sync::CancellationToken;

use super::wake_gate::WakeGate;
use crate::{
    admission::{Request, admit, auth, bad_request, subgraph_headers},
    error::GraphqlError,
    state::RouterState,
    subscriptions::{self, Event, Operation, errors_body},
};

const TRANSPORT_WS: &str = "graphql-transport-ws";
const LEGACY_WS: &str = "graphql-ws";
pub const TOO_MANY_SUBSCRIPTIONS: &str = "TOO_MANY_SUBSCRIPTIONS";

#[derive(Clone, Copy, PartialEq, Eq)]
enum Protocol {
    TransportWs,
    Legacy,
}

impl Protocol {
    fn next(self) -> &'static str {
        if self == Self::Legacy { "data" } else { "next" }
    }
}

pub fn upgrade(
    state: Arc<RouterState>,
    headers: HeaderMap,
    upgrade: WebSocketUpgrade,
    stopping: CancellationToken,
    peer: Option<std::net::SocketAddr>,
) -> Response {
    let upgrade = server::websocket::sized(upgrade, state.config.limits.max_body_bytes)
        .protocols([TRANSPORT_WS, LEGACY_WS]);
    let protocol = match upgrade.selected_protocol().and_then(|p| p.to_str().ok()) {
        Some(LEGACY_WS) => Protocol::Legacy,
        _ => Protocol::TransportWs,
    };
    // Kept as long as the connection: copied out of hyper's read buffer.
    let headers = server::headers::detached(&headers);
    upgrade.on_upgrade(move |socket| async move {
        let _open = state.metrics.websocket_opened();
        let mut connection = Connection::new(state, headers, socket, protocol);
        connection.peer = peer;
        connection.serve(stopping).await;
    })
}

/// One client connection and the operations running on it.
struct Connection {
    state: Arc<RouterState>,
    headers: HeaderMap,
    socket: WebSocket,
    protocol: Protocol,
    /// The connection_init payload, once received.
    init: Option<Value>,
    /// Operation id → (generation, stop). The generation tells a finished
    /// operation's late events from those of a new one reusing the id.
    active: HashMap<Arc<str>, (u64, AbortHandle)>,
    generation: u64,
    events: SelectAll<BoxStream<'static, (Arc<Running>, Event)>>,
    /// When the verified token expires: the connection is closed then.
    expires: Option<tokio::time::Instant>,
    /// The verified token's claims, for authorization.
    claims: Option<std::sync::Arc<auth::Claims>>,
    /// The client's address, for rate limits.
    peer: Option<std::net::SocketAddr>,
}

enum Flow {
    Continue,
    Close(u16, &'static str),
}

/// Which of the connection's timers woke it.
enum Timer {
    Stopped,
    Deadline,
    Heartbeat,
}

/// One running operation, as each of its events names it.
struct Running {
    id: Arc<str>,
    generation: u64,
    /// `{"id":…,"type":"next","payload":`, written once: each result is
    /// appended to it.
    next_prefix: Box<str>,
}

impl Running {
    /// The `next` message for `payload` (a result as JSON), in a buffer of
    /// exactly its size: the WebSocket takes it over without another
    /// allocation.
    fn next_message(&self, payload: &str) -> String {
        let mut message = String::with_capacity(self.next_prefix.len() + payload.len() + 1);
        message.push_str(&self.next_prefix);
        message.push_str(payload);
        message.push('}');
        message
    }
}

impl Connection {
    fn new(
        state: Arc<RouterState>,
        headers: HeaderMap,
        socket: WebSocket,
        protocol: Protocol,
    ) -> Self {
        Self {
            state,
            headers,
            socket,
            protocol,
            init: None,
            active: HashMap::new(),
            generation: 0,
            events: SelectAll::new(),
            expires: None,
            claims: None,
            peer: None,
        }
    }

    async fn serve(mut self, stopping: CancellationToken) {
        let config = self.state.config.subscriptions;
        // One deadline: connection_init's, then the token's expiry. It and
        // the shutdown wait live as long as the connection; made anew on
        // every turn of the loop, each would be registered with shared
        // state, and unregistered, once per event written.
        let deadline = tokio::time::sleep(Duration::from_millis(config.init_timeout_ms.max(1)));
        tokio::pin!(deadline);
        // A child of the server's token: polling it locks this connection's
        // node, not the one node all connections share.
        let stopping = stopping.child_token();
        let stopped = stopping.cancelled();
        tokio::pin!(stopped);
        let mut heartbeat =
            tokio::time::interval(Duration::from_millis(config.heartbeat_ms.max(100)));
        heartbeat.tick().await;
        // The task runs once per event written; the socket's read side and
        // the timers are polled only when they woke it (`wake_gate`).
        let (reading, timing) = (WakeGate::new(), WakeGate::new());
        let closing = loop {
            let flow = tokio::select! {
                incoming = poll_fn(|cx| reading.poll(cx, |cx| self.socket.poll_next_unpin(cx))) => {
                    match incoming {
                        // Boxed: admitting and planning need a large future,
                        // which would otherwise be part of every idle connection.
                        Some(Ok(Message::Text(text))) => {
                            let flow = Box::pin(self.on_message(text.as_str())).await;
                            // The message may have changed the deadline.
                            timing.open();
                            flow
                        }
                        Some(Ok(Message::Close(_))) | None | Some(Err(_)) => break None,
                        Some(Ok(_)) => Flow::Continue,
                    }
                }
                Some((operation, event)) = self.events.next(), if !self.events.is_empty() => {
                    self.on_event(&operation, event).await
                }
                timer = poll_fn(|cx| timing.poll(cx, |cx| {
                    let watching = self.init.is_none() || self.expires.is_some();
                    if stopped.as_mut().poll(cx).is_ready() {
                        Poll::Ready(Timer::Stopped)
                    } else if watching && deadline.as_mut().poll(cx).is_ready() {
                        Poll::Ready(Timer::Deadline)
                    } else {
                        heartbeat.poll_tick(cx).map(|_| Timer::Heartbeat)
                    }
                })) => match timer {
                    Timer::Stopped => Flow::Close(1001, "Going away"),
                    Timer::Deadline if self.init.is_none() => {
                        Flow::Close(4408, "Connection initialisation timeout")
                    }
                    Timer::Deadline => Flow::Close(4403, "Forbidden"),
                    Timer::Heartbeat => {
                        let message = match self.protocol {
                            Protocol::TransportWs => json!({ "type": "ping" }),
                            Protocol::Legacy => json!({ "type": "ka" }),
                        };
                        self.send(message).await
                    }
                }
            };
            if let Flow::Close(code, reason) = flow {
                break Some((code, reason));
            }
            if let Some(expires) = self.expires.filter(|at| *at != deadline.deadline()) {
                deadline.as_mut().reset(expires);
                timing.open();
            }
        };
        for (_, stop) in self.active.values() {
            stop.abort();
        }
        if let Some((code, reason)) = closing {
            let frame = CloseFrame { code, reason: reason.into() };
            let _ = self.socket.send(Message::Close(Some(frame))).await;
        }
    }

    async fn on_message(&mut self, text: &str) -> Flow {
        let Ok(message) = serde_json::from_str::<Value>(text) else {
            return Flow::Close(4400, "Invalid message received");
        };
        let id = message.get("id").and_then(Value::as_str).map(Arc::<str>::from);
        match (message.get("type").and_then(Value::as_str), id) {
            (Some("connection_init"), _) => {
                if self.init.is_some() {
                    return Flow::Close(4429, "Too many initialisation requests");
                }
                let payload = message.get("payload").cloned().unwrap_or(Value::Null);
                // The token in connection_init, or else the upgrade request's.
                let token = authorization_in(&payload)
                    .and_then(auth::bearer)
                    .or_else(|| auth::bearer_in(&self.headers))
                    .map(str::to_owned);
                let authenticator = self.state.authenticator.clone();
                let claims = match authenticator.authenticate(token.as_deref()).await {
                    Ok(claims) => claims,
                    Err(_) => return Flow::Close(4403, "Forbidden"),
                };
                self.expires = claims
                    .as_ref()
                    .and_then(|claims| auth::time_left(claims))
                    .map(|left| tokio::time::Instant::now() + left);
                self.headers =
                    authenticator.with_claims(&self.headers, claims.as_deref()).into_owned();
                self.init = Some(payload);
                self.send(json!({ "type": "connection_ack" })).await
            }
            (Some("ping"), _) => self.send(json!({ "type": "pong" })).await,
            (Some("pong"), _) => Flow::Continue,
            (Some("subscribe" | "start"), Some(id)) => {
                self.subscribe(id, message.get("payload").cloned().unwrap_or(Value::Null)).await
            }
            (Some("complete" | "stop"), Some(id)) => {
                if let Some((_, stop)) = self.active.remove(&id) {
                    stop.abort();
                }
                Flow::Continue
            }
            (Some("connection_terminate"), _) => Flow::Close(1000, "Normal Closure"),
            _ => Flow::Close(4400, "Invalid message received"),
        }
    }

    async fn subscribe(&mut self, id: Arc<str>, payload: Value) -> Flow {
        let Some(init) = &self.init else { return Flow::Close(4401, "Unauthorized") };
        if self.active.contains_key(&id) {
            // The protocol's wording, with the id left out of a static reason.
            return Flow::Close(4409, "Subscriber for this id already exists");
        }
        let limit = self.state.config.subscriptions.max_per_connection;
        if self.active.len() >= limit {
            let error = GraphqlError::new(
                format!("at most {limit} operations may run on one connection"),
                TOO_MANY_SUBSCRIPTIONS,
            );
            return self.send_error(&id, &[error]).await;
        }
        let limiter = &self.state.rate_limiter;
        if let Err(e) = limiter.check(&self.headers, self.peer, self.claims.as_deref()).await {
            return self.send_error(&id, &e.errors).await;
        }
        let request = match serde_json::from_value::<Request>(payload) {
            Ok(request) => request,
            Err(e) => {
                let error = bad_request(format!("the payload is not a GraphQL request: {e}"));
                return self.send_error(&id, &error.errors).await;
            }
        };
        let admitted = match admit(&self.state, request, self.claims.as_deref()).await {
            Ok(admitted) => admitted,
            Err(e) => return self.send_error(&id, &e.errors).await,
        };
        // Credentials come from connection_init (the contract), or else from
        // the upgrade request's headers.
        let mut headers = self.headers.clone();
        if let Some(value) = authorization_in(init).and_then(|v| HeaderValue::from_str(v).ok()) {
            headers.insert(header::AUTHORIZATION, value);
        }
        let span = super::request_span("subscription", None);
        let trace = telemetry::start(&span, TraceParent::from_headers(&headers));
        let forwarded = subgraph_headers(&self.state, &headers, &trace);
        let authorization = headers.get(header::AUTHORIZATION).and_then(|v| v.to_str().ok());
        let operation = Operation {
            admitted,
            authorization: authorization.map(str::to_owned),
            upstreams: self.state.upstreams.clone(),
            headers: forwarded,
            buffer_full: self.state.metrics.buffer_full_closes(),
            results_computed: self.state.metrics.results_computed(),
        };
        self.generation += 1;
        let running = Arc::new(Running {
            next_prefix: format!(
                r#"{{"id":{},"type":"{}","payload":"#,
                Value::from(&*id),
                self.protocol.next()
            )
            .into(),
            id,
            generation: self.generation,
        });
        // The connection's own task runs the operation as it polls its
        // events: no task per subscription. Aborting it (`complete`) ends
        // the stream, which drops it from `events` and leaves upstream.
        let (stream, stop) = futures::stream::abortable(subscriptions::events(operation, span));
        self.active.insert(running.id.clone(), (running.generation, stop));
        let active = self.state.metrics.subscription_started();
        let stream = stream.map(move |event| {
            let _counted = &active;
            (running.clone(), event)
        });
        self.events.push(stream.boxed());
        Flow::Continue
    }

    async fn on_event(&mut self, operation: &Running, event: Event) -> Flow {
        let id = &operation.id;
        if self.active.get(id).map(|(g, _)| *g) != Some(operation.generation) {
            return Flow::Continue;
        }
        match event {
            Event::Next(payload) => {
                self.state.metrics.subscription_event();
                // The result is JSON already: written in, not parsed again.
                self.send_text(operation.next_message(&payload)).await
            }
            Event::Error(errors) => {
                self.active.remove(id);
                self.send_error(id, &errors).await
            }
            Event::Complete => {
                self.active.remove(id);
                self.send(json!({ "id": id, "type": "complete" })).await
            }
        }
    }

    async fn send_error(&mut self, id: &str, errors: &[GraphqlError]) -> Flow {
        let payload = match self.protocol {
            Protocol::TransportWs => json!(errors),
            // The legacy protocol's error payload is one error object; send
            // the errors as a result, then complete.
            Protocol::Legacy => {
                let flow = self
                    .send(json!({ "id": id, "type": "data", "payload": errors_body(errors) }))
                    .await;
                if let Flow::Close(..) = flow {
                    return flow;
                }
                return self.send(json!({ "id": id, "type": "complete" })).await;
            }
        };
        self.send(json!({ "id": id, "type": "error", "payload": payload })).await
    }

    async fn send(&mut self, message: Value) -> Flow {
        self.send_text(message.to_string()).await
    }

    async fn send_text(&mut self, message: String) -> Flow {
        match self.socket.send(Message::Text(message.into())).await {
            Ok(()) => Flow::Continue,
            Err(_) => Flow::Close(1006, "send failed"),
        }
    }
}
