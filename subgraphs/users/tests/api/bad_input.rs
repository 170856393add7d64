use base64::{Engine, engine::general_purpose::URL_SAFE_NO_PAD};
use jsonwebtoken::{Algorithm, Header};
use kit::auth::{Claims, ISSUER, Role};
use serde_json::json;
use sqlx::PgPool;
use uuid::Uuid;

use crate::helpers::{PASSWORD, TestApp, error_code, foreign_keys, signing_keys};

const REGISTER: &str =
    "mutation($input: RegisterInput!) { register(input: $input) { accessToken } }";
const ME: &str = "{ me { id } }";

fn register_vars(email: &str, password: &str) -> serde_json::Value {
    json!({ "input": { "email": email, "password": password, "name": "Ada" } })
}

#[sqlx::test(migrations = false)]
async fn a_duplicate_email_is_a_conflict_regardless_of_case(pool: PgPool) {
    let app = TestApp::new(pool).await;
    app.register("ada@example.com", "Ada").await;
    let again = app.graphql(REGISTER, register_vars("ADA@Example.com", PASSWORD), None).await;
    assert_eq!(error_code(&again), "CONFLICT");
    assert_eq!(again["errors"][0]["message"], "email already exists");
    let count: i64 =
        sqlx::query_scalar("SELECT count(*) FROM users").fetch_one(&app.pool).await.expect("count");
    assert_eq!(count, 1);
}

#[sqlx::test(migrations = false)]
async fn weak_passwords_and_malformed_emails_are_bad_input(pool: PgPool) {
    let app = TestApp::new(pool).await;
    for password in ["short", "password123", "aaaaaaaaaaaa"] {
        let response =
            app.graphql(REGISTER, register_vars("ada@example.com", password), None).await;
        assert_eq!(error_code(&response), "BAD_USER_INPUT", "{password}: {response}");
    }
    for email in ["not-an-email", "ada@", "ada@example"] {
        let response = app.graphql(REGISTER, register_vars(email, PASSWORD), None).await;
        assert_eq!(error_code(&response), "BAD_USER_INPUT", "{email}: {response}");
    }
    let count: i64 =
        sqlx::query_scalar("SELECT count(*) FROM users").fetch_one(&app.pool).await.expect("count");
    assert_eq!(count, 0, "nothing may be created by bad input");
}

#[sqlx::test(migrations = false)]
async fn wrong_password_and_unknown_email_get_the_same_error(pool: PgPool) {
    let app = TestApp::new(pool).await;
    app.register("ada@example.com", "Ada").await;
    let wrong = app.login("ada@example.com", "not the password").await;
    let unknown = app.login("nobody@example.com", PASSWORD).await;
    assert_eq!(error_code(&wrong), "UNAUTHENTICATED");
    assert_eq!(error_code(&unknown), "UNAUTHENTICATED");
    assert_eq!(wrong["errors"][0]["message"], unknown["errors"][0]["message"]);
}

pub fn token_with(
    keys: &users::keys::SigningKeys,
    issued_secs_ago: i64,
    ttl_secs: i64,
    user: Uuid,
) -> String {
    let now = chrono::Utc::now().timestamp();
    let claims = Claims {
        sub: user,
        role: Role::Customer,
        iat: now - issued_secs_ago,
        exp: now - issued_secs_ago + ttl_secs,
        jti: Uuid::new_v4(),
        iss: ISSUER.to_owned(),
    };
    let mut header = Header::new(Algorithm::RS256);
    header.kid = Some(keys.kid.clone());
    jsonwebtoken::encode(&header, &claims, &keys.encoding).expect("encode")
}

#[sqlx::test(migrations = false)]
async fn expired_forged_and_foreign_tokens_are_unauthenticated(pool: PgPool) {
    let app = TestApp::new(pool).await;
    let session = app.register("ada@example.com", "Ada").await;
    let user = Uuid::parse_str(&session.user_id).expect("uuid");

    let expired = token_with(&signing_keys(), 3600, 900, user);
    let response = app.graphql(ME, json!({}), Some(&expired)).await;
    assert_eq!(error_code(&response), "UNAUTHENTICATED");
    assert_eq!(response["errors"][0]["message"], "access token has expired");

    // Same signature, payload edited to claim the admin role.
    let mut parts: Vec<String> = session.access_token.split('.').map(str::to_owned).collect();
    let mut claims: serde_json::Value =
        serde_json::from_slice(&URL_SAFE_NO_PAD.decode(&parts[1]).expect("b64")).expect("json");
    claims["role"] = json!("ADMIN");
    parts[1] = URL_SAFE_NO_PAD.encode(claims.to_string());
    let forged = parts.join(".");
    assert_eq!(error_code(&app.graphql(ME, json!({}), Some(&forged)).await), "UNAUTHENTICATED");

    let foreign = token_with(&foreign_keys(), 0, 900, user);
    assert_eq!(error_code(&app.graphql(ME, json!({}), Some(&foreign)).await), "UNAUTHENTICATED");

    assert_eq!(error_code(&app.graphql(ME, json!({}), Some("garbage")).await), "UNAUTHENTICATED");

    // A fresh token from our own key still works, so the checks above are
    // about the tokens, not the setup.
    let fresh = token_with(&signing_keys(), 0, 900, user);
    let ok = app.graphql(ME, json!({}), Some(&fresh)).await;
    assert_eq!(ok["data"]["me"]["id"], session.user_id.as_str(), "{ok}");
}

#[sqlx::test(migrations = false)]
async fn a_stale_token_does_not_block_public_operations(pool: PgPool) {
    let app = TestApp::new(pool).await;
    let session = app.register("ada@example.com", "Ada").await;
    let user = Uuid::parse_str(&session.user_id).expect("uuid");
    let expired = token_with(&signing_keys(), 3600, 900, user);
    let login = app
        .graphql(
            "mutation($e: String!, $p: String!) { login(email: $e, password: $p) { accessToken } }",
            json!({ "e": "ada@example.com", "p": PASSWORD }),
            Some(&expired),
        )
        .await;
    assert!(login["data"]["login"]["accessToken"].is_string(), "{login}");
}

#[sqlx::test(migrations = false)]
async fn customers_calling_admin_fields_are_forbidden(pool: PgPool) {
    let app = TestApp::new(pool).await;
    let session = app.register("ada@example.com", "Ada").await;
    let token = Some(session.access_token.as_str());
    for query in [
        "{ users { totalCount } }".to_owned(),
        format!("{{ user(id: \"{}\") {{ id }} }}", session.user_id),
        format!(
            "mutation {{ setUserRole(userId: \"{}\", role: ADMIN) {{ role }} }}",
            session.user_id
        ),
    ] {
        let response = app.graphql(&query, json!({}), token).await;
        assert_eq!(error_code(&response), "FORBIDDEN", "{query}: {response}");
    }
    let anonymous = app.graphql("{ users { totalCount } }", json!({}), None).await;
    assert_eq!(error_code(&anonymous), "UNAUTHENTICATED");
    let role: String =
        sqlx::query_scalar("SELECT role FROM users").fetch_one(&app.pool).await.expect("role");
    assert_eq!(role, "CUSTOMER");
}

#[sqlx::test(migrations = false)]
async fn internal_failures_are_masked(pool: PgPool) {
    let app = TestApp::new(pool).await;
    let session = app.register("ada@example.com", "Ada").await;
    // Break the storage under the resolver: the client must see a code and a
    // generic message, never the database's words.
    sqlx::query("ALTER TABLE addresses RENAME TO addresses_gone")
        .execute(&app.pool)
        .await
        .expect("rename");
    let response =
        app.graphql("{ me { addresses { id } } }", json!({}), Some(&session.access_token)).await;
    assert_eq!(error_code(&response), "INTERNAL_SERVER_ERROR");
    let message = response["errors"][0]["message"].as_str().expect("message");
    assert_eq!(message, "internal server error");
    assert!(!response.to_string().contains("does not exist"), "{response}");
}
