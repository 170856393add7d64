//! Typed configuration of a Shopgraph service from the environment, on the
//! parsing helpers of the `server` crate (a bad value names its variable).

use std::{net::IpAddr, time::Duration};

use server::config::set_list;
pub use server::config::{ConfigError, LogFormat, millis_or, var_opt, var_or};

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
    /// `<SERVICE>_METRICS_PORT`: serve `/metrics` on this port (on `host`)
    /// instead of the main one. Unset: the main port.
    pub metrics_port: Option<u16>,
    /// `<SERVICE>_DATABASE_URL`, default `$POSTGRES_URL/shopgraph_<service>`.
    pub database_url: String,
    /// `DATABASE_MAX_CONNECTIONS`, default 10.
    pub database_max_connections: u32,
    /// `UPSTREAM_TIMEOUT_MS`, default 5000: how long a call to another
    /// subgraph may take.
    pub upstream_timeout: Duration,
    pub events: EventsConfig,
    pub auth: AuthConfig,
    pub signing: SigningConfig,
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
            metrics_port: var_opt(&format!("{prefix}_METRICS_PORT"))?,
            database_url: var_or(&format!("{prefix}_DATABASE_URL"), default_db)?,
            database_max_connections: var_or("DATABASE_MAX_CONNECTIONS", 10)?,
            upstream_timeout: millis_or("UPSTREAM_TIMEOUT_MS", 5000)?,
            events: EventsConfig::from_env()?,
            auth: AuthConfig::from_env()?,
            signing: SigningConfig::from_env()?,
        })
    }
}

/// Signed requests between services (`server::signing`): a subgraph
/// answers only requests signed by the router or another service.
#[derive(Debug, Clone)]
pub struct SigningConfig {
    /// `SERVICE_SIGNING_KEYS`, comma-separated, the same on the router and
    /// every service: the first signs, any of them is accepted (two during
    /// a rotation). Unset: a key generated for this process, so services in
    /// one process (`shopgraph dev`, tests) call each other and nothing
    /// else can call them.
    pub keys: Vec<String>,
    /// `SERVICE_SIGNING_DISABLED=true` accepts unsigned requests, with a
    /// warning at start. Only where the network itself is trusted.
    pub disabled: bool,
    /// `SERVICE_SIGNING_WINDOW_SECS`, default 60: how far a signature's
    /// timestamp may be from this machine's clock.
    pub window: Duration,
}

impl SigningConfig {
    pub fn from_env() -> Result<Self, ConfigError> {
        let mut keys = Vec::new();
        set_list(&mut keys, "SERVICE_SIGNING_KEYS")?;
        Ok(Self {
            keys,
            disabled: var_or("SERVICE_SIGNING_DISABLED", false)?,
            window: Duration::from_secs(var_or("SERVICE_SIGNING_WINDOW_SECS", 60)?),
        })
    }

    /// The keys in use: the configured ones, else this process's own.
    pub fn keys(&self) -> Vec<String> {
        if self.keys.is_empty() {
            vec![server::signing::process_key().to_owned()]
        } else {
            self.keys.clone()
        }
    }

    /// The key that signs: the first configured, else this process's own.
    pub fn signing_key(&self) -> &str {
        self.keys.first().map_or(server::signing::process_key(), String::as_str)
    }

    /// How `service` signs its calls to other services.
    pub fn signer(&self, service: &str) -> server::signing::RequestSigner {
        server::signing::RequestSigner::new(service, self.signing_key())
    }

    /// What checks incoming requests, or none when signing is disabled.
    pub fn verifier(&self, service: &str) -> Option<server::signing::RequestVerifier> {
        if self.disabled {
            tracing::warn!(
                service,
                "SERVICE_SIGNING_DISABLED: this service answers anyone who reaches its port"
            );
            return None;
        }
        if self.keys.is_empty() {
            tracing::info!(
                service,
                "SERVICE_SIGNING_KEYS is not set: only callers in this process can sign requests"
            );
        }
        Some(server::signing::RequestVerifier::new(&self.keys(), self.window))
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
    /// `EVENTS_QUORUM_QUEUES`, default true: consumer queues (and their
    /// retry and dead-letter queues) are quorum queues, replicated across a
    /// RabbitMQ cluster, so a broker node can fail without losing messages.
    /// `false` keeps classic queues (an existing queue keeps its type: a
    /// broker refuses to redeclare it as the other).
    pub quorum_queues: bool,
    /// `CONSUMER_DELIVERY_LIMIT`, default 10 (quorum queues): a message
    /// delivered this often without an ack (its consumer crashed on it
    /// each time) is dead-lettered rather than crash the next one.
    pub delivery_limit: u32,
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
            quorum_queues: var_or("EVENTS_QUORUM_QUEUES", true)?,
            delivery_limit: var_or("CONSUMER_DELIVERY_LIMIT", 10)?,
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
