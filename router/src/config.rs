//! The router's typed configuration: an optional YAML file
//! (`--config FILE` or `ROUTER_CONFIG`), then environment overrides.

use std::{collections::HashMap, net::SocketAddr, path::PathBuf};

use serde::Deserialize;
use server::config::{ConfigError, set, set_list, set_some, var_opt};

pub use crate::admission::{
    auth::AuthConfig, cors::CorsConfig, csrf::CsrfConfig, persisted::PersistedConfig,
    rate_limit::RateLimitConfig,
};
pub use crate::planning::{AuthorizationConfig, Limits as LimitsConfig};
pub use crate::transport::uploads::UploadsConfig;

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct RouterConfig {
    /// Where to listen. `ROUTER_LISTEN`, default 127.0.0.1:4000.
    pub listen: SocketAddr,
    /// Serve `/metrics` here instead of on `listen` (which then answers it
    /// 404), e.g. a port only Prometheus reaches. `ROUTER_METRICS_LISTEN`.
    pub metrics_listen: Option<SocketAddr>,
    /// The supergraph SDL to serve; reloaded when the file changes.
    /// `SUPERGRAPH_PATH`, default `schema/supergraph.graphql`.
    pub supergraph_path: PathBuf,
    /// Per-subgraph URL overrides, by subgraph name. Env:
    /// `ROUTER_SUBGRAPH_URL_<NAME>` (name upper-cased).
    pub subgraph_urls: HashMap<String, String>,
    /// Client headers forwarded to every subgraph. `ROUTER_FORWARD_HEADERS`
    /// (comma-separated), default `authorization,traceparent`.
    pub forward_headers: Vec<String>,
    /// Subgraph request timeout. `ROUTER_SUBGRAPH_TIMEOUT_MS`, default 10000.
    pub subgraph_timeout_ms: u64,
    /// Per-subgraph timeouts overriding the default, by subgraph name.
    pub subgraph_timeouts_ms: HashMap<String, u64>,
    pub limits: LimitsConfig,
    pub subscriptions: SubscriptionsConfig,
    /// Cached query plans. `ROUTER_PLAN_CACHE_SIZE`, default 1000.
    pub plan_cache_size: usize,
    /// While a query's subgraph request is in flight, identical ones
    /// (same subgraph, headers and body) share its answer.
    /// `ROUTER_DEDUPE_SUBGRAPH_REQUESTS`, default true.
    pub dedupe_subgraph_requests: bool,
    /// Sign every subgraph request, HTTP and WebSocket, with this shared
    /// key (`server::signing`: HMAC over method, path, timestamp, nonce,
    /// `Authorization` and body), so subgraphs can answer only the router.
    /// `ROUTER_SUBGRAPH_SIGNING_KEY`; none: requests go unsigned.
    pub subgraph_signing_key: Option<String>,
    /// How often the supergraph file is checked for changes.
    pub reload_interval_ms: u64,
    /// Progressive `@override` labels that are flags (not `percent(N)`)
    /// and are switched on. `ROUTER_OVERRIDE_FLAGS`, comma-separated.
    pub override_flags: Vec<String>,
    pub cors: CorsConfig,
    pub csrf: CsrfConfig,
    /// gzip, br, deflate or zstd responses as the client accepts, and
    /// compressed request bodies. `ROUTER_COMPRESSION`, default true.
    pub compression: bool,
    /// Answer a request carrying `Apollo-Expose-Query-Plan: true` with its
    /// query plan in `extensions.apolloQueryPlan` (`dry-run`: the plan
    /// only, nothing executed). For debugging: it shows how the supergraph
    /// is split. `ROUTER_EXPOSE_QUERY_PLAN`, default false.
    pub expose_query_plan: bool,
    pub persisted: PersistedConfig,
    pub batching: BatchingConfig,
    /// Answer `__schema`/`__type`. `ROUTER_INTROSPECTION`, default true;
    /// off, such a request gets `INTROSPECTION_DISABLED`.
    pub introspection: bool,
    pub auth: AuthConfig,
    pub authorization: AuthorizationConfig,
    pub rate_limit: RateLimitConfig,
    pub graphiql: GraphiqlConfig,
    pub uploads: UploadsConfig,
}

/// The GraphiQL page a browser gets at `/graphql`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct GraphiqlConfig {
    /// `ROUTER_GRAPHIQL`, default true; off, browsers get the GraphQL
    /// endpoint's answer to a GET without a query.
    pub enabled: bool,
    /// The page's title. `ROUTER_GRAPHIQL_TITLE`, default "GraphiQL".
    pub title: String,
    /// The operation shown to a first-time visitor; none: GraphiQL's own
    /// welcome text. `ROUTER_GRAPHIQL_DEFAULT_DOCUMENT`.
    pub default_document: Option<String>,
    /// The Headers tab's starting JSON, e.g. `{"Authorization": "Bearer "}`.
    /// `ROUTER_GRAPHIQL_DEFAULT_HEADERS`.
    pub default_headers: Option<String>,
}

impl Default for GraphiqlConfig {
    fn default() -> Self {
        Self {
            enabled: true,
            title: "GraphiQL".into(),
            default_document: None,
            default_headers: None,
        }
    }
}

/// Query batching: a JSON array of requests answered with an array.
#[derive(Debug, Clone, Copy, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct BatchingConfig {
    /// `ROUTER_BATCHING`, default false (as in Apollo Router).
    pub enabled: bool,
    /// Most operations in one batch. `ROUTER_BATCH_MAX_SIZE`, default 10.
    pub max_size: usize,
}

impl Default for BatchingConfig {
    fn default() -> Self {
        Self { enabled: false, max_size: 10 }
    }
}

#[derive(Debug, Clone, Copy, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct SubscriptionsConfig {
    /// Most operations open at once on one WebSocket connection.
    /// `ROUTER_MAX_SUBSCRIPTIONS_PER_CONNECTION`, default 100.
    pub max_per_connection: usize,
    /// Events queued per operation for a slow client before the router
    /// ends that operation. `ROUTER_SUBSCRIPTION_BUFFER`, default 128.
    pub buffer: usize,
    /// Bytes of events (as received from the subgraph) queued per
    /// operation for a slow client, at most.
    /// `ROUTER_SUBSCRIPTION_BUFFER_BYTES`, default 1 MiB.
    pub buffer_bytes: usize,
    /// How often the router pings WebSocket clients and sends SSE
    /// keep-alive comments. `ROUTER_SUBSCRIPTION_HEARTBEAT_MS`, default 15000.
    pub heartbeat_ms: u64,
    /// How long a WebSocket client has to send `connection_init`.
    pub init_timeout_ms: u64,
    /// Operations carried on one upstream connection to a subgraph before
    /// another is opened. `ROUTER_SUBSCRIPTION_OPERATIONS_PER_UPSTREAM`,
    /// default 1000.
    pub operations_per_upstream: usize,
    /// Identical subscriptions (same subgraph, operation, variables and
    /// user) share one upstream operation. `ROUTER_DEDUPE_SUBSCRIPTIONS`,
    /// default true.
    pub deduplicate: bool,
}

impl SubscriptionsConfig {
    pub fn pool_settings(&self) -> crate::subscriptions::PoolSettings {
        crate::subscriptions::PoolSettings {
            operations_per_connection: self.operations_per_upstream,
            deduplicate: self.deduplicate,
            // A late subscriber is sent what the shared operation has sent
            // so far (an order's history, say); past this it gets its own.
            replay: crate::subscriptions::ReplayLimit { events: 64, bytes: 64 * 1024 },
            member_buffer: self.buffer,
            member_bytes: self.buffer_bytes,
        }
    }
}

impl Default for SubscriptionsConfig {
    fn default() -> Self {
        Self {
            max_per_connection: 100,
            buffer: 128,
            buffer_bytes: 1024 * 1024,
            heartbeat_ms: 15_000,
            init_timeout_ms: 10_000,
            operations_per_upstream: 1000,
            deduplicate: true,
        }
    }
}

impl Default for RouterConfig {
    fn default() -> Self {
        Self {
            listen: SocketAddr::from(([127, 0, 0, 1], 4000)),
            metrics_listen: None,
            supergraph_path: PathBuf::from("schema/supergraph.graphql"),
            subgraph_urls: HashMap::new(),
            forward_headers: vec!["authorization".into(), "traceparent".into()],
            subgraph_timeout_ms: 10_000,
            subgraph_timeouts_ms: HashMap::new(),
            limits: LimitsConfig::default(),
            subscriptions: SubscriptionsConfig::default(),
            plan_cache_size: 1000,
            dedupe_subgraph_requests: true,
            subgraph_signing_key: None,
            reload_interval_ms: 1000,
            override_flags: Vec::new(),
            cors: CorsConfig::default(),
            csrf: CsrfConfig::default(),
            compression: true,
            expose_query_plan: false,
            persisted: PersistedConfig::default(),
            batching: BatchingConfig::default(),
            introspection: true,
            auth: AuthConfig::default(),
            authorization: AuthorizationConfig::default(),
            rate_limit: RateLimitConfig::default(),
            graphiql: GraphiqlConfig::default(),
            uploads: UploadsConfig::default(),
        }
    }
}

impl RouterConfig {
    /// Reads `file` (if any), then applies environment overrides.
    pub fn load(file: Option<&std::path::Path>) -> anyhow::Result<Self> {
        let file = file.map(PathBuf::from).or(var_opt::<PathBuf>("ROUTER_CONFIG")?);
        let mut config = match file {
            Some(path) => {
                let text = std::fs::read_to_string(&path)
                    .map_err(|e| anyhow::anyhow!("router config {}: {e}", path.display()))?;
                serde_yaml::from_str(&text)
                    .map_err(|e| anyhow::anyhow!("router config {}: {e}", path.display()))?
            }
            None => Self::default(),
        };
        config.apply_env()?;
        Ok(config)
    }

    fn apply_env(&mut self) -> Result<(), ConfigError> {
        set(&mut self.listen, "ROUTER_LISTEN")?;
        set_some(&mut self.metrics_listen, "ROUTER_METRICS_LISTEN")?;
        set(&mut self.supergraph_path, "SUPERGRAPH_PATH")?;
        if set_list(&mut self.forward_headers, "ROUTER_FORWARD_HEADERS")? {
            self.forward_headers.iter_mut().for_each(|h| h.make_ascii_lowercase());
        }
        set(&mut self.subgraph_timeout_ms, "ROUTER_SUBGRAPH_TIMEOUT_MS")?;
        set(&mut self.limits.max_body_bytes, "ROUTER_MAX_BODY_BYTES")?;
        set(&mut self.limits.max_depth, "ROUTER_MAX_DEPTH")?;
        set(&mut self.limits.max_tokens, "ROUTER_MAX_TOKENS")?;
        set(&mut self.limits.max_height, "ROUTER_MAX_HEIGHT")?;
        set(&mut self.limits.max_aliases, "ROUTER_MAX_ALIASES")?;
        set(&mut self.limits.max_root_fields, "ROUTER_MAX_ROOT_FIELDS")?;
        set(&mut self.limits.max_directives, "ROUTER_MAX_DIRECTIVES")?;
        set(&mut self.limits.max_cost, "ROUTER_MAX_COST")?;
        set(&mut self.limits.default_list_size, "ROUTER_DEFAULT_LIST_SIZE")?;
        set(&mut self.subscriptions.max_per_connection, "ROUTER_MAX_SUBSCRIPTIONS_PER_CONNECTION")?;
        set(&mut self.subscriptions.buffer, "ROUTER_SUBSCRIPTION_BUFFER")?;
        set(&mut self.subscriptions.buffer_bytes, "ROUTER_SUBSCRIPTION_BUFFER_BYTES")?;
        set(&mut self.subscriptions.heartbeat_ms, "ROUTER_SUBSCRIPTION_HEARTBEAT_MS")?;
        set(
            &mut self.subscriptions.operations_per_upstream,
            "ROUTER_SUBSCRIPTION_OPERATIONS_PER_UPSTREAM",
        )?;
        set(&mut self.subscriptions.deduplicate, "ROUTER_DEDUPE_SUBSCRIPTIONS")?;
        set(&mut self.plan_cache_size, "ROUTER_PLAN_CACHE_SIZE")?;
        set(&mut self.dedupe_subgraph_requests, "ROUTER_DEDUPE_SUBGRAPH_REQUESTS")?;
        set_some(&mut self.subgraph_signing_key, "ROUTER_SUBGRAPH_SIGNING_KEY")?;
        set_list(&mut self.override_flags, "ROUTER_OVERRIDE_FLAGS")?;
        set_list(&mut self.cors.origins, "ROUTER_CORS_ORIGINS")?;
        set_list(&mut self.cors.origin_patterns, "ROUTER_CORS_ORIGIN_PATTERNS")?;
        set(&mut self.cors.allow_any_origin, "ROUTER_CORS_ALLOW_ANY_ORIGIN")?;
        set(&mut self.cors.allow_credentials, "ROUTER_CORS_ALLOW_CREDENTIALS")?;
        set(&mut self.cors.max_age_secs, "ROUTER_CORS_MAX_AGE_SECS")?;
        set(&mut self.csrf.enabled, "ROUTER_CSRF_PREVENTION")?;
        set(&mut self.uploads.enabled, "ROUTER_UPLOADS")?;
        set(&mut self.uploads.max_file_bytes, "ROUTER_UPLOAD_MAX_FILE_BYTES")?;
        set(&mut self.uploads.max_files, "ROUTER_UPLOAD_MAX_FILES")?;
        set(&mut self.compression, "ROUTER_COMPRESSION")?;
        set(&mut self.expose_query_plan, "ROUTER_EXPOSE_QUERY_PLAN")?;
        set(&mut self.persisted.apq, "ROUTER_APQ")?;
        set_some(&mut self.persisted.apq_redis_url, "ROUTER_APQ_REDIS_URL")?;
        set(&mut self.persisted.apq_ttl_secs, "ROUTER_APQ_TTL_SECS")?;
        set_some(&mut self.persisted.manifest, "ROUTER_PERSISTED_MANIFEST")?;
        set(&mut self.persisted.only_persisted, "ROUTER_ONLY_PERSISTED")?;
        set(&mut self.batching.enabled, "ROUTER_BATCHING")?;
        set(&mut self.batching.max_size, "ROUTER_BATCH_MAX_SIZE")?;
        set(&mut self.introspection, "ROUTER_INTROSPECTION")?;
        set(&mut self.graphiql.enabled, "ROUTER_GRAPHIQL")?;
        set(&mut self.graphiql.title, "ROUTER_GRAPHIQL_TITLE")?;
        set_some(&mut self.graphiql.default_document, "ROUTER_GRAPHIQL_DEFAULT_DOCUMENT")?;
        set_some(&mut self.graphiql.default_headers, "ROUTER_GRAPHIQL_DEFAULT_HEADERS")?;
        set_list(&mut self.auth.jwks_urls, "ROUTER_JWKS_URLS")?;
        set_list(&mut self.auth.issuers, "ROUTER_JWT_ISSUERS")?;
        set_list(&mut self.auth.audiences, "ROUTER_JWT_AUDIENCES")?;
        set(&mut self.auth.refresh_interval_secs, "ROUTER_JWKS_REFRESH_SECS")?;
        set_some(&mut self.auth.claims_header, "ROUTER_JWT_CLAIMS_HEADER")?;
        set(&mut self.authorization.reject_unauthorized, "ROUTER_AUTHORIZATION_REJECT")?;
        set(&mut self.rate_limit.enabled, "ROUTER_RATE_LIMIT")?;
        set(&mut self.rate_limit.capacity, "ROUTER_RATE_LIMIT_CAPACITY")?;
        set(&mut self.rate_limit.per_second, "ROUTER_RATE_LIMIT_PER_SECOND")?;
        set_some(&mut self.rate_limit.redis_url, "ROUTER_RATE_LIMIT_REDIS_URL")?;
        set(&mut self.rate_limit.trusted_proxy_hops, "ROUTER_TRUSTED_PROXY_HOPS")?;
        // Each subgraph's URL: `ROUTER_SUBGRAPH_URL_<NAME>`.
        for (key, value) in std::env::vars() {
            if let Some(name) = key.strip_prefix("ROUTER_SUBGRAPH_URL_") {
                self.subgraph_urls.insert(name.to_ascii_lowercase(), value);
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The example in the router's README parses, and says what it says.
    #[test]
    fn the_documented_example_file_loads() {
        let path = concat!(env!("CARGO_MANIFEST_DIR"), "/router.example.yaml");
        let text = std::fs::read_to_string(path).expect("the example file");
        let config: RouterConfig = serde_yaml::from_str(&text).expect("a valid config");
        assert_eq!(config.subgraph_urls["users"], "http://127.0.0.1:4001/graphql");
        assert_eq!(config.subgraph_timeouts_ms["users"], 5000);
        assert_eq!(config.limits.max_depth, LimitsConfig::default().max_depth);
        assert_eq!(config.subscriptions.buffer, SubscriptionsConfig::default().buffer);
    }

    #[test]
    fn unknown_fields_are_refused() {
        let refused = serde_yaml::from_str::<RouterConfig>("listen: 127.0.0.1:4000\nlisen: x\n");
        let message = refused.expect_err("a typo is an error").to_string();
        assert!(message.contains("lisen"), "{message}");
    }
}
