use serde_json::json;

use crate::{fixtures::Probe, helpers::Federation};

#[tokio::test]
async fn joins_entities_across_three_subgraphs() {
    let federation = Federation::start().await;
    let response = federation
        .query(
            "{ topProducts(first: 2) { name price inStock reviews { body author { name } } } }",
            json!({}),
        )
        .await;
    assert_eq!(
        response,
        json!({ "data": { "topProducts": [
            { "name": "Table", "price": 899, "inStock": true, "reviews": [
                { "body": "Sturdy", "author": { "name": "Ada Lovelace" } },
                { "body": "Love it", "author": { "name": "Alan Turing" } },
            ] },
            { "name": "Couch", "price": 1299, "inStock": false, "reviews": [
                { "body": "Too big", "author": { "name": "Alan Turing" } },
            ] },
        ] } })
    );
}

#[tokio::test]
async fn requires_sends_the_external_fields_including_a_nested_field_set() {
    let federation = Federation::start().await;
    let response = federation.query("{ topProducts { upc shippingEstimate } }", json!({})).await;
    // weight * 2 + dims.width, computed by inventory from fields products owns.
    assert_eq!(
        response,
        json!({ "data": { "topProducts": [
            { "upc": "1", "shippingEstimate": 210 },
            { "upc": "2", "shippingEstimate": 2050 },
            { "upc": "3", "shippingEstimate": 105 },
        ] } })
    );
}

#[tokio::test]
async fn provides_lets_reviews_answer_username_without_calling_accounts() {
    let federation = Federation::start().await;
    let response =
        federation.query("{ latestReviews { id author { username } } }", json!({})).await;
    assert_eq!(
        response,
        json!({ "data": { "latestReviews": [
            { "id": "r1", "author": { "username": "ada" } },
            { "id": "r2", "author": { "username": "alan" } },
            { "id": "r3", "author": { "username": "alan" } },
        ] } })
    );
    assert_eq!(Probe::count(&federation.probe.accounts_resolved), 0);

    // `name` is not provided: accounts is asked, once per distinct author.
    let response = federation.query("{ latestReviews { author { name } } }", json!({})).await;
    assert_eq!(response["data"]["latestReviews"][2]["author"]["name"], "Alan Turing", "{response}");
    assert_eq!(Probe::count(&federation.probe.accounts_resolved), 2);
}

#[tokio::test]
async fn duplicate_entities_in_a_list_are_fetched_once_and_filled_everywhere() {
    let federation = Federation::start().await;
    let response =
        federation.query("{ latestReviews { product { upc name price } } }", json!({})).await;
    assert_eq!(
        response,
        json!({ "data": { "latestReviews": [
            { "product": { "upc": "1", "name": "Table", "price": 899 } },
            { "product": { "upc": "2", "name": "Couch", "price": 1299 } },
            { "product": { "upc": "1", "name": "Table", "price": 899 } },
        ] } })
    );
    // Three references, two distinct products.
    assert_eq!(Probe::count(&federation.probe.products_resolved), 2);
}

#[tokio::test]
async fn override_takes_the_field_from_the_overriding_subgraph() {
    let federation = Federation::start().await;
    let response = federation.query("{ product(upc: \"1\") { inStock } }", json!({})).await;
    // products would say false; inventory owns the field now and says true.
    assert_eq!(response, json!({ "data": { "product": { "inStock": true } } }));
}

#[tokio::test]
async fn shareable_fields_resolve_from_whichever_subgraph_is_at_hand() {
    let federation = Federation::start().await;
    let response = federation
        .query("{ latestReviews { product { name } } topProducts(first: 1) { name } }", json!({}))
        .await;
    assert_eq!(
        response,
        json!({ "data": {
            "latestReviews": [
                { "product": { "name": "Table" } },
                { "product": { "name": "Couch" } },
                { "product": { "name": "Table" } },
            ],
            "topProducts": [{ "name": "Table" }],
        } })
    );
    // Reviews already knows the names; products was only needed for the root.
    assert_eq!(Probe::count(&federation.probe.products_resolved), 0);
}

#[tokio::test]
async fn inaccessible_fields_are_invisible_to_clients() {
    let federation = Federation::start().await;
    let (status, response) =
        federation.post(json!({ "query": "{ topProducts { internalCode } }" })).await;
    assert_eq!(status, 400);
    assert_eq!(crate::helpers::codes(&response), ["GRAPHQL_VALIDATION_FAILED"]);
    let introspection =
        federation.query("{ __type(name: \"Product\") { fields { name } } }", json!({})).await;
    let names: Vec<&str> = introspection["data"]["__type"]["fields"]
        .as_array()
        .expect("fields")
        .iter()
        .filter_map(|f| f["name"].as_str())
        .collect();
    assert!(names.contains(&"price") && !names.contains(&"internalCode"), "{names:?}");
}
