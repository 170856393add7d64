//! One result per event for identical client operations. Subscribers that
//! share an upstream operation (`upstream`) and also run the same prepared
//! operation with the same variables, subgraph headers and authorization
//! outcome would each compute the same result for every event: follow-up
//! fetches, merging and serialising. The first to get an event computes it;
//! the others wait for it and send the same bytes. The shared text is what
//! makes a crowd following one order cheap: a delivery is then only a frame
//! written to a socket.

use std::sync::{Arc, Mutex};

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
        let mut computed = self.computed.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
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
