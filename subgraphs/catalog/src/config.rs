use kit::config::{ConfigError, MongoConfig, RedisConfig, ServiceConfig};

pub const DEFAULT_PORT: u16 = 4002;

#[derive(Debug, Clone)]
pub struct CatalogConfig {
    pub service: ServiceConfig,
    pub mongo: MongoConfig,
    pub redis: RedisConfig,
}

impl CatalogConfig {
    pub fn from_env() -> Result<Self, ConfigError> {
        Ok(Self {
            service: ServiceConfig::from_env("catalog", DEFAULT_PORT)?,
            mongo: MongoConfig::from_env("catalog")?,
            redis: RedisConfig::from_env("catalog")?,
        })
    }
}
