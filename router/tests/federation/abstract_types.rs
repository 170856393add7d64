use serde_json::json;

use crate::helpers::Federation;

#[tokio::test]
async fn interface_fields_and_typenames_across_subgraphs() {
    let federation = Federation::start().await;
    let response = federation
        .query(
            "{ items { __typename upc name ... on Product { price reviews { body } } } }",
            json!({}),
        )
        .await;
    assert_eq!(
        response,
        json!({ "data": { "items": [
            { "__typename": "Product", "upc": "1", "name": "Table", "price": 899,
              "reviews": [{ "body": "Sturdy" }, { "body": "Love it" }] },
            { "__typename": "Gift", "upc": "g1", "name": "Gift card" },
            { "__typename": "Product", "upc": "3", "name": "Chair", "price": 54, "reviews": [] },
        ] } })
    );
}

#[tokio::test]
async fn union_members_are_told_apart_and_joined() {
    let federation = Federation::start().await;
    let response = federation
        .query(
            "{ search { __typename ... on Gift { name } ... on Product { name inStock } } }",
            json!({}),
        )
        .await;
    assert_eq!(
        response,
        json!({ "data": { "search": [
            { "__typename": "Gift", "name": "Gift card" },
            { "__typename": "Product", "name": "Couch", "inStock": false },
        ] } })
    );
}

#[tokio::test]
async fn interface_object_fields_reach_every_implementation() {
    let federation = Federation::start().await;
    let response = federation.query("{ items { __typename upc averageRating } }", json!({})).await;
    assert_eq!(
        response,
        json!({ "data": { "items": [
            { "__typename": "Product", "upc": "1", "averageRating": 4.5 },
            { "__typename": "Gift", "upc": "g1", "averageRating": 5.0 },
            { "__typename": "Product", "upc": "3", "averageRating": null },
        ] } })
    );
}
