//! Redis for the admission state that must hold across router instances
//! (rate limit buckets, APQ registrations), with one behaviour when Redis
//! is away: each command has a short deadline, the first failure is
//! logged once, reconnecting waits a moment between attempts, and the
//! caller falls back to its in-memory state until Redis answers again.

use std::{
    future::Future,
    sync::{
        Mutex,
        atomic::{AtomicBool, Ordering},
    },
    time::{Duration, Instant},
};

use redis::aio::MultiplexedConnection;

const CONNECT_TIMEOUT: Duration = Duration::from_secs(1);
const COMMAND_TIMEOUT: Duration = Duration::from_millis(500);
/// How long after a failure requests skip Redis before one tries again,
/// so a Redis that hangs does not add a timeout to every request.
const RETRY_AFTER: Duration = Duration::from_secs(1);

pub struct SharedRedis {
    client: redis::Client,
    /// A multiplexed connection is cheap to clone and serves concurrent
    /// commands; the lock is held only to connect.
    connection: tokio::sync::Mutex<Option<MultiplexedConnection>>,
    skip_until: Mutex<Option<Instant>>,
    /// Whether the fallback was logged since Redis last answered.
    degraded: AtomicBool,
    /// What the fallback means, for the log: "rate limits are per instance".
    fallback: &'static str,
}

impl SharedRedis {
    pub fn open(url: &str, fallback: &'static str) -> anyhow::Result<Self> {
        Ok(Self {
            client: redis::Client::open(url)?,
            connection: tokio::sync::Mutex::new(None),
            skip_until: Mutex::new(None),
            degraded: AtomicBool::new(false),
            fallback,
        })
    }

    /// `command`'s answer, or `None` when Redis cannot give it in time.
    pub async fn run<T, F, Fut>(&self, command: F) -> Option<T>
    where
        F: FnOnce(MultiplexedConnection) -> Fut,
        Fut: Future<Output = redis::RedisResult<T>>,
    {
        let connection = self.connection().await?;
        match tokio::time::timeout(COMMAND_TIMEOUT, command(connection)).await {
            Ok(Ok(answer)) => {
                if self.degraded.swap(false, Ordering::Relaxed) {
                    tracing::info!("Redis answers again: {} no more", self.fallback);
                }
                Some(answer)
            }
            Ok(Err(e)) => self.failed(&e.to_string()).await,
            Err(_) => self.failed("a command timed out").await,
        }
    }

    async fn connection(&self) -> Option<MultiplexedConnection> {
        if lock(&self.skip_until).is_some_and(|until| Instant::now() < until) {
            return None;
        }
        let mut slot = self.connection.lock().await;
        if let Some(connection) = slot.as_ref() {
            return Some(connection.clone());
        }
        let connecting =
            tokio::time::timeout(CONNECT_TIMEOUT, self.client.get_multiplexed_async_connection());
        match connecting.await {
            Ok(Ok(connection)) => Some(slot.insert(connection).clone()),
            Ok(Err(e)) => {
                drop(slot);
                self.failed(&e.to_string()).await
            }
            Err(_) => {
                drop(slot);
                self.failed("connecting timed out").await
            }
        }
    }

    async fn failed<T>(&self, why: &str) -> Option<T> {
        *self.connection.lock().await = None;
        *lock(&self.skip_until) = Some(Instant::now() + RETRY_AFTER);
        if !self.degraded.swap(true, Ordering::Relaxed) {
            tracing::warn!(error = why, "Redis is unreachable: {} until it is back", self.fallback);
        }
        None
    }
}

fn lock<T>(mutex: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
}
