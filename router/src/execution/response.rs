//! Writes the client's `data` as JSON bytes straight from the merged
//! subgraph data, in one pass guided by the normalized operation: aliases,
//! fragments, field order, `__typename`, `@skip`/`@include`, and null
//! propagation as the spec defines it. No response tree is built.
//!
//! Null propagation without a tree: an object or list remembers where its
//! bytes start; when a non-null field inside it turns out null, the writer
//! cuts the buffer back to that point and writes `null` there, or passes
//! the null further up when that position may not be null either.

use graphql_tools::static_graphql::schema::Type;
use serde_json::{Map, Value as JsonValue};

use super::{
    Execution,
    paths::{Step, address_to_path},
    value::{self, Object, Value, write_escaped},
};
use crate::{
    error::GraphqlError,
    planning::{DeferredFragments, Kind, SelectionItem},
    schema::{FieldDefinitions, HashSet, SchemaIndex},
};

/// The writer's position is an address (`Step`s borrowed from the
/// operation), read only when a non-null field turns out null.
struct Writer<'a> {
    schema: &'a SchemaIndex,
    variables: &'a Map<String, JsonValue>,
    errors: &'a mut Vec<GraphqlError>,
    out: Vec<u8>,
    /// When writing one deferred fragment: all of them, so the writer can
    /// look through the others' fragments to the items it writes.
    deferred: Option<&'a DeferredFragments>,
}

/// Whether an error's path and `segments` are on one branch (one is a
/// prefix of the other).
fn on_branch(error: &[JsonValue], segments: &[Step<'_>]) -> bool {
    error.iter().zip(segments).all(|(e, s)| match s {
        Step::Key(k) => e.as_str() == Some(*k),
        Step::Index(i) => e.as_u64() == u64::try_from(*i).ok(),
    })
}

/// `null` for a value that is null but may not be: the parent must become
/// null in turn.
struct Propagate;

/// What a position ended up holding.
#[derive(PartialEq, Eq)]
enum Written {
    Null,
    /// `null` in place of a value the API schema does not have: an enum
    /// value or an object type it hides.
    Unknown,
    Value,
}

/// The JSON text of the response's `data`, appended to `out`. Fragments
/// whose `@defer` marker is `true` in `variables` are left out.
pub fn write(
    exec: &Execution<'_>,
    variables: &Map<String, JsonValue>,
    data: &Value<'_>,
    errors: &mut Vec<GraphqlError>,
    out: &mut Vec<u8>,
) {
    let schema = exec.schema;
    let root_type = match exec.operation.kind {
        Kind::Query => schema.query_type.as_str(),
        Kind::Mutation => schema.mutation_type.as_deref().unwrap_or_default(),
        Kind::Subscription => schema.subscription_type.as_deref().unwrap_or_default(),
    };
    let start = out.len();
    let mut writer = Writer { schema, variables, errors, out: std::mem::take(out), deferred: None };
    let empty = Object::new();
    let object = data.as_object().unwrap_or(&empty);
    let items = &exec.operation.operation.selection_set.items;
    if writer.object(object, root_type, &[items], &mut Vec::new(), None).is_err() {
        writer.out.truncate(start);
        writer.out.extend_from_slice(b"null");
    }
    *out = writer.out;
}

/// A deferred fragment's data for one of its parent objects (at `path`):
/// only the selections its `marker` skips where the parent was written.
/// `false` when a non-null field inside made the whole of it `null`.
pub struct Deferred<'s> {
    pub object: &'s Object<'s>,
    pub concrete: &'s str,
    /// The selections of the parent field (or the root), once per place
    /// the field is selected.
    pub items: Vec<&'s [SelectionItem]>,
    pub marker: &'s str,
    pub fragments: &'s DeferredFragments,
    pub path: Vec<Step<'s>>,
}

pub fn write_deferred<'s>(
    schema: &'s SchemaIndex,
    variables: &'s Map<String, JsonValue>,
    deferred: Deferred<'s>,
    errors: &mut Vec<GraphqlError>,
    out: &mut Vec<u8>,
) -> bool {
    let start = out.len();
    let mut writer = Writer {
        schema,
        variables,
        errors,
        out: std::mem::take(out),
        deferred: Some(deferred.fragments),
    };
    let mut path = deferred.path;
    let written = writer
        .object(
            deferred.object,
            deferred.concrete,
            &deferred.items,
            &mut path,
            Some(deferred.marker),
        )
        .is_ok();
    if !written {
        writer.out.truncate(start);
        writer.out.extend_from_slice(b"null");
    }
    *out = writer.out;
    written
}

impl<'a> Writer<'a> {
    /// Writes an object of `concrete` type (its `__typename`, or the
    /// field's type when it has none).
    /// `only`: write just what this `@defer` marker skips.
    fn object<'s>(
        &mut self,
        source: &'s Object<'s>,
        concrete: &'s str,
        selections: &[&'s [SelectionItem]],
        path: &mut Vec<Step<'s>>,
        only: Option<&str>,
    ) -> Result<(), Propagate>
    where
        'a: 's,
    {
        self.out.push(b'{');
        let mut written: Vec<&'s str> = Vec::new();
        let fields = self.schema.types.get(concrete).map(|info| &info.fields);
        for items in selections {
            self.fields(source, concrete, fields, items, path, &mut written, only)?;
        }
        self.out.push(b'}');
        Ok(())
    }

    /// Writes the selected fields of one object. `written` holds the keys
    /// already in it: the normalized operation merges fields, so a key
    /// repeats only through fragments, with the same value. With `only`,
    /// just the items that marker skips (and what is inside them).
    #[allow(clippy::too_many_arguments)]
    fn fields<'s>(
        &mut self,
        source: &'s Object<'s>,
        concrete: &'s str,
        definitions: Option<&'a FieldDefinitions>,
        items: &'s [SelectionItem],
        path: &mut Vec<Step<'s>>,
        written: &mut Vec<&'s str>,
        only: Option<&str>,
    ) -> Result<(), Propagate>
    where
        'a: 's,
    {
        let schema: &'a SchemaIndex = self.schema;
        for item in items {
            match item {
                SelectionItem::Field(field) => {
                    let marked = only.is_some() && field.skip_if.as_deref() == only;
                    let skip_if = if marked { None } else { field.skip_if.as_deref() };
                    if (only.is_some() && !marked)
                        || field.omit_from_response
                        || !self.included(skip_if, field.include_if.as_deref())
                    {
                        continue;
                    }
                    let key = field.selection_identifier();
                    if written.iter().any(|k| value::same_key(k, key)) {
                        continue;
                    }
                    self.key(key, written.is_empty());
                    written.push(key);
                    if field.name == "__typename" {
                        write_escaped(concrete, &mut self.out);
                        continue;
                    }
                    let Some(definition) = definitions.and_then(|d| d.get(&field.name)) else {
                        // Not in the API schema (introspection fields are
                        // typed through their own types); keep what we have.
                        value::field(source, key).unwrap_or(&Value::Null).write_json(&mut self.out);
                        continue;
                    };
                    path.push(Step::Key(key));
                    let completed = self.complete(
                        value::field(source, key),
                        &definition.definition.field_type,
                        definition.enum_values.as_deref(),
                        &field.selections.items,
                        path,
                        (concrete, &field.name),
                    );
                    path.pop();
                    completed?;
                }
                SelectionItem::InlineFragment(fragment) => {
                    let marked = only.is_some() && fragment.skip_if.as_deref() == only;
                    let skip_if = if marked { None } else { fragment.skip_if.as_deref() };
                    // Another deferred fragment may hold this one's items.
                    let skip_if = skip_if.filter(|name| {
                        only.is_none() || self.deferred.is_none_or(|d| d.by_marker(name).is_none())
                    });
                    if !self.included(skip_if, fragment.include_if.as_deref()) {
                        continue;
                    }
                    if schema.type_matches(concrete, &fragment.type_condition) {
                        let items = &fragment.selections.items;
                        let only = if marked { None } else { only };
                        self.fields(source, concrete, definitions, items, path, written, only)?;
                    }
                }
                SelectionItem::FragmentSpread(_) => {}
            }
        }
        Ok(())
    }

    /// Writes a field's value as its type says. `enum_values` are the
    /// API schema's values of the field's enum type, when it is one.
    fn complete<'s>(
        &mut self,
        raw: Option<&'s Value<'s>>,
        ty: &'s Type,
        enum_values: Option<&HashSet<String>>,
        items: &'s [SelectionItem],
        path: &mut Vec<Step<'s>>,
        (parent, field): (&str, &str),
    ) -> Result<Written, Propagate>
    where
        'a: 's,
    {
        match ty {
            Type::NonNullType(inner) => {
                match self.complete(raw, inner, enum_values, items, path, (parent, field)) {
                    Ok(Written::Value) => Ok(Written::Value),
                    written => {
                        // A value that is absent was lost with a failed fetch,
                        // which already reported an error; an explicit null or
                        // one the API schema does not have is reported here
                        // unless an error already covers it.
                        let reported = raw.is_some_and(Value::is_null)
                            || matches!(written, Ok(Written::Unknown));
                        if reported && !self.error_covers(path) {
                            self.errors.push(
                                GraphqlError::new(
                                    format!(
                                        "Cannot return null for non-nullable field {parent}.{field}."
                                    ),
                                    "INTERNAL_SERVER_ERROR",
                                )
                                .at(address_to_path(path)),
                            );
                        }
                        Err(Propagate)
                    }
                }
            }
            Type::ListType(inner) => {
                let Some(Value::List(values)) = raw else { return Ok(self.null()) };
                let start = self.out.len();
                self.out.push(b'[');
                for (i, value) in values.iter().enumerate() {
                    if i > 0 {
                        self.out.push(b',');
                    }
                    path.push(Step::Index(i));
                    let item = self.complete(
                        Some(value),
                        inner,
                        enum_values,
                        items,
                        path,
                        (parent, field),
                    );
                    path.pop();
                    if item.is_err() {
                        self.out.truncate(start);
                        return Ok(self.null());
                    }
                }
                self.out.push(b']');
                Ok(Written::Value)
            }
            Type::NamedType(name) => {
                let Some(value) = raw.filter(|v| !v.is_null()) else { return Ok(self.null()) };
                // Only composite types have (and must have) a selection.
                if items.is_empty() {
                    if let Some(values) = enum_values
                        && !matches!(value, Value::Str(v) if values.contains(*v))
                    {
                        return Ok(self.unknown());
                    }
                    value.write_json(&mut self.out);
                    return Ok(Written::Value);
                }
                let Value::Object(object) = value else { return Ok(self.null()) };
                let concrete = match value::field(object, "__typename") {
                    Some(Value::Str(typename)) => *typename,
                    _ => name.as_str(),
                };
                if !self.schema.type_matches(concrete, name) {
                    return Ok(self.unknown());
                }
                let start = self.out.len();
                match self.object(object, concrete, &[items], path, None) {
                    Ok(()) => Ok(Written::Value),
                    Err(Propagate) => {
                        self.out.truncate(start);
                        Ok(self.null())
                    }
                }
            }
        }
    }

    fn key(&mut self, key: &str, first: bool) {
        if !first {
            self.out.push(b',');
        }
        write_escaped(key, &mut self.out);
        self.out.push(b':');
    }

    fn null(&mut self) -> Written {
        self.out.extend_from_slice(b"null");
        Written::Null
    }

    fn unknown(&mut self) -> Written {
        self.out.extend_from_slice(b"null");
        Written::Unknown
    }

    fn included(&self, skip_if: Option<&str>, include_if: Option<&str>) -> bool {
        let flag =
            |name: &str| self.variables.get(name).and_then(JsonValue::as_bool).unwrap_or(false);
        !skip_if.is_some_and(flag) && include_if.is_none_or(flag)
    }

    fn error_covers(&self, path: &[Step<'_>]) -> bool {
        self.errors.iter().any(|e| e.path.as_ref().is_some_and(|p| on_branch(p, path)))
    }
}
