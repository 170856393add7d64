//! Operations generated from an API schema: for each root query field, a
//! selection of every field to a depth, with `__typename` and an inline
//! fragment on every member of each interface and union, arguments filled
//! with sample values. Fields whose required arguments cannot be filled
//! (input objects, custom scalars) are left out.

use graphql_tools::static_graphql::schema::{Field, TypeDefinition};
use router::schema::{SchemaIndex, TypeKind, named_type, sample_arguments};

pub fn operations(schema: &SchemaIndex, depth: usize) -> Vec<String> {
    let Some(query) = schema.types.get(&schema.query_type) else { return Vec::new() };
    let TypeDefinition::Object(query) = &query.definition else { return Vec::new() };
    query
        .fields
        .iter()
        .filter_map(|field| {
            let selection = field_selection(schema, field, depth)?;
            Some(format!("{{ {selection} }}"))
        })
        .collect()
}

fn field_selection(schema: &SchemaIndex, field: &Field, depth: usize) -> Option<String> {
    if field.name.starts_with("__") {
        return None;
    }
    let arguments = sample_arguments(schema, &field.arguments)?;
    let named = named_type(&field.field_type);
    match schema.kind(named)? {
        TypeKind::Scalar | TypeKind::Enum => Some(format!("{}{arguments}", field.name)),
        TypeKind::InputObject => None,
        _ => {
            let inner = selection(schema, named, depth.checked_sub(1)?);
            Some(format!("{}{arguments} {{ {inner} }}", field.name))
        }
    }
}

/// The selection of every field of `type_name`, to `depth` more levels.
fn selection(schema: &SchemaIndex, type_name: &str, depth: usize) -> String {
    let Some(info) = schema.types.get(type_name) else { return "__typename".into() };
    let fields = |fields: &[Field]| -> Vec<String> {
        fields.iter().filter_map(|f| field_selection(schema, f, depth)).collect()
    };
    let mut parts = vec!["__typename".to_owned()];
    match &info.definition {
        TypeDefinition::Object(object) => parts.extend(fields(&object.fields)),
        TypeDefinition::Interface(interface) => parts.extend(fields(&interface.fields)),
        _ => {}
    }
    if schema.is_abstract(type_name) {
        let mut members: Vec<&String> =
            schema.possible_types.get(type_name).map(|m| m.iter().collect()).unwrap_or_default();
        members.sort();
        for member in members {
            parts.push(format!("... on {member} {{ {} }}", selection(schema, member, depth)));
        }
    }
    parts.join(" ")
}
