//! One graphql-transport-ws connection to a subgraph, carrying many
//! operations. A task owns the socket and every operation's state: it
//! sends `subscribe`s and `complete`s as the pool asks, and fans each
//! message out to the operation's members (more than one when identical
//! subscriptions share it). Nothing else touches the socket, so there are
//! no locks on the event path.

use std::{
    collections::HashMap,
    sync::{
        Arc,
        atomic::{AtomicUsize, Ordering},
    },
    time::Duration,
};

use futures::{SinkExt, StreamExt};
use serde_json::{Value, json};
use tokio::{
    net::TcpStream,
    sync::{mpsc, oneshot},
};
use tokio_tungstenite::{
    MaybeTlsStream, WebSocketStream,
    tungstenite::{
        Message, client::IntoClientRequest, http::HeaderValue, protocol::WebSocketConfig,
    },
};

use super::{SharedKey, SharedResults, Upstream, pool::PoolState};

const PROTOCOL: &str = "graphql-transport-ws";
/// How long a connection with no operations stays open for the next one.
const IDLE_CLOSE: Duration = Duration::from_secs(10);

type Socket = WebSocketStream<MaybeTlsStream<TcpStream>>;

/// One client operation's end of an upstream operation: a queue bounded
/// in events (the channel) and in the bytes they were received as.
pub struct Member {
    pub id: u64,
    pub events: mpsc::Sender<(Arc<Upstream>, usize)>,
    /// Bytes queued and not yet taken by the client's task.
    pub queued: Arc<AtomicUsize>,
    pub max_bytes: usize,
}

impl Member {
    /// Queues `event` (`bytes` as received); `false` when the queue is full
    /// in events or bytes (one event larger than the budget still goes
    /// through an empty queue).
    pub fn offer(&self, event: &Arc<Upstream>, bytes: usize) -> bool {
        let queued = self.queued.load(Ordering::Acquire);
        if queued != 0 && queued.saturating_add(bytes) > self.max_bytes {
            return false;
        }
        self.queued.fetch_add(bytes, Ordering::AcqRel);
        if self.events.try_send((event.clone(), bytes)).is_err() {
            self.queued.fetch_sub(bytes, Ordering::AcqRel);
            return false;
        }
        true
    }
}

pub enum Command {
    /// Start upstream operation `id` (`message` is its `subscribe`).
    Subscribe { id: u64, message: String, key: SharedKey, member: Member },
    /// Add a member to a running operation: `false` when it has ended or
    /// can no longer replay what it has sent so far.
    Join { id: u64, member: Member, joined: oneshot::Sender<bool> },
    /// A member went away; the last one ends the operation upstream.
    Leave { id: u64, member: u64 },
}

/// How the pool reaches a connection.
#[derive(Clone)]
pub struct ConnectionHandle {
    pub number: u64,
    pub commands: mpsc::UnboundedSender<Command>,
    /// Operations assigned to it; the pool counts up under its lock, so a
    /// connection that finds zero under that lock may close.
    pub operations: Arc<AtomicUsize>,
}

/// What a late member is sent first, so it sees what a subscription of its
/// own would have: at most this many events and bytes. Past either, the
/// operation takes no new members (they get an operation of their own).
#[derive(Debug, Clone, Copy)]
pub struct ReplayLimit {
    pub events: usize,
    pub bytes: usize,
}

struct Operation {
    key: SharedKey,
    members: Vec<Member>,
    replay: Option<Replay>,
}

#[derive(Default)]
struct Replay {
    /// Each event with its size as received.
    events: Vec<(Arc<Upstream>, usize)>,
    bytes: usize,
}

/// Connects and initialises within `timeout`. `headers`: the upgrade's
/// signature and W3C trace context, when there are.
pub async fn open(
    http_url: &str,
    headers: [Option<HeaderValue>; 2],
    timeout: Duration,
) -> Result<Socket, String> {
    tokio::time::timeout(timeout, connect(http_url, headers))
        .await
        .map_err(|_| "timed out opening the subscription connection".to_owned())?
}

async fn connect(
    http_url: &str,
    [signature, traceparent]: [Option<HeaderValue>; 2],
) -> Result<Socket, String> {
    let url = websocket_url(http_url);
    let mut request = url.as_str().into_client_request().map_err(|e| e.to_string())?;
    request.headers_mut().insert("sec-websocket-protocol", HeaderValue::from_static(PROTOCOL));
    if let Some(signature) = signature {
        request.headers_mut().insert(server::signing::SIGNATURE_HEADER, signature);
    }
    if let Some(traceparent) = traceparent {
        request.headers_mut().insert("traceparent", traceparent);
    }
    let config = WebSocketConfig::default()
        .read_buffer_size(server::websocket::READ_BUFFER_BYTES)
        .write_buffer_size(server::websocket::WRITE_BUFFER_BYTES);
    // No Nagle: events are small and latency is the point.
    let (mut socket, _) = tokio_tungstenite::connect_async_with_config(request, Some(config), true)
        .await
        .map_err(|e| e.to_string())?;
    // The connection is the router's; each operation names its own user.
    send(&mut socket, json!({ "type": "connection_init", "payload": {} }).to_string()).await?;
    loop {
        match read(&mut socket).await?.map(|(message, _)| message) {
            Some(message) if message["type"] == "connection_ack" => return Ok(socket),
            Some(message) if message["type"] == "ping" => {
                send(&mut socket, json!({ "type": "pong" }).to_string()).await?;
            }
            Some(_) => {}
            None => return Err("the subgraph closed the connection during init".into()),
        }
    }
}

/// Runs the connection until it breaks, the pool drops it, or it has been
/// idle for `IDLE_CLOSE` and the pool lets it go.
pub async fn serve(
    mut socket: Socket,
    mut commands: mpsc::UnboundedReceiver<Command>,
    handle: ConnectionHandle,
    url: String,
    pool: Arc<PoolState>,
    replay_limit: ReplayLimit,
) {
    let mut connection = Connection { operations: HashMap::new(), handle, pool, replay_limit };
    let idle = tokio::time::sleep(IDLE_CLOSE);
    tokio::pin!(idle);
    let reason = loop {
        tokio::select! {
            command = commands.recv() => {
                let Some(command) = command else { break "the router stopped".to_owned() };
                if let Err(e) = connection.on_command(&mut socket, command).await {
                    break e;
                }
            }
            message = read(&mut socket) => match message {
                Ok(Some((message, size))) => {
                    if let Err(e) = connection.on_message(&mut socket, message, size).await {
                        break e;
                    }
                }
                Ok(None) => break "the subgraph closed the connection".to_owned(),
                Err(e) => break e,
            },
            () = &mut idle, if connection.operations.is_empty() => {
                if connection.pool.retire(&url, &connection.handle) {
                    break String::new();
                }
            }
        }
        if !connection.operations.is_empty() {
            idle.as_mut().reset(tokio::time::Instant::now() + IDLE_CLOSE);
        }
    };
    // No new operations come here now; what is queued still needs an end.
    connection.pool.retire_broken(&url, &connection.handle);
    commands.close();
    while let Ok(command) = commands.try_recv() {
        if let Command::Subscribe { member, .. } | Command::Join { member, .. } = command {
            let _ = member.offer(&Arc::new(Upstream::Lost(reason.clone())), 0);
        }
    }
    connection.lose_all(&reason);
    let _ = socket.close(None).await;
}

struct Connection {
    operations: HashMap<u64, Operation>,
    handle: ConnectionHandle,
    pool: Arc<PoolState>,
    replay_limit: ReplayLimit,
}

impl Connection {
    async fn on_command(&mut self, socket: &mut Socket, command: Command) -> Result<(), String> {
        match command {
            Command::Subscribe { id, message, key, member } => {
                send(socket, message).await?;
                let operation =
                    Operation { key, members: vec![member], replay: Some(Replay::default()) };
                self.operations.insert(id, operation);
            }
            Command::Join { id, member, joined } => {
                let accepted = match self.operations.get_mut(&id) {
                    Some(Operation { replay: Some(replay), members, .. })
                        if replay
                            .events
                            .iter()
                            .all(|(event, bytes)| member.offer(event, *bytes)) =>
                    {
                        members.push(member);
                        true
                    }
                    _ => false,
                };
                let _ = joined.send(accepted);
            }
            Command::Leave { id, member } => {
                let Some(operation) = self.operations.get_mut(&id) else { return Ok(()) };
                operation.members.retain(|m| m.id != member);
                if operation.members.is_empty() {
                    self.end(id);
                    send(socket, json!({ "id": id.to_string(), "type": "complete" }).to_string())
                        .await?;
                }
            }
        }
        Ok(())
    }

    /// `size`: the message's length as received, counted against the
    /// replay limit.
    async fn on_message(
        &mut self,
        socket: &mut Socket,
        mut message: Value,
        size: usize,
    ) -> Result<(), String> {
        let id = message["id"].as_str().and_then(|id| id.parse::<u64>().ok());
        let (event, last) = match message["type"].as_str() {
            Some("next") => match serde_json::from_value(message["payload"].take()) {
                Ok(response) => (Upstream::Next(response, SharedResults::default()), false),
                Err(e) => return Err(format!("invalid payload: {e}")),
            },
            Some("error") => {
                let errors = serde_json::from_value(message["payload"].take())
                    .unwrap_or_else(|_| vec![serde_json::Map::new()]);
                (Upstream::Error(errors), true)
            }
            Some("complete") => (Upstream::Complete, true),
            Some("ping") => return send(socket, json!({ "type": "pong" }).to_string()).await,
            _ => return Ok(()),
        };
        let Some(id) = id else { return Ok(()) };
        let Some(operation) = self.operations.get_mut(&id) else { return Ok(()) };
        let event = Arc::new(event);
        if let Some(replay) = &mut operation.replay {
            replay.events.push((event.clone(), size));
            replay.bytes += size;
            if replay.events.len() > self.replay_limit.events
                || replay.bytes > self.replay_limit.bytes
            {
                // Too much to replay: later identical subscriptions get
                // their own upstream operation.
                operation.replay = None;
                self.pool.forget(&operation.key, self.handle.number, id);
            }
        }
        // A member whose queue is full is dropped: its feed ends, and the
        // client is told it did not keep up.
        operation.members.retain(|member| member.offer(&event, size));
        if last {
            self.end(id);
        } else if operation.members.is_empty() {
            self.end(id);
            send(socket, json!({ "id": id.to_string(), "type": "complete" }).to_string()).await?;
        }
        Ok(())
    }

    fn end(&mut self, id: u64) {
        if let Some(operation) = self.operations.remove(&id) {
            self.pool.forget(&operation.key, self.handle.number, id);
            self.handle.operations.fetch_sub(1, Ordering::AcqRel);
        }
    }

    fn lose_all(&mut self, reason: &str) {
        let lost = Arc::new(Upstream::Lost(reason.to_owned()));
        for (id, operation) in std::mem::take(&mut self.operations) {
            self.pool.forget(&operation.key, self.handle.number, id);
            for member in operation.members {
                let _ = member.offer(&lost, 0);
            }
        }
    }
}

async fn send(socket: &mut Socket, text: String) -> Result<(), String> {
    socket.send(Message::text(text)).await.map_err(|e| e.to_string())
}

/// The next JSON message and its length; `None` once the socket is closed.
async fn read(socket: &mut Socket) -> Result<Option<(Value, usize)>, String> {
    loop {
        match socket.next().await {
            None | Some(Ok(Message::Close(_))) => return Ok(None),
            Some(Err(e)) => return Err(e.to_string()),
            Some(Ok(Message::Text(text))) => {
                return serde_json::from_str(text.as_str())
                    .map(|message| Some((message, text.len())))
                    .map_err(|e| e.to_string());
            }
            Some(Ok(_)) => {}
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
