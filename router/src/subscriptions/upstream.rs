//! The router's side of a subgraph subscription: one graphql-transport-ws
//! connection per client subscription, carrying the client's
//! `Authorization` in `connection_init`.

use std::time::Duration;

use futures::{SinkExt, StreamExt};
use serde_json::{Map, Value, json};
use tokio::net::TcpStream;
use tokio_tungstenite::{
    MaybeTlsStream, WebSocketStream,
    tungstenite::{Message, client::IntoClientRequest, http::HeaderValue},
};

use crate::execution::subgraphs::SubgraphResponse;

const PROTOCOL: &str = "graphql-transport-ws";
/// The one operation id on an upstream connection.
const ID: &str = "1";

/// What the subgraph said next.
#[derive(Debug)]
pub enum Upstream {
    Next(SubgraphResponse),
    /// The subgraph refused or failed the operation (validation, FORBIDDEN…).
    Error(Vec<Map<String, Value>>),
    Complete,
    /// The connection broke: the subgraph went away or spoke nonsense.
    Lost(String),
}

pub struct UpstreamSubscription {
    socket: WebSocketStream<MaybeTlsStream<TcpStream>>,
}

impl UpstreamSubscription {
    /// Connects, initialises (waiting for the ack) and subscribes, all
    /// within `timeout`.
    pub async fn open(
        http_url: &str,
        signature: Option<HeaderValue>,
        traceparent: Option<HeaderValue>,
        init_payload: Value,
        query: &str,
        variables: Map<String, Value>,
        timeout: Duration,
    ) -> Result<Self, String> {
        let connecting =
            Self::connect(http_url, [signature, traceparent], init_payload, query, variables);
        tokio::time::timeout(timeout, connecting)
            .await
            .map_err(|_| "timed out opening the subscription".to_owned())?
    }

    /// `headers`: the request's signature and its W3C trace context, when
    /// there are.
    async fn connect(
        http_url: &str,
        [signature, traceparent]: [Option<HeaderValue>; 2],
        init_payload: Value,
        query: &str,
        variables: Map<String, Value>,
    ) -> Result<Self, String> {
        let url = websocket_url(http_url);
        let mut request = url.as_str().into_client_request().map_err(|e| e.to_string())?;
        request.headers_mut().insert("sec-websocket-protocol", HeaderValue::from_static(PROTOCOL));
        if let Some(signature) = signature {
            request.headers_mut().insert(server::signing::SIGNATURE_HEADER, signature);
        }
        if let Some(traceparent) = traceparent {
            request.headers_mut().insert("traceparent", traceparent);
        }
        // No Nagle: events are small and latency is the point.
        let (socket, _) = tokio_tungstenite::connect_async_with_config(request, None, true)
            .await
            .map_err(|e| e.to_string())?;
        let mut upstream = Self { socket };
        upstream.send(json!({ "type": "connection_init", "payload": init_payload })).await?;
        loop {
            match upstream.read().await? {
                Some(message) if message["type"] == "connection_ack" => break,
                Some(message) if message["type"] == "ping" => {
                    upstream.send(json!({ "type": "pong" })).await?;
                }
                Some(_) => {}
                None => return Err("the subgraph closed the connection during init".into()),
            }
        }
        upstream
            .send(json!({
                "id": ID,
                "type": "subscribe",
                "payload": { "query": query, "variables": variables },
            }))
            .await?;
        Ok(upstream)
    }

    pub async fn next(&mut self) -> Upstream {
        loop {
            let message = match self.read().await {
                Ok(Some(message)) => message,
                Ok(None) => return Upstream::Lost("the subgraph closed the connection".into()),
                Err(e) => return Upstream::Lost(e),
            };
            match message["type"].as_str() {
                Some("next") => {
                    return match serde_json::from_value(message["payload"].clone()) {
                        Ok(response) => Upstream::Next(response),
                        Err(e) => Upstream::Lost(format!("invalid payload: {e}")),
                    };
                }
                Some("error") => {
                    let errors = serde_json::from_value(message["payload"].clone())
                        .unwrap_or_else(|_| vec![Map::new()]);
                    return Upstream::Error(errors);
                }
                Some("complete") => return Upstream::Complete,
                Some("ping") => {
                    if let Err(e) = self.send(json!({ "type": "pong" })).await {
                        return Upstream::Lost(e);
                    }
                }
                _ => {}
            }
        }
    }

    /// Ends the operation politely; the connection closes when dropped.
    pub async fn complete(mut self) {
        let _ = self.send(json!({ "id": ID, "type": "complete" })).await;
        let _ = self.socket.close(None).await;
    }

    async fn send(&mut self, message: Value) -> Result<(), String> {
        self.socket.send(Message::text(message.to_string())).await.map_err(|e| e.to_string())
    }

    /// The next JSON message; `None` once the socket is closed.
    async fn read(&mut self) -> Result<Option<Value>, String> {
        loop {
            match self.socket.next().await {
                None | Some(Ok(Message::Close(_))) => return Ok(None),
                Some(Err(e)) => return Err(e.to_string()),
                Some(Ok(Message::Text(text))) => {
                    return serde_json::from_str(text.as_str())
                        .map(Some)
                        .map_err(|e| e.to_string());
                }
                Some(Ok(_)) => {}
            }
        }
    }
}

/// `http://host/graphql` → `ws://host/graphql` (and https → wss).
fn websocket_url(url: &str) -> String {
    if let Some(rest) = url.strip_prefix("https://") {
        format!("wss://{rest}")
    } else if let Some(rest) = url.strip_prefix("http://") {
        format!("ws://{rest}")
    } else {
        url.to_owned()
    }
}
