//! Values a subgraph returns that the API schema does not have: an
//! `@inaccessible` enum value, or an object of an `@inaccessible` type in
//! an abstract position. The client sees `null` there (an error only where
//! the position may not be null, which then propagates as usual).

use async_graphql::{EmptyMutation, EmptySubscription, Enum, ID, Interface, Object, SimpleObject};
use serde_json::{Value, json};

use crate::helpers::{Composed, SubgraphServer};

#[derive(Enum, Clone, Copy, PartialEq, Eq)]
enum Role {
    Admin,
    Customer,
    #[graphql(inaccessible)]
    Internal,
}

#[derive(SimpleObject, Clone)]
struct Person {
    id: ID,
    name: String,
    role: Option<Role>,
    rank: Role,
    roles: Vec<Option<Role>>,
    ranks: Option<Vec<Role>>,
}

#[derive(SimpleObject, Clone)]
#[graphql(inaccessible)]
struct Robot {
    id: ID,
    name: String,
}

#[derive(async_graphql::Union, Clone)]
enum Member {
    Person(Person),
    Robot(Robot),
}

#[derive(Interface, Clone)]
#[graphql(field(name = "name", ty = "&String"))]
enum Named {
    Person(Person),
    Robot(Robot),
}

fn person(id: &str, role: Role, roles: Vec<Role>) -> Person {
    Person {
        id: ID(id.into()),
        name: format!("P{id}"),
        role: Some(role),
        rank: role,
        roles: roles.iter().copied().map(Some).collect(),
        ranks: Some(roles),
    }
}

fn robot() -> Robot {
    Robot { id: ID("r1".into()), name: "R1".into() }
}

struct Query;

#[Object]
impl Query {
    async fn people(&self) -> Vec<Option<Person>> {
        vec![
            Some(person("1", Role::Admin, vec![Role::Admin, Role::Customer])),
            Some(person("2", Role::Internal, vec![Role::Customer, Role::Internal])),
        ]
    }

    async fn person(&self, id: ID) -> Option<Person> {
        match id.as_str() {
            "1" => Some(person("1", Role::Admin, vec![])),
            "2" => Some(person("2", Role::Internal, vec![])),
            _ => None,
        }
    }

    async fn members(&self) -> Vec<Option<Member>> {
        vec![Some(Member::Person(person("1", Role::Admin, vec![]))), Some(Member::Robot(robot()))]
    }

    async fn strict_members(&self) -> Option<Vec<Member>> {
        Some(vec![Member::Person(person("1", Role::Admin, vec![])), Member::Robot(robot())])
    }

    async fn named(&self) -> Vec<Option<Named>> {
        vec![Some(Named::Robot(robot())), Some(Named::Person(person("2", Role::Customer, vec![])))]
    }
}

/// One subgraph with hidden values.
pub async fn subgraphs() -> Vec<SubgraphServer> {
    let schema = async_graphql::Schema::build(Query, EmptyMutation, EmptySubscription)
        .enable_federation()
        .register_output_type::<Named>()
        .finish();
    vec![SubgraphServer::start("directory", schema).await]
}

async fn start() -> Composed {
    Composed::start(subgraphs().await).await
}

async fn query(composed: &Composed, query: &str) -> Value {
    composed.query(query, json!({})).await
}

fn error_paths(response: &Value) -> Vec<Value> {
    response["errors"]
        .as_array()
        .map(|errors| errors.iter().map(|e| e["path"].clone()).collect())
        .unwrap_or_default()
}

#[tokio::test]
async fn a_hidden_enum_value_is_null_in_nullable_positions_without_an_error() {
    let router = start().await;
    let response = query(&router, "{ people { id role roles } }").await;
    assert_eq!(
        response,
        json!({ "data": { "people": [
            { "id": "1", "role": "ADMIN", "roles": ["ADMIN", "CUSTOMER"] },
            { "id": "2", "role": null, "roles": ["CUSTOMER", null] },
        ] } })
    );
}

#[tokio::test]
async fn a_hidden_enum_value_in_a_non_null_position_nulls_the_nearest_nullable_parent() {
    let router = start().await;
    let response =
        query(&router, "{ a: person(id: \"1\") { rank } b: person(id: \"2\") { rank } }").await;
    assert_eq!(response["data"], json!({ "a": { "rank": "ADMIN" }, "b": null }), "{response}");
    assert_eq!(error_paths(&response), [json!(["b", "rank"])]);

    // `ranks: [Role!]`: one hidden item nulls the whole (nullable) list.
    let response = query(&router, "{ people { id ranks } }").await;
    assert_eq!(
        response["data"],
        json!({ "people": [{ "id": "1", "ranks": ["ADMIN", "CUSTOMER"] }, { "id": "2", "ranks": null }] }),
    );
    assert_eq!(error_paths(&response), [json!(["people", 1, "ranks", 1])]);
}

/// Whether or not the client asks for `__typename`: the router asks for it
/// in every abstract position, and leaves it out of the response.
#[tokio::test]
async fn an_object_of_a_hidden_type_is_null_in_unions_and_interfaces() {
    let router = start().await;
    let response = query(
        &router,
        "{ members { ... on Person { name } } named { name } t: named { __typename } }",
    )
    .await;
    assert_eq!(
        response,
        json!({ "data": {
            "members": [{ "name": "P1" }, null],
            "named": [null, { "name": "P2" }],
            "t": [null, { "__typename": "Person" }],
        } })
    );
    let response = query(&router, "{ strictMembers { ... on Person { id } } }").await;
    assert_eq!(response["data"], json!({ "strictMembers": null }), "{response}");
    assert_eq!(error_paths(&response), [json!(["strictMembers", 1])]);

    // Introspection names no hidden type either.
    let response = query(&router, "{ __type(name: \"Member\") { possibleTypes { name } } }").await;
    assert_eq!(response["data"]["__type"]["possibleTypes"], json!([{ "name": "Person" }]));
}
