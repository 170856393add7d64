//! Authentication at the router: bearer tokens verified against a JWKS
//! served on port 0, before any subgraph is called; verified claims passed
//! to subgraphs in a header the client cannot forge; WebSocket tokens
//! verified at `connection_init` and the connection closed when they expire.

use std::{
    sync::{
        Arc, Mutex,
        atomic::{AtomicUsize, Ordering},
    },
    time::{Duration, SystemTime, UNIX_EPOCH},
};

use axum::{Json, Router, extract::State, http::HeaderMap, routing::get, routing::post};
use futures::{SinkExt, StreamExt};
use jsonwebtoken::{Algorithm, EncodingKey, Header};
use router::{
    RouterConfig,
    compose::{SubgraphSource, compose},
};
use serde_json::{Value, json};
use tokio::net::TcpListener;
use tokio_tungstenite::tungstenite::Message;

use crate::helpers::{start_router, websocket};

pub const SIGNER: &str = include_str!("keys/signer.pem");
const FORGER: &str = include_str!("keys/forger.pem");
const SIGNER_N: &str = include_str!("keys/signer.n");
const CLAIMS_HEADER: &str = "x-verified-claims";

/// A JWKS endpoint that counts its fetches, and a subgraph that answers
/// `claims` with the claims header it received.
struct Issuer {
    jwks_url: String,
    fetches: Arc<AtomicUsize>,
    seen_by_subgraph: Arc<Mutex<Vec<Option<String>>>>,
    subgraph_url: String,
}

pub async fn serve(app: Router) -> String {
    let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let address = listener.local_addr().expect("address");
    tokio::spawn(async move { axum::serve(listener, app).await.ok() });
    format!("http://{address}")
}

/// A JWKS endpoint with the signer's key as `k1`, counting its fetches.
pub async fn jwks() -> (String, Arc<AtomicUsize>) {
    let fetches = Arc::new(AtomicUsize::new(0));
    let counter = fetches.clone();
    let jwks = Router::new().route(
        "/jwks.json",
        get(move || {
            counter.fetch_add(1, Ordering::SeqCst);
            let n = SIGNER_N.trim().to_owned();
            async move {
                Json(json!({ "keys": [
                    { "kty": "RSA", "kid": "k1", "alg": "RS256", "use": "sig", "n": n, "e": "AQAB" }
                ] }))
            }
        }),
    );
    (format!("{}/jwks.json", serve(jwks).await), fetches)
}

impl Issuer {
    async fn start() -> Self {
        let (jwks_url, fetches) = jwks().await;
        let seen: Arc<Mutex<Vec<Option<String>>>> = Arc::default();
        let subgraph =
            Router::new()
                .route(
                    "/graphql",
                    post(
                        |State(seen): State<Arc<Mutex<Vec<Option<String>>>>>,
                         headers: HeaderMap| async move {
                            let claims = headers
                                .get(CLAIMS_HEADER)
                                .and_then(|v| v.to_str().ok())
                                .map(str::to_owned);
                            seen.lock().expect("lock").push(claims.clone());
                            Json(json!({ "data": { "claims": claims } }))
                        },
                    ),
                )
                .with_state(seen.clone());
        let subgraph_url = format!("{}/graphql", serve(subgraph).await);
        Self { jwks_url, fetches, seen_by_subgraph: seen, subgraph_url }
    }

    fn config(&self) -> RouterConfig {
        let mut config = RouterConfig::default();
        config.auth.jwks_urls = vec![self.jwks_url.clone()];
        config.auth.issuers = vec!["https://issuer.example".into()];
        config.auth.audiences = vec!["shop".into()];
        config.auth.claims_header = Some(CLAIMS_HEADER.into());
        config
    }

    async fn router(&self) -> server::RunningApp {
        let source = SubgraphSource {
            name: "echo".into(),
            routing_url: self.subgraph_url.clone(),
            sdl: "type Query { claims: String }".into(),
        };
        let supergraph = compose(&[source]).expect("composes");
        start_router(&supergraph, self.config()).await
    }
}

pub fn now() -> u64 {
    SystemTime::now().duration_since(UNIX_EPOCH).expect("clock").as_secs()
}

pub fn token(key_pem: &str, kid: &str, claims: Value) -> String {
    let mut header = Header::new(Algorithm::RS256);
    header.kid = Some(kid.into());
    let key = EncodingKey::from_rsa_pem(key_pem.as_bytes()).expect("test key");
    jsonwebtoken::encode(&header, &claims, &key).expect("signs")
}

fn claims(sub: &str, exp: u64, aud: &str) -> Value {
    json!({ "sub": sub, "iss": "https://issuer.example", "aud": aud, "exp": exp, "scope": "read" })
}

async fn ask(router: &server::RunningApp, token: Option<&str>) -> (u16, Value) {
    let mut request = reqwest::Client::new()
        .post(router.url("/graphql"))
        .header("accept", "application/graphql-response+json")
        .header(CLAIMS_HEADER, r#"{"sub":"admin","forged":true}"#)
        .json(&json!({ "query": "{ claims }" }));
    if let Some(token) = token {
        request = request.bearer_auth(token);
    }
    let response = request.send().await.expect("router answers");
    (response.status().as_u16(), response.json().await.expect("JSON"))
}

#[tokio::test]
async fn valid_tokens_pass_with_their_claims_and_bad_ones_are_refused_before_any_fetch() {
    let issuer = Issuer::start().await;
    let router = issuer.router().await;

    let valid = token(SIGNER, "k1", claims("user-1", now() + 600, "shop"));
    let (status, body) = ask(&router, Some(&valid)).await;
    assert_eq!(status, 200, "{body}");
    let forwarded: Value =
        serde_json::from_str(body["data"]["claims"].as_str().expect("claims forwarded"))
            .expect("json");
    assert_eq!(forwarded["sub"], "user-1");
    assert_eq!(forwarded.get("forged"), None, "the client's own header is dropped");

    // No token: anonymous, and the client's forged claims never pass.
    let (status, body) = ask(&router, None).await;
    assert_eq!((status, &body["data"]["claims"]), (200, &Value::Null), "{body}");

    let seen_before = issuer.seen_by_subgraph.lock().expect("lock").len();
    let refused = [
        ("expired", token(SIGNER, "k1", claims("user-1", now() - 60, "shop"))),
        ("forged", token(FORGER, "k1", claims("user-1", now() + 600, "shop"))),
        ("wrong audience", token(SIGNER, "k1", claims("user-1", now() + 600, "other"))),
        ("unknown key", token(SIGNER, "k9", claims("user-1", now() + 600, "shop"))),
        ("not a JWT", "garbage".to_owned()),
        ("alg none", alg_none(&claims("user-1", now() + 600, "shop"))),
    ];
    for (case, token) in refused {
        let (status, body) = ask(&router, Some(&token)).await;
        assert_eq!(status, 401, "{case}: {body}");
        assert_eq!(body["errors"][0]["extensions"]["code"], "UNAUTHENTICATED", "{case}: {body}");
        assert!(body.get("data").is_none(), "{case}: {body}");
    }
    assert_eq!(issuer.seen_by_subgraph.lock().expect("lock").len(), seen_before, "no fetch");
    // The start-up fetch, plus at most one refetch for the unknown kid.
    assert!(
        issuer.fetches.load(Ordering::SeqCst) <= 2,
        "{}",
        issuer.fetches.load(Ordering::SeqCst)
    );
}

/// A token with `alg: none` and no signature.
fn alg_none(claims: &Value) -> String {
    use base64::Engine;
    let encode = |v: &Value| base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(v.to_string());
    format!("{}.{}.", encode(&json!({ "alg": "none", "typ": "JWT", "kid": "k1" })), encode(claims))
}

async fn websocket_close_code(router: &server::RunningApp, token: &str) -> Option<u16> {
    let mut socket = websocket(router).await;
    let init = json!({ "type": "connection_init", "payload": { "Authorization": format!("Bearer {token}") } });
    socket.send(Message::Text(init.to_string().into())).await.expect("sends");
    let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
    loop {
        let message = tokio::time::timeout_at(deadline, socket.next()).await.ok()??.ok()?;
        if let Message::Close(frame) = message {
            return frame.map(|f| u16::from(f.code));
        }
    }
}

#[tokio::test]
async fn websocket_tokens_are_verified_at_init_and_end_the_connection_when_they_expire() {
    let issuer = Issuer::start().await;
    let router = issuer.router().await;
    let expired = token(SIGNER, "k1", claims("user-1", now() - 60, "shop"));
    assert_eq!(websocket_close_code(&router, &expired).await, Some(4403));
    let forged = token(FORGER, "k1", claims("user-1", now() + 600, "shop"));
    assert_eq!(websocket_close_code(&router, &forged).await, Some(4403));
    // Valid for about two more seconds: acknowledged, then closed with 4403.
    let brief = token(SIGNER, "k1", claims("user-1", now() + 2, "shop"));
    assert_eq!(websocket_close_code(&router, &brief).await, Some(4403));
}
