//! `@requires` on a field with arguments: the router must fetch the
//! required field with the arguments the `@requires` names, apart from any
//! the client asks for itself, and give each requiring field its own value.

use async_graphql::{
    Context, EmptyMutation, EmptySubscription, ID, InputObject, Object, Schema, SimpleObject,
};
use serde_json::{Value, json};

use crate::helpers::{Composed, SubgraphServer};

const BODIES: [&str; 3] = ["first", "second", "third"];

/// A value type both subgraphs know.
#[derive(SimpleObject, Clone)]
#[graphql(shareable)]
pub struct Comment {
    pub body: String,
}

mod comments {
    use super::*;

    pub struct User {
        pub id: ID,
    }

    #[Object]
    impl User {
        async fn id(&self) -> &ID {
            &self.id
        }
        #[graphql(shareable)]
        async fn comments(&self, limit: i32) -> Vec<Comment> {
            let limit = usize::try_from(limit).unwrap_or(0);
            BODIES
                .iter()
                .take(limit)
                .map(|b| Comment { body: format!("{}:{b}", self.id.0) })
                .collect()
        }
    }

    pub struct Query;

    #[Object]
    impl Query {
        async fn users(&self) -> Vec<User> {
            vec![User { id: ID("u1".into()) }, User { id: ID("u2".into()) }]
        }
        async fn me(&self) -> Option<User> {
            Some(User { id: ID("u3".into()) })
        }
        #[graphql(entity)]
        async fn user_by_id(&self, id: ID) -> User {
            User { id }
        }
    }

    pub fn schema() -> Schema<Query, EmptyMutation, EmptySubscription> {
        Schema::build(Query, EmptyMutation, EmptySubscription).enable_federation().finish()
    }
}

mod stats {
    use super::*;

    #[derive(InputObject, Clone)]
    pub struct CommentInput {
        pub body: String,
    }

    pub struct User {
        pub id: ID,
        pub comments: Option<Vec<CommentInput>>,
    }

    #[Object]
    impl User {
        async fn id(&self) -> &ID {
            &self.id
        }
        #[graphql(external)]
        async fn comments(&self, limit: i32) -> Vec<Comment> {
            let _ = limit;
            Vec::new()
        }
        /// The bodies it was given for `comments(limit: 1)`.
        #[graphql(requires = "comments(limit: 1) { body }")]
        async fn latest(&self) -> Vec<String> {
            self.bodies()
        }
        /// The bodies it was given for `comments(limit: 2)`.
        #[graphql(requires = "comments(limit: 2) { body }")]
        async fn first_two(&self) -> Vec<String> {
            self.bodies()
        }
    }

    impl User {
        fn bodies(&self) -> Vec<String> {
            self.comments.iter().flatten().map(|c| c.body.clone()).collect()
        }
    }

    pub struct Query;

    #[Object]
    impl Query {
        #[graphql(entity)]
        async fn user_by_id(
            &self,
            _ctx: &Context<'_>,
            #[graphql(key)] id: ID,
            comments: Option<Vec<CommentInput>>,
        ) -> User {
            User { id, comments }
        }
    }

    pub fn schema() -> Schema<Query, EmptyMutation, EmptySubscription> {
        Schema::build(Query, EmptyMutation, EmptySubscription).enable_federation().finish()
    }
}

pub async fn subgraphs() -> Vec<SubgraphServer> {
    vec![
        SubgraphServer::start("comments", comments::schema()).await,
        SubgraphServer::start("stats", stats::schema()).await,
    ]
}

async fn start() -> Composed {
    Composed::start(subgraphs().await).await
}

async fn query(running: &Composed, query: &str, variables: Value) -> Value {
    running.query(query, variables).await
}

#[tokio::test]
async fn a_required_field_is_fetched_with_the_arguments_the_requires_names() {
    let running = start().await;
    let response = query(&running, "{ users { id latest } }", json!({})).await;
    assert_eq!(
        response,
        json!({ "data": { "users": [
            { "id": "u1", "latest": ["u1:first"] },
            { "id": "u2", "latest": ["u2:first"] },
        ] } })
    );
}

#[tokio::test]
async fn two_fields_requiring_one_field_with_different_arguments_each_get_their_own() {
    let running = start().await;
    let response = query(&running, "{ users { latest firstTwo } }", json!({})).await;
    assert_eq!(
        response,
        json!({ "data": { "users": [
            { "latest": ["u1:first"], "firstTwo": ["u1:first", "u1:second"] },
            { "latest": ["u2:first"], "firstTwo": ["u2:first", "u2:second"] },
        ] } })
    );
}

#[tokio::test]
async fn requirements_with_arguments_outside_lists() {
    let running = start().await;
    let response = query(&running, "{ me { firstTwo latest } }", json!({})).await;
    assert_eq!(
        response,
        json!({ "data": { "me": { "firstTwo": ["u3:first", "u3:second"], "latest": ["u3:first"] } } })
    );
}

#[tokio::test]
async fn the_clients_own_arguments_do_not_leak_into_a_requirement() {
    let running = start().await;
    for (variables, expected) in
        [(json!({ "n": 3 }), json!(["u1:first", "u1:second", "u1:third"])), (json!({}), json!([]))]
    {
        let response = query(
            &running,
            "query($n: Int = 0) { users { comments(limit: $n) { body } firstTwo } }",
            variables.clone(),
        )
        .await;
        let first = &response["data"]["users"][0];
        let bodies: Vec<Value> = first["comments"]
            .as_array()
            .map(|c| c.iter().map(|c| c["body"].clone()).collect())
            .unwrap_or_default();
        assert_eq!(json!(bodies), expected, "{variables}: {response}");
        assert_eq!(first["firstTwo"], json!(["u1:first", "u1:second"]), "{variables}: {response}");
    }
}
