use std::time::Duration;

use kit::config::{ConfigError, RedisConfig, ServiceConfig, var_or};

pub const DEFAULT_PORT: u16 = 4003;

#[derive(Debug, Clone)]
pub struct InventoryConfig {
    pub service: ServiceConfig,
    pub redis: RedisConfig,
    /// `RESERVATION_TTL_SECS`, default 900: how long a reservation holds
    /// stock before it is released.
    pub reservation_ttl: Duration,
    /// `LOW_STOCK_THRESHOLD`, default 5: `inventory.low_stock` fires when a
    /// product's available quantity drops to this or below.
    pub low_stock_threshold: i32,
    /// `RESERVATION_SWEEP_MS`, default 5000: how often expired reservations
    /// are released.
    pub sweep_interval: Duration,
}

impl InventoryConfig {
    pub fn from_env() -> Result<Self, ConfigError> {
        Ok(Self {
            service: ServiceConfig::from_env("inventory", DEFAULT_PORT)?,
            redis: RedisConfig::from_env("inventory")?,
            reservation_ttl: Duration::from_secs(var_or("RESERVATION_TTL_SECS", 900)?),
            low_stock_threshold: var_or("LOW_STOCK_THRESHOLD", 5)?,
            sweep_interval: kit::config::millis_or("RESERVATION_SWEEP_MS", 5000)?,
        })
    }
}
