//! Access-token verification and GraphQL guards.
//!
//! Access tokens are RS256 JWTs issued by the users service. Other services
//! verify them with a public key: either a PEM file, or the users service's
//! JWKS endpoint, cached by `kid` and refetched when an unknown `kid` shows up
//! (key rotation), at most once per `JWKS_MIN_REFRESH`.

use std::{
    collections::HashMap,
    sync::Arc,
    time::{Duration, Instant},
};

use async_graphql::{Context, Guard};
use jsonwebtoken::{Algorithm, DecodingKey, Validation, jwk::JwkSet};
use serde::{Deserialize, Serialize};
use tokio::sync::RwLock;
use uuid::Uuid;

use crate::{config::AuthConfig, error::AppError};

/// Issuer written into and required from every access token.
pub const ISSUER: &str = "shopgraph";
/// Unknown `kid`s trigger a refetch at most this often, so garbage tokens
/// cannot make us hammer the users service.
pub const JWKS_MIN_REFRESH: Duration = Duration::from_secs(10);

#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, async_graphql::Enum, sqlx::Type,
)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
#[sqlx(type_name = "text", rename_all = "SCREAMING_SNAKE_CASE")]
pub enum Role {
    Customer,
    Admin,
}

/// The claims of an access token.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Claims {
    pub sub: Uuid,
    pub role: Role,
    pub exp: i64,
    pub iat: i64,
    pub jti: Uuid,
    pub iss: String,
}

/// The signed-in caller.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Viewer {
    pub user_id: Uuid,
    pub role: Role,
}

impl Viewer {
    pub fn is_admin(&self) -> bool {
        self.role == Role::Admin
    }
}

/// What a request's `Authorization` header amounted to.
#[derive(Debug, Clone)]
pub enum Auth {
    Anonymous,
    Viewer(Viewer),
    /// A token was sent but is expired, forged or malformed. Fields that
    /// need a caller fail with UNAUTHENTICATED; public fields still work, so
    /// a stale token never locks anyone out of `login`.
    Invalid(&'static str),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum TokenError {
    #[error("access token has expired")]
    Expired,
    #[error("access token is invalid")]
    Invalid,
    #[error("access token was signed by an unknown key")]
    UnknownKey,
}

enum KeySource {
    /// Keys known up front (a PEM file, or the users service's own keys).
    Fixed(HashMap<Option<String>, DecodingKey>),
    Jwks {
        url: String,
        http: reqwest::Client,
        min_refresh: Duration,
    },
}

struct Cache {
    keys: HashMap<Option<String>, DecodingKey>,
    fetched_at: Option<Instant>,
}

/// Verifies RS256 access tokens. Cheap to clone.
#[derive(Clone)]
pub struct JwtVerifier {
    source: Arc<KeySource>,
    cache: Arc<RwLock<Cache>>,
}

impl JwtVerifier {
    /// Verifies with fixed keys, by `kid`. A key under `None` matches tokens
    /// without a `kid`.
    pub fn with_keys(keys: HashMap<Option<String>, DecodingKey>) -> Self {
        Self::new(KeySource::Fixed(keys))
    }

    /// Fetches keys from a JWKS endpoint, refetching on an unknown `kid` at
    /// most once per `min_refresh` (normally [`JWKS_MIN_REFRESH`]).
    pub fn with_jwks_url(url: impl Into<String>, min_refresh: Duration) -> Self {
        let http =
            reqwest::Client::builder().timeout(Duration::from_secs(5)).build().unwrap_or_default();
        Self::new(KeySource::Jwks { url: url.into(), http, min_refresh })
    }

    pub fn from_config(config: &AuthConfig) -> anyhow::Result<Self> {
        match &config.public_key_file {
            Some(path) => {
                let pem = std::fs::read(path)
                    .map_err(|e| anyhow::anyhow!("JWT_PUBLIC_KEY_FILE={path}: {e}"))?;
                let key = DecodingKey::from_rsa_pem(&pem)
                    .map_err(|e| anyhow::anyhow!("JWT_PUBLIC_KEY_FILE={path}: {e}"))?;
                Ok(Self::with_keys(HashMap::from([(None, key)])))
            }
            None => Ok(Self::with_jwks_url(&config.jwks_url, JWKS_MIN_REFRESH)),
        }
    }

    fn new(source: KeySource) -> Self {
        Self {
            source: Arc::new(source),
            cache: Arc::new(RwLock::new(Cache { keys: HashMap::new(), fetched_at: None })),
        }
    }

    pub async fn verify(&self, token: &str) -> Result<Claims, TokenError> {
        let header = jsonwebtoken::decode_header(token).map_err(|_| TokenError::Invalid)?;
        if header.alg != Algorithm::RS256 {
            return Err(TokenError::Invalid);
        }
        let key = self.key_for(header.kid).await?;
        let mut validation = Validation::new(Algorithm::RS256);
        validation.set_issuer(&[ISSUER]);
        validation.set_required_spec_claims(&["exp", "iat", "sub", "iss"]);
        validation.leeway = 5;
        jsonwebtoken::decode::<Claims>(token, &key, &validation).map(|data| data.claims).map_err(
            |e| match e.kind() {
                jsonwebtoken::errors::ErrorKind::ExpiredSignature => TokenError::Expired,
                _ => TokenError::Invalid,
            },
        )
    }

    async fn key_for(&self, kid: Option<String>) -> Result<DecodingKey, TokenError> {
        let (url, http, min_refresh) = match self.source.as_ref() {
            KeySource::Fixed(keys) => {
                return keys
                    .get(&kid)
                    .or_else(|| if keys.len() == 1 { keys.values().next() } else { None })
                    .cloned()
                    .ok_or(TokenError::UnknownKey);
            }
            KeySource::Jwks { url, http, min_refresh } => (url, http, *min_refresh),
        };
        if let Some(key) = self.cache.read().await.keys.get(&kid) {
            return Ok(key.clone());
        }
        let mut cache = self.cache.write().await;
        if let Some(key) = cache.keys.get(&kid) {
            return Ok(key.clone());
        }
        let recently = cache.fetched_at.is_some_and(|at| at.elapsed() < min_refresh);
        if !recently {
            match fetch_jwks(http, url).await {
                Ok(keys) => cache.keys = keys,
                Err(e) => tracing::warn!(error = %e, url, "could not fetch JWKS"),
            }
            cache.fetched_at = Some(Instant::now());
        }
        cache.keys.get(&kid).cloned().ok_or(TokenError::UnknownKey)
    }
}

async fn fetch_jwks(
    http: &reqwest::Client,
    url: &str,
) -> anyhow::Result<HashMap<Option<String>, DecodingKey>> {
    let set: JwkSet = http.get(url).send().await?.error_for_status()?.json().await?;
    let mut keys = HashMap::new();
    for jwk in &set.keys {
        match DecodingKey::from_jwk(jwk) {
            Ok(key) => {
                keys.insert(jwk.common.key_id.clone(), key);
            }
            Err(e) => tracing::warn!(error = %e, "skipping unusable JWK"),
        }
    }
    Ok(keys)
}

/// Reads the caller from the GraphQL context.
pub trait ContextAuthExt {
    fn auth(&self) -> &Auth;

    /// The caller if signed in; anonymous is `None`, a bad token is an error.
    fn viewer_opt(&self) -> Result<Option<&Viewer>, AppError> {
        match self.auth() {
            Auth::Anonymous => Ok(None),
            Auth::Viewer(viewer) => Ok(Some(viewer)),
            Auth::Invalid(reason) => Err(AppError::unauthenticated(*reason)),
        }
    }

    /// The caller, who must be signed in.
    fn viewer(&self) -> Result<&Viewer, AppError> {
        self.viewer_opt()?.ok_or_else(|| AppError::unauthenticated("sign in required"))
    }

    /// The caller, who must be an admin.
    fn admin(&self) -> Result<&Viewer, AppError> {
        let viewer = self.viewer()?;
        if viewer.is_admin() { Ok(viewer) } else { Err(AppError::forbidden("admin role required")) }
    }

    /// `Ok` when the signed-in caller is `owner` or an admin: how entity
    /// resolvers guard a customer's records, so that reaching a subgraph's
    /// `_entities` is never enough to read them. `UNAUTHENTICATED` when
    /// anonymous, `FORBIDDEN` for anyone else.
    fn owner_or_admin(&self, owner: uuid::Uuid, what: &str) -> Result<&Viewer, AppError> {
        let viewer = self.viewer()?;
        if viewer.user_id == owner || viewer.is_admin() {
            Ok(viewer)
        } else {
            Err(AppError::forbidden(format!("only its customer or an admin can see this {what}")))
        }
    }
}

static ANONYMOUS: Auth = Auth::Anonymous;

impl ContextAuthExt for Context<'_> {
    fn auth(&self) -> &Auth {
        self.data_opt::<Auth>().unwrap_or(&ANONYMOUS)
    }
}

/// Guard: the caller must be signed in.
pub struct SignedIn;

impl Guard for SignedIn {
    async fn check(&self, ctx: &Context<'_>) -> async_graphql::Result<()> {
        ctx.viewer()?;
        Ok(())
    }
}

/// Guard: the caller must be an admin.
pub struct AdminOnly;

impl Guard for AdminOnly {
    async fn check(&self, ctx: &Context<'_>) -> async_graphql::Result<()> {
        ctx.admin()?;
        Ok(())
    }
}

/// The caller's raw `Authorization` header, kept so a service can call
/// another subgraph on the caller's behalf (as the caller, never more).
#[derive(Debug, Clone)]
pub struct Authorization(pub String);

/// Turns an `Authorization` header value into `Auth`.
pub async fn authenticate(verifier: &JwtVerifier, header: Option<&str>) -> Auth {
    let Some(header) = header else { return Auth::Anonymous };
    let Some(token) = header.strip_prefix("Bearer ").map(str::trim) else {
        return Auth::Invalid("Authorization must be `Bearer <accessToken>`");
    };
    match verifier.verify(token).await {
        Ok(claims) => Auth::Viewer(Viewer { user_id: claims.sub, role: claims.role }),
        Err(TokenError::Expired) => Auth::Invalid("access token has expired"),
        Err(e) => {
            tracing::info!(reason = %e, "rejected access token");
            Auth::Invalid("access token is invalid")
        }
    }
}
