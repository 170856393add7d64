//! A small graphql-transport-ws client for tests.

use std::time::Duration;

use futures::{SinkExt, StreamExt};
use serde_json::{Value, json};
use tokio::net::TcpStream;
use tokio_tungstenite::{
    MaybeTlsStream, WebSocketStream,
    tungstenite::{Message, client::IntoClientRequest, http::HeaderValue},
};

pub struct WsClient {
    socket: WebSocketStream<MaybeTlsStream<TcpStream>>,
}

impl WsClient {
    /// Connects to an `http://…/graphql` URL with `protocol` and, unless
    /// `init` is None, initialises with that payload and waits for the ack.
    pub async fn connect_with(url: &str, protocol: &str, init: Option<Value>) -> Self {
        Self::open(url, protocol, init, None).await
    }

    /// graphql-transport-ws straight to a service, with the upgrade signed
    /// as another service in this process would sign it.
    pub async fn connect_to_service(url: &str, token: Option<&str>) -> Self {
        let path = url.split_once("//").and_then(|(_, rest)| rest.find('/').map(|i| &rest[i..]));
        let signature = kit::testing::test_signer().sign("GET", path.unwrap_or("/"), None, b"");
        Self::open(url, "graphql-transport-ws", Some(init_payload(token)), Some(signature)).await
    }

    async fn open(
        url: &str,
        protocol: &str,
        init: Option<Value>,
        signature: Option<HeaderValue>,
    ) -> Self {
        let url = url.replacen("http://", "ws://", 1);
        let mut request = url.into_client_request().expect("request");
        request
            .headers_mut()
            .insert("sec-websocket-protocol", HeaderValue::from_str(protocol).expect("header"));
        if let Some(signature) = signature {
            request.headers_mut().insert(kit::http::signing::SIGNATURE_HEADER, signature);
        }
        // Sized as the router sizes its own: tungstenite's default read
        // buffer (128 KiB, zeroed on every read) made the load client of the
        // live_at_scale bench spend a third of the machine in memset.
        let config = tokio_tungstenite::tungstenite::protocol::WebSocketConfig::default()
            .read_buffer_size(server::websocket::READ_BUFFER_BYTES);
        let (socket, response) =
            tokio_tungstenite::connect_async_with_config(request, Some(config), true)
                .await
                .expect("connect");
        assert_eq!(
            response.headers().get("sec-websocket-protocol").and_then(|v| v.to_str().ok()),
            Some(protocol)
        );
        let mut client = Self { socket };
        if let Some(payload) = init {
            client.send(json!({ "type": "connection_init", "payload": payload })).await;
            let ack = client.message().await;
            assert_eq!(ack["type"], "connection_ack", "{ack}");
        }
        client
    }

    /// graphql-transport-ws with the token in connection_init's payload.
    pub async fn connect(url: &str, token: Option<&str>) -> Self {
        Self::connect_with(url, "graphql-transport-ws", Some(init_payload(token))).await
    }

    pub async fn subscribe(&mut self, id: &str, query: &str, variables: Value) {
        let payload = json!({ "query": query, "variables": variables });
        self.send(json!({ "id": id, "type": "subscribe", "payload": payload })).await;
    }

    pub async fn send(&mut self, message: Value) {
        self.socket.send(Message::text(message.to_string())).await.expect("send");
    }

    /// The next protocol message other than a ping (answered) or pong;
    /// panics after 20 s of silence. A close frame reads as
    /// `{"type": "closed", "code": …}`.
    pub async fn message(&mut self) -> Value {
        self.message_within(Duration::from_secs(20)).await.expect("a message within 20 s")
    }

    /// Like [`Self::message`], but None after `silence` without one.
    pub async fn message_within(&mut self, silence: Duration) -> Option<Value> {
        loop {
            let frame = tokio::time::timeout(silence, self.socket.next()).await.ok()?;
            match frame {
                Some(Ok(Message::Text(text))) => {
                    let message: Value = serde_json::from_str(text.as_str()).expect("json");
                    match message["type"].as_str() {
                        Some("ping") => self.send(json!({ "type": "pong" })).await,
                        Some("pong" | "ka") => {}
                        _ => return Some(message),
                    }
                }
                Some(Ok(Message::Close(frame))) => {
                    let code = frame.map(|f| u16::from(f.code));
                    return Some(json!({ "type": "closed", "code": code }));
                }
                None | Some(Err(_)) => return Some(json!({ "type": "closed", "code": null })),
                Some(Ok(_)) => {}
            }
        }
    }
}

/// `connection_init`'s payload: the token, if any.
fn init_payload(token: Option<&str>) -> Value {
    match token {
        Some(token) => json!({ "Authorization": format!("Bearer {token}") }),
        None => json!({}),
    }
}
