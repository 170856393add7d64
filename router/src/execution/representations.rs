//! Building `_entities` representations from what the response already
//! holds: the `requires` selection of a fetch, projected out of an entity.

use serde_json::{Map, Value};

use crate::{
    planning::{SelectionItem, SelectionSet},
    schema::SchemaIndex,
};

/// Projects `selection` out of `entity`. `None` when a selected field is
/// absent (the entity was never completed, e.g. an earlier fetch failed):
/// such an entity cannot be resolved and is skipped.
pub fn project(entity: &Value, selection: &SelectionSet, schema: &SchemaIndex) -> Option<Value> {
    match entity {
        Value::Object(object) => {
            let typename = object.get("__typename").and_then(Value::as_str).unwrap_or_default();
            let mut out = Map::new();
            project_into(object, typename, &selection.items, schema, &mut out)?;
            Some(Value::Object(out))
        }
        Value::Array(items) => items
            .iter()
            .map(|i| project(i, selection, schema))
            .collect::<Option<Vec<_>>>()
            .map(Value::Array),
        other => Some(other.clone()),
    }
}

fn project_into(
    object: &Map<String, Value>,
    typename: &str,
    items: &[SelectionItem],
    schema: &SchemaIndex,
    out: &mut Map<String, Value>,
) -> Option<()> {
    for item in items {
        match item {
            SelectionItem::Field(field) => {
                let key = field.selection_identifier();
                let value = object.get(key)?;
                let projected = if field.selections.is_empty() || value.is_null() {
                    value.clone()
                } else {
                    project(value, &field.selections, schema)?
                };
                match out.get_mut(key) {
                    Some(existing) => super::paths::deep_merge(existing, projected),
                    None => {
                        out.insert(key.to_owned(), projected);
                    }
                }
            }
            SelectionItem::InlineFragment(fragment) => {
                if schema.type_matches(typename, &fragment.type_condition) {
                    project_into(object, typename, &fragment.selections.items, schema, out)?;
                }
            }
            SelectionItem::FragmentSpread(_) => {}
        }
    }
    Some(())
}
