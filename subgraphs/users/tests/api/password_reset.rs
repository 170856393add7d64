use serde_json::json;
use sqlx::PgPool;

use crate::helpers::{PASSWORD, Session, TestApp, error_code};

const REQUEST: &str = "mutation($e: String!) { requestPasswordReset(email: $e) }";
const RESET: &str =
    "mutation($t: String!, $p: String!) { resetPassword(token: $t, newPassword: $p) }";

async fn reset_token_from_outbox(app: &TestApp) -> String {
    let events = app.outbox("user.password_reset_requested").await;
    let last = events.last().expect("a reset event");
    last["data"]["token"].as_str().expect("token").to_owned()
}

#[sqlx::test(migrations = false)]
async fn reset_flow_sets_a_new_password_with_a_single_use_token(pool: PgPool) {
    let app = TestApp::new(pool).await;
    let session = app.register("ada@example.com", "Ada").await;

    let requested = app.graphql(REQUEST, json!({ "e": "ADA@example.com" }), None).await;
    assert_eq!(requested["data"]["requestPasswordReset"], true, "{requested}");
    let token = reset_token_from_outbox(&app).await;

    let weak = app.graphql(RESET, json!({ "t": token, "p": "short" }), None).await;
    assert_eq!(error_code(&weak), "BAD_USER_INPUT");

    // The weak attempt did not use up the token.
    let reset = app.graphql(RESET, json!({ "t": token, "p": "a fresh start 42" }), None).await;
    assert_eq!(reset["data"]["resetPassword"], true, "{reset}");

    let again = app.graphql(RESET, json!({ "t": token, "p": "another fresh start" }), None).await;
    assert_eq!(error_code(&again), "BAD_USER_INPUT");

    assert_eq!(error_code(&app.login("ada@example.com", PASSWORD).await), "UNAUTHENTICATED");
    Session::from_payload(&app.login("ada@example.com", "a fresh start 42").await, "login");
    // Existing sessions were ended.
    let refreshed = app
        .graphql(
            "mutation($t: String!) { refreshToken(refreshToken: $t) { accessToken } }",
            json!({ "t": session.refresh_token }),
            None,
        )
        .await;
    assert_eq!(error_code(&refreshed), "UNAUTHENTICATED");
}

#[sqlx::test(migrations = false)]
async fn unknown_emails_get_the_same_answer_and_no_event(pool: PgPool) {
    let app = TestApp::new(pool).await;
    let requested = app.graphql(REQUEST, json!({ "e": "nobody@example.com" }), None).await;
    assert_eq!(requested["data"]["requestPasswordReset"], true, "{requested}");
    assert!(app.outbox("user.password_reset_requested").await.is_empty());
}

#[sqlx::test(migrations = false)]
async fn an_expired_reset_token_is_refused(pool: PgPool) {
    let app = TestApp::new(pool).await;
    app.register("ada@example.com", "Ada").await;
    app.graphql(REQUEST, json!({ "e": "ada@example.com" }), None).await;
    let token = reset_token_from_outbox(&app).await;
    sqlx::query("UPDATE password_resets SET expires_at = now() - interval '1 second'")
        .execute(&app.pool)
        .await
        .expect("expire");

    let reset = app.graphql(RESET, json!({ "t": token, "p": "a fresh start 42" }), None).await;
    assert_eq!(error_code(&reset), "BAD_USER_INPUT");
    Session::from_payload(&app.login("ada@example.com", PASSWORD).await, "login");
}
