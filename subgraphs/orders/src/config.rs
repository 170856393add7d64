use std::time::Duration;

use kit::config::{ConfigError, ServiceConfig, millis_or, var_or};

pub const DEFAULT_PORT: u16 = 4005;

#[derive(Debug, Clone)]
pub struct OrdersConfig {
    pub service: ServiceConfig,
    /// `CART_URL`, `CATALOG_URL`, `INVENTORY_URL`, `USERS_URL`, `SHIPPING_URL`: the
    /// subgraphs checkout reads from (the cart and addresses with the
    /// customer's own token).
    pub cart_url: String,
    pub catalog_url: String,
    pub inventory_url: String,
    pub users_url: String,
    /// `SHIPPING_URL`: where shipping costs are quoted.
    pub shipping_url: String,
    /// `PAYMENTS_URL`: where a saved payment method named at checkout is
    /// checked to be the customer's.
    pub payments_url: String,
    /// `SAGA_TIMEOUT_SECS`, default 1200: a PENDING order older than this is
    /// cancelled (its reservation will have expired).
    pub saga_timeout: Duration,
    /// `SAGA_SWEEP_MS`, default 10000.
    pub sweep_interval: Duration,
}

impl OrdersConfig {
    pub fn from_env() -> Result<Self, ConfigError> {
        Ok(Self {
            service: ServiceConfig::from_env("orders", DEFAULT_PORT)?,
            cart_url: var_or("CART_URL", "http://127.0.0.1:4004/graphql".into())?,
            catalog_url: var_or("CATALOG_URL", "http://127.0.0.1:4002/graphql".into())?,
            inventory_url: var_or("INVENTORY_URL", "http://127.0.0.1:4003/graphql".into())?,
            users_url: var_or("USERS_URL", "http://127.0.0.1:4001/graphql".into())?,
            shipping_url: var_or("SHIPPING_URL", "http://127.0.0.1:4007/graphql".into())?,
            payments_url: var_or("PAYMENTS_URL", "http://127.0.0.1:4006/graphql".into())?,
            saga_timeout: Duration::from_secs(var_or("SAGA_TIMEOUT_SECS", 1200)?),
            sweep_interval: millis_or("SAGA_SWEEP_MS", 10_000)?,
        })
    }
}
