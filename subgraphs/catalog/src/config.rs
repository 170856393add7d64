use kit::config::{ConfigError, MongoConfig, RedisConfig, ServiceConfig, var_or};

pub const DEFAULT_PORT: u16 = 4002;

#[derive(Debug, Clone)]
pub struct CatalogConfig {
    pub service: ServiceConfig,
    pub mongo: MongoConfig,
    pub redis: RedisConfig,
    /// `IMAGE_BASE_URL`: the public address images are served under
    /// (`GET /images/{id}` on this service, or a CDN in front of it).
    pub image_base_url: String,
    /// `MAX_IMAGE_BYTES`, default 10 MiB: the largest image upload.
    pub max_image_bytes: usize,
}

impl CatalogConfig {
    pub fn from_env() -> Result<Self, ConfigError> {
        Ok(Self {
            service: ServiceConfig::from_env("catalog", DEFAULT_PORT)?,
            mongo: MongoConfig::from_env("catalog")?,
            redis: RedisConfig::from_env("catalog")?,
            image_base_url: var_or(
                "IMAGE_BASE_URL",
                format!("http://127.0.0.1:{DEFAULT_PORT}/images"),
            )?,
            max_image_bytes: var_or("MAX_IMAGE_BYTES", 10 * 1024 * 1024)?,
        })
    }
}
