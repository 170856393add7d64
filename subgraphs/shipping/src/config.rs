use std::time::Duration;

use kit::config::{ConfigError, ServiceConfig, millis_or, var_or};

pub const DEFAULT_PORT: u16 = 4007;

#[derive(Debug, Clone)]
pub struct ShippingConfig {
    pub service: ServiceConfig,
    /// `CATALOG_URL`: product weights for rate quotes.
    pub catalog_url: String,
    /// `ORDERS_URL`: who may follow an order that has no shipment yet.
    pub orders_url: String,
    /// `SHIPPING_ORIGIN_COUNTRY`, default US: parcels to it are DOMESTIC.
    pub origin_country: String,
    /// `CARRIER_STEP_MS`, default 3000: how often the sandbox carrier moves
    /// each parcel one step (seconds in dev, milliseconds in tests).
    pub carrier_step: Duration,
}

impl ShippingConfig {
    pub fn from_env() -> Result<Self, ConfigError> {
        Ok(Self {
            service: ServiceConfig::from_env("shipping", DEFAULT_PORT)?,
            catalog_url: var_or("CATALOG_URL", "http://127.0.0.1:4002/graphql".into())?,
            orders_url: var_or("ORDERS_URL", "http://127.0.0.1:4005/graphql".into())?,
            origin_country: var_or("SHIPPING_ORIGIN_COUNTRY", "US".into())?,
            carrier_step: millis_or("CARRIER_STEP_MS", 3000)?,
        })
    }
}
