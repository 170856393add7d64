//! The real users subgraph (PostgreSQL) behind the router, joined with
//! fixture data from two other subgraphs.

use async_graphql::{
    ComplexObject, EmptyMutation, EmptySubscription, ID, Object, Schema, SimpleObject,
};
use serde_json::json;
use sqlx::PgPool;
use tokio::net::TcpListener;

use crate::{
    fixtures::{Probe, products},
    helpers::{SubgraphServer, start_router},
};

/// Every user's wishlist holds products 1 and 3.
mod wishlists {
    use super::*;

    #[derive(SimpleObject)]
    #[graphql(complex)]
    pub struct User {
        pub id: ID,
    }

    #[derive(SimpleObject)]
    pub struct Product {
        pub upc: ID,
    }

    #[ComplexObject]
    impl User {
        async fn wishlist(&self) -> Vec<Product> {
            ["1", "3"].into_iter().map(|upc| Product { upc: ID(upc.into()) }).collect()
        }
    }

    pub struct Query;

    #[Object]
    impl Query {
        #[graphql(entity)]
        async fn find_user(&self, id: ID) -> User {
            User { id }
        }
        #[graphql(entity)]
        async fn find_product(&self, upc: ID) -> Product {
            Product { upc }
        }
    }

    pub fn schema() -> Schema<Query, EmptyMutation, EmptySubscription> {
        Schema::build(Query, EmptyMutation, EmptySubscription).enable_federation().finish()
    }
}

#[sqlx::test(migrations = false)]
async fn users_sign_in_and_me_joins_other_subgraphs_through_the_router(pool: PgPool) {
    kit::db::migrate(&pool, &users::MIGRATOR).await.expect("migrate");
    let config = users::UsersConfig::from_env().expect("config");
    let keys = users::keys::SigningKeys::generate().expect("keys");
    let users_app = users::build_with_pool(&config, pool, keys);
    let users_server = users_app.spawn(TcpListener::bind("127.0.0.1:0").await.expect("bind"));
    let products = SubgraphServer::start("products", products::schema(Probe::default())).await;
    let wishlists = SubgraphServer::start("wishlists", wishlists::schema()).await;
    let supergraph = router::compose::compose(&[
        router::compose::SubgraphSource {
            name: "users".into(),
            routing_url: users_server.url("/graphql"),
            sdl: users::schema_sdl(),
        },
        products.source(),
        wishlists.source(),
    ])
    .unwrap_or_else(|e| panic!("composition failed: {e:?}"));
    let router = start_router(&supergraph, router::RouterConfig::default()).await;
    let client = reqwest::Client::new();
    let ask = |body: serde_json::Value, token: Option<String>| {
        let mut request = client.post(router.url("/graphql")).json(&body);
        if let Some(token) = token {
            request = request.bearer_auth(token);
        }
        async move {
            request.send().await.expect("response").json::<serde_json::Value>().await.expect("json")
        }
    };

    let registered = ask(
        json!({ "query": "mutation($i: RegisterInput!) { register(input: $i) { user { id email } } }",
                "variables": { "i": { "email": "ada@example.com", "password": "correct horse battery", "name": "Ada" } } }),
        None,
    )
    .await;
    assert_eq!(registered["data"]["register"]["user"]["email"], "ada@example.com", "{registered}");
    let login = ask(
        json!({ "query": "mutation { login(email: \"ada@example.com\", password: \"correct horse battery\") { accessToken } }" }),
        None,
    )
    .await;
    let token = login["data"]["login"]["accessToken"].as_str().expect("token").to_owned();

    let me =
        ask(json!({ "query": "{ me { email name wishlist { name price } } }" }), Some(token)).await;
    assert_eq!(
        me,
        json!({ "data": { "me": {
            "email": "ada@example.com",
            "name": "Ada",
            "wishlist": [{ "name": "Table", "price": 899 }, { "name": "Chair", "price": 54 }],
        } } })
    );

    let anonymous = ask(json!({ "query": "{ me { email } }" }), None).await;
    assert_eq!(anonymous, json!({ "data": { "me": null } }));
    router.stop().await;
    users_server.stop().await;
}
