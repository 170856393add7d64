//! The browsing query across the real catalog (MongoDB), inventory
//! (PostgreSQL) and users (PostgreSQL) subgraphs, with their demo data.

use serde_json::json;
use sqlx::PgPool;
use tokio::net::TcpListener;

use e2e::{post_query, start_router};

#[sqlx::test(migrations = false)]
async fn products_with_price_stock_and_review_authors_through_the_router(pool: PgPool) {
    // users and inventory share the test database: their tables do not meet.
    kit::db::migrate(&pool, &users::MIGRATOR).await.expect("users migrations");
    kit::db::migrate(&pool, &inventory::MIGRATOR).await.expect("inventory migrations");
    users::seed_pool(&pool, "shopgraph-admin").await.expect("users seed");
    inventory::seed::seed(&pool).await.expect("inventory seed");
    let keys = users::keys::SigningKeys::generate().expect("keys");
    let unique = uuid::Uuid::new_v4().simple().to_string();

    let users_config = users::UsersConfig::from_env().expect("config");
    let users_app = users::build_with_pool(&users_config, pool.clone(), keys.clone());
    let mut inventory_config = inventory::InventoryConfig::from_env().expect("config");
    inventory_config.redis.key_prefix = format!("test:{unique}:");
    let inventory_app =
        inventory::build_with_pool(&inventory_config, pool.clone(), keys.verifier());
    let mut catalog_config = catalog::CatalogConfig::from_env().expect("config");
    catalog_config.mongo.database = format!("test_browse_{unique}");
    catalog_config.redis.key_prefix = format!("test:{unique}:");
    let database = kit::mongo::connect(&catalog_config.mongo).await.expect("mongo");
    catalog::seed::seed(&catalog::catalog(&catalog_config, &database).await.expect("catalog"))
        .await
        .expect("seed");
    let catalog_app =
        catalog::build_with(&catalog_config, database, keys.verifier()).await.expect("catalog");

    let bind = || async { TcpListener::bind("127.0.0.1:0").await.expect("bind") };
    let users_server = users_app.spawn(bind().await);
    let inventory_server = inventory_app.spawn(bind().await);
    let catalog_server = catalog_app.spawn(bind().await);
    let source = |name: &str, url: String, sdl: String| router::compose::SubgraphSource {
        name: name.into(),
        routing_url: url,
        sdl,
    };
    let supergraph = router::compose::compose(&[
        source("users", users_server.url("/graphql"), users::schema_sdl()),
        source("catalog", catalog_server.url("/graphql"), catalog::schema_sdl()),
        source("inventory", inventory_server.url("/graphql"), inventory::schema_sdl()),
    ])
    .unwrap_or_else(|e| panic!("{e:?}"));
    let router = start_router(&supergraph, router::RouterConfig::default()).await;

    let response = post_query(
        &router.url("/graphql"),
        "{ products(first: 5, filter: { search: \"chair\" }) { totalCount edges { node {
            name price { formatted } inStock availableQuantity
            reviews(first: 2) { edges { node { rating author { name } } } } } } } }",
    )
    .await;
    let products = &response["data"]["products"];
    assert_eq!(products["totalCount"], 5, "{response}");
    let names: Vec<&str> = products["edges"]
        .as_array()
        .expect("edges")
        .iter()
        .filter_map(|e| e["node"]["name"].as_str())
        .collect();
    // Newest first: the seed creates products in list order.
    assert_eq!(
        names,
        [
            "Rocking Chair",
            "Folding Garden Chair",
            "Ergonomic Desk Chair",
            "Rattan Lounge Chair",
            "Oak Dining Chair"
        ]
    );
    // Demo product 7: price 1000 + 7 * 737 cents; stock 21 + 28; three
    // reviews, newest (carol, rating 3) first.
    assert_eq!(
        products["edges"][0]["node"],
        json!({
            "name": "Rocking Chair",
            "price": { "formatted": "$61.59" },
            "inStock": true,
            "availableQuantity": 49,
            "reviews": { "edges": [
                { "node": { "rating": 3, "author": { "name": "Carol Diaz" } } },
                { "node": { "rating": 5, "author": { "name": "Bob Chen" } } },
            ] },
        })
    );
    assert!(response.get("errors").is_none(), "{response}");
    // Release every database connection before the test database is dropped.
    router.stop().await;
    for server in [users_server, inventory_server, catalog_server] {
        server.stop().await;
    }
}
