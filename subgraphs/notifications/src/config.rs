use std::time::Duration;

use kit::config::{ConfigError, MongoConfig, ServiceConfig, millis_or, var_or};

pub const DEFAULT_PORT: u16 = 4008;

#[derive(Debug, Clone)]
pub struct NotificationsConfig {
    pub service: ServiceConfig,
    pub mongo: MongoConfig,
    pub smtp: SmtpConfig,
    /// `NOTIFY_EMAIL`: `smtp` (default) or `log`.
    pub email: EmailTransport,
    /// `NOTIFY_MAX_ATTEMPTS`, default 4: deliveries tried before FAILED.
    pub max_attempts: u32,
    /// `NOTIFY_RETRY_BASE_MS`, default 2000: the first retry's delay,
    /// doubled for each later one.
    pub retry_base: Duration,
    /// `NOTIFY_POLL_MS`, default 500: how often due deliveries are looked for.
    pub poll: Duration,
}

#[derive(Debug, Clone)]
pub struct SmtpConfig {
    /// `SMTP_HOST`, default 127.0.0.1.
    pub host: String,
    /// `SMTP_PORT`, default 1025 (a local mail catcher in development).
    pub port: u16,
    /// `SMTP_FROM`, default `Shopgraph <no-reply@shopgraph.local>`.
    pub from: String,
}

impl NotificationsConfig {
    pub fn from_env() -> Result<Self, ConfigError> {
        Ok(Self {
            service: ServiceConfig::from_env("notifications", DEFAULT_PORT)?,
            mongo: MongoConfig::from_env("notifications")?,
            smtp: SmtpConfig {
                host: var_or("SMTP_HOST", "127.0.0.1".into())?,
                port: var_or("SMTP_PORT", 1025)?,
                from: var_or("SMTP_FROM", "Shopgraph <no-reply@shopgraph.local>".into())?,
            },
            email: var_or("NOTIFY_EMAIL", EmailTransport::Smtp)?,
            max_attempts: var_or("NOTIFY_MAX_ATTEMPTS", 4)?,
            retry_base: millis_or("NOTIFY_RETRY_BASE_MS", 2000)?,
            poll: millis_or("NOTIFY_POLL_MS", 500)?,
        })
    }
}

/// How EMAIL goes out: through `smtp`, or logged, for development without
/// a mail catcher.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EmailTransport {
    Smtp,
    Log,
}

impl std::str::FromStr for EmailTransport {
    type Err = String;
    fn from_str(value: &str) -> Result<Self, String> {
        match value {
            "smtp" => Ok(Self::Smtp),
            "log" => Ok(Self::Log),
            other => Err(format!("`{other}` is neither `smtp` nor `log`")),
        }
    }
}
