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

/// An interface returned by a subgraph that sees it as an `@interfaceObject`:
/// type conditions on its implementations need the concrete `__typename`,
/// which only the interface's owner can give.
#[tokio::test]
async fn type_conditions_on_an_interface_object_resolve_through_the_interface_owner() {
    let federation = Federation::start().await;
    let response = federation
        .query(
            "{ topRatedItems { __typename upc averageRating ... on Product { name price } ... on Gift { name } }
               bestItem { ... on Product { name } ... on Gift { upc } } }",
            json!({}),
        )
        .await;
    assert_eq!(
        response,
        json!({ "data": {
            "topRatedItems": [
                { "__typename": "Gift", "upc": "g1", "averageRating": 5.0, "name": "Gift card" },
                { "__typename": "Product", "upc": "1", "averageRating": 4.5, "name": "Table", "price": 899 },
            ],
            "bestItem": { "name": "Chair" },
        } })
    );
}

#[tokio::test]
async fn an_interface_object_without_type_conditions_needs_no_owner() {
    let federation = Federation::start().await;
    let response =
        federation.query("{ topRatedItems { upc name averageRating } }", json!({})).await;
    assert_eq!(
        response,
        json!({ "data": { "topRatedItems": [
            { "upc": "g1", "name": "Gift card", "averageRating": 5.0 },
            { "upc": "1", "name": "Table", "averageRating": 4.5 },
        ] } })
    );
}
