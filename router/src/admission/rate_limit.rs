//! Rate limiting: token buckets per client (the verified JWT's `sub`, else
//! the client's address, through a configured number of trusted proxies'
//! `X-Forwarded-For`) and one for everybody. The buckets live in Redis, so
//! the limits hold across router instances; when Redis cannot be reached,
//! each instance falls back to buckets of its own (and says so in the log)
//! rather than refusing or admitting everything. A refusal is HTTP 429 with
//! `RATE_LIMITED` and `Retry-After`. Every HTTP operation and every
//! WebSocket `subscribe` takes one token.

use std::{
    collections::HashMap,
    net::{IpAddr, SocketAddr},
    sync::Mutex,
    time::Instant,
};

use axum::http::HeaderMap;
use serde::Deserialize;

use super::{auth::Claims, shared_redis::SharedRedis};
use crate::error::{RequestError, RequestFailure};

pub const RATE_LIMITED: &str = "RATE_LIMITED";

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct RateLimitConfig {
    /// `ROUTER_RATE_LIMIT`, default false.
    pub enabled: bool,
    /// Per client: burst size and tokens added per second.
    /// `ROUTER_RATE_LIMIT_CAPACITY`, `ROUTER_RATE_LIMIT_PER_SECOND`.
    pub capacity: u64,
    pub per_second: f64,
    /// For everybody together (0 capacity: no global limit).
    pub global_capacity: u64,
    pub global_per_second: f64,
    /// Shared buckets. `ROUTER_RATE_LIMIT_REDIS_URL`; none: per instance.
    pub redis_url: Option<String>,
    /// Prefix of the Redis keys.
    pub key_prefix: String,
    /// Proxies in front of the router whose `X-Forwarded-For` entries are
    /// trusted. `ROUTER_TRUSTED_PROXY_HOPS`, default 0 (use the peer).
    pub trusted_proxy_hops: usize,
}

impl Default for RateLimitConfig {
    fn default() -> Self {
        Self {
            enabled: false,
            capacity: 100,
            per_second: 50.0,
            global_capacity: 0,
            global_per_second: 0.0,
            redis_url: None,
            key_prefix: "router:ratelimit:".into(),
            trusted_proxy_hops: 0,
        }
    }
}

/// Takes one token from a bucket: (allowed, seconds until one is back).
/// Buckets are hashes of tokens and the time they were counted, and expire
/// once they would be full again.
const TAKE: &str = r"
local capacity = tonumber(ARGV[1])
local rate = tonumber(ARGV[2])
local now = tonumber(ARGV[3])
local bucket = redis.call('HMGET', KEYS[1], 'tokens', 'at')
local tokens = tonumber(bucket[1]) or capacity
local at = tonumber(bucket[2]) or now
tokens = math.min(capacity, tokens + math.max(0, now - at) * rate)
local allowed = 0
if tokens >= 1 then
  tokens = tokens - 1
  allowed = 1
end
redis.call('HSET', KEYS[1], 'tokens', tostring(tokens), 'at', tostring(now))
redis.call('PEXPIRE', KEYS[1], math.ceil((capacity / rate) * 1000) + 1000)
local wait = 0
if allowed == 0 then wait = (1 - tokens) / rate end
return {allowed, tostring(wait)}
";

pub struct RateLimiter {
    config: RateLimitConfig,
    shared: Option<SharedRedis>,
    local: Mutex<HashMap<String, (f64, Instant)>>,
}

impl RateLimiter {
    pub fn new(config: RateLimitConfig) -> anyhow::Result<Self> {
        let shared = match (&config.redis_url, config.enabled) {
            (Some(url), true) => Some(SharedRedis::open(url, "rate limits are per instance")?),
            _ => None,
        };
        Ok(Self { config, shared, local: Mutex::new(HashMap::new()) })
    }

    /// Takes a token for this client, and one from the global bucket.
    pub async fn check(
        &self,
        headers: &HeaderMap,
        peer: Option<SocketAddr>,
        claims: Option<&Claims>,
    ) -> Result<(), RequestError> {
        if !self.config.enabled {
            return Ok(());
        }
        let client = match claims.and_then(|c| c.get("sub")).and_then(|s| s.as_str()) {
            Some(sub) => format!("sub:{sub}"),
            None => format!(
                "ip:{}",
                client_ip(headers, peer, self.config.trusted_proxy_hops)
                    .map_or("unknown".into(), |ip| ip.to_string())
            ),
        };
        let (capacity, rate) = (self.config.capacity, self.config.per_second);
        self.take(&client, capacity, rate).await?;
        if self.config.global_capacity > 0 {
            let (capacity, rate) = (self.config.global_capacity, self.config.global_per_second);
            self.take("global", capacity, rate).await?;
        }
        Ok(())
    }

    async fn take(&self, key: &str, capacity: u64, rate: f64) -> Result<(), RequestError> {
        let rate = rate.max(0.001);
        let (allowed, wait) = match self.take_shared(key, capacity, rate).await {
            Some(answer) => answer,
            None => self.take_local(key, capacity, rate),
        };
        if allowed {
            return Ok(());
        }
        let mut error = RequestError::new(
            RequestFailure::RateLimited,
            "too many requests; retry after the time in Retry-After",
            RATE_LIMITED,
        );
        let retry_after = wait.ceil().max(1.0) as u64;
        if let Some(first) = error.errors.first_mut() {
            first.extensions.insert("retryAfter".into(), retry_after.into());
        }
        Err(error)
    }

    /// `None` when Redis is not configured or cannot be reached.
    async fn take_shared(&self, key: &str, capacity: u64, rate: f64) -> Option<(bool, f64)> {
        let shared = self.shared.as_ref()?;
        let now =
            std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).ok()?.as_secs_f64();
        let key = format!("{}{key}", self.config.key_prefix);
        let (allowed, wait) = shared
            .run(|mut connection| async move {
                let script = redis::Script::new(TAKE);
                let mut invocation = script.key(key);
                invocation.arg(capacity).arg(rate).arg(now);
                invocation.invoke_async::<(i64, String)>(&mut connection).await
            })
            .await?;
        Some((allowed == 1, wait.parse().unwrap_or(1.0)))
    }

    fn take_local(&self, key: &str, capacity: u64, rate: f64) -> (bool, f64) {
        let mut buckets = self.local.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        let now = Instant::now();
        let (tokens, at) = buckets.entry(key.to_owned()).or_insert((capacity as f64, now));
        *tokens = (*tokens + now.duration_since(*at).as_secs_f64() * rate).min(capacity as f64);
        *at = now;
        if *tokens >= 1.0 {
            *tokens -= 1.0;
            (true, 0.0)
        } else {
            (false, (1.0 - *tokens) / rate)
        }
    }
}

/// The client's address: the peer's, or with `hops` trusted proxies the
/// entry of `X-Forwarded-For` that many places from the right.
pub fn client_ip(headers: &HeaderMap, peer: Option<SocketAddr>, hops: usize) -> Option<IpAddr> {
    if hops == 0 {
        return peer.map(|p| p.ip());
    }
    let forwarded: Vec<&str> = headers
        .get_all("x-forwarded-for")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .map(str::trim)
        .collect();
    forwarded
        .len()
        .checked_sub(hops)
        .and_then(|i| forwarded.get(i))
        .and_then(|ip| ip.parse().ok())
        .or_else(|| peer.map(|p| p.ip()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_forwarded_entry_is_taken_as_many_hops_from_the_right() {
        let mut headers = HeaderMap::new();
        headers.insert(
            "x-forwarded-for",
            "203.0.113.9, 198.51.100.7, 10.0.0.2".parse().expect("header"),
        );
        let peer: SocketAddr = "10.0.0.1:5000".parse().expect("addr");
        assert_eq!(client_ip(&headers, Some(peer), 0), Some(peer.ip()));
        assert_eq!(client_ip(&headers, Some(peer), 1), "10.0.0.2".parse().ok());
        assert_eq!(client_ip(&headers, Some(peer), 2), "198.51.100.7".parse().ok());
        // More hops than entries: a client cannot pick its own address.
        assert_eq!(client_ip(&headers, Some(peer), 5), Some(peer.ip()));
    }
}
