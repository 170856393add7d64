use std::{path::PathBuf, time::Duration};

use kit::config::{ConfigError, ServiceConfig, var_opt, var_or};

pub const DEFAULT_PORT: u16 = 4001;

/// Where the RS256 signing key comes from.
#[derive(Debug, Clone)]
pub enum SigningKeySource {
    /// `JWT_PRIVATE_KEY_PEM`: the PEM itself (PKCS#8 or PKCS#1).
    Pem(String),
    /// `JWT_PRIVATE_KEY_FILE`: a PEM file that must exist.
    File(PathBuf),
    /// The dev default: `$SHOPGRAPH_DATA_DIR/jwt-signing-key.pem`, generated
    /// on first start and reused afterwards.
    GeneratedAt(PathBuf),
}

#[derive(Debug, Clone)]
pub struct UsersConfig {
    pub service: ServiceConfig,
    pub signing_key: SigningKeySource,
    /// `ACCESS_TOKEN_TTL_SECS`, default 900 (15 minutes).
    pub access_token_ttl: Duration,
    /// `REFRESH_TOKEN_TTL_DAYS`, default 30.
    pub refresh_token_ttl: Duration,
    /// `PASSWORD_RESET_TTL_MINS`, default 60.
    pub password_reset_ttl: Duration,
    /// `LOGIN_MAX_FAILURES`, default 5 failed logins per email ...
    pub login_max_failures: i64,
    /// ... within `LOGIN_THROTTLE_WINDOW_SECS`, default 900.
    pub login_throttle_window: Duration,
    /// `SHOPGRAPH_ADMIN_PASSWORD`, default `shopgraph-admin`: the seeded admin.
    pub admin_password: String,
}

impl UsersConfig {
    pub fn from_env() -> Result<Self, ConfigError> {
        let signing_key = if let Some(pem) = var_opt::<String>("JWT_PRIVATE_KEY_PEM")? {
            SigningKeySource::Pem(pem)
        } else if let Some(path) = var_opt::<PathBuf>("JWT_PRIVATE_KEY_FILE")? {
            SigningKeySource::File(path)
        } else {
            let dir: PathBuf = var_or("SHOPGRAPH_DATA_DIR", PathBuf::from(".dev-data"))?;
            SigningKeySource::GeneratedAt(dir.join("jwt-signing-key.pem"))
        };
        Ok(Self {
            service: ServiceConfig::from_env("users", DEFAULT_PORT)?,
            signing_key,
            access_token_ttl: Duration::from_secs(var_or("ACCESS_TOKEN_TTL_SECS", 900)?),
            refresh_token_ttl: Duration::from_secs(86_400 * var_or("REFRESH_TOKEN_TTL_DAYS", 30)?),
            password_reset_ttl: Duration::from_secs(60 * var_or("PASSWORD_RESET_TTL_MINS", 60)?),
            login_max_failures: var_or("LOGIN_MAX_FAILURES", 5)?,
            login_throttle_window: Duration::from_secs(var_or("LOGIN_THROTTLE_WINDOW_SECS", 900)?),
            admin_password: var_or("SHOPGRAPH_ADMIN_PASSWORD", "shopgraph-admin".to_owned())?,
        })
    }
}
