//! Persisted queries: Apollo's automatic persisted queries (APQ), and
//! trusted documents loaded from a manifest.
//!
//! - APQ: a request may carry only `extensions.persistedQuery.sha256Hash`.
//!   An unknown hash gets `PERSISTED_QUERY_NOT_FOUND`; the client then sends
//!   the hash with the query, which is registered once its hash is checked.
//!   Hash-only GETs are what make CDN caching of queries possible.
//!   Registrations are kept in memory (LRU) and, with `apq_redis_url`, in
//!   Redis with a TTL, so a query registered through one router instance
//!   is known to all of them (a client's retry may reach another one).
//! - Trusted documents: a manifest in Apollo's persisted query list format
//!   (`{"format": "apollo-persisted-query-manifest", "operations": [{id,
//!   body}]}`) or Relay's `{"<id>": "<query>"}` map. Clients send the id as
//!   the persisted query hash, or as `documentId`/`doc_id`. With
//!   `only_persisted`, any other document is refused with
//!   `PERSISTED_QUERY_NOT_IN_LIST` (or only logged, while rolling out).

use std::{
    collections::HashMap,
    num::NonZeroUsize,
    path::PathBuf,
    sync::{Arc, Mutex},
};

use lru::LruCache;
use redis::AsyncCommands;
use serde::Deserialize;
use serde_json::Value;
use sha2::{Digest, Sha256};

use super::{Request, shared_redis::SharedRedis};
use crate::error::{RequestError, RequestFailure};

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct PersistedConfig {
    /// Automatic persisted queries. `ROUTER_APQ`, default true.
    pub apq: bool,
    /// Queries APQ keeps in memory.
    pub apq_cache_size: usize,
    /// Share APQ registrations between router instances through this
    /// Redis. `ROUTER_APQ_REDIS_URL`; none: each instance has its own.
    pub apq_redis_url: Option<String>,
    /// Prefix of the Redis keys.
    pub apq_redis_key_prefix: String,
    /// How long Redis keeps a registered query, refreshed by each
    /// registration. `ROUTER_APQ_TTL_SECS`, default a day.
    pub apq_ttl_secs: u64,
    /// A trusted documents manifest. `ROUTER_PERSISTED_MANIFEST`.
    pub manifest: Option<PathBuf>,
    /// Refuse documents that are not in the manifest.
    /// `ROUTER_ONLY_PERSISTED`.
    pub only_persisted: bool,
    /// With `only_persisted`: log other documents instead of refusing them.
    pub log_only: bool,
}

impl Default for PersistedConfig {
    fn default() -> Self {
        Self {
            apq: true,
            apq_cache_size: 1000,
            apq_redis_url: None,
            apq_redis_key_prefix: "router:apq:".into(),
            apq_ttl_secs: 86_400,
            manifest: None,
            only_persisted: false,
            log_only: false,
        }
    }
}

pub const PERSISTED_QUERY_NOT_FOUND: &str = "PERSISTED_QUERY_NOT_FOUND";
pub const PERSISTED_QUERY_NOT_IN_LIST: &str = "PERSISTED_QUERY_NOT_IN_LIST";

pub struct PersistedQueries {
    config: PersistedConfig,
    /// APQ: hash -> query.
    registered: Mutex<LruCache<String, Arc<str>>>,
    /// APQ registrations of every instance.
    shared: Option<SharedRedis>,
    /// Trusted documents: id -> query.
    manifest: HashMap<String, Arc<str>>,
    /// The SHA-256 of every trusted document's text, so a client that
    /// sends the full text of one is let through.
    trusted_hashes: std::collections::HashSet<String>,
}

impl PersistedQueries {
    pub fn new(config: PersistedConfig) -> anyhow::Result<Self> {
        let manifest = match &config.manifest {
            Some(path) => {
                let text = std::fs::read_to_string(path).map_err(|e| {
                    anyhow::anyhow!("persisted query manifest {}: {e}", path.display())
                })?;
                parse_manifest(&text).map_err(|e| {
                    anyhow::anyhow!("persisted query manifest {}: {e}", path.display())
                })?
            }
            None => HashMap::new(),
        };
        if config.only_persisted && manifest.is_empty() {
            anyhow::bail!("`only_persisted` needs a manifest with at least one operation");
        }
        let trusted_hashes = manifest.values().map(|q| sha256_hex(q)).collect();
        let size = NonZeroUsize::new(config.apq_cache_size.max(1)).unwrap_or(NonZeroUsize::MIN);
        let shared = match (&config.apq_redis_url, config.apq) {
            (Some(url), true) => {
                Some(SharedRedis::open(url, "APQ registrations are per instance")?)
            }
            _ => None,
        };
        let registered = Mutex::new(LruCache::new(size));
        Ok(Self { config, registered, shared, manifest, trusted_hashes })
    }

    /// The query text `request` stands for, registering it with APQ when it
    /// brings both the text and the hash.
    pub async fn resolve(&self, request: &mut Request) -> Result<(), RequestError> {
        let id = document_id(request);
        if let Some(id) = &id
            && let Some(query) = self.manifest.get(id)
        {
            request.query = Some(query.to_string());
            return Ok(());
        }
        let hash = persisted_hash(request);
        match (&request.query, &hash) {
            (None, Some(hash)) if self.config.apq => {
                match self.registered_query(&hash.to_ascii_lowercase()).await {
                    Some(query) => request.query = Some(query.to_string()),
                    None => return Err(not_found()),
                }
            }
            (None, Some(_)) => return Err(not_found()),
            (Some(query), Some(hash)) if self.config.apq => {
                if sha256_hex(query) != hash.to_ascii_lowercase() {
                    return Err(RequestError::new(
                        RequestFailure::BadRequest,
                        "the persisted query's hash is not the SHA-256 of its query",
                        "PERSISTED_QUERY_HASH_MISMATCH",
                    ));
                }
                self.register(hash.to_ascii_lowercase(), query).await;
            }
            (None, None) if id.is_some() => {
                return Err(RequestError::new(
                    RequestFailure::BadRequest,
                    "no trusted document has this id",
                    PERSISTED_QUERY_NOT_IN_LIST,
                ));
            }
            _ => {}
        }
        if self.config.only_persisted
            && let Some(query) = &request.query
            && !self.trusted_hashes.contains(&sha256_hex(query))
        {
            if self.config.log_only {
                tracing::warn!(
                    operation = request.operation_name.as_deref().unwrap_or_default(),
                    "a document outside the trusted list ran (log-only mode)"
                );
            } else {
                return Err(RequestError::new(
                    RequestFailure::BadRequest,
                    "only trusted documents may run on this router",
                    PERSISTED_QUERY_NOT_IN_LIST,
                ));
            }
        }
        Ok(())
    }

    /// The query registered under `hash`, in memory or in Redis.
    async fn registered_query(&self, hash: &str) -> Option<Arc<str>> {
        if let Some(query) = lock(&self.registered).get(hash) {
            return Some(query.clone());
        }
        let key = format!("{}{hash}", self.config.apq_redis_key_prefix);
        let shared = self.shared.as_ref()?;
        let query: Option<String> =
            shared.run(|mut redis| async move { redis.get(key).await }).await?;
        // Redis is shared, not trusted: take only a text that has this hash.
        let query: Arc<str> = query.filter(|query| sha256_hex(query) == hash)?.into();
        lock(&self.registered).put(hash.to_owned(), query.clone());
        Some(query)
    }

    /// Registers a query whose hash was checked: here, and for the other
    /// instances before the client is answered (its next request may reach
    /// any of them).
    async fn register(&self, hash: String, query: &str) {
        let key = format!("{}{hash}", self.config.apq_redis_key_prefix);
        lock(&self.registered).put(hash, query.into());
        if let Some(shared) = &self.shared {
            let (query, ttl) = (query.to_owned(), self.config.apq_ttl_secs.max(1));
            shared
                .run(|mut redis| async move { redis.set_ex::<_, _, ()>(key, query, ttl).await })
                .await;
        }
    }
}

fn not_found() -> RequestError {
    // Apollo Client's link retries with the query on exactly this answer.
    RequestError::new(RequestFailure::Invalid, "PersistedQueryNotFound", PERSISTED_QUERY_NOT_FOUND)
}

/// `extensions.persistedQuery.sha256Hash`.
fn persisted_hash(request: &Request) -> Option<String> {
    let persisted = request.extensions.as_ref()?.get("persistedQuery")?;
    persisted.get("sha256Hash")?.as_str().map(str::to_owned)
}

/// A trusted document's id: `documentId`/`doc_id`, or the persisted
/// query hash.
fn document_id(request: &Request) -> Option<String> {
    request.document_id.clone().or_else(|| persisted_hash(request))
}

fn parse_manifest(text: &str) -> Result<HashMap<String, Arc<str>>, String> {
    let value: Value = serde_json::from_str(text).map_err(|e| e.to_string())?;
    if let Some(operations) = value.get("operations").and_then(Value::as_array) {
        return operations
            .iter()
            .map(|op| {
                let id = op.get("id").and_then(Value::as_str).ok_or("an operation without `id`")?;
                let body =
                    op.get("body").and_then(Value::as_str).ok_or("an operation without `body`")?;
                Ok((id.to_owned(), Arc::from(body)))
            })
            .collect();
    }
    let map = value.as_object().ok_or("neither a persisted query list nor an id map")?;
    map.iter()
        .map(|(id, body)| {
            let body = body.as_str().ok_or("a document that is not a string")?;
            Ok((id.clone(), Arc::from(body)))
        })
        .collect()
}

pub fn sha256_hex(text: &str) -> String {
    let digest = Sha256::digest(text.as_bytes());
    digest.iter().map(|b| format!("{b:02x}")).collect()
}

fn lock<T>(mutex: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn both_manifest_formats_load() {
        let apollo = r#"{"format":"apollo-persisted-query-manifest","version":1,
            "operations":[{"id":"abc","name":"Q","type":"query","body":"{ a }"}]}"#;
        assert_eq!(&*parse_manifest(apollo).expect("apollo")["abc"], "{ a }");
        let relay = r#"{"q1":"{ b }"}"#;
        assert_eq!(&*parse_manifest(relay).expect("relay")["q1"], "{ b }");
        assert!(parse_manifest("[1]").is_err());
    }

    #[test]
    fn sha256_is_lowercase_hex() {
        assert_eq!(
            sha256_hex("abc"),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
    }
}
