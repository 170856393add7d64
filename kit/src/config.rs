//! Typed configuration from the environment.
//!
//! Every setting has a localhost default so that a service starts with no
//! configuration at all. Values are parsed once at startup; a bad value stops
//! the service with a message that names the variable.

use std::{fmt::Display, net::IpAddr, str::FromStr, time::Duration};

#[derive(Debug, thiserror::Error)]
#[error("invalid configuration: {var}={value:?}: {reason}")]
pub struct ConfigError {
    pub var: String,
    pub value: String,
    pub reason: String,
}

/// Reads `name`, falling back to `default` when it is unset or empty.
pub fn var_or<T>(name: &str, default: T) -> Result<T, ConfigError>
where
    T: FromStr,
    T::Err: Display,
{
    Ok(var_opt(name)?.unwrap_or(default))
}

/// Reads `name` if it is set and not empty.
pub fn var_opt<T>(name: &str) -> Result<Option<T>, ConfigError>
where
    T: FromStr,
    T::Err: Display,
{
    match std::env::var(name) {
        Ok(raw) => parse_value(name, &raw),
        Err(std::env::VarError::NotPresent) => Ok(None),
        Err(std::env::VarError::NotUnicode(_)) => Err(ConfigError {
            var: name.to_owned(),
            value: String::new(),
            reason: "not valid UTF-8".into(),
        }),
    }
}

fn parse_value<T>(name: &str, raw: &str) -> Result<Option<T>, ConfigError>
where
    T: FromStr,
    T::Err: Display,
{
    let trimmed = raw.trim();
    if trimmed.is_empty() {
        return Ok(None);
    }
    trimmed.parse().map(Some).map_err(|e: T::Err| ConfigError {
        var: name.to_owned(),
        value: raw.to_owned(),
        reason: e.to_string(),
    })
}

/// A duration in milliseconds, e.g. `OUTBOX_POLL_MS=250`.
pub fn millis_or(name: &str, default_ms: u64) -> Result<Duration, ConfigError> {
    var_or(name, default_ms).map(Duration::from_millis)
}

/// How logs are written.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LogFormat {
    Pretty,
    Json,
}

impl FromStr for LogFormat {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.to_ascii_lowercase().as_str() {
            "pretty" | "text" => Ok(Self::Pretty),
            "json" => Ok(Self::Json),
            other => Err(format!("expected `pretty` or `json`, got `{other}`")),
        }
    }
}

/// Settings shared by every subgraph, read with the service's own prefix
/// (`USERS_PORT`, `USERS_DATABASE_URL`, ...) over platform-wide ones.
#[derive(Debug, Clone)]
pub struct ServiceConfig {
    /// Short service name: `users`, `catalog`, ...
    pub name: &'static str,
    /// `BIND_HOST`, default 127.0.0.1.
    pub host: IpAddr,
    /// `<SERVICE>_PORT`.
    pub port: u16,
    /// `<SERVICE>_DATABASE_URL`, default `$POSTGRES_URL/shopgraph_<service>`.
    pub database_url: String,
    /// `DATABASE_MAX_CONNECTIONS`, default 10.
    pub database_max_connections: u32,
    pub events: EventsConfig,
    pub auth: AuthConfig,
}

impl ServiceConfig {
    pub fn from_env(name: &'static str, default_port: u16) -> Result<Self, ConfigError> {
        let prefix = name.to_ascii_uppercase();
        let postgres: String = var_or("POSTGRES_URL", "postgres://postgres@127.0.0.1:5432".into())?;
        let default_db = format!("{}/shopgraph_{name}", postgres.trim_end_matches('/'));
        Ok(Self {
            name,
            host: var_or("BIND_HOST", IpAddr::from([127, 0, 0, 1]))?,
            port: var_or(&format!("{prefix}_PORT"), default_port)?,
            database_url: var_or(&format!("{prefix}_DATABASE_URL"), default_db)?,
            database_max_connections: var_or("DATABASE_MAX_CONNECTIONS", 10)?,
            events: EventsConfig::from_env()?,
            auth: AuthConfig::from_env()?,
        })
    }
}

#[derive(Debug, Clone)]
pub struct EventsConfig {
    /// `AMQP_URL`, default `amqp://guest:guest@127.0.0.1:5672/%2f`.
    pub amqp_url: String,
    /// `EVENTS_EXCHANGE`, default `shopgraph.events` (a durable topic exchange).
    pub exchange: String,
    /// `OUTBOX_POLL_MS`, default 500: the relay's fallback poll when no
    /// NOTIFY arrives.
    pub outbox_poll: Duration,
    /// `CONSUMER_MAX_RETRIES`, default 5: attempts after the first failure
    /// before a message is dead-lettered.
    pub max_retries: u32,
    /// `CONSUMER_RETRY_DELAY_MS`, default 2000.
    pub retry_delay: Duration,
    /// `EVENTS_QUEUE_PREFIX`, default empty: put before every consumer queue
    /// name, so that several environments (or tests) can share a broker.
    pub queue_prefix: String,
}

impl EventsConfig {
    pub fn from_env() -> Result<Self, ConfigError> {
        Ok(Self {
            amqp_url: var_or("AMQP_URL", "amqp://guest:guest@127.0.0.1:5672/%2f".into())?,
            exchange: var_or("EVENTS_EXCHANGE", "shopgraph.events".into())?,
            outbox_poll: millis_or("OUTBOX_POLL_MS", 500)?,
            max_retries: var_or("CONSUMER_MAX_RETRIES", 5)?,
            retry_delay: millis_or("CONSUMER_RETRY_DELAY_MS", 2000)?,
            queue_prefix: var_or("EVENTS_QUEUE_PREFIX", String::new())?,
        })
    }
}

/// MongoDB, for the services that keep documents.
#[derive(Debug, Clone)]
pub struct MongoConfig {
    /// `MONGODB_URL`, default `mongodb://127.0.0.1:27017`.
    pub url: String,
    /// `<SERVICE>_MONGODB_DATABASE`, default `shopgraph_<service>`.
    pub database: String,
}

impl MongoConfig {
    pub fn from_env(service: &str) -> Result<Self, ConfigError> {
        Ok(Self {
            url: var_or("MONGODB_URL", "mongodb://127.0.0.1:27017".into())?,
            database: var_or(
                &format!("{}_MONGODB_DATABASE", service.to_ascii_uppercase()),
                format!("shopgraph_{service}"),
            )?,
        })
    }
}

/// Redis, for caches and carts.
#[derive(Debug, Clone)]
pub struct RedisConfig {
    /// `REDIS_URL`, default `redis://127.0.0.1:6379`.
    pub url: String,
    /// `REDIS_KEY_PREFIX`, default `shopgraph:<service>:`; every key a
    /// service writes starts with it.
    pub key_prefix: String,
}

impl RedisConfig {
    pub fn from_env(service: &str) -> Result<Self, ConfigError> {
        Ok(Self {
            url: var_or("REDIS_URL", "redis://127.0.0.1:6379".into())?,
            key_prefix: var_or("REDIS_KEY_PREFIX", format!("shopgraph:{service}:"))?,
        })
    }
}

/// Where services find the public keys that verify access tokens.
#[derive(Debug, Clone)]
pub struct AuthConfig {
    /// `JWT_JWKS_URL`, default the users service's JWKS endpoint.
    pub jwks_url: String,
    /// `JWT_PUBLIC_KEY_FILE`: a PEM public key; when set it is used instead
    /// of the JWKS URL.
    pub public_key_file: Option<String>,
}

impl AuthConfig {
    pub fn from_env() -> Result<Self, ConfigError> {
        Ok(Self {
            jwks_url: var_or("JWT_JWKS_URL", "http://127.0.0.1:4001/.well-known/jwks.json".into())?,
            public_key_file: var_opt("JWT_PUBLIC_KEY_FILE")?,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn log_format_rejects_unknown_values() {
        assert_eq!("JSON".parse::<LogFormat>(), Ok(LogFormat::Json));
        assert!("xml".parse::<LogFormat>().is_err());
    }

    #[test]
    fn a_bad_value_names_the_variable() {
        let err = parse_value::<u16>("USERS_PORT", "abc").expect_err("not a port");
        assert!(err.to_string().contains("USERS_PORT=\"abc\""), "{err}");
        assert_eq!(parse_value::<u16>("USERS_PORT", " 4101 ").ok(), Some(Some(4101)));
        assert_eq!(parse_value::<u16>("USERS_PORT", "  ").ok(), Some(None));
    }
}
