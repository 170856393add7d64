//! What the router needs to know about Shopgraph: the key that signs its
//! requests to the subgraphs (they answer nothing else), and, to enforce
//! the authorization directives in the supergraph (`kit::directives`),
//! where the users service publishes the keys that sign access tokens, the
//! issuer it writes into them, and what the `admin` policy means.

use router::{RouterConfig, planning::PolicyRule};

/// `config` with Shopgraph's token verification and policies filled in
/// where it does not set them itself. `users_url` is the users service's
/// base URL (`http://host:port`).
pub fn with_shopgraph_auth(config: RouterConfig, users_url: &str) -> RouterConfig {
    let mut config = with_service_signing(config);
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
    with_shopgraph_playground(config)
}

/// What a first-time visitor of GraphiQL sees: how to sign in and follow an
/// order live. Kept unless the configuration sets its own.
const PLAYGROUND_DOCUMENT: &str = r#"# Welcome to Shopgraph. Sign in as a demo customer, put
# {"Authorization": "Bearer <accessToken>"} in the Headers tab,
# check out, then follow the order live with FollowOrder.
mutation SignIn {
  login(email: "alice@shopgraph.local", password: "shopgraph-demo") {
    accessToken
  }
}

query Products {
  products(first: 5) { edges { node { id name price { formatted } availableQuantity } } }
}

subscription FollowOrder($orderId: ID!) {
  orderStatusChanged(orderId: $orderId) {
    status
    previousStatus
    at
    order { number total { formatted } items { productName quantity } shipment { trackingNumber status } }
  }
}
"#;

fn with_shopgraph_playground(mut config: RouterConfig) -> RouterConfig {
    if config.graphiql.default_document.is_none() {
        config.graphiql.default_document = Some(PLAYGROUND_DOCUMENT.to_owned());
    }
    if config.graphiql.title == router::config::GraphiqlConfig::default().title {
        config.graphiql.title = "Shopgraph".to_owned();
    }
    config
}

/// `config` signing subgraph requests with the services' key
/// (`SERVICE_SIGNING_KEYS`, else this process's own), unless it has a key
/// of its own or the services accept unsigned requests.
pub fn with_service_signing(mut config: RouterConfig) -> RouterConfig {
    if config.subgraph_signing_key.is_none() {
        match kit::config::SigningConfig::from_env() {
            Ok(signing) if signing.disabled => {}
            Ok(signing) => config.subgraph_signing_key = Some(signing.signing_key().to_owned()),
            Err(e) => tracing::warn!(error = %e, "the services' signing settings are invalid"),
        }
    }
    config
}
