use serde_json::json;
use sqlx::PgPool;

use crate::helpers::{TestApp, error_code};

#[sqlx::test(migrations = false)]
async fn admins_page_through_users_with_stable_cursors(pool: PgPool) {
    let app = TestApp::new(pool).await;
    let (_, token) = app.admin().await;
    for i in 0..4 {
        app.register(&format!("user{i}@example.com"), &format!("User {i}")).await;
    }
    let page = "query($after: String) { users(first: 2, after: $after) {
        totalCount edges { cursor node { email } } pageInfo { hasNextPage endCursor } } }";

    let mut emails = Vec::new();
    let mut after = serde_json::Value::Null;
    loop {
        let response = app.graphql(page, json!({ "after": after }), Some(&token)).await;
        let users = &response["data"]["users"];
        assert_eq!(users["totalCount"], 5, "{response}");
        for edge in users["edges"].as_array().expect("edges") {
            emails.push(edge["node"]["email"].as_str().expect("email").to_owned());
        }
        if users["pageInfo"]["hasNextPage"] != true {
            break;
        }
        after = users["pageInfo"]["endCursor"].clone();
    }
    let expected: Vec<String> = std::iter::once("admin@example.com".to_owned())
        .chain((0..4).map(|i| format!("user{i}@example.com")))
        .collect();
    assert_eq!(emails, expected);

    let bad_cursor = app.graphql(page, json!({ "after": "bm90LWEtY3Vyc29y" }), Some(&token)).await;
    assert_eq!(error_code(&bad_cursor), "BAD_USER_INPUT");
}

#[sqlx::test(migrations = false)]
async fn set_user_role_promotes_and_refuses_to_demote_the_last_admin(pool: PgPool) {
    let app = TestApp::new(pool).await;
    let (admin, token) = app.admin().await;
    let customer = app.register("ada@example.com", "Ada").await;
    let set =
        "mutation($id: ID!, $role: Role!) { setUserRole(userId: $id, role: $role) { id role } }";

    let promoted =
        app.graphql(set, json!({ "id": customer.user_id, "role": "ADMIN" }), Some(&token)).await;
    assert_eq!(promoted["data"]["setUserRole"]["role"], "ADMIN", "{promoted}");
    let demoted =
        app.graphql(set, json!({ "id": admin.user_id, "role": "CUSTOMER" }), Some(&token)).await;
    assert_eq!(demoted["data"]["setUserRole"]["role"], "CUSTOMER", "{demoted}");

    let last =
        app.graphql(set, json!({ "id": customer.user_id, "role": "CUSTOMER" }), Some(&token)).await;
    assert_eq!(error_code(&last), "CONFLICT", "{last}");
    let missing = app
        .graphql(
            set,
            json!({ "id": uuid::Uuid::new_v4().to_string(), "role": "ADMIN" }),
            Some(&token),
        )
        .await;
    assert_eq!(error_code(&missing), "NOT_FOUND");
    let malformed = app.graphql(set, json!({ "id": "42", "role": "ADMIN" }), Some(&token)).await;
    assert_eq!(error_code(&malformed), "BAD_USER_INPUT");
}

#[sqlx::test(migrations = false)]
async fn private_fields_are_for_the_owner_and_admins_only(pool: PgPool) {
    let app = TestApp::new(pool).await;
    let ada = app.register("ada@example.com", "Ada").await;
    let eve = app.register("eve@example.com", "Eve").await;
    let query =
        "query($r: [_Any!]!) { _entities(representations: $r) { ... on User { name email } } }";
    let vars = json!({ "r": [{ "__typename": "User", "id": ada.user_id }] });

    let as_eve = app.graphql(query, vars.clone(), Some(&eve.access_token)).await;
    assert_eq!(error_code(&as_eve), "FORBIDDEN");
    assert!(!as_eve.to_string().contains("ada@example.com"), "{as_eve}");

    let public = app
        .graphql(
            "query($r: [_Any!]!) { _entities(representations: $r) { ... on User { name } } }",
            vars.clone(),
            None,
        )
        .await;
    assert_eq!(public["data"]["_entities"][0]["name"], "Ada", "{public}");

    let as_ada = app.graphql(query, vars, Some(&ada.access_token)).await;
    assert_eq!(as_ada["data"]["_entities"][0]["email"], "ada@example.com", "{as_ada}");
}
