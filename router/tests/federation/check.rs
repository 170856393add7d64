//! `router check`: each class of breaking change found on its own, the
//! dangerous ones told apart, operations named, and the exit status.

use std::{path::PathBuf, process::Command};

use router::{
    check::{Change, Level, affected, changes, usages},
    compose::{SubgraphSource, compose},
    planning::QueryPlanner,
};

const BASE: &str = r#"
type Query {
  product(id: ID!): Product
  products(first: Int, category: Category): [Product!]!
  search(filter: Filter): [Product!]!
  legacy: String
}
type Product { id: ID! name: String! price: Int! tags: [String!]! }
enum Category { CHAIRS TABLES LAMPS }
input Filter { text: String minPrice: Int }
type Brand { name: String! }
type Mutation { rename(id: ID!, name: String!): Product }
"#;

fn planner(sdl: &str) -> QueryPlanner {
    let source =
        SubgraphSource { name: "shop".into(), routing_url: "http://shop".into(), sdl: sdl.into() };
    let supergraph = compose(&[source]).unwrap_or_else(|e| panic!("{e:?}"));
    let document = graphql_tools::parser::schema::parse_schema::<String>(&supergraph)
        .expect("supergraph")
        .into_static();
    QueryPlanner::new(&document, 1, &[]).expect("planner")
}

/// The changes from BASE to BASE with `from` replaced by `to`.
fn changes_after(from: &str, to: &str) -> Vec<Change> {
    assert!(BASE.contains(from), "{from}");
    changes(planner(BASE).schema(), planner(&BASE.replace(from, to)).schema())
}

fn breaking(changes: &[Change]) -> Vec<&str> {
    changes.iter().filter(|c| c.level == Level::Breaking).map(|c| c.coordinate.as_str()).collect()
}

fn dangerous(changes: &[Change]) -> Vec<&str> {
    changes.iter().filter(|c| c.level == Level::Dangerous).map(|c| c.coordinate.as_str()).collect()
}

#[test]
fn no_change_is_no_change_and_additions_are_safe() {
    assert!(changes_after("legacy: String", "legacy: String").is_empty());
    let added = changes_after("legacy: String", "legacy: String\n  brands: [Brand!]!");
    assert!(added.is_empty(), "{added:?}");
}

#[test]
fn a_removed_field_is_breaking() {
    let found = changes_after("  legacy: String\n", "");
    assert_eq!(breaking(&found), ["Query.legacy"]);
}

#[test]
fn a_removed_type_is_breaking() {
    let found = changes_after("type Brand { name: String! }", "");
    assert_eq!(breaking(&found), ["Brand"]);
}

#[test]
fn a_removed_enum_value_is_breaking_and_an_added_one_dangerous() {
    assert_eq!(
        breaking(&changes_after("CHAIRS TABLES LAMPS", "CHAIRS TABLES")),
        ["Category.LAMPS"]
    );
    let added = changes_after("CHAIRS TABLES LAMPS", "CHAIRS TABLES LAMPS RUGS");
    assert_eq!(breaking(&added), Vec::<&str>::new());
    assert_eq!(dangerous(&added), ["Category.RUGS"]);
}

#[test]
fn an_argument_newly_required_is_breaking_and_a_new_optional_one_dangerous() {
    let required = changes_after("products(first: Int,", "products(first: Int, sort: String!,");
    assert_eq!(breaking(&required), ["Query.products(sort:)"]);
    let now_required = changes_after("products(first: Int,", "products(first: Int!,");
    assert_eq!(breaking(&now_required), ["Query.products(first:)"]);
    let optional = changes_after("products(first: Int,", "products(first: Int, sort: String,");
    assert_eq!(
        (breaking(&optional), dangerous(&optional)),
        (vec![], vec!["Query.products(sort:)"])
    );
    let defaulted =
        changes_after("products(first: Int,", "products(first: Int, sort: String! = \"name\",");
    assert_eq!(breaking(&defaulted), Vec::<&str>::new());
}

#[test]
fn an_input_narrowed_to_non_null_is_breaking_and_widened_is_safe() {
    let narrowed = changes_after("input Filter { text: String", "input Filter { text: String!");
    assert_eq!(breaking(&narrowed), ["Filter.text"]);
    let widened = changes_after("product(id: ID!)", "product(id: ID)");
    assert!(widened.is_empty(), "{widened:?}");
}

#[test]
fn an_output_widened_to_nullable_is_breaking_and_narrowed_is_safe() {
    let widened = changes_after("name: String! price", "name: String price");
    assert_eq!(breaking(&widened), ["Product.name"]);
    let narrowed = changes_after("  legacy: String\n", "  legacy: String!\n");
    assert!(narrowed.is_empty(), "{narrowed:?}");
    let retyped = changes_after("price: Int!", "price: String!");
    assert_eq!(breaking(&retyped), ["Product.price"]);
}

fn operations_dir() -> PathBuf {
    let dir = std::env::temp_dir().join(format!("router-check-ops-{}", std::process::id()));
    std::fs::create_dir_all(dir.join("nested")).expect("ops dir");
    std::fs::write(dir.join("names.graphql"), "query Names { products { id name } }")
        .expect("write");
    std::fs::write(
        dir.join("nested/legacy.graphql"),
        "query Legacy { legacy ...Cheap } fragment Cheap on Query { products(first: 2) { price } }",
    )
    .expect("write");
    dir
}

#[test]
fn breaking_changes_name_the_operations_they_break() {
    let base = planner(BASE);
    let operations = usages(&operations_dir(), base.schema()).expect("operations");
    let names = |from: &str, to: &str| -> Vec<String> {
        let found = changes(base.schema(), planner(&BASE.replace(from, to)).schema());
        found
            .iter()
            .filter(|c| c.level == Level::Breaking)
            .flat_map(|c| affected(c, &operations))
            .map(|op| op.name.clone())
            .collect()
    };
    assert_eq!(names("  legacy: String\n", ""), ["Legacy"]);
    assert_eq!(names("name: String! price", "name: String price"), ["Names"]);
    // Through a fragment, and by the argument it passes.
    assert_eq!(names("price: Int!", "price: Float!"), ["Legacy"]);
    assert_eq!(names("products(first: Int,", "products(first: Int!,"), ["Legacy"]);
    assert_eq!(
        names("products(first: Int,", "products(first: Int, sort: String!,"),
        ["Names", "Legacy"]
    );
}

#[test]
fn the_command_fails_on_breaking_changes_unless_allowed() {
    let dir = std::env::temp_dir().join(format!("router-check-cli-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("dir");
    let write = |name: &str, sdl: &str| {
        let source = SubgraphSource {
            name: "shop".into(),
            routing_url: "http://shop".into(),
            sdl: sdl.into(),
        };
        let path = dir.join(name);
        std::fs::write(&path, compose(&[source]).expect("compose")).expect("write");
        path
    };
    let base = write("base.graphql", BASE);
    let safe =
        write("safe.graphql", &BASE.replace("CHAIRS TABLES LAMPS", "CHAIRS TABLES LAMPS RUGS"));
    let broken = write("broken.graphql", &BASE.replace("  legacy: String\n", ""));
    let run = |new: &PathBuf, extra: &[&str]| {
        let output = Command::new(env!("CARGO_BIN_EXE_router"))
            .arg("check")
            .arg("--base")
            .arg(&base)
            .arg("--new")
            .arg(new)
            .args(extra)
            .output()
            .expect("run router check");
        (output.status.success(), String::from_utf8_lossy(&output.stdout).into_owned())
    };
    let (ok, report) = run(&safe, &[]);
    assert!(ok, "{report}");
    assert!(report.contains("dangerous  enum value `Category.RUGS` was added"), "{report}");
    let (ok, report) = run(&broken, &["--operations", &operations_dir().to_string_lossy()]);
    assert!(!ok, "{report}");
    assert!(report.contains("BREAKING   field `Query.legacy` was removed"), "{report}");
    assert!(report.contains("breaks Legacy in"), "{report}");
    let (ok, report) = run(&broken, &["--allow", "legacy was deprecated for a year"]);
    assert!(ok, "{report}");
    assert!(report.contains("allowed: legacy was deprecated for a year"), "{report}");
}
