//! The users subgraph answers only signed requests (`server::signing`):
//! unsigned, forged, tampered, stale and replayed ones get 401 and no
//! data; health, readiness and the public JWKS stay open; with signing
//! disabled by its explicit setting, anyone is answered.

use axum::{
    body::Body,
    http::{HeaderValue, Request, StatusCode},
};
use kit::{
    http::signing::{RequestSigner, SIGNATURE_HEADER, process_key},
    testing::{call, call_text},
};
use serde_json::Value;
use sqlx::PgPool;

use crate::helpers::TestApp;

const BODY: &str = r#"{"query":"{ _service { sdl } }"}"#;

async fn post(app: &TestApp, signature: Option<HeaderValue>, body: &str) -> (StatusCode, Value) {
    let mut request = Request::post("/graphql")
        .header("content-type", "application/json")
        .body(Body::from(body.to_owned()))
        .expect("request");
    if let Some(signature) = signature {
        request.headers_mut().insert(SIGNATURE_HEADER, signature);
    }
    call(&app.router, request).await
}

fn refused(answer: &(StatusCode, Value)) -> bool {
    answer.0 == StatusCode::UNAUTHORIZED
        && answer.1.get("data").is_none()
        && answer.1["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"
}

#[sqlx::test(migrations = false)]
async fn only_requests_signed_with_a_platform_key_are_answered(pool: PgPool) {
    let app = TestApp::new(pool).await;
    let router = RequestSigner::new("router", process_key());

    assert!(refused(&post(&app, None, BODY).await), "unsigned");
    let forged =
        RequestSigner::new("router", "not-the-key").sign("POST", "/graphql", None, BODY.as_bytes());
    assert!(refused(&post(&app, Some(forged), BODY).await), "another key");
    let other_body = router.sign("POST", "/graphql", None, br#"{"query":"{ __typename }"}"#);
    assert!(refused(&post(&app, Some(other_body), BODY).await), "signed for another body");

    let signature = router.sign("POST", "/graphql", None, BODY.as_bytes());
    let answered = post(&app, Some(signature.clone()), BODY).await;
    assert_eq!(answered.0, StatusCode::OK);
    assert!(
        answered.1["data"]["_service"]["sdl"].as_str().is_some_and(|sdl| sdl.contains("type User"))
    );
    assert!(refused(&post(&app, Some(signature), BODY).await), "replayed");

    for open in ["/health", "/.well-known/jwks.json"] {
        let request = Request::get(open).body(Body::empty()).expect("request");
        assert_eq!(call(&app.router, request).await.0, StatusCode::OK, "{open}");
    }
}

#[sqlx::test(migrations = false)]
async fn a_websocket_upgrade_needs_a_signature_too(pool: PgPool) {
    let app = TestApp::new(pool).await;
    let upgrade = |signature: Option<HeaderValue>| {
        let mut request = Request::get("/graphql")
            .header("connection", "upgrade")
            .header("upgrade", "websocket")
            .header("sec-websocket-version", "13")
            .header("sec-websocket-key", "dGhlIHNhbXBsZSBub25jZQ==")
            .header("sec-websocket-protocol", "graphql-transport-ws")
            .body(Body::empty())
            .expect("request");
        if let Some(signature) = signature {
            request.headers_mut().insert(SIGNATURE_HEADER, signature);
        }
        call(&app.router, request)
    };
    assert_eq!(upgrade(None).await.0, StatusCode::UNAUTHORIZED);
    let signed = RequestSigner::new("router", process_key()).sign("GET", "/graphql", None, b"");
    // Past the signature check: the upgrade itself needs a real connection.
    assert_ne!(upgrade(Some(signed)).await.0, StatusCode::UNAUTHORIZED);
}

#[sqlx::test(migrations = false)]
async fn signing_is_off_only_when_disabled_explicitly(pool: PgPool) {
    let app = TestApp::with_config(pool, |config| config.service.signing.disabled = true).await;
    let answered = post(&app, None, BODY).await;
    assert_eq!(answered.0, StatusCode::OK, "{}", answered.1);
}

#[sqlx::test(migrations = false)]
async fn graphiql_is_the_offline_page_and_its_assets_need_no_signature(pool: PgPool) {
    let html = || {
        Request::get("/graphql").header("accept", "text/html").body(Body::empty()).expect("request")
    };
    // Signed requests only: a browser's GET is refused before any page.
    let app = TestApp::new(pool.clone()).await;
    assert_eq!(call_text(&app.router, html()).await.0, StatusCode::UNAUTHORIZED);
    let asset =
        Request::get("/graphiql/3.8.3/graphiql.min.js").body(Body::empty()).expect("request");
    let (status, headers, _) = call_text(&app.router, asset).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(headers["content-type"], "text/javascript; charset=utf-8");

    let app = TestApp::with_config(pool, |config| config.service.signing.disabled = true).await;
    let (status, headers, page) = call_text(&app.router, html()).await;
    assert_eq!(status, StatusCode::OK);
    assert!(page.contains("<title>users subgraph</title>"), "{page}");
    assert!(page.contains(r#"src="/graphiql/3.8.3/start.js""#), "{page}");
    assert!(!page.contains("https://"), "nothing from another host: {page}");
    assert!(
        headers["content-security-policy"].to_str().expect("ascii").contains("default-src 'none'")
    );
}
