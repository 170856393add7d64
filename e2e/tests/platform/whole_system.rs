//! The real users subgraph (PostgreSQL) behind the router, joined with
//! fixture data from two other subgraphs.

use async_graphql::{
    ComplexObject, EmptyMutation, EmptySubscription, ID, Object, Schema, SimpleObject,
    registry::SDLExportOptions,
};
use async_graphql_axum::GraphQL;
use axum::{Router, routing::post_service};
use e2e::start_router;
use serde_json::json;
use server::RunningApp;
use sqlx::PgPool;
use tokio::net::TcpListener;

/// Products by UPC: 1 is a table, 3 a chair.
mod products {
    use super::*;

    #[derive(SimpleObject)]
    pub struct Product {
        pub upc: ID,
        pub name: String,
        pub price: i32,
    }

    pub struct Query;

    #[Object]
    impl Query {
        #[graphql(entity)]
        async fn find_product(&self, upc: ID) -> Option<Product> {
            let (name, price) = match upc.as_str() {
                "1" => ("Table", 899),
                "3" => ("Chair", 54),
                _ => return None,
            };
            Some(Product { upc, name: name.into(), price })
        }
    }

    pub fn schema() -> Schema<Query, EmptyMutation, EmptySubscription> {
        Schema::build(Query, EmptyMutation, EmptySubscription).enable_federation().finish()
    }
}

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
    let (products, products_sdl) = serve(products::schema()).await;
    let (wishlists, wishlists_sdl) = serve(wishlists::schema()).await;
    let source = |name: &str, app: &RunningApp, sdl: String| router::compose::SubgraphSource {
        name: name.into(),
        routing_url: app.url("/graphql"),
        sdl,
    };
    let supergraph = router::compose::compose(&[
        router::compose::SubgraphSource {
            name: "users".into(),
            routing_url: users_server.url("/graphql"),
            sdl: users::schema_sdl(),
        },
        source("products", &products, products_sdl),
        source("wishlists", &wishlists, wishlists_sdl),
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

/// A fixture subgraph on port 0, and its federation SDL.
async fn serve<Q, M, S>(schema: Schema<Q, M, S>) -> (RunningApp, String)
where
    Q: async_graphql::ObjectType + 'static,
    M: async_graphql::ObjectType + 'static,
    S: async_graphql::SubscriptionType + 'static,
{
    let sdl = schema.sdl_with_options(SDLExportOptions::new().federation());
    let routes = Router::new().route("/graphql", post_service(GraphQL::new(schema)));
    let app = server::App::new(routes, server::Readiness::new());
    (app.spawn(TcpListener::bind("127.0.0.1:0").await.expect("bind")), sdl)
}
