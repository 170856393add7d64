use serde_json::json;
use sqlx::PgPool;

use crate::helpers::{PASSWORD, Session, TestApp, error_code};

const ME: &str = "{ me { id email name role } }";

#[sqlx::test(migrations = false)]
async fn register_then_login_then_me_returns_the_normalised_email(pool: PgPool) {
    let app = TestApp::new(pool).await;
    let registered = app.register("  Ada@Example.COM ", "Ada Lovelace").await;

    let login = app.login("ada@example.com", PASSWORD).await;
    let session = Session::from_payload(&login, "login");
    assert_eq!(session.user_id, registered.user_id);
    // The payload shows the caller their own account, though the request
    // itself carried no token.
    assert_eq!(login["data"]["login"]["user"]["email"], "ada@example.com", "{login}");
    assert!(login.get("errors").is_none(), "{login}");

    let me = app.graphql(ME, json!({}), Some(&session.access_token)).await;
    assert_eq!(me["data"]["me"]["email"], "ada@example.com", "{me}");
    assert_eq!(me["data"]["me"]["name"], "Ada Lovelace");
    assert_eq!(me["data"]["me"]["role"], "CUSTOMER");
}

#[sqlx::test(migrations = false)]
async fn me_is_null_when_anonymous(pool: PgPool) {
    let app = TestApp::new(pool).await;
    let me = app.graphql(ME, json!({}), None).await;
    assert_eq!(me["data"]["me"], serde_json::Value::Null, "{me}");
    assert!(me.get("errors").is_none(), "{me}");
}

#[sqlx::test(migrations = false)]
async fn registering_emits_user_registered_through_the_outbox(pool: PgPool) {
    let app = TestApp::new(pool).await;
    let session = app.register("grace@example.com", "Grace Hopper").await;

    let events = app.outbox("user.registered").await;
    assert_eq!(events.len(), 1);
    assert_eq!(events[0]["source"], "users");
    assert_eq!(events[0]["subject"], session.user_id.as_str());
    assert_eq!(events[0]["data"]["email"], "grace@example.com");
    assert!(events[0]["traceparent"].as_str().is_some_and(|t| t.starts_with("00-")));
}

#[sqlx::test(migrations = false)]
async fn refresh_rotates_the_token_and_the_new_pair_works(pool: PgPool) {
    let app = TestApp::new(pool).await;
    let first = app.register("ada@example.com", "Ada").await;

    let refreshed = refresh(&app, &first.refresh_token).await;
    let second = Session::from_payload(&refreshed, "refreshToken");
    assert_ne!(second.refresh_token, first.refresh_token);

    let me = app.graphql(ME, json!({}), Some(&second.access_token)).await;
    assert_eq!(me["data"]["me"]["id"], first.user_id.as_str());
    // The rotated pair can itself be rotated.
    let third = refresh(&app, &second.refresh_token).await;
    Session::from_payload(&third, "refreshToken");
}

#[sqlx::test(migrations = false)]
async fn reusing_a_rotated_refresh_token_revokes_the_whole_family(pool: PgPool) {
    let app = TestApp::new(pool).await;
    let first = app.register("ada@example.com", "Ada").await;
    let second = Session::from_payload(&refresh(&app, &first.refresh_token).await, "refreshToken");

    let reuse = refresh(&app, &first.refresh_token).await;
    assert_eq!(error_code(&reuse), "UNAUTHENTICATED");

    // The legitimate-looking newer token dies with its family.
    let after = refresh(&app, &second.refresh_token).await;
    assert_eq!(error_code(&after), "UNAUTHENTICATED", "{after}");

    // A separate sign-in is unaffected.
    let other = Session::from_payload(&app.login("ada@example.com", PASSWORD).await, "login");
    Session::from_payload(&refresh(&app, &other.refresh_token).await, "refreshToken");
}

#[sqlx::test(migrations = false)]
async fn logout_ends_the_session(pool: PgPool) {
    let app = TestApp::new(pool).await;
    let session = app.register("ada@example.com", "Ada").await;

    let logout = app
        .graphql(
            "mutation($t: String!) { logout(refreshToken: $t) }",
            json!({ "t": session.refresh_token }),
            None,
        )
        .await;
    assert_eq!(logout["data"]["logout"], true, "{logout}");

    let refreshed = refresh(&app, &session.refresh_token).await;
    assert_eq!(error_code(&refreshed), "UNAUTHENTICATED");
    let unknown = app.graphql("mutation { logout(refreshToken: \"nope\") }", json!({}), None).await;
    assert_eq!(unknown["data"]["logout"], false, "{unknown}");
}

#[sqlx::test(migrations = false)]
async fn changing_the_password_requires_the_current_one_and_signs_out_sessions(pool: PgPool) {
    let app = TestApp::new(pool).await;
    let session = app.register("ada@example.com", "Ada").await;
    let change = "mutation($c: String!, $n: String!) { changePassword(currentPassword: $c, newPassword: $n) }";

    let wrong = app
        .graphql(
            change,
            json!({ "c": "not my password", "n": "a brand new secret" }),
            Some(&session.access_token),
        )
        .await;
    assert_eq!(error_code(&wrong), "BAD_USER_INPUT");

    let weak = app
        .graphql(change, json!({ "c": PASSWORD, "n": "short" }), Some(&session.access_token))
        .await;
    assert_eq!(error_code(&weak), "BAD_USER_INPUT");

    let ok = app
        .graphql(
            change,
            json!({ "c": PASSWORD, "n": "a brand new secret" }),
            Some(&session.access_token),
        )
        .await;
    assert_eq!(ok["data"]["changePassword"], true, "{ok}");

    assert_eq!(error_code(&app.login("ada@example.com", PASSWORD).await), "UNAUTHENTICATED");
    Session::from_payload(&app.login("ada@example.com", "a brand new secret").await, "login");
    assert_eq!(error_code(&refresh(&app, &session.refresh_token).await), "UNAUTHENTICATED");
}

#[sqlx::test(migrations = false)]
async fn repeated_failed_logins_are_throttled_even_with_the_right_password(pool: PgPool) {
    let app = TestApp::with_config(pool, |c| c.login_max_failures = 3).await;
    app.register("ada@example.com", "Ada").await;
    for _ in 0..3 {
        assert_eq!(
            error_code(&app.login("ada@example.com", "wrong password!").await),
            "UNAUTHENTICATED"
        );
    }
    let throttled = app.login("ada@example.com", PASSWORD).await;
    assert_eq!(error_code(&throttled), "RATE_LIMITED", "{throttled}");
    // Other accounts are not affected.
    app.register("grace@example.com", "Grace").await;
    Session::from_payload(&app.login("grace@example.com", PASSWORD).await, "login");
}

#[sqlx::test(migrations = false)]
async fn update_profile_changes_the_name(pool: PgPool) {
    let app = TestApp::new(pool).await;
    let session = app.register("ada@example.com", "Ada").await;
    let update = app
        .graphql(
            "mutation { updateProfile(input: { name: \"  Ada King \" }) { name } }",
            json!({}),
            Some(&session.access_token),
        )
        .await;
    assert_eq!(update["data"]["updateProfile"]["name"], "Ada King", "{update}");
    let empty = app
        .graphql(
            "mutation { updateProfile(input: { name: \" \" }) { name } }",
            json!({}),
            Some(&session.access_token),
        )
        .await;
    assert_eq!(error_code(&empty), "BAD_USER_INPUT");
}

async fn refresh(app: &TestApp, token: &str) -> serde_json::Value {
    app.graphql(
        "mutation($t: String!) { refreshToken(refreshToken: $t) { accessToken refreshToken user { id } } }",
        json!({ "t": token }),
        None,
    )
    .await
}
