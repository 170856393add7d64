//! Authentication at the router: a bearer token is verified against the
//! configured JWKS before any subgraph is called. No token is fine (the
//! subgraphs decide what anonymous callers may see); an invalid, expired or
//! forged one is refused with `UNAUTHENTICATED`. Verified claims can be
//! sent to the subgraphs in a header that clients cannot forge (the
//! client's own copy is always dropped).
//!
//! Keys come from one or more JWKS URLs, fetched at start, refreshed on an
//! interval, and refetched when a token names an unknown `kid` (at most
//! once per `MIN_REFETCH`, so garbage tokens cannot hammer the issuer).

use std::{
    borrow::Cow,
    collections::HashMap,
    str::FromStr,
    sync::{Arc, Mutex, RwLock},
    time::{Duration, Instant},
};

use lru::LruCache;

use axum::http::{HeaderMap, HeaderName, HeaderValue, header};
use jsonwebtoken::{Algorithm, DecodingKey, Validation, jwk::JwkSet};
use serde::Deserialize;
use serde_json::{Map, Value};

use crate::error::{RequestError, RequestFailure};

pub const UNAUTHENTICATED: &str = "UNAUTHENTICATED";
const MIN_REFETCH: Duration = Duration::from_secs(10);

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct AuthConfig {
    /// JWKS endpoints whose keys sign accepted tokens; none switches
    /// verification at the router off. `ROUTER_JWKS_URLS`, comma-separated.
    pub jwks_urls: Vec<String>,
    /// Accepted `iss` values (any when empty). `ROUTER_JWT_ISSUERS`.
    pub issuers: Vec<String>,
    /// Accepted `aud` values (not checked when empty). `ROUTER_JWT_AUDIENCES`.
    pub audiences: Vec<String>,
    /// Accepted signing algorithms.
    pub algorithms: Vec<String>,
    /// How often the keys are refetched. `ROUTER_JWKS_REFRESH_SECS`.
    pub refresh_interval_secs: u64,
    /// Send the verified claims, as JSON, to subgraphs in this header.
    /// `ROUTER_JWT_CLAIMS_HEADER`.
    pub claims_header: Option<String>,
}

impl Default for AuthConfig {
    fn default() -> Self {
        Self {
            jwks_urls: Vec::new(),
            issuers: Vec::new(),
            audiences: Vec::new(),
            algorithms: vec!["RS256".into(), "ES256".into(), "EdDSA".into()],
            refresh_interval_secs: 300,
            claims_header: None,
        }
    }
}

/// A verified token's claims.
pub type Claims = Map<String, Value>;

pub struct Authenticator {
    config: AuthConfig,
    algorithms: Vec<Algorithm>,
    claims_header: Option<HeaderName>,
    http: reqwest::Client,
    keys: RwLock<Keys>,
    /// Tokens already verified, by their text: a signature check costs
    /// hundreds of microseconds (profiled: RSA in `num-bigint-dig`), and a
    /// client sends the same token many times. A hit still checks `exp`;
    /// new keys empty it.
    verified: Mutex<LruCache<Box<str>, Arc<Claims>>>,
}

const VERIFIED_CACHE: usize = 4096;

#[derive(Default)]
struct Keys {
    by_kid: HashMap<Option<String>, DecodingKey>,
    fetched_at: Option<Instant>,
}

impl Authenticator {
    pub fn new(config: AuthConfig) -> anyhow::Result<Self> {
        let algorithms = config
            .algorithms
            .iter()
            .map(|a| {
                Algorithm::from_str(a).map_err(|_| anyhow::anyhow!("unknown JWT algorithm `{a}`"))
            })
            .collect::<anyhow::Result<_>>()?;
        let claims_header = config
            .claims_header
            .as_deref()
            .map(|h| {
                HeaderName::try_from(h).map_err(|e| anyhow::anyhow!("claims header `{h}`: {e}"))
            })
            .transpose()?;
        let http = reqwest::Client::builder().timeout(Duration::from_secs(5)).build()?;
        let size =
            std::num::NonZeroUsize::new(VERIFIED_CACHE).unwrap_or(std::num::NonZeroUsize::MIN);
        Ok(Self {
            config,
            algorithms,
            claims_header,
            http,
            keys: RwLock::new(Keys::default()),
            verified: Mutex::new(LruCache::new(size)),
        })
    }

    pub fn enabled(&self) -> bool {
        !self.config.jwks_urls.is_empty()
    }

    pub fn claims_header(&self) -> Option<&HeaderName> {
        self.claims_header.as_ref()
    }

    /// Fetches the keys now, then every `refresh_interval_secs` until `stop`.
    pub async fn refresh(self: Arc<Self>, stop: tokio_util::sync::CancellationToken) {
        if !self.enabled() {
            return;
        }
        let interval = Duration::from_secs(self.config.refresh_interval_secs.max(1));
        loop {
            self.fetch().await;
            tokio::select! {
                () = stop.cancelled() => return,
                () = tokio::time::sleep(interval) => {}
            }
        }
    }

    async fn fetch(&self) {
        let mut by_kid = HashMap::new();
        for url in &self.config.jwks_urls {
            let fetched = async {
                let set: JwkSet =
                    self.http.get(url).send().await?.error_for_status()?.json().await?;
                anyhow::Ok(set)
            }
            .await;
            match fetched {
                Ok(set) => {
                    for jwk in &set.keys {
                        match DecodingKey::from_jwk(jwk) {
                            Ok(key) => {
                                by_kid.insert(jwk.common.key_id.clone(), key);
                            }
                            Err(e) => tracing::warn!(error = %e, url, "skipping an unusable JWK"),
                        }
                    }
                }
                Err(e) => tracing::warn!(error = %e, url, "could not fetch JWKS"),
            }
        }
        let mut keys = self.keys.write().unwrap_or_else(std::sync::PoisonError::into_inner);
        // A failed fetch keeps the keys we had.
        if !by_kid.is_empty() {
            let changed = keys.by_kid.len() != by_kid.len()
                || by_kid.keys().any(|kid| !keys.by_kid.contains_key(kid));
            keys.by_kid = by_kid;
            if changed {
                self.verified.lock().unwrap_or_else(std::sync::PoisonError::into_inner).clear();
            }
        }
        keys.fetched_at = Some(Instant::now());
    }

    fn key(&self, kid: &Option<String>) -> Option<DecodingKey> {
        let keys = self.keys.read().unwrap_or_else(std::sync::PoisonError::into_inner);
        keys.by_kid.get(kid).cloned()
    }

    /// The claims of `token`, or why it is refused; from the cache when it
    /// was verified before and has not expired since.
    pub async fn verify(&self, token: &str) -> Result<Arc<Claims>, RequestError> {
        let cached = self
            .verified
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .get(token)
            .cloned();
        if let Some(claims) = cached {
            if time_left(&claims).is_some_and(|left| !left.is_zero()) {
                return Ok(claims);
            }
            return Err(refused("the token has expired"));
        }
        let claims = Arc::new(self.verify_signature(token).await?);
        self.verified
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .put(token.into(), claims.clone());
        Ok(claims)
    }

    async fn verify_signature(&self, token: &str) -> Result<Claims, RequestError> {
        let header =
            jsonwebtoken::decode_header(token).map_err(|_| refused("the token is malformed"))?;
        if !self.algorithms.contains(&header.alg) {
            return Err(refused("the token's signing algorithm is not accepted"));
        }
        let key = match self.key(&header.kid) {
            Some(key) => key,
            None => {
                let stale = {
                    let keys = self.keys.read().unwrap_or_else(std::sync::PoisonError::into_inner);
                    keys.fetched_at.is_none_or(|at| at.elapsed() >= MIN_REFETCH)
                };
                if stale {
                    self.fetch().await;
                }
                self.key(&header.kid)
                    .ok_or_else(|| refused("the token is signed by an unknown key"))?
            }
        };
        let mut validation = Validation::new(header.alg);
        validation.leeway = 5;
        validation.set_required_spec_claims(&["exp"]);
        if !self.config.issuers.is_empty() {
            validation.set_issuer(&self.config.issuers);
        }
        if self.config.audiences.is_empty() {
            validation.validate_aud = false;
        } else {
            validation.set_audience(&self.config.audiences);
        }
        jsonwebtoken::decode::<Claims>(token, &key, &validation).map(|data| data.claims).map_err(
            |e| {
                use jsonwebtoken::errors::ErrorKind;
                refused(match e.kind() {
                    ErrorKind::ExpiredSignature => "the token has expired",
                    ErrorKind::InvalidAudience => "the token is not for this audience",
                    ErrorKind::InvalidIssuer => "the token's issuer is not accepted",
                    ErrorKind::ImmatureSignature => "the token is not valid yet",
                    _ => "the token is invalid",
                })
            },
        )
    }

    /// The request's identity: `None` without a token (or when the router
    /// does not verify), the claims of a valid one, or a refusal.
    pub async fn authenticate(
        &self,
        token: Option<&str>,
    ) -> Result<Option<Arc<Claims>>, RequestError> {
        match token {
            Some(token) if self.enabled() => self.verify(token).await.map(Some),
            _ => Ok(None),
        }
    }

    /// `headers` as the rest of the pipeline should see them: the client's
    /// copy of the claims header removed, the verified claims put there.
    pub fn with_claims<'h>(
        &self,
        headers: &'h HeaderMap,
        claims: Option<&Claims>,
    ) -> Cow<'h, HeaderMap> {
        let Some(name) = &self.claims_header else { return Cow::Borrowed(headers) };
        // Anonymous and not pretending otherwise: nothing to take out or put in.
        if claims.is_none() && !headers.contains_key(name) {
            return Cow::Borrowed(headers);
        }
        let mut headers = headers.clone();
        headers.remove(name);
        let value = claims.map(|c| Value::Object(c.clone()).to_string());
        if let Some(value) = value.and_then(|v| HeaderValue::from_str(&v).ok()) {
            headers.insert(name.clone(), value);
        }
        Cow::Owned(headers)
    }
}

/// The bearer token in an `Authorization` header value.
pub fn bearer(value: &str) -> Option<&str> {
    let (scheme, token) = value.trim().split_once(' ')?;
    scheme.eq_ignore_ascii_case("bearer").then_some(token.trim()).filter(|t| !t.is_empty())
}

/// The bearer token of an HTTP request.
pub fn bearer_in(headers: &HeaderMap) -> Option<&str> {
    headers.get(header::AUTHORIZATION).and_then(|v| v.to_str().ok()).and_then(bearer)
}

fn refused(message: &str) -> RequestError {
    RequestError::new(RequestFailure::Unauthenticated, message, UNAUTHENTICATED)
}

/// The claims' `exp`, as a deadline from now.
pub fn time_left(claims: &Claims) -> Option<Duration> {
    let exp = claims.get("exp")?.as_u64()?;
    let now = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).ok()?.as_secs();
    Some(Duration::from_secs(exp.saturating_sub(now)))
}
