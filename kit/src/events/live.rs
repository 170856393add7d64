//! Live fan-out of events to GraphQL subscribers.
//!
//! Each service instance consumes through its own exclusive, auto-delete,
//! server-named queue, so every instance sees every event and can serve any
//! subscriber; the queue disappears with the instance. Within the instance
//! a broadcast channel hands each event to every open subscription.
//!
//! This path is for display only: durable work stays with [`super::Consumer`]
//! (deduplicated, retried). A subscriber that falls more than the channel's
//! capacity behind loses the oldest events and is told so (`Lagged`).

use std::{collections::HashMap, sync::Arc, time::Duration};

use futures::StreamExt;
use lapin::{
    options::{BasicConsumeOptions, QueueBindOptions, QueueDeclareOptions},
    types::FieldTable,
};
use tokio::sync::{broadcast, watch};
use tokio_util::sync::CancellationToken;

use super::{Broker, Envelope};

/// Events each subscriber may fall behind before it loses the oldest.
const CAPACITY: usize = 1024;

/// The type of the marker the feed broadcasts after it has bound its queue
/// again: events published while it had no queue never reached it, so every
/// follower reloads.
const RESYNC: &str = "live.resync";

#[derive(Clone)]
pub struct LiveFeed {
    routing_keys: Arc<Vec<String>>,
    sender: broadcast::Sender<Arc<Envelope>>,
    bound: watch::Sender<bool>,
}

impl LiveFeed {
    pub fn new(routing_keys: &[&str]) -> Self {
        let (sender, _) = broadcast::channel(CAPACITY);
        Self {
            routing_keys: Arc::new(routing_keys.iter().map(|k| (*k).to_owned()).collect()),
            sender,
            bound: watch::Sender::new(false),
        }
    }

    /// A receiver of every event from now on. Await [`Self::ready`] first to
    /// be sure the instance's queue is bound, so no later event is missed.
    pub fn subscribe(&self) -> broadcast::Receiver<Arc<Envelope>> {
        self.sender.subscribe()
    }

    /// Waits (up to `timeout`) until the queue is bound to the exchange.
    pub async fn ready(&self, timeout: Duration) -> bool {
        let mut bound = self.bound.subscribe();
        tokio::time::timeout(timeout, bound.wait_for(|b| *b)).await.is_ok_and(|r| r.is_ok())
    }

    /// Feeds the broadcast until cancelled, reconnecting with backoff.
    pub async fn run(self, broker: Broker, shutdown: CancellationToken) {
        let mut backoff = Duration::from_millis(200);
        while !shutdown.is_cancelled() {
            match self.consume(&broker, &shutdown).await {
                Ok(()) => break,
                Err(e) => {
                    self.bound.send_replace(false);
                    tracing::warn!(error = %e, retry_in = ?backoff, "live feed lost its channel");
                    tokio::select! {
                        () = shutdown.cancelled() => break,
                        () = tokio::time::sleep(backoff) => {}
                    }
                    backoff = (backoff * 2).min(Duration::from_secs(5));
                }
            }
        }
    }

    async fn consume(&self, broker: &Broker, shutdown: &CancellationToken) -> anyhow::Result<()> {
        let channel = broker.channel().await?;
        let options =
            QueueDeclareOptions { exclusive: true, auto_delete: true, ..Default::default() };
        let queue = channel.queue_declare("".into(), options, FieldTable::default()).await?;
        let name = queue.name().clone();
        for key in self.routing_keys.iter() {
            channel
                .queue_bind(
                    name.clone(),
                    broker.exchange().into(),
                    key.as_str().into(),
                    QueueBindOptions::default(),
                    FieldTable::default(),
                )
                .await?;
        }
        // No acks: a display feed favours latency; durability lives elsewhere.
        let options = BasicConsumeOptions { no_ack: true, exclusive: true, ..Default::default() };
        let mut deliveries =
            channel.basic_consume(name, "".into(), options, FieldTable::default()).await?;
        self.bound.send_replace(true);
        if self.sender.receiver_count() > 0 {
            // Followers from before (the feed lost the broker and is bound
            // again): what was published in between is missing here. One
            // marker, one id, so that followers of the same thing share
            // one reload.
            let marker = Envelope::new("live", RESYNC, "", serde_json::Value::Null, None);
            drop(self.sender.send(Arc::new(marker)));
        }
        loop {
            let delivery = tokio::select! {
                () = shutdown.cancelled() => return Ok(()),
                () = super::broker::closed(&channel) => anyhow::bail!("the live feed's channel closed"),
                next = deliveries.next() => next,
            };
            let delivery = match delivery {
                Some(delivery) => delivery?,
                None => anyhow::bail!("the broker closed the live feed"),
            };
            match serde_json::from_slice::<Envelope>(&delivery.data) {
                // No receivers is normal: nobody is subscribed right now.
                Ok(envelope) => drop(self.sender.send(Arc::new(envelope))),
                Err(e) => tracing::warn!(error = %e, "live feed skipped a malformed event"),
            }
        }
    }
}

/// Follows something stored that events announce changes to: loads it at
/// the start, then again after each relevant event (or after falling
/// behind), and yields each loaded item whose `key` it has not yielded yet.
///
/// The database stays the source of truth, so a subscriber sees stored
/// states in order and once each, however events are delayed, duplicated or
/// lost. Subscribe to the feed *before* calling this so nothing between the
/// first load and the first event is missed. Ends after a failed load.
///
/// `load` gets the id of the event that triggered it (None for the first
/// load and after falling behind), so that [`SharedLoads`] can let every
/// subscription woken by one event share one read.
pub fn follow<T, E, Load, Fut>(
    events: broadcast::Receiver<Arc<Envelope>>,
    relevant: impl Fn(&Envelope) -> bool + Send + 'static,
    load: Load,
    key: impl Fn(&T) -> String + Send + 'static,
) -> futures::stream::BoxStream<'static, Result<T, E>>
where
    T: Send + 'static,
    E: Send + 'static,
    Load: Fn(Option<uuid::Uuid>) -> Fut + Send + 'static,
    Fut: std::future::Future<Output = Result<Vec<T>, E>> + Send,
{
    struct State<T, R, L, K> {
        events: broadcast::Receiver<Arc<Envelope>>,
        relevant: R,
        load: L,
        key: K,
        seen: std::collections::HashSet<String>,
        pending: std::collections::VecDeque<T>,
        started: bool,
        failed: bool,
    }
    let state = State {
        events,
        relevant,
        load,
        key,
        seen: Default::default(),
        pending: Default::default(),
        started: false,
        failed: false,
    };
    futures::stream::unfold(state, |mut state| async move {
        loop {
            if let Some(item) = state.pending.pop_front() {
                return Some((Ok(item), state));
            }
            if state.failed {
                return None;
            }
            let mut trigger = None;
            if state.started {
                match state.events.recv().await {
                    Ok(event) if event.event_type == RESYNC || (state.relevant)(&event) => {
                        trigger = Some(event.id);
                    }
                    Ok(_) => continue,
                    Err(broadcast::error::RecvError::Lagged(missed)) => {
                        tracing::debug!(missed, "subscriber fell behind; reloading");
                    }
                    Err(broadcast::error::RecvError::Closed) => return None,
                }
            }
            state.started = true;
            match (state.load)(trigger).await {
                Ok(items) => {
                    for item in items {
                        if state.seen.insert((state.key)(&item)) {
                            state.pending.push_back(item);
                        }
                    }
                }
                Err(e) => {
                    state.failed = true;
                    return Some((Err(e), state));
                }
            }
        }
    })
    .boxed()
}

/// Entries kept before the oldest are forgotten (they are only a cache).
const SHARED_LOADS_KEPT: usize = 10_000;

type SharedCell<V> = Arc<tokio::sync::OnceCell<Arc<V>>>;
/// Per key: the event the cell was loaded for, and the cell.
type SharedEntries<V> = HashMap<String, (uuid::Uuid, SharedCell<V>)>;

/// Coalesces the reloads one event causes in every subscription that
/// follows the same thing: for a given key and event, the first load runs
/// and the others share its result, so 500 subscribers to one order cost
/// one read per event, not 500.
pub struct SharedLoads<V> {
    entries: Arc<std::sync::Mutex<SharedEntries<V>>>,
}

impl<V> Clone for SharedLoads<V> {
    fn clone(&self) -> Self {
        Self { entries: self.entries.clone() }
    }
}

impl<V> Default for SharedLoads<V> {
    fn default() -> Self {
        Self { entries: Arc::default() }
    }
}

impl<V: Send + Sync + 'static> SharedLoads<V> {
    /// Loads for `key` after `event`, sharing with every caller for the
    /// same key and event; without an event, loads alone. A failed load is
    /// not shared: the next caller tries again.
    pub async fn load<E, Fut>(
        &self,
        key: &str,
        event: Option<uuid::Uuid>,
        load: impl FnOnce() -> Fut,
    ) -> Result<Arc<V>, E>
    where
        Fut: std::future::Future<Output = Result<V, E>>,
    {
        let Some(event) = event else { return load().await.map(Arc::new) };
        let cell = {
            let mut entries =
                self.entries.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
            match entries.get(key) {
                Some((seen, cell)) if *seen == event => cell.clone(),
                _ => {
                    if entries.len() >= SHARED_LOADS_KEPT {
                        entries.clear();
                    }
                    let cell = SharedCell::default();
                    entries.insert(key.to_owned(), (event, cell.clone()));
                    cell
                }
            }
        };
        cell.get_or_try_init(|| async { load().await.map(Arc::new) }).await.cloned()
    }
}
