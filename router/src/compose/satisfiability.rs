//! Satisfiability: every field of every type that clients can reach from a
//! root type must also be resolvable by the subgraphs along some path. A
//! field only one subgraph defines on a type that subgraph cannot be
//! entered at (no key, no path from a root) composes into a supergraph
//! that fails at request time; composition refuses it instead.
//!
//! Checked with the planner itself: for each field, the shortest operation
//! that reaches it is planned, and a field the planner cannot resolve is
//! reported with the subgraphs that define it.

use std::collections::{BTreeMap, HashMap, VecDeque};

use graphql_tools::static_graphql::schema::{Definition, Document, Field, TypeDefinition, Value};

use super::CompositionError;
use crate::{
    planning::{Limits, QueryPlanner},
    schema::{SchemaIndex, TypeKind, named_type, sample_arguments},
};

pub fn check(supergraph: &str) -> Result<(), Vec<CompositionError>> {
    let document: Document = graphql_tools::parser::schema::parse_schema::<String>(supergraph)
        .map_err(|e| vec![CompositionError::new(format!("the supergraph does not parse: {e}"))])?
        .into_static();
    let planner =
        QueryPlanner::new(&document, 1, &[]).map_err(|e| vec![CompositionError::new(e)])?;
    let schema = planner.schema();
    let owners = field_owners(&document);
    let limits = Limits::unlimited();
    let mut errors = Vec::new();
    for (type_name, (prefix, suffix)) in reachable(schema) {
        for field in fields_of(schema, &type_name) {
            let Some(arguments) = sample_arguments(schema, &field.arguments) else { continue };
            let selection = if is_composite(schema, named_type(&field.field_type)) {
                " { __typename }"
            } else {
                ""
            };
            let operation = format!("{prefix}{}{arguments}{selection}{suffix}", field.name);
            if planner.prepare(&operation, None, limits).is_err() {
                let defined_in = owners
                    .get(&(type_name.clone(), field.name.clone()))
                    .map(|graphs| graphs.join(", "))
                    .unwrap_or_default();
                errors.push(CompositionError::new(format!(
                    "field `{type_name}.{}` (defined in [{defined_in}]) cannot be resolved from the root types: no subgraph path reaches it (`{operation}`)",
                    field.name
                )));
            }
        }
    }
    if errors.is_empty() { Ok(()) } else { Err(errors) }
}

/// Each type reachable from a root type, with the shortest operation text
/// around a selection on it: `query { a { b { ... on T {` and `} } } }`.
fn reachable(schema: &SchemaIndex) -> BTreeMap<String, (String, String)> {
    let mut found: BTreeMap<String, (String, String)> = BTreeMap::new();
    let mut queue = VecDeque::new();
    for (keyword, root) in [
        ("query", Some(&schema.query_type)),
        ("mutation", schema.mutation_type.as_ref()),
        ("subscription", schema.subscription_type.as_ref()),
    ] {
        let Some(root) = root else { continue };
        found.insert(root.clone(), (format!("{keyword} {{ "), " }".into()));
        queue.push_back(root.clone());
    }
    while let Some(type_name) = queue.pop_front() {
        let (prefix, suffix) = found[&type_name].clone();
        let mut next: Vec<(String, String, String)> = Vec::new();
        for field in fields_of(schema, &type_name) {
            let named = named_type(&field.field_type);
            if found.contains_key(named) || !is_composite(schema, named) {
                continue;
            }
            let Some(arguments) = sample_arguments(schema, &field.arguments) else { continue };
            next.push((
                named.to_owned(),
                format!("{prefix}{}{arguments} {{ ", field.name),
                format!(" }}{suffix}"),
            ));
        }
        if schema.is_abstract(&type_name) {
            let mut members: Vec<&String> = schema
                .possible_types
                .get(&type_name)
                .map(|m| m.iter().collect())
                .unwrap_or_default();
            members.sort();
            for member in members {
                next.push((
                    member.clone(),
                    format!("{prefix}... on {member} {{ "),
                    format!(" }}{suffix}"),
                ));
            }
        }
        for (named, prefix, suffix) in next {
            if !found.contains_key(&named) {
                found.insert(named.clone(), (prefix, suffix));
                queue.push_back(named);
            }
        }
    }
    found
}

fn is_composite(schema: &SchemaIndex, name: &str) -> bool {
    matches!(schema.kind(name), Some(TypeKind::Object | TypeKind::Interface | TypeKind::Union))
}

fn fields_of<'s>(schema: &'s SchemaIndex, type_name: &str) -> impl Iterator<Item = &'s Field> {
    let fields = match schema.types.get(type_name).map(|t| &t.definition) {
        Some(TypeDefinition::Object(o)) => o.fields.as_slice(),
        Some(TypeDefinition::Interface(i)) => i.fields.as_slice(),
        _ => &[],
    };
    fields.iter().filter(|f| !f.name.starts_with("__"))
}

/// (type, field) → the subgraphs whose `@join__field` names it, or whose
/// `@join__type` names the type when the field has none.
fn field_owners(document: &Document) -> HashMap<(String, String), Vec<String>> {
    let graph_names: HashMap<String, String> = document
        .definitions
        .iter()
        .filter_map(|d| match d {
            Definition::TypeDefinition(TypeDefinition::Enum(e)) if e.name == "join__Graph" => {
                Some(e)
            }
            _ => None,
        })
        .flat_map(|e| {
            e.values.iter().filter_map(|v| {
                let directive = v.directives.iter().find(|d| d.name == "join__graph")?;
                Some((v.name.clone(), string_argument(&directive.arguments, "name")?))
            })
        })
        .collect();
    let graphs = |directives: &[graphql_tools::static_graphql::schema::Directive], name: &str| {
        directives
            .iter()
            .filter(|d| d.name == name)
            .filter_map(|d| match d.arguments.iter().find(|(k, _)| k == "graph") {
                Some((_, Value::Enum(graph))) => graph_names.get(graph).cloned(),
                _ => None,
            })
            .collect::<Vec<String>>()
    };
    let mut owners = HashMap::new();
    for definition in &document.definitions {
        let (name, directives, fields) = match definition {
            Definition::TypeDefinition(TypeDefinition::Object(o)) => {
                (&o.name, &o.directives, &o.fields)
            }
            Definition::TypeDefinition(TypeDefinition::Interface(i)) => {
                (&i.name, &i.directives, &i.fields)
            }
            _ => continue,
        };
        let type_graphs = graphs(directives, "join__type");
        for field in fields {
            let mut field_graphs = graphs(&field.directives, "join__field");
            if field_graphs.is_empty() {
                field_graphs = type_graphs.clone();
            }
            owners.insert((name.clone(), field.name.clone()), field_graphs);
        }
    }
    owners
}

fn string_argument(arguments: &[(String, Value)], name: &str) -> Option<String> {
    arguments.iter().find_map(|(k, v)| match v {
        Value::String(s) if k == name => Some(s.clone()),
        _ => None,
    })
}
