//! One result per event for identical client operations. Subscribers that
//! share an upstream operation (`upstream`) and also run the same prepared
//! operation with the same variables, subgraph headers and authorization
//! outcome would each compute the same result for every event: follow-up
//! fetches, merging and serialising. The first to get an event computes it;
//! the others wait for it and send the same bytes. The shared text is what
//! makes a crowd following one order cheap: a delivery is then only a frame
//! written to a socket.

use std::{
    collections::HashMap,
    hash::{Hash, Hasher},
    sync::{Arc, LazyLock, Mutex, PoisonError, Weak},
};

use axum::http::HeaderMap;
use serde_json::{Map, Value};
use tokio::sync::OnceCell;

use crate::{error::GraphqlError, planning::PreparedOperation};

/// What two client operations must have in common to share results.
pub struct ResultKey {
    /// The same plan, compared by identity: one from the plan cache, after
    /// the same authorization outcome.
    prepared: Arc<PreparedOperation>,
    variables: Map<String, Value>,
    /// What follow-up fetches send, without the per-request trace context
    /// (a shared result's fetches carry the first subscriber's).
    headers: HeaderMap,
    denied: Vec<GraphqlError>,
}

impl ResultKey {
    pub fn new(
        prepared: Arc<PreparedOperation>,
        variables: Map<String, Value>,
        headers: &HeaderMap,
        denied: Vec<GraphqlError>,
    ) -> Self {
        let mut headers = headers.clone();
        headers.remove("traceparent");
        headers.remove("tracestate");
        Self { prepared, variables, headers, denied }
    }

    /// Equal keys have equal buckets (the plan and the variables as JSON;
    /// equal variables written in another order only miss the sharing).
    fn bucket(&self) -> u64 {
        let mut hasher = std::hash::DefaultHasher::new();
        Arc::as_ptr(&self.prepared).hash(&mut hasher);
        serde_json::to_string(&self.variables).unwrap_or_default().hash(&mut hasher);
        hasher.finish()
    }
}

/// `key`, or an equal one already in use. Subscribers of a crowd then hold
/// the same key and find each event's result by pointer: comparing headers
/// and variables for every subscriber on every event was a measurable part
/// of the router's CPU with a thousand subscribers per event.
pub fn intern(key: ResultKey) -> Arc<ResultKey> {
    static KEYS: LazyLock<Mutex<Interned>> = LazyLock::new(Mutex::default);
    let mut interned = KEYS.lock().unwrap_or_else(PoisonError::into_inner);
    interned.sweep_when_grown();
    let bucket = interned.keys.entry(key.bucket()).or_default();
    bucket.retain(|known| known.strong_count() > 0);
    if let Some(known) = bucket.iter().filter_map(Weak::upgrade).find(|known| **known == key) {
        return known;
    }
    let key = Arc::new(key);
    bucket.push(Arc::downgrade(&key));
    key
}

/// Keys in use, by `ResultKey::bucket`. Entries of keys no longer in use
/// are swept when the map has doubled since the last sweep.
#[derive(Default)]
struct Interned {
    keys: HashMap<u64, Vec<Weak<ResultKey>>>,
    sweep_at: usize,
}

impl Interned {
    fn sweep_when_grown(&mut self) {
        if self.keys.len() < self.sweep_at {
            return;
        }
        self.keys.retain(|_, bucket| {
            bucket.retain(|known| known.strong_count() > 0);
            !bucket.is_empty()
        });
        self.sweep_at = (self.keys.len() * 2).max(1024);
    }
}

impl PartialEq for ResultKey {
    fn eq(&self, other: &Self) -> bool {
        Arc::ptr_eq(&self.prepared, &other.prepared)
            && self.variables == other.variables
            && self.headers == other.headers
            && self.denied == other.denied
    }
}

type Slot = Arc<OnceCell<Arc<str>>>;

/// The results computed for one event, by key.
#[derive(Default)]
pub struct SharedResults {
    computed: Mutex<Vec<(Arc<ResultKey>, Slot)>>,
}

impl std::fmt::Debug for SharedResults {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("SharedResults")
    }
}

impl SharedResults {
    /// The result for `key`: computed by `run` if no one with an equal key
    /// has (if the one computing goes away, the next waiter computes it).
    pub async fn get_or_run<F>(&self, key: &Arc<ResultKey>, run: impl FnOnce() -> F) -> Arc<str>
    where
        F: Future<Output = Arc<str>>,
    {
        self.slot(key).get_or_init(run).await.clone()
    }

    fn slot(&self, key: &Arc<ResultKey>) -> Slot {
        let mut computed = self.computed.lock().unwrap_or_else(PoisonError::into_inner);
        if let Some((_, slot)) =
            computed.iter().find(|(other, _)| Arc::ptr_eq(other, key) || **other == **key)
        {
            return slot.clone();
        }
        let slot = Slot::default();
        computed.push((key.clone(), slot.clone()));
        slot
    }
}
