//! The router's upstream subscription connections: a few per subgraph,
//! each carrying up to `operations_per_connection` operations, and one
//! upstream operation for identical subscriptions (same subgraph, query,
//! variables and user) while it can replay what it has sent.

use std::{
    collections::HashMap,
    sync::{
        Arc, Mutex, MutexGuard,
        atomic::{AtomicU64, AtomicUsize, Ordering},
    },
    time::Duration,
};

use serde_json::{Map, Value, json};
use tokio::sync::{mpsc, oneshot};
use tokio_tungstenite::tungstenite::http::HeaderValue;

use super::{
    Feed, Membership, SharedKey,
    connection::{self, Command, ConnectionHandle, Member, ReplayLimit},
};

#[derive(Debug, Clone, Copy)]
pub struct PoolSettings {
    pub operations_per_connection: usize,
    pub deduplicate: bool,
    pub replay: ReplayLimit,
    /// Events queued per member before it counts as too slow.
    pub member_buffer: usize,
    /// Bytes of events (as received) queued per member before it counts
    /// as too slow.
    pub member_bytes: usize,
}

type Receiver = mpsc::Receiver<(Arc<super::Upstream>, usize)>;

/// One client operation's upstream request.
pub struct Subscribe<'a> {
    pub url: &'a str,
    /// A fresh upgrade signature, used if a connection must be opened.
    pub upgrade_signature: Option<HeaderValue>,
    pub traceparent: Option<HeaderValue>,
    pub query: &'a str,
    /// The variables as JSON, as the operation's signature covers them.
    pub variables_json: String,
    /// The end user's `Authorization`, and its per-operation signature.
    pub authorization: Option<(String, Option<HeaderValue>)>,
    pub timeout: Duration,
}

pub struct UpstreamPool {
    state: Arc<PoolState>,
    settings: PoolSettings,
    ids: AtomicU64,
    /// Per subgraph URL, held while a connection is opened, so that
    /// subscriptions arriving together wait for it instead of each opening
    /// their own (and a subgraph slow to answer holds up only its own).
    opening: KeyedLocks<String>,
    /// Per identical subscription, held while it joins or starts the
    /// shared operation, so that identical ones arriving together share
    /// one instead of each starting their own.
    starting: KeyedLocks<SharedKey>,
}

/// An async lock per key, kept only while someone holds or awaits it.
struct KeyedLocks<K>(Mutex<HashMap<K, Arc<tokio::sync::Mutex<()>>>>);

impl<K> Default for KeyedLocks<K> {
    fn default() -> Self {
        Self(Mutex::default())
    }
}

impl<K: std::hash::Hash + Eq + Clone> KeyedLocks<K> {
    async fn hold<T>(&self, key: &K, work: impl Future<Output = T>) -> T {
        let lock = self.map().entry(key.clone()).or_default().clone();
        // Cleans up even when the caller is dropped mid-wait (a client that
        // left while its subscription was starting).
        let _entry = Entry { locks: self, key, lock: lock.clone() };
        let _held = lock.lock().await;
        work.await
    }

    fn map(&self) -> MutexGuard<'_, HashMap<K, Arc<tokio::sync::Mutex<()>>>> {
        self.0.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
    }
}

#[derive(Default)]
pub struct PoolState {
    inner: Mutex<Inner>,
}

/// A claim on a key's lock; the last one out removes the key.
struct Entry<'a, K: std::hash::Hash + Eq + Clone> {
    locks: &'a KeyedLocks<K>,
    key: &'a K,
    lock: Arc<tokio::sync::Mutex<()>>,
}

impl<K: std::hash::Hash + Eq + Clone> Drop for Entry<'_, K> {
    fn drop(&mut self) {
        let mut map = self.locks.map();
        // The map's, this one's and the caller's: nobody else wants it.
        if Arc::strong_count(&self.lock) == 3 {
            map.remove(self.key);
        }
    }
}

#[derive(Default)]
struct Inner {
    connections: HashMap<String, Vec<ConnectionHandle>>,
    /// Identical subscriptions' running upstream operation: (connection
    /// number, operation id).
    shared: HashMap<SharedKey, (ConnectionHandle, u64)>,
}

impl UpstreamPool {
    pub fn new(settings: PoolSettings) -> Self {
        Self {
            state: Arc::default(),
            settings,
            ids: AtomicU64::new(1),
            opening: KeyedLocks::default(),
            starting: KeyedLocks::default(),
        }
    }

    /// Connections and upstream operations open now (for metrics).
    pub fn counts(&self) -> (usize, usize) {
        let inner = self.state.lock();
        let connections = inner.connections.values().map(Vec::len).sum();
        let operations = inner
            .connections
            .values()
            .flatten()
            .map(|c| c.operations.load(Ordering::Relaxed))
            .sum();
        (connections, operations)
    }

    pub async fn subscribe(&self, request: Subscribe<'_>) -> Result<Feed, String> {
        let key = SharedKey {
            url: request.url.to_owned(),
            query: request.query.to_owned(),
            variables: request.variables_json.clone(),
            authorization: request.authorization.as_ref().map(|(value, _)| value.clone()),
        };
        if !self.settings.deduplicate {
            return self.start(request, key).await;
        }
        self.starting
            .hold(&key.clone(), async {
                match self.join(&key).await {
                    Some(feed) => Ok(feed),
                    None => self.start(request, key).await,
                }
            })
            .await
    }

    /// Starts a new upstream operation for `request`.
    async fn start(&self, request: Subscribe<'_>, key: SharedKey) -> Result<Feed, String> {
        let (member, receiver, queued) = self.member();
        let member_id = member.id;
        let handle = self.connection(&request).await?;
        let id = self.ids.fetch_add(1, Ordering::Relaxed);
        let mut extensions = Map::new();
        if let Some((authorization, signature)) = &request.authorization {
            use server::signing::operation::{AUTHORIZATION_EXTENSION, SIGNATURE_EXTENSION};
            extensions.insert(AUTHORIZATION_EXTENSION.into(), authorization.as_str().into());
            if let Some(signature) = signature.as_ref().and_then(|s| s.to_str().ok()) {
                extensions.insert(SIGNATURE_EXTENSION.into(), signature.into());
            }
        }
        let message = format!(
            r#"{{"id":"{id}","type":"subscribe","payload":{{"query":{},"variables":{},"extensions":{}}}}}"#,
            json!(key.query),
            key.variables,
            Value::Object(extensions),
        );
        if self.settings.deduplicate {
            self.state.lock().shared.insert(key.clone(), (handle.clone(), id));
        }
        let command = Command::Subscribe { id, message, key, member };
        if handle.commands.send(command).is_err() {
            return Err("the subscription connection closed".into());
        }
        let membership = Membership { handle, operation: id, member: member_id };
        Ok(Feed { receiver, queued, _membership: membership })
    }

    /// Joins the running identical operation, if there is one that can
    /// take a new member.
    async fn join(&self, key: &SharedKey) -> Option<Feed> {
        let (handle, operation) = self.state.lock().shared.get(key).cloned()?;
        let (member, receiver, queued) = self.member();
        let member_id = member.id;
        let (joined, answer) = oneshot::channel();
        handle.commands.send(Command::Join { id: operation, member, joined }).ok()?;
        answer.await.ok().filter(|joined| *joined)?;
        Some(Feed {
            receiver,
            queued,
            _membership: Membership { handle, operation, member: member_id },
        })
    }

    fn member(&self) -> (Member, Receiver, Arc<AtomicUsize>) {
        let capacity = self.settings.member_buffer.max(1) + self.settings.replay.events;
        let (events, receiver) = mpsc::channel(capacity);
        let queued = Arc::new(AtomicUsize::new(0));
        let member = Member {
            id: self.ids.fetch_add(1, Ordering::Relaxed),
            events,
            queued: queued.clone(),
            max_bytes: self.settings.member_bytes,
        };
        (member, receiver, queued)
    }

    /// A connection to `request.url` with room for one more operation,
    /// counted in; a new one if none has room.
    async fn connection(&self, request: &Subscribe<'_>) -> Result<ConnectionHandle, String> {
        if let Some(handle) = self.with_room(request.url) {
            return Ok(handle);
        }
        self.opening.hold(&request.url.to_owned(), self.open(request)).await
    }

    /// Opens a connection to `request.url`, unless one with room opened
    /// while this waited, counting the operation in.
    async fn open(&self, request: &Subscribe<'_>) -> Result<ConnectionHandle, String> {
        if let Some(handle) = self.with_room(request.url) {
            return Ok(handle);
        }
        let headers = [request.upgrade_signature.clone(), request.traceparent.clone()];
        let socket = connection::open(request.url, headers, request.timeout).await?;
        let (commands, receiver) = mpsc::unbounded_channel();
        let handle = ConnectionHandle {
            number: self.ids.fetch_add(1, Ordering::Relaxed),
            commands,
            operations: Arc::new(AtomicUsize::new(1)),
        };
        self.state
            .lock()
            .connections
            .entry(request.url.to_owned())
            .or_default()
            .push(handle.clone());
        tokio::spawn(connection::serve(
            socket,
            receiver,
            handle.clone(),
            request.url.to_owned(),
            self.state.clone(),
            self.settings.replay,
        ));
        Ok(handle)
    }
}

impl UpstreamPool {
    /// An open connection to `url` with room for one more operation,
    /// counted in.
    fn with_room(&self, url: &str) -> Option<ConnectionHandle> {
        let inner = self.state.lock();
        let handle = inner.connections.get(url)?.iter().find(|c| {
            !c.commands.is_closed()
                && c.operations.load(Ordering::Acquire)
                    < self.settings.operations_per_connection.max(1)
        })?;
        handle.operations.fetch_add(1, Ordering::AcqRel);
        Some(handle.clone())
    }
}

impl PoolState {
    fn lock(&self) -> MutexGuard<'_, Inner> {
        self.inner.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// Lets an idle connection go, unless an operation was assigned to it
    /// meanwhile (assignments count up under this same lock).
    pub fn retire(&self, url: &str, handle: &ConnectionHandle) -> bool {
        let mut inner = self.lock();
        if handle.operations.load(Ordering::Acquire) != 0 {
            return false;
        }
        remove(&mut inner, url, handle.number);
        true
    }

    /// A connection that broke: no new operation goes to it.
    pub fn retire_broken(&self, url: &str, handle: &ConnectionHandle) {
        remove(&mut self.lock(), url, handle.number);
    }

    /// Operation `id` on connection `number` takes no new members.
    pub fn forget(&self, key: &SharedKey, number: u64, id: u64) {
        let mut inner = self.lock();
        if inner.shared.get(key).is_some_and(|(c, op)| c.number == number && *op == id) {
            inner.shared.remove(key);
        }
    }
}

fn remove(inner: &mut Inner, url: &str, number: u64) {
    if let Some(connections) = inner.connections.get_mut(url) {
        connections.retain(|c| c.number != number);
        if connections.is_empty() {
            inner.connections.remove(url);
        }
    }
}
