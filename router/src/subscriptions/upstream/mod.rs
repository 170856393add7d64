//! The router's side of subgraph subscriptions: a small pool of
//! graphql-transport-ws connections per subgraph (`pool`), each carrying
//! many operations (`connection`). Each operation names its user and is
//! signed on its own (`server::signing::operation`), so one connection
//! serves every user. Identical subscriptions share one upstream operation.
//!
//! When a connection breaks, every operation on it ends with
//! `Upstream::Lost`; the client gets the documented `SUBREQUEST_HTTP_ERROR`
//! error and `complete`, as when each had a connection of its own.

mod connection;
mod pool;

use std::sync::{
    Arc,
    atomic::{AtomicUsize, Ordering},
};

use serde_json::{Map, Value};
use tokio::sync::mpsc;

use super::results::SharedResults;
use crate::execution::subgraphs::SubgraphResponse;
pub use connection::ReplayLimit;
use connection::{Command, ConnectionHandle};
pub use pool::{PoolSettings, Subscribe, UpstreamPool};

/// What the subgraph said next.
#[derive(Debug)]
pub enum Upstream {
    /// A result, and what the operation's members made of it.
    Next(SubgraphResponse, SharedResults),
    /// The subgraph refused or failed the operation (validation, FORBIDDEN…).
    Error(Vec<Map<String, Value>>),
    Complete,
    /// The connection broke: the subgraph went away or spoke nonsense.
    Lost(String),
}

/// What makes two subscriptions identical.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct SharedKey {
    url: String,
    query: String,
    variables: String,
    authorization: Option<String>,
}

/// One client operation's events from upstream.
pub struct Feed {
    receiver: mpsc::Receiver<(Arc<Upstream>, usize)>,
    /// The member's count of queued bytes, shared with the connection.
    queued: Arc<AtomicUsize>,
    _membership: Membership,
}

/// Why a feed ended without a word from upstream.
pub enum FeedEnd {
    /// This member's queue filled up: its client did not keep up.
    TooSlow,
}

impl Feed {
    pub async fn next(&mut self) -> Result<Arc<Upstream>, FeedEnd> {
        let (event, bytes) = self.receiver.recv().await.ok_or(FeedEnd::TooSlow)?;
        self.queued.fetch_sub(bytes, Ordering::AcqRel);
        Ok(event)
    }
}

/// Leaves the upstream operation when dropped; the last member's leaving
/// ends it upstream.
struct Membership {
    handle: ConnectionHandle,
    operation: u64,
    member: u64,
}

impl Drop for Membership {
    fn drop(&mut self) {
        let leave = Command::Leave { id: self.operation, member: self.member };
        let _ = self.handle.commands.send(leave);
    }
}
