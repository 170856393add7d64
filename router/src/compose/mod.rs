//! `router compose`: subgraph SDL in, Apollo Federation 2 supergraph out.
//!
//! The output is the standard supergraph format (`@link`, join v0.3), so any
//! federation router can load it: every type carries `@join__type` for each
//! subgraph that defines it (root types included), fields carry
//! `@join__field` wherever more than one subgraph is involved, and
//! implementations, union members and enum values say which subgraph knows
//! them. Validation covers what breaks planning in practice: kind clashes,
//! incompatible field types, unshared fields resolved twice, unknown types.

mod config;
mod merge;
mod satisfiability;
mod subgraph;

use std::fmt;

use graphql_tools::parser::schema::{Definition, Document};

pub use config::{SupergraphConfig, compose_from_config};
pub use subgraph::Subgraph;

/// A composition failure, naming the subgraphs and fields involved.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CompositionError(pub String);

impl CompositionError {
    pub fn new(message: impl Into<String>) -> Self {
        Self(message.into())
    }
}

impl fmt::Display for CompositionError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// One subgraph to compose.
#[derive(Debug, Clone)]
pub struct SubgraphSource {
    pub name: String,
    pub routing_url: String,
    pub sdl: String,
}

const HEADER: &str = r#"schema
  @link(url: "https://specs.apollo.dev/link/v1.0")
  @link(url: "https://specs.apollo.dev/join/v0.4", for: EXECUTION)
  @link(url: "https://specs.apollo.dev/inaccessible/v0.2", for: SECURITY)
{
ROOTS}

directive @inaccessible on FIELD_DEFINITION | OBJECT | INTERFACE | UNION | ARGUMENT_DEFINITION | SCALAR | ENUM | ENUM_VALUE | INPUT_OBJECT | INPUT_FIELD_DEFINITION

directive @join__enumValue(graph: join__Graph!) repeatable on ENUM_VALUE

directive @join__field(graph: join__Graph, requires: join__FieldSet, provides: join__FieldSet, type: String, external: Boolean, override: String, usedOverridden: Boolean, overrideLabel: String) repeatable on FIELD_DEFINITION | INPUT_FIELD_DEFINITION

directive @join__graph(name: String!, url: String!) on ENUM_VALUE

directive @join__implements(graph: join__Graph!, interface: String!) repeatable on OBJECT | INTERFACE

directive @join__type(graph: join__Graph!, key: join__FieldSet, extension: Boolean! = false, resolvable: Boolean! = true, isInterfaceObject: Boolean! = false) repeatable on OBJECT | INTERFACE | UNION | ENUM | INPUT_OBJECT | SCALAR

directive @join__unionMember(graph: join__Graph!, member: String!) repeatable on UNION

directive @link(url: String, as: String, for: link__Purpose, import: [link__Import]) repeatable on SCHEMA

scalar join__FieldSet

enum join__Graph {
GRAPHS}

scalar link__Import

enum link__Purpose {
  """
  `SECURITY` features provide metadata necessary to securely resolve fields.
  """
  SECURITY

  """
  `EXECUTION` features provide metadata necessary for operation execution.
  """
  EXECUTION
}
"#;

/// Composes subgraphs into supergraph SDL, or every error found.
pub fn compose(sources: &[SubgraphSource]) -> Result<String, Vec<CompositionError>> {
    if sources.is_empty() {
        return Err(vec![CompositionError::new("no subgraphs to compose")]);
    }
    let mut errors = Vec::new();
    let mut subgraphs = Vec::new();
    for source in sources {
        match Subgraph::parse(&source.name, &source.routing_url, &source.sdl) {
            Ok(s) => subgraphs.push(s),
            Err(e) => errors.push(e),
        }
    }
    let mut seen = std::collections::BTreeMap::new();
    for s in &subgraphs {
        if let Some(other) = seen.insert(s.graph_enum(), s.name.clone()) {
            errors.push(CompositionError::new(format!(
                "subgraph names `{other}` and `{}` collide as join__Graph value {}",
                s.name,
                s.graph_enum()
            )));
        }
    }
    if !errors.is_empty() {
        return Err(errors);
    }
    let definitions = merge::merge_types(&subgraphs)?;
    let reference_errors = merge::check_references(&definitions);
    if !reference_errors.is_empty() {
        return Err(reference_errors);
    }
    let has = |root: &str| {
        definitions
            .iter()
            .any(|d| matches!(d, Definition::TypeDefinition(t) if merge::type_name(t) == root))
    };
    if !has("Query") {
        return Err(vec![CompositionError::new("no subgraph defines a Query field")]);
    }
    let roots: String = ["query", "mutation", "subscription"]
        .iter()
        .zip(["Query", "Mutation", "Subscription"])
        .filter(|(_, t)| has(t))
        .map(|(op, t)| format!("  {op}: {t}\n"))
        .collect();
    let graphs: String = subgraphs
        .iter()
        .map(|s| {
            format!(
                "  {} @join__graph(name: {}, url: {})\n",
                s.graph_enum(),
                graphql_string(&s.name),
                graphql_string(&s.url)
            )
        })
        .collect();
    let costs = uses_directives(&definitions, &["cost", "listSize"]);
    let authorization =
        uses_directives(&definitions, &["authenticated", "requiresScopes", "policy"]);
    let body = Document::<'static, String> { definitions }.to_string();
    let mut header = HEADER.replace("ROOTS", &roots).replace("GRAPHS", &graphs);
    if costs {
        header = header.replacen(COST_LINK_BEFORE, COST_LINK, 1) + COST_DIRECTIVES;
    }
    if authorization {
        header =
            header.replacen(COST_LINK_BEFORE, AUTHORIZATION_LINKS, 1) + AUTHORIZATION_DIRECTIVES;
    }
    if subgraphs.iter().any(Subgraph::uses_contexts) {
        header = header.replacen(JOIN_LINK, CONTEXT_LINKS, 1).replacen(
            JOIN_FIELD_END,
            CONTEXT_JOIN_FIELD_END,
            1,
        ) + CONTEXT_DEFINITIONS;
    }
    let supergraph = format!("{header}\n{body}");
    satisfiability::check(&supergraph)?;
    Ok(supergraph)
}

/// `@cost`/`@listSize` (federation 2.9): declared, and linked, only in a
/// supergraph that uses them.
const COST_LINK_BEFORE: &str = "\n{\n";
const COST_LINK: &str = "\n  @link(url: \"https://specs.apollo.dev/cost/v0.1\", import: [\"@cost\", \"@listSize\"])\n{\n";
const COST_DIRECTIVES: &str = "
directive @cost(weight: Int!) on ARGUMENT_DEFINITION | ENUM | FIELD_DEFINITION | INPUT_FIELD_DEFINITION | OBJECT | SCALAR

directive @listSize(assumedSize: Int, slicingArguments: [String!], sizedFields: [String!], requireOneSlicingArgument: Boolean = true) on FIELD_DEFINITION
";

/// `@context`/`@fromContext` (federation 2.8): join v0.5 with
/// `contextArguments`, and the context spec, only where they are used.
const JOIN_LINK: &str = "join/v0.4\", for: EXECUTION)\n";
const CONTEXT_LINKS: &str = "join/v0.5\", for: EXECUTION)\n  @link(url: \"https://specs.apollo.dev/context/v0.1\", for: SECURITY)\n";
const JOIN_FIELD_END: &str = "overrideLabel: String)";
const CONTEXT_JOIN_FIELD_END: &str =
    "overrideLabel: String, contextArguments: [join__ContextArgument!])";
const CONTEXT_DEFINITIONS: &str = "
directive @context(name: String!) repeatable on INTERFACE | OBJECT | UNION

input join__ContextArgument {
  name: String!
  type: String!
  context: String!
  selection: join__FieldValue!
}

scalar join__FieldValue
";

/// `@authenticated`, `@requiresScopes`, `@policy` (federation 2.5/2.6),
/// for the router's authorization: linked only where used.
const AUTHORIZATION_LINKS: &str = "
  @link(url: \"https://specs.apollo.dev/authenticated/v0.1\", for: SECURITY)
  @link(url: \"https://specs.apollo.dev/requiresScopes/v0.1\", for: SECURITY)
  @link(url: \"https://specs.apollo.dev/policy/v0.1\", for: SECURITY)
{
";
const AUTHORIZATION_DIRECTIVES: &str = "
directive @authenticated on FIELD_DEFINITION | OBJECT | INTERFACE | SCALAR | ENUM

directive @requiresScopes(scopes: [[requiresScopes__Scope!]!]!) on FIELD_DEFINITION | OBJECT | INTERFACE | SCALAR | ENUM

directive @policy(policies: [[policy__Policy!]!]!) on FIELD_DEFINITION | OBJECT | INTERFACE | SCALAR | ENUM

scalar requiresScopes__Scope

scalar policy__Policy
";

/// Whether any type, field or argument carries one of `names`.
fn uses_directives(definitions: &[Definition<'static, String>], names: &[&str]) -> bool {
    use graphql_tools::parser::schema::{Directive, TypeDefinition};
    let named = |directives: &[Directive<'static, String>]| {
        directives.iter().any(|d| names.contains(&d.name.as_str()))
    };
    let in_fields = |fields: &[graphql_tools::parser::schema::Field<'static, String>]| {
        fields
            .iter()
            .any(|f| named(&f.directives) || f.arguments.iter().any(|a| named(&a.directives)))
    };
    definitions.iter().any(|definition| match definition {
        Definition::TypeDefinition(TypeDefinition::Object(o)) => {
            named(&o.directives) || in_fields(&o.fields)
        }
        Definition::TypeDefinition(TypeDefinition::Interface(i)) => {
            named(&i.directives) || in_fields(&i.fields)
        }
        Definition::TypeDefinition(TypeDefinition::Enum(e)) => named(&e.directives),
        Definition::TypeDefinition(TypeDefinition::Scalar(s)) => named(&s.directives),
        Definition::TypeDefinition(TypeDefinition::InputObject(i)) => {
            i.fields.iter().any(|f| named(&f.directives))
        }
        _ => false,
    })
}

fn graphql_string(s: &str) -> String {
    serde_json::to_string(s).unwrap_or_else(|_| "\"\"".to_owned())
}
