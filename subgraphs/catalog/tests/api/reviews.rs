use serde_json::json;
use uuid::Uuid;

use crate::helpers::{TestCatalog, error_code};

const ADD: &str = "mutation($p: ID!, $input: ReviewInput!) { addReview(productId: $p, input: $input) { id rating author { id } product { name } } }";

fn review(rating: i32) -> serde_json::Value {
    json!({ "rating": rating, "title": "Nice", "body": "Works well." })
}

#[tokio::test]
async fn one_review_per_customer_per_product_with_bounded_input() {
    let catalog = TestCatalog::new().await;
    let product = catalog.create("R-1", "Lamp", 1000, json!({})).await;
    let ada = Uuid::new_v4();
    let token = catalog.customer(ada);

    let added =
        catalog.graphql(ADD, json!({ "p": product, "input": review(4) }), Some(&token)).await;
    assert_eq!(added["data"]["addReview"]["author"]["id"], ada.to_string(), "{added}");
    assert_eq!(added["data"]["addReview"]["product"]["name"], "Lamp");

    let twice =
        catalog.graphql(ADD, json!({ "p": product, "input": review(5) }), Some(&token)).await;
    assert_eq!(error_code(&twice), "CONFLICT");
    let out_of_range = catalog
        .graphql(
            ADD,
            json!({ "p": product, "input": review(6) }),
            Some(&catalog.customer(Uuid::new_v4())),
        )
        .await;
    assert_eq!(error_code(&out_of_range), "BAD_USER_INPUT");
    let unknown = catalog
        .graphql(ADD, json!({ "p": Uuid::new_v4().to_string(), "input": review(3) }), Some(&token))
        .await;
    assert_eq!(error_code(&unknown), "NOT_FOUND");
    let anonymous = catalog.graphql(ADD, json!({ "p": product, "input": review(3) }), None).await;
    assert_eq!(error_code(&anonymous), "UNAUTHENTICATED");

    let stats = catalog
        .graphql("query($id: ID) { product(id: $id) { averageRating reviewCount reviews { totalCount } } }", json!({ "id": product }), None)
        .await;
    assert_eq!(
        stats["data"]["product"],
        json!({ "averageRating": 4.0, "reviewCount": 1, "reviews": { "totalCount": 1 } })
    );
}

#[tokio::test]
async fn concurrent_reviews_keep_count_and_average_exact() {
    let catalog = TestCatalog::new().await;
    let product = catalog.create("R-2", "Chair", 1000, json!({})).await;
    let ratings: Vec<i32> = (0..24).map(|i| 1 + i % 5).collect();
    let tokens: Vec<String> = ratings.iter().map(|_| catalog.customer(Uuid::new_v4())).collect();
    let requests = ratings.iter().zip(&tokens).map(|(rating, token)| {
        catalog.graphql(ADD, json!({ "p": product, "input": review(*rating) }), Some(token))
    });
    for response in futures::future::join_all(requests).await {
        assert!(response["data"]["addReview"]["id"].is_string(), "{response}");
    }
    let expected = f64::from(ratings.iter().sum::<i32>()) / ratings.len() as f64;
    let stats = catalog
        .graphql(
            "query($id: ID) { product(id: $id) { averageRating reviewCount } }",
            json!({ "id": product }),
            None,
        )
        .await;
    assert_eq!(stats["data"]["product"]["reviewCount"], 24, "{stats}");
    let average = stats["data"]["product"]["averageRating"].as_f64().expect("average");
    assert!((average - expected).abs() < 1e-9, "{average} != {expected}");
}

#[tokio::test]
async fn reviews_page_newest_first_and_users_list_their_own() {
    let catalog = TestCatalog::new().await;
    let product = catalog.create("R-3", "Rug", 1000, json!({})).await;
    let other = catalog.create("R-4", "Mat", 1000, json!({})).await;
    let ada = Uuid::new_v4();
    for (i, token) in
        [catalog.customer(ada), catalog.customer(Uuid::new_v4()), catalog.customer(Uuid::new_v4())]
            .iter()
            .enumerate()
    {
        catalog
            .graphql(ADD, json!({ "p": product, "input": review(i as i32 + 1) }), Some(token))
            .await;
    }
    catalog
        .graphql(ADD, json!({ "p": other, "input": review(5) }), Some(&catalog.customer(ada)))
        .await;

    let first = catalog
        .graphql("query($id: ID) { product(id: $id) { reviews(first: 2) { edges { node { rating } } pageInfo { hasNextPage endCursor } } } }", json!({ "id": product }), None)
        .await;
    let reviews = &first["data"]["product"]["reviews"];
    assert_eq!(
        reviews["edges"],
        json!([{ "node": { "rating": 3 } }, { "node": { "rating": 2 } }]),
        "{first}"
    );
    let after = reviews["pageInfo"]["endCursor"].as_str().expect("cursor");
    let rest = catalog
        .graphql("query($id: ID, $a: String) { product(id: $id) { reviews(first: 2, after: $a) { edges { node { rating } } pageInfo { hasNextPage } } } }", json!({ "id": product, "a": after }), None)
        .await;
    assert_eq!(
        rest["data"]["product"]["reviews"]["edges"],
        json!([{ "node": { "rating": 1 } }]),
        "{rest}"
    );

    let mine = catalog
        .graphql("query($r: [_Any!]!) { _entities(representations: $r) { ... on User { reviews { totalCount edges { node { product { name } } } } } } }",
            json!({ "r": [{ "__typename": "User", "id": ada.to_string() }] }), None)
        .await;
    assert_eq!(mine["data"]["_entities"][0]["reviews"]["totalCount"], 2, "{mine}");
}
