use serde_json::json;
use sqlx::PgPool;

use crate::helpers::{QueryCounter, TestApp};

#[sqlx::test(migrations = false)]
async fn fifty_user_representations_cost_one_sql_query(pool: PgPool) {
    let app = TestApp::new(pool).await;
    let mut ids = Vec::new();
    for i in 0..50 {
        let id = uuid::Uuid::now_v7();
        sqlx::query("INSERT INTO users (id, email, name, password_hash) VALUES ($1, $2, $3, 'x')")
            .bind(id)
            .bind(format!("user{i}@example.com"))
            .bind(format!("User {i}"))
            .execute(&app.pool)
            .await
            .expect("insert");
        ids.push(id.to_string());
    }
    // Include an unknown id and a malformed one: they resolve to null
    // without extra queries.
    let mut representations: Vec<_> =
        ids.iter().map(|id| json!({ "__typename": "User", "id": id })).collect();
    representations.push(json!({ "__typename": "User", "id": uuid::Uuid::nil().to_string() }));
    representations.push(json!({ "__typename": "User", "id": "not-a-uuid" }));
    let query =
        "query($r: [_Any!]!) { _entities(representations: $r) { ... on User { id name } } }";

    let counter = QueryCounter::install();
    let response = app.graphql(query, json!({ "r": representations }), None).await;
    let queries = counter.take();

    let entities = response["data"]["_entities"].as_array().unwrap_or_else(|| panic!("{response}"));
    assert_eq!(entities.len(), 52);
    for (i, id) in ids.iter().enumerate() {
        assert_eq!(entities[i]["id"], id.as_str(), "order must follow the representations");
        assert_eq!(entities[i]["name"], format!("User {i}"));
    }
    assert_eq!(entities[50], serde_json::Value::Null);
    assert_eq!(entities[51], serde_json::Value::Null);
    assert_eq!(queries, 1, "expected one batched SQL query");
}

#[sqlx::test(migrations = false)]
async fn the_query_counter_sees_every_statement(pool: PgPool) {
    // Guards the test above against a counter that counts nothing.
    let app = TestApp::new(pool).await;
    let counter = QueryCounter::install();
    for _ in 0..3 {
        sqlx::query("SELECT 1").execute(&app.pool).await.expect("select");
    }
    assert_eq!(counter.take(), 3);
}
