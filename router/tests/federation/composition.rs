//! `router compose`: errors name what clashes, and the checked-in supergraph
//! is what composing the checked-in subgraphs gives.

use router::compose::{SubgraphSource, compose};

fn source(name: &str, sdl: &str) -> SubgraphSource {
    SubgraphSource {
        name: name.into(),
        routing_url: format!("http://{name}/graphql"),
        sdl: sdl.into(),
    }
}

#[test]
fn a_field_resolved_by_two_subgraphs_without_shareable_is_an_error_naming_both() {
    let errors = compose(&[
        source(
            "a",
            "type Query { me: User } type User @key(fields: \"id\") { id: ID! name: String }",
        ),
        source("b", "type User @key(fields: \"id\") { id: ID! name: String }"),
    ])
    .expect_err("must not compose");
    let message = errors.iter().map(ToString::to_string).collect::<Vec<_>>().join("\n");
    assert!(message.contains("User.name") && message.contains("[a, b]"), "{message}");
}

#[test]
fn a_field_no_subgraph_path_reaches_is_refused_naming_the_field_and_its_subgraph() {
    let product = "type Query { product: Product } type Product @key(fields: \"id\") { id: ID! name: String }";
    // `b` cannot be entered at Product: its key is not resolvable there and
    // it has no root field, so nothing reaches `Product.weight`.
    let unreachable =
        "type Product @key(fields: \"id\", resolvable: false) { id: ID! weight: Int }";
    let errors =
        compose(&[source("a", product), source("b", unreachable)]).expect_err("must not compose");
    let message = errors.iter().map(ToString::to_string).collect::<Vec<_>>().join("\n");
    assert!(message.contains("`Product.weight`") && message.contains("[b]"), "{message}");
    assert_eq!(errors.len(), 1, "{message}");

    // The same field with a resolvable key composes.
    let reachable = "type Product @key(fields: \"id\") { id: ID! weight: Int }";
    compose(&[source("a", product), source("b", reachable)]).expect("composes");
}

#[tokio::test]
async fn cost_and_list_size_are_carried_into_a_supergraph_that_loads_and_answers() {
    let catalog = r#"
        extend schema @link(url: "https://specs.apollo.dev/federation/v2.9", import: ["@key", "@cost", "@listSize"])
        type Query {
          products(first: Int = 10 @cost(weight: 2)): [Product!]! @listSize(slicingArguments: ["first"], assumedSize: 50)
          heavy: Int @federation__cost(weight: 25)
        }
        type Product @key(fields: "id") @cost(weight: 3) { id: ID! name: String }
        enum Tier @cost(weight: 1) { GOLD SILVER }
    "#;
    let supergraph = compose(&[source("catalog", catalog)]).expect("composes");
    for expected in [
        r#"@link(url: "https://specs.apollo.dev/cost/v0.1", import: ["@cost", "@listSize"])"#,
        "directive @cost(weight: Int!)",
        "directive @listSize(",
        "first: Int = 10 @cost(weight: 2)",
        r#"@listSize(slicingArguments: ["first"], assumedSize: 50)"#,
        "heavy: Int @cost(weight: 25)",
        "@cost(weight: 3)",
        "enum Tier @join__type(graph: CATALOG) @cost(weight: 1)",
    ] {
        assert!(supergraph.contains(expected), "missing `{expected}` in\n{supergraph}");
    }
    // Without them, nothing about cost is declared.
    let plain = compose(&[source("catalog", "type Query { a: Int }")]).expect("composes");
    assert!(!plain.contains("cost"), "{plain}");

    let router = crate::helpers::start_router(&supergraph, router::RouterConfig::default()).await;
    let response = crate::helpers::post_query(&router.url("/graphql"), "{ __typename }").await;
    assert_eq!(response, serde_json::json!({ "data": { "__typename": "Query" } }));
}

#[test]
fn kind_and_type_clashes_are_reported() {
    let errors = compose(&[
        source("a", "type Query { x: Thing y: Int } type Thing { id: ID! }"),
        source("b", "type Query { z: Int } enum Thing { A }"),
    ])
    .expect_err("must not compose");
    assert!(errors[0].to_string().contains("`Thing`"), "{errors:?}");

    let errors = compose(&[
        source(
            "a",
            "type Query { p: P } type P @key(fields: \"id\") { id: ID! size: Int @shareable }",
        ),
        source("b", "type P @key(fields: \"id\") { id: ID! size: String @shareable }"),
    ])
    .expect_err("must not compose");
    assert!(errors[0].to_string().contains("P.size"), "{errors:?}");
}

#[test]
fn every_type_including_root_types_carries_join_type() {
    let sdl = compose(&[
        source("a", "type Query { me: User } type User @key(fields: \"id\") { id: ID! }"),
        source(
            "b",
            "type Query { other: Int } type User @key(fields: \"id\") { id: ID! age: Int }",
        ),
    ])
    .expect("composes");
    assert!(sdl.contains("type Query @join__type(graph: A) @join__type(graph: B)"), "{sdl}");
    assert!(sdl.contains("age: Int @join__field(graph: B)"), "{sdl}");
    assert!(sdl.contains("A @join__graph(name: \"a\", url: \"http://a/graphql\")"), "{sdl}");
}

#[tokio::test]
async fn the_checked_in_supergraph_is_up_to_date() {
    let root = concat!(env!("CARGO_MANIFEST_DIR"), "/..");
    let config = std::path::Path::new(root).join("schema/supergraph.yaml");
    let composed = router::compose::compose_from_config(&config).await.expect("composes");
    let path = std::path::Path::new(root).join("schema/supergraph.graphql");
    if std::env::var_os("UPDATE_SCHEMA").is_some() {
        std::fs::write(&path, &composed).expect("write");
    }
    let checked_in = std::fs::read_to_string(&path).expect("schema/supergraph.graphql");
    assert!(
        checked_in == composed,
        "schema/supergraph.graphql is stale: run `cargo run -p router -- compose`"
    );
}
