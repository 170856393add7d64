//! `@authenticated`, `@requiresScopes` and `@policy` enforced by the router:
//! denied fields are `null` with an error at their path, nothing is fetched
//! for them, and the rest of the operation runs.

use std::sync::{
    Arc,
    atomic::{AtomicUsize, Ordering},
};

use async_graphql::{Context, EmptyMutation, EmptySubscription, ID, Object, Schema, SimpleObject};
use router::{RouterConfig, config::AuthorizationConfig};
use serde_json::{Value, json};

use crate::{
    auth::{SIGNER, jwks, now, token},
    helpers::{SubgraphServer, start_router},
};

/// The vault's SDL as a federation 2.6 subgraph declares it.
const VAULT_SDL: &str = r#"
extend schema @link(url: "https://specs.apollo.dev/federation/v2.6", import: ["@authenticated", "@requiresScopes", "@policy"])

type Query {
  greeting: String!
  me: Account @authenticated
  secrets: [Secret!] @requiresScopes(scopes: [["read:secrets"], ["admin"]])
  adminNote: String @policy(policies: [["staff"]])
}

type Account {
  id: ID!
  name: String!
  email: String! @requiresScopes(scopes: [["read:email"]])
}

type Secret {
  id: ID!
}
"#;

#[derive(SimpleObject)]
struct Account {
    id: ID,
    name: String,
    email: String,
}

#[derive(SimpleObject)]
struct Secret {
    id: ID,
}

struct Query;

#[Object]
impl Query {
    async fn greeting(&self) -> &str {
        "hello"
    }
    async fn me(&self) -> Option<Account> {
        Some(Account { id: ID("u1".into()), name: "Ada".into(), email: EMAIL.into() })
    }
    async fn secrets(&self, ctx: &Context<'_>) -> Option<Vec<Secret>> {
        ctx.data_unchecked::<Arc<AtomicUsize>>().fetch_add(1, Ordering::SeqCst);
        Some(vec![Secret { id: ID(SECRET_ID.into()) }])
    }
    async fn admin_note(&self) -> Option<&str> {
        Some(NOTE)
    }
}

pub struct Vault {
    pub router: server::RunningApp,
    pub supergraph: String,
    secrets_resolved: Arc<AtomicUsize>,
    _subgraph: SubgraphServer,
}

/// What the denied resolvers answer: never in a response that denies them.
pub const SECRET_ID: &str = "vault-secret-7f3a";
pub const EMAIL: &str = "ada@example.com";
pub const NOTE: &str = "inventory count on Friday";

pub async fn vault(reject: bool) -> Vault {
    let secrets_resolved = Arc::new(AtomicUsize::new(0));
    let schema = Schema::build(Query, EmptyMutation, EmptySubscription)
        .data(secrets_resolved.clone())
        .enable_federation()
        .finish();
    let mut subgraph = SubgraphServer::start("vault", schema).await;
    subgraph.sdl = VAULT_SDL.into();
    let supergraph = router::compose::compose(&[subgraph.source()]).expect("the vault composes");
    assert!(supergraph.contains("@requiresScopes(scopes: [[\"read:email\"]])"), "{supergraph}");
    let (jwks_url, _) = jwks().await;
    let policies = serde_json::from_value(json!({
        "staff": { "claim": "role", "equals": "STAFF" },
    }))
    .expect("policies");
    let mut config = RouterConfig {
        authorization: AuthorizationConfig { reject_unauthorized: reject, policies },
        ..RouterConfig::default()
    };
    config.auth.jwks_urls = vec![jwks_url];
    let router = start_router(&supergraph, config).await;
    Vault { router, supergraph, secrets_resolved, _subgraph: subgraph }
}

pub fn bearer(scope: &str, role: &str) -> String {
    token(SIGNER, "k1", json!({ "sub": "u1", "exp": now() + 600, "scope": scope, "role": role }))
}

async fn ask(vault: &Vault, query: &str, token: Option<&str>) -> (u16, Value) {
    let mut request = reqwest::Client::new()
        .post(vault.router.url("/graphql"))
        .header("accept", "application/graphql-response+json")
        .json(&json!({ "query": query }));
    if let Some(token) = token {
        request = request.bearer_auth(token);
    }
    let response = request.send().await.expect("router answers");
    (response.status().as_u16(), response.json().await.expect("JSON"))
}

fn denied(body: &Value) -> Vec<(Value, String)> {
    body["errors"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|e| {
            (e["path"].clone(), e["extensions"]["code"].as_str().unwrap_or_default().to_owned())
        })
        .collect()
}

#[tokio::test]
async fn denied_fields_are_null_with_an_error_and_are_never_fetched() {
    let vault = vault(false).await;

    let (status, body) = ask(&vault, "{ greeting me { name } secrets { id } }", None).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["data"], json!({ "greeting": "hello", "me": null, "secrets": null }));
    assert_eq!(
        denied(&body),
        [
            (json!(["me"]), "UNAUTHENTICATED".to_owned()),
            (json!(["secrets"]), "UNAUTHENTICATED".to_owned())
        ]
    );
    assert_eq!(
        vault.secrets_resolved.load(Ordering::SeqCst),
        0,
        "nothing fetched for a denied field"
    );

    // Signed in, without the scopes: a non-null field denied nulls its parent.
    let plain = bearer("profile", "CUSTOMER");
    let (_, body) =
        ask(&vault, "{ me { name email } secrets { id } adminNote }", Some(&plain)).await;
    assert_eq!(body["data"], json!({ "me": null, "secrets": null, "adminNote": null }), "{body}");
    assert_eq!(
        denied(&body),
        [
            (json!(["me", "email"]), "FORBIDDEN".to_owned()),
            (json!(["secrets"]), "FORBIDDEN".to_owned()),
            (json!(["adminNote"]), "FORBIDDEN".to_owned()),
        ]
    );
    let (_, body) = ask(&vault, "{ me { name } }", Some(&plain)).await;
    assert_eq!(body, json!({ "data": { "me": { "name": "Ada" } } }));
    assert_eq!(vault.secrets_resolved.load(Ordering::SeqCst), 0);

    // Either inner list of scopes is enough; the policy holds for staff.
    let full = bearer("read:email read:secrets", "STAFF");
    let (_, body) = ask(&vault, "{ me { email } secrets { id } adminNote }", Some(&full)).await;
    assert_eq!(
        body,
        json!({ "data": {
            "me": { "email": "ada@example.com" },
            "secrets": [{ "id": "vault-secret-7f3a" }],
            "adminNote": "inventory count on Friday",
        } })
    );
    let admin = bearer("admin", "CUSTOMER");
    let (_, body) = ask(&vault, "{ secrets { id } }", Some(&admin)).await;
    assert_eq!(body, json!({ "data": { "secrets": [{ "id": "vault-secret-7f3a" }] } }));
    assert_eq!(vault.secrets_resolved.load(Ordering::SeqCst), 2);
}

#[tokio::test]
async fn the_reject_mode_refuses_the_whole_operation() {
    let vault = vault(true).await;
    let (status, body) =
        ask(&vault, "{ greeting secrets { id } }", Some(&bearer("", "CUSTOMER"))).await;
    assert_eq!(status, 403, "{body}");
    assert!(body.get("data").is_none(), "{body}");
    assert_eq!(denied(&body), [(json!(["secrets"]), "FORBIDDEN".to_owned())]);
    let (status, body) = ask(&vault, "{ greeting }", None).await;
    assert_eq!((status, body), (200, json!({ "data": { "greeting": "hello" } })));
    assert_eq!(vault.secrets_resolved.load(Ordering::SeqCst), 0);
}
