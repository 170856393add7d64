//! A Redis cache that is allowed to fail.
//!
//! Redis only ever speeds things up here: every call has a short timeout,
//! errors are logged and treated as a miss (or a no-op for writes), and the
//! connection is made lazily and re-made automatically, so a service starts
//! and keeps serving while Redis is down.

use std::time::Duration;

use redis::{
    AsyncCommands, Client,
    aio::{ConnectionManager, ConnectionManagerConfig},
};

use crate::config::RedisConfig;

const TIMEOUT: Duration = Duration::from_millis(250);

#[derive(Clone)]
pub struct Cache {
    connection: Option<ConnectionManager>,
    prefix: String,
}

impl Cache {
    pub fn new(config: &RedisConfig) -> Self {
        let connection = Client::open(config.url.as_str())
            .and_then(|client| {
                let settings = ConnectionManagerConfig::new()
                    .set_connection_timeout(Some(TIMEOUT))
                    .set_response_timeout(Some(TIMEOUT))
                    .set_number_of_retries(1);
                ConnectionManager::new_lazy_with_config(client, settings)
            })
            .map_err(|e| tracing::warn!(error = %e, "Redis cache disabled: bad REDIS_URL"))
            .ok();
        Self { connection, prefix: config.key_prefix.clone() }
    }

    pub fn key(&self, suffix: &str) -> String {
        format!("{}{suffix}", self.prefix)
    }

    pub async fn get(&self, suffix: &str) -> Option<String> {
        let mut connection = self.connection.clone()?;
        let key = self.key(suffix);
        self.quietly("GET", async move { connection.get::<_, Option<String>>(key).await })
            .await
            .flatten()
    }

    /// Several keys in one round trip; `None` when Redis is unavailable.
    pub async fn get_many(&self, suffixes: &[String]) -> Option<Vec<Option<String>>> {
        if suffixes.is_empty() {
            return Some(Vec::new());
        }
        let mut connection = self.connection.clone()?;
        let keys: Vec<String> = suffixes.iter().map(|s| self.key(s)).collect();
        self.quietly("MGET", async move { connection.mget::<_, Vec<Option<String>>>(keys).await })
            .await
    }

    pub async fn set(&self, suffix: &str, value: &str, ttl: Duration) {
        let Some(mut connection) = self.connection.clone() else { return };
        let key = self.key(suffix);
        let seconds = ttl.as_secs().max(1);
        self.quietly(
            "SET",
            async move { connection.set_ex::<_, _, ()>(key, value, seconds).await },
        )
        .await;
    }

    pub async fn delete(&self, suffix: &str) {
        let Some(mut connection) = self.connection.clone() else { return };
        let key = self.key(suffix);
        self.quietly("DEL", async move { connection.del::<_, ()>(key).await }).await;
    }

    /// Increments a counter; `None` when Redis is unavailable.
    pub async fn incr(&self, suffix: &str) -> Option<i64> {
        let mut connection = self.connection.clone()?;
        let key = self.key(suffix);
        self.quietly("INCR", async move { connection.incr::<_, _, i64>(key, 1).await }).await
    }

    async fn quietly<T>(
        &self,
        op: &str,
        call: impl std::future::Future<Output = redis::RedisResult<T>>,
    ) -> Option<T> {
        match tokio::time::timeout(TIMEOUT, call).await {
            Ok(Ok(value)) => Some(value),
            Ok(Err(e)) => {
                tracing::warn!(op, error = %e, "Redis unavailable; continuing without the cache");
                None
            }
            Err(_) => {
                tracing::warn!(op, "Redis timed out; continuing without the cache");
                None
            }
        }
    }
}
