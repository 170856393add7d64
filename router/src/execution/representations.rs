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

/// How writing a representation went.
#[derive(Debug, PartialEq, Eq)]
pub enum Written {
    Done,
    /// A selected field is absent: the entity cannot be resolved.
    Absent,
    /// A field is selected twice with sub-selections that must be merged;
    /// `project` handles that rarer shape.
    NeedsMerge,
}

/// Writes `selection` projected out of `entity` as JSON into `out`, the
/// form `project` would serialise to, without building it. On anything but
/// `Done`, `out` is cut back to where it was.
pub fn write(
    entity: &Value,
    selection: &SelectionSet,
    schema: &SchemaIndex,
    out: &mut Vec<u8>,
) -> Written {
    let start = out.len();
    let written = write_value(entity, selection, schema, out);
    if written != Written::Done {
        out.truncate(start);
    }
    written
}

fn write_value(
    value: &Value,
    selection: &SelectionSet,
    schema: &SchemaIndex,
    out: &mut Vec<u8>,
) -> Written {
    match value {
        Value::Object(object) => {
            let typename = object.get("__typename").and_then(Value::as_str).unwrap_or_default();
            out.push(b'{');
            let mut keys: Vec<&str> = Vec::new();
            let written = write_fields(object, typename, &selection.items, schema, out, &mut keys);
            if written != Written::Done {
                return written;
            }
            out.push(b'}');
            Written::Done
        }
        Value::Array(items) => {
            out.push(b'[');
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push(b',');
                }
                let written = write_value(item, selection, schema, out);
                if written != Written::Done {
                    return written;
                }
            }
            out.push(b']');
            Written::Done
        }
        other => json(other, out),
    }
}

fn json<T: serde::Serialize + ?Sized>(value: &T, out: &mut Vec<u8>) -> Written {
    // Writing to a Vec does not fail.
    match serde_json::to_writer(&mut *out, value) {
        Ok(()) => Written::Done,
        Err(_) => Written::Absent,
    }
}

fn write_fields<'v>(
    object: &'v Map<String, Value>,
    typename: &str,
    items: &'v [SelectionItem],
    schema: &SchemaIndex,
    out: &mut Vec<u8>,
    keys: &mut Vec<&'v str>,
) -> Written {
    for item in items {
        match item {
            SelectionItem::Field(field) => {
                let key = field.selection_identifier();
                let Some(value) = object.get(key) else { return Written::Absent };
                if keys.contains(&key) {
                    // A leaf repeated through fragments has the same value:
                    // written once. A repeated object needs merging.
                    if field.selections.is_empty() {
                        continue;
                    }
                    return Written::NeedsMerge;
                }
                if !keys.is_empty() {
                    out.push(b',');
                }
                keys.push(key);
                json(key, out);
                out.push(b':');
                let written = if field.selections.is_empty() || value.is_null() {
                    json(value, out)
                } else {
                    write_value(value, &field.selections, schema, out)
                };
                if written != Written::Done {
                    return written;
                }
            }
            SelectionItem::InlineFragment(fragment) => {
                if schema.type_matches(typename, &fragment.type_condition) {
                    let written = write_fields(
                        object,
                        typename,
                        &fragment.selections.items,
                        schema,
                        out,
                        keys,
                    );
                    if written != Written::Done {
                        return written;
                    }
                }
            }
            SelectionItem::FragmentSpread(_) => {}
        }
    }
    Written::Done
}
