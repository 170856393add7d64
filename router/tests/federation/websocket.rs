//! A client WebSocket connection's timers and shutdown, which the
//! connection's task polls only after they woke it (`wake_gate`): the
//! `connection_init` deadline, the heartbeat (again and again, not once),
//! and the server stopping.

use std::time::Duration;

use futures::{SinkExt, StreamExt};
use router::RouterConfig;
use serde_json::{Value, json};
use tokio_tungstenite::tungstenite::Message;

use crate::helpers::{Federation, start_router, websocket};

type Socket =
    tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>>;

fn quick_timers() -> RouterConfig {
    let mut config = RouterConfig::default();
    config.subscriptions.init_timeout_ms = 300;
    config.subscriptions.heartbeat_ms = 100;
    config
}

/// The next JSON message, or the close code as `{"closed": code}`; None
/// after `within` without either.
async fn next(socket: &mut Socket, within: Duration) -> Option<Value> {
    let deadline = tokio::time::Instant::now() + within;
    loop {
        match tokio::time::timeout_at(deadline, socket.next()).await.ok()? {
            Some(Ok(Message::Text(text))) => return serde_json::from_str(text.as_str()).ok(),
            Some(Ok(Message::Close(frame))) => {
                return Some(json!({ "closed": frame.map(|f| u16::from(f.code)) }));
            }
            Some(Ok(_)) => {}
            None | Some(Err(_)) => return Some(json!({ "closed": null })),
        }
    }
}

async fn send(socket: &mut Socket, message: Value) {
    socket.send(Message::Text(message.to_string().into())).await.expect("sends");
}

#[tokio::test]
async fn a_connection_without_connection_init_is_closed_at_the_deadline() {
    let federation = Federation::start().await;
    let router = start_router(&federation.supergraph, quick_timers()).await;
    let mut socket = websocket(&router).await;
    let started = tokio::time::Instant::now();
    // Pings may come before it (the protocol allows them at any time).
    let closed = loop {
        let message = next(&mut socket, Duration::from_secs(5)).await.expect("a close");
        if message["type"] != "ping" {
            break message;
        }
    };
    assert_eq!(closed, json!({ "closed": 4408 }));
    assert!(started.elapsed() >= Duration::from_millis(250), "closed before its deadline");
}

#[tokio::test]
async fn an_initialised_connection_is_pinged_every_heartbeat_and_told_when_the_router_stops() {
    let federation = Federation::start().await;
    let router = start_router(&federation.supergraph, quick_timers()).await;
    let mut socket = websocket(&router).await;
    send(&mut socket, json!({ "type": "connection_init" })).await;
    assert_eq!(
        next(&mut socket, Duration::from_secs(5)).await,
        Some(json!({ "type": "connection_ack" }))
    );

    // Past the init deadline the connection stays open, pinged each time.
    for _ in 0..5 {
        let message = next(&mut socket, Duration::from_secs(2)).await;
        assert_eq!(message, Some(json!({ "type": "ping" })));
        send(&mut socket, json!({ "type": "pong" })).await;
    }
    // A query on the same connection still runs between pings.
    let query = json!({ "query": "{ __typename }" });
    send(&mut socket, json!({ "id": "q", "type": "subscribe", "payload": query })).await;
    let mut answered = Vec::new();
    while answered.len() < 2 {
        let message = next(&mut socket, Duration::from_secs(5)).await.expect("an answer");
        if message["type"] != "ping" {
            answered.push(message);
        }
    }
    assert_eq!(
        answered[0],
        json!({ "id": "q", "type": "next", "payload": { "data": { "__typename": "Query" } } })
    );
    assert_eq!(answered[1], json!({ "id": "q", "type": "complete" }));

    let stopping = tokio::spawn(router.stop());
    let closed = loop {
        let message = next(&mut socket, Duration::from_secs(5)).await.expect("a close");
        if message["type"] != "ping" {
            break message;
        }
    };
    assert_eq!(closed, json!({ "closed": 1001 }));
    stopping.await.expect("the router stops");
}
