use serde_json::json;

use crate::helpers::Federation;

#[tokio::test]
async fn variables_fragments_and_aliases_shape_the_response_in_selection_order() {
    let federation = Federation::start().await;
    let response = federation
        .query(
            "query Products($n: Int!) {
                first: topProducts(first: $n) { ...Basics cost: price }
                chair: product(upc: \"3\") { ...Basics }
            }
            fragment Basics on Product { label: name upc }",
            json!({ "n": 1 }),
        )
        .await;
    assert_eq!(
        response,
        json!({ "data": {
            "first": [{ "label": "Table", "upc": "1", "cost": 899 }],
            "chair": { "label": "Chair", "upc": "3" },
        } })
    );
    // Key order follows the selection, not the subgraphs' answers.
    let first = response["data"]["first"][0].as_object().expect("object");
    assert_eq!(first.keys().collect::<Vec<_>>(), ["label", "upc", "cost"]);
}

#[tokio::test]
async fn skip_and_include_follow_variables_even_across_subgraphs() {
    let federation = Federation::start().await;
    let query = "query($withReviews: Boolean!, $noPrice: Boolean!) {
        product(upc: \"2\") {
            name
            price @skip(if: $noPrice)
            reviews @include(if: $withReviews) { body }
        }
    }";
    let with = federation.query(query, json!({ "withReviews": true, "noPrice": true })).await;
    assert_eq!(
        with,
        json!({ "data": { "product": { "name": "Couch", "reviews": [{ "body": "Too big" }] } } })
    );
    let without = federation.query(query, json!({ "withReviews": false, "noPrice": false })).await;
    assert_eq!(without, json!({ "data": { "product": { "name": "Couch", "price": 1299 } } }));
}

#[tokio::test]
async fn mutations_run_their_root_fields_in_order() {
    let federation = Federation::start().await;
    let response = federation
        .query(
            "mutation { a: record(entry: \"1\") b: note(entry: \"2\") c: record(entry: \"3\") d: note(entry: \"4\") }",
            json!({}),
        )
        .await;
    assert_eq!(response, json!({ "data": { "a": 1, "b": 2, "c": 3, "d": 4 } }));
    let log = federation.probe.log.lock().expect("log").clone();
    assert_eq!(log, ["products:1", "reviews:2", "products:3", "reviews:4"]);
}

#[tokio::test]
async fn the_router_answers_introspection_from_the_api_schema() {
    let federation = Federation::start().await;
    let response = federation
        .query(
            "{ __schema { queryType { name } mutationType { name } }
               __type(name: \"SearchResult\") { kind possibleTypes { name } } }",
            json!({}),
        )
        .await;
    assert_eq!(
        response,
        json!({ "data": {
            "__schema": { "queryType": { "name": "Query" }, "mutationType": { "name": "Mutation" } },
            "__type": { "kind": "UNION", "possibleTypes": [{ "name": "Product" }, { "name": "Gift" }] },
        } })
    );
    let types = federation.query("{ __schema { types { name } } }", json!({})).await;
    let names: Vec<&str> = types["data"]["__schema"]["types"]
        .as_array()
        .expect("types")
        .iter()
        .filter_map(|t| t["name"].as_str())
        .collect();
    assert!(names.contains(&"Product") && names.contains(&"__Schema"), "{names:?}");
    assert!(!names.iter().any(|n| n.starts_with("join__") || n.starts_with("link__")), "{names:?}");

    // Clients build a schema from this answer, and a field named `__…`
    // makes graphql-js (GraphiQL) refuse it whole.
    let query_type =
        federation.query("{ __type(name: \"Query\") { fields { name } } }", json!({})).await;
    let fields: Vec<&str> = query_type["data"]["__type"]["fields"]
        .as_array()
        .expect("fields")
        .iter()
        .filter_map(|f| f["name"].as_str())
        .collect();
    assert!(!fields.is_empty(), "{query_type}");
    assert!(!fields.iter().any(|f| f.starts_with("__")), "{fields:?}");

    // Each directive once: the built-in ones, and @defer, which the router serves.
    let directives = federation.query("{ __schema { directives { name } } }", json!({})).await;
    let mut names: Vec<&str> = directives["data"]["__schema"]["directives"]
        .as_array()
        .expect("directives")
        .iter()
        .filter_map(|d| d["name"].as_str())
        .collect();
    names.sort_unstable();
    let count = names.len();
    names.dedup();
    assert_eq!(names.len(), count, "a directive listed twice: {directives}");
    for expected in ["defer", "deprecated", "include", "skip"] {
        assert!(names.contains(&expected), "{expected} missing: {names:?}");
    }
    assert!(!names.iter().any(|n| n.starts_with("join__") || *n == "link"), "{names:?}");
}

#[tokio::test]
async fn a_field_selected_twice_with_different_subfields_is_answered_once_with_all_of_them() {
    let federation = Federation::start().await;
    let response = federation
        .query(
            "{ product(upc: \"1\") { upc reviews { body } ...Authors upc } }
             fragment Authors on Product { reviews { author { name } } }",
            json!({}),
        )
        .await;
    assert_eq!(
        response,
        json!({ "data": { "product": {
            "upc": "1",
            "reviews": [
                { "body": "Sturdy", "author": { "name": "Ada Lovelace" } },
                { "body": "Love it", "author": { "name": "Alan Turing" } },
            ],
        } } })
    );
    let product = response["data"]["product"].as_object().expect("object");
    assert_eq!(product.keys().collect::<Vec<_>>(), ["upc", "reviews"]);
}
