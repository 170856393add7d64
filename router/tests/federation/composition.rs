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
