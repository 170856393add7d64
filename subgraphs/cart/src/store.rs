//! Carts in Redis: one hash per customer, `product id -> quantity`, plus
//! `__updated_at`. Every change is a single Lua script, so concurrent
//! changes never lose updates, and each refreshes the cart's TTL.
//!
//! Unlike a cache, the cart *is* the data: Redis errors are reported to
//! the client as UNAVAILABLE, never swallowed.

use std::time::Duration;

use chrono::Utc;
use kit::{AppError, AppResult, config::RedisConfig};
use redis::{
    Client,
    aio::{ConnectionManager, ConnectionManagerConfig},
};

pub const MAX_QUANTITY: i32 = 99;
const UPDATED: &str = "__updated_at";

/// Adds ARGV[2] to ARGV[1]'s quantity unless that would pass ARGV[4].
const ADD: &str = r"
local q = redis.call('HINCRBY', KEYS[1], ARGV[1], ARGV[2])
if q > tonumber(ARGV[4]) then
  redis.call('HINCRBY', KEYS[1], ARGV[1], -tonumber(ARGV[2]))
  return -1
end
redis.call('HSET', KEYS[1], '__updated_at', ARGV[3])
redis.call('PEXPIRE', KEYS[1], ARGV[5])
return q
";

/// Sets ARGV[1]'s quantity to ARGV[2]; 0 removes the line.
const SET: &str = r"
if tonumber(ARGV[2]) == 0 then
  redis.call('HDEL', KEYS[1], ARGV[1])
else
  redis.call('HSET', KEYS[1], ARGV[1], ARGV[2])
end
redis.call('HSET', KEYS[1], '__updated_at', ARGV[3])
redis.call('PEXPIRE', KEYS[1], ARGV[4])
return 1
";

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct StoredCart {
    /// (product id, quantity), in product id order.
    pub lines: Vec<(String, i32)>,
    pub updated_at_ms: Option<i64>,
}

#[derive(Clone)]
pub struct CartStore {
    connection: ConnectionManager,
    prefix: String,
    ttl: Duration,
}

fn unavailable(e: redis::RedisError) -> AppError {
    tracing::error!(error = %e, "cart storage failed");
    AppError::unavailable("the cart is temporarily unavailable; please retry")
}

impl CartStore {
    pub fn new(config: &RedisConfig, ttl: Duration) -> anyhow::Result<Self> {
        let client = Client::open(config.url.as_str())?;
        let settings = ConnectionManagerConfig::new()
            .set_connection_timeout(Some(Duration::from_secs(2)))
            .set_response_timeout(Some(Duration::from_secs(2)));
        let connection = ConnectionManager::new_lazy_with_config(client, settings)?;
        Ok(Self { connection, prefix: config.key_prefix.clone(), ttl })
    }

    fn key(&self, customer: &str) -> String {
        format!("{}cart:{customer}", self.prefix)
    }

    #[tracing::instrument(skip_all, fields(otel.kind = "client", db.system.name = "redis"))]
    pub async fn get(&self, customer: &str) -> AppResult<StoredCart> {
        let mut connection = self.connection.clone();
        let fields: Vec<(String, i64)> = redis::cmd("HGETALL")
            .arg(self.key(customer))
            .query_async(&mut connection)
            .await
            .map_err(unavailable)?;
        let mut cart = StoredCart::default();
        for (field, value) in fields {
            if field == UPDATED {
                cart.updated_at_ms = Some(value);
            } else if let Ok(quantity) = i32::try_from(value) {
                cart.lines.push((field, quantity));
            }
        }
        cart.lines.sort();
        Ok(cart)
    }

    /// Adds to a line; BAD_USER_INPUT if the line would pass 99.
    #[tracing::instrument(skip_all, fields(otel.kind = "client", db.system.name = "redis"))]
    pub async fn add(&self, customer: &str, product: &str, quantity: i32) -> AppResult<()> {
        let mut connection = self.connection.clone();
        let result: i64 = redis::cmd("EVAL")
            .arg(ADD)
            .arg(1)
            .arg(self.key(customer))
            .arg(product)
            .arg(quantity)
            .arg(Utc::now().timestamp_millis())
            .arg(MAX_QUANTITY)
            .arg(self.ttl.as_millis() as u64)
            .query_async(&mut connection)
            .await
            .map_err(unavailable)?;
        if result < 0 {
            return Err(AppError::bad_input(format!("a cart line holds at most {MAX_QUANTITY}")));
        }
        Ok(())
    }

    /// Sets a line's quantity (0 removes it).
    #[tracing::instrument(skip_all, fields(otel.kind = "client", db.system.name = "redis"))]
    pub async fn set(&self, customer: &str, product: &str, quantity: i32) -> AppResult<()> {
        let mut connection = self.connection.clone();
        redis::cmd("EVAL")
            .arg(SET)
            .arg(1)
            .arg(self.key(customer))
            .arg(product)
            .arg(quantity)
            .arg(Utc::now().timestamp_millis())
            .arg(self.ttl.as_millis() as u64)
            .query_async::<i64>(&mut connection)
            .await
            .map_err(unavailable)?;
        Ok(())
    }

    #[tracing::instrument(skip_all, fields(otel.kind = "client", db.system.name = "redis"))]
    pub async fn clear(&self, customer: &str) -> AppResult<()> {
        let mut connection = self.connection.clone();
        redis::cmd("DEL")
            .arg(self.key(customer))
            .query_async::<i64>(&mut connection)
            .await
            .map_err(unavailable)?;
        Ok(())
    }

    /// Remaining lifetime of a cart, for tests and operators.
    #[tracing::instrument(skip_all, fields(otel.kind = "client", db.system.name = "redis"))]
    pub async fn ttl_ms(&self, customer: &str) -> AppResult<i64> {
        let mut connection = self.connection.clone();
        redis::cmd("PTTL")
            .arg(self.key(customer))
            .query_async(&mut connection)
            .await
            .map_err(unavailable)
    }
}
