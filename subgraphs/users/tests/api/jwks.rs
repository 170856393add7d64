//! Other services verify tokens through the users service's JWKS endpoint.

use std::{sync::Arc, time::Duration};

use axum::{Json, Router, routing::get};
use kit::auth::{JwtVerifier, TokenError};
use serde_json::Value;
use sqlx::PgPool;
use tokio::sync::RwLock;

use crate::helpers::{TestApp, foreign_keys, signing_keys};

#[sqlx::test(migrations = false)]
async fn tokens_verify_against_the_served_jwks_and_foreign_ones_do_not(pool: PgPool) {
    let app = TestApp::new(pool).await;
    let session = app.register("ada@example.com", "Ada").await;
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let addr = listener.local_addr().expect("addr");
    let server = tokio::spawn(axum::serve(listener, app.router.clone()).into_future());

    let verifier =
        JwtVerifier::with_jwks_url(format!("http://{addr}/.well-known/jwks.json"), Duration::ZERO);
    let claims = verifier.verify(&session.access_token).await.expect("valid token");
    assert_eq!(claims.sub.to_string(), session.user_id);

    let foreign = foreign_token(&session.user_id);
    assert_eq!(verifier.verify(&foreign).await.err(), Some(TokenError::UnknownKey));
    server.abort();
}

#[tokio::test]
async fn an_unknown_kid_refetches_the_jwks_so_rotated_keys_work() {
    // A JWKS endpoint whose key set the test can swap, as a key rotation would.
    let jwks = Arc::new(RwLock::new(signing_keys().jwks.clone()));
    let served = jwks.clone();
    let router = Router::new().route(
        "/jwks",
        get(move || {
            let served = served.clone();
            async move { Json::<Value>(served.read().await.clone()) }
        }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let addr = listener.local_addr().expect("addr");
    let server = tokio::spawn(axum::serve(listener, router).into_future());
    let verifier = JwtVerifier::with_jwks_url(format!("http://{addr}/jwks"), Duration::ZERO);

    let user = uuid::Uuid::new_v4().to_string();
    verifier.verify(&own_token(&user)).await.expect("first key verifies");
    assert!(verifier.verify(&foreign_token(&user)).await.is_err());

    *jwks.write().await = foreign_keys().jwks.clone();
    verifier.verify(&foreign_token(&user)).await.expect("rotated key verifies after a refetch");
    server.abort();
}

fn own_token(user: &str) -> String {
    crate::bad_input::token_with(&signing_keys(), 0, 900, user.parse().expect("uuid"))
}

fn foreign_token(user: &str) -> String {
    crate::bad_input::token_with(&foreign_keys(), 0, 900, user.parse().expect("uuid"))
}
