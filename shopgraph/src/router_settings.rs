//! What the router needs to know about Shopgraph to enforce the
//! authorization directives in its supergraph (`kit::directives`): where
//! the users service publishes the keys that sign access tokens, the
//! issuer it writes into them, and what the `admin` policy means.

use router::{RouterConfig, planning::PolicyRule};

/// `config` with Shopgraph's token verification and policies filled in
/// where it does not set them itself. `users_url` is the users service's
/// base URL (`http://host:port`).
pub fn with_shopgraph_auth(mut config: RouterConfig, users_url: &str) -> RouterConfig {
    if config.auth.jwks_urls.is_empty() {
        config.auth.jwks_urls = vec![format!("{users_url}/.well-known/jwks.json")];
        config.auth.issuers = vec![kit::auth::ISSUER.to_owned()];
    }
    config.authorization.policies.entry(kit::directives::ADMIN_POLICY.to_owned()).or_insert(
        PolicyRule {
            claim: "role".to_owned(),
            equals: serde_json::to_value(kit::auth::Role::Admin).ok(),
            contains: None,
        },
    );
    config
}
