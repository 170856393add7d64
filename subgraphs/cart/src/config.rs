use std::time::Duration;

use kit::config::{ConfigError, RedisConfig, ServiceConfig, var_or};

pub const DEFAULT_PORT: u16 = 4004;

#[derive(Debug, Clone)]
pub struct CartConfig {
    pub service: ServiceConfig,
    pub redis: RedisConfig,
    /// `CATALOG_URL`, default the catalog subgraph: where prices and product
    /// existence are looked up.
    pub catalog_url: String,
    /// `CART_TTL_DAYS`, default 30, refreshed on every change.
    pub ttl: Duration,
    /// `DEFAULT_CURRENCY`, default USD: the currency of an empty cart's
    /// subtotal.
    pub default_currency: String,
}

impl CartConfig {
    pub fn from_env() -> Result<Self, ConfigError> {
        Ok(Self {
            service: ServiceConfig::from_env("cart", DEFAULT_PORT)?,
            redis: RedisConfig::from_env("cart")?,
            catalog_url: var_or("CATALOG_URL", "http://127.0.0.1:4002/graphql".into())?,
            ttl: Duration::from_secs(86_400 * var_or("CART_TTL_DAYS", 30)?),
            default_currency: var_or("DEFAULT_CURRENCY", "USD".into())?,
        })
    }
}
