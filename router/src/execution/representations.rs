//! Building `_entities` representations from what the response already
//! holds: the `requires` selection of a fetch, projected out of an entity.
//!
//! A required field is read from the response under its *name* and written
//! under its *alias*: the planner fetches a field required with other
//! arguments than another use of it under an internal alias
//! (`_internal_qp_alias_0: comments(limit: 2)`) and then renames the
//! requirement to `comments: _internal_qp_alias_0`, so the subgraph gets
//! the value under the field's own name.

use std::hash::BuildHasher;

use super::{
    paths::Matcher,
    value::{Object, Value, field, same_key, write_escaped},
};
use crate::{
    planning::{SelectionItem, SelectionSet, plan_nodes::FetchRewrite},
    schema::SchemaIndex,
};

/// Projects `selection` out of `entity`. `None` when a selected field is
/// absent (the entity was never completed, e.g. an earlier fetch failed):
/// such an entity cannot be resolved and is skipped.
pub fn project<'a>(
    entity: &Value<'a>,
    selection: &'a SelectionSet,
    schema: &SchemaIndex,
) -> Option<Value<'a>> {
    match entity {
        Value::Object(object) => {
            let mut out = Object::new();
            if let Some(typename) = typename_to_send(object, selection) {
                out.push(("__typename", typename.clone()));
            }
            project_into(object, entity.typename(), &selection.items, schema, &mut out)?;
            Some(Value::Object(out))
        }
        Value::List(items) => items
            .iter()
            .map(|i| project(i, selection, schema))
            .collect::<Option<Vec<_>>>()
            .map(Value::List),
        other => Some(other.clone()),
    }
}

/// Whether a fetch's requirement applies to an entity at all: an entity
/// reached by the fetch's path whose type none of the requirement's type
/// conditions name (a Product where the fetch is for Gifts) is not one of
/// its entities; sending it would only come back "not found".
fn is_required_type(entity: &Value<'_>, requires: &SelectionSet, schema: &SchemaIndex) -> bool {
    let typename = entity.typename();
    typename.is_empty()
        || requires.items.iter().any(|item| match item {
            SelectionItem::InlineFragment(fragment) => {
                schema.type_matches(typename, &fragment.type_condition)
            }
            _ => true,
        })
}

/// An object whose requirement has fragments on types is sent with its
/// `__typename` (when the response has it), even where the `@requires`
/// does not name it: the subgraph cannot tell an interface's or union's
/// members apart without it.
fn typename_to_send<'o, 'a>(
    object: &'o Object<'a>,
    selection: &SelectionSet,
) -> Option<&'o Value<'a>> {
    let on_types = selection.items.iter().any(|i| matches!(i, SelectionItem::InlineFragment(_)));
    on_types.then(|| field(object, "__typename")).flatten().filter(|t| matches!(t, Value::Str(_)))
}

fn project_into<'a>(
    object: &Object<'a>,
    typename: &str,
    items: &'a [SelectionItem],
    schema: &SchemaIndex,
    out: &mut Object<'a>,
) -> Option<()> {
    for item in items {
        match item {
            SelectionItem::Field(selected) => {
                let key = selected.selection_identifier();
                let value = field(object, &selected.name)?;
                let projected = if selected.selections.is_empty() || value.is_null() {
                    value.clone()
                } else {
                    project(value, &selected.selections, schema)?
                };
                match out.iter_mut().find(|(k, _)| super::value::same_key(k, key)) {
                    Some((_, existing)) => super::value::deep_merge(existing, projected),
                    None => out.push((key, projected)),
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
    entity: &Value<'_>,
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
    value: &Value<'_>,
    selection: &SelectionSet,
    schema: &SchemaIndex,
    out: &mut Vec<u8>,
) -> Written {
    match value {
        Value::Object(object) => {
            out.push(b'{');
            let mut keys: Vec<&str> = Vec::new();
            if let Some(typename) = typename_to_send(object, selection) {
                out.extend_from_slice(b"\"__typename\":");
                typename.write_json(out);
                keys.push("__typename");
            }
            let written =
                write_fields(object, value.typename(), &selection.items, schema, out, &mut keys);
            if written != Written::Done {
                return written;
            }
            out.push(b'}');
            Written::Done
        }
        Value::List(items) => {
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
        other => {
            other.write_json(out);
            Written::Done
        }
    }
}

fn write_fields<'v>(
    object: &Object<'_>,
    typename: &str,
    items: &'v [SelectionItem],
    schema: &SchemaIndex,
    out: &mut Vec<u8>,
    keys: &mut Vec<&'v str>,
) -> Written {
    for item in items {
        match item {
            SelectionItem::Field(selected) => {
                let key = selected.selection_identifier();
                let Some(value) = field(object, &selected.name) else { return Written::Absent };
                if keys.iter().any(|k| same_key(k, key)) {
                    // A leaf repeated through fragments has the same value:
                    // written once. A repeated object needs merging.
                    if selected.selections.is_empty() {
                        continue;
                    }
                    return Written::NeedsMerge;
                }
                if !keys.is_empty() {
                    out.push(b',');
                }
                keys.push(key);
                write_escaped(key, out);
                out.push(b':');
                let written = if selected.selections.is_empty() || value.is_null() {
                    value.write_json(out);
                    Written::Done
                } else {
                    write_value(value, &selected.selections, schema, out)
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

/// One `_entities` call's representations, written as the JSON text of an
/// array and deduplicated by a hash of their bytes (equal hashes are
/// compared in full, so a collision only costs a compare).
pub struct Representations {
    text: Vec<u8>,
    /// Hash -> (start, end, index) of each distinct representation.
    seen: foldhash::HashMap<u64, Vec<(usize, usize, usize)>>,
    count: usize,
}

impl Default for Representations {
    fn default() -> Self {
        Self { text: b"[".to_vec(), seen: foldhash::HashMap::default(), count: 0 }
    }
}

impl Representations {
    /// Adds `entity`'s representation for `job`: its index, or `None` when
    /// the entity lacks a required field.
    pub fn add(
        &mut self,
        entity: &Value<'_>,
        requires: &SelectionSet,
        rewrites: Option<&Vec<FetchRewrite>>,
        schema: &SchemaIndex,
        matcher: Matcher<'_>,
    ) -> Option<usize> {
        if !is_required_type(entity, requires, schema) {
            return None;
        }
        match rewrites {
            None => self.add_projected(entity, requires, schema),
            Some(rewrites) => {
                let mut representation = project(entity, requires, schema)?;
                super::paths::apply_rewrites(&mut representation, rewrites, matcher);
                self.add_value(&representation)
            }
        }
    }

    fn add_projected(
        &mut self,
        entity: &Value<'_>,
        requires: &SelectionSet,
        schema: &SchemaIndex,
    ) -> Option<usize> {
        let mark = self.text.len();
        if self.count > 0 {
            self.text.push(b',');
        }
        let start = self.text.len();
        match write(entity, requires, schema, &mut self.text) {
            Written::Done => Some(self.keep(mark, start)),
            Written::Absent => {
                self.text.truncate(mark);
                None
            }
            Written::NeedsMerge => {
                self.text.truncate(mark);
                let representation = project(entity, requires, schema)?;
                self.add_value(&representation)
            }
        }
    }

    fn add_value(&mut self, representation: &Value<'_>) -> Option<usize> {
        let mark = self.text.len();
        if self.count > 0 {
            self.text.push(b',');
        }
        let start = self.text.len();
        representation.write_json(&mut self.text);
        Some(self.keep(mark, start))
    }

    /// The bytes from `start` are a representation: its index, the earlier
    /// one's when it was seen before (then cut back to `mark`).
    fn keep(&mut self, mark: usize, start: usize) -> usize {
        let end = self.text.len();
        let hash = foldhash::fast::FixedState::default().hash_one(&self.text[start..end]);
        let same = self.seen.entry(hash).or_default();
        if let Some(&(_, _, index)) =
            same.iter().find(|(s, e, _)| self.text[*s..*e] == self.text[start..end])
        {
            self.text.truncate(mark);
            return index;
        }
        let index = self.count;
        same.push((start, end, index));
        self.count += 1;
        index
    }

    pub fn finish(mut self) -> Vec<u8> {
        self.text.push(b']');
        self.text
    }
}
