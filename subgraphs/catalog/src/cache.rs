//! Redis read cache for products by id.
//!
//! Keys carry versions: `product:<id>:v` counts writes to a product and
//! `products:epoch` counts cache-wide resets; data lives under
//! `product:<epoch>:<version>:<id>`. A write bumps the product's version
//! before it returns, so no later read can find the old entry; a reader that
//! raced the write stores under the old version, where nobody looks again.
//! When Redis is down during a write the bump is lost, so the cache marks
//! itself dirty and bypasses Redis until it has bumped the epoch.

use std::{
    sync::{
        Arc,
        atomic::{AtomicBool, Ordering},
    },
    time::Duration,
};

use kit::cache::Cache;

use crate::store::documents::ProductDoc;

const TTL: Duration = Duration::from_secs(300);
const EPOCH: &str = "products:epoch";

/// The `cache` label of its lookups in `/metrics`.
const CACHE_NAME: &str = "catalog.products";

#[derive(Clone)]
pub struct ProductCache {
    cache: Cache,
    dirty: Arc<AtomicBool>,
}

/// Where a reader may store what it read, fixed before it read.
pub struct Slot(String);

impl ProductCache {
    pub fn new(cache: Cache) -> Self {
        Self { cache, dirty: Arc::new(AtomicBool::new(false)) }
    }

    /// Cached products for `ids`, plus a slot for each miss. Everything is a
    /// miss without slots when Redis is unavailable.
    pub async fn lookup(&self, ids: &[String]) -> (Vec<ProductDoc>, Vec<(String, Option<Slot>)>) {
        let all_misses = || {
            kit::metrics::metrics().cache_lookups(CACHE_NAME, 0, ids.len());
            (Vec::new(), ids.iter().map(|id| (id.clone(), None)).collect())
        };
        if self.dirty.load(Ordering::SeqCst) {
            if self.cache.incr(EPOCH).await.is_none() {
                return all_misses();
            }
            self.dirty.store(false, Ordering::SeqCst);
        }
        let mut version_keys = vec![EPOCH.to_owned()];
        version_keys.extend(ids.iter().map(|id| format!("product:{id}:v")));
        let Some(versions) = self.cache.get_many(&version_keys).await else { return all_misses() };
        let epoch = versions[0].clone().unwrap_or_else(|| "0".into());
        let slots: Vec<String> = ids
            .iter()
            .zip(&versions[1..])
            .map(|(id, v)| format!("product:{epoch}:{}:{id}", v.as_deref().unwrap_or("0")))
            .collect();
        let Some(values) = self.cache.get_many(&slots).await else { return all_misses() };
        let mut hits = Vec::new();
        let mut misses = Vec::new();
        for ((id, slot), value) in ids.iter().zip(slots).zip(values) {
            match value.and_then(|v| serde_json::from_str::<ProductDoc>(&v).ok()) {
                Some(product) => hits.push(product),
                None => misses.push((id.clone(), Some(Slot(slot)))),
            }
        }
        kit::metrics::metrics().cache_lookups(CACHE_NAME, hits.len(), misses.len());
        (hits, misses)
    }

    pub async fn store(&self, slot: Slot, product: &ProductDoc) {
        if let Ok(json) = serde_json::to_string(product) {
            self.cache.set(&slot.0, &json, TTL).await;
        }
    }

    /// Call after every write to `id`, before the write returns.
    pub async fn invalidate(&self, id: &str) {
        if self.cache.incr(&format!("product:{id}:v")).await.is_none() {
            self.dirty.store(true, Ordering::SeqCst);
        }
    }
}
