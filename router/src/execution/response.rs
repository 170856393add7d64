//! Shapes the merged data to the client's selection: aliases, fragments,
//! field order, `__typename`, `@skip`/`@include`, and null propagation as
//! the spec defines it.

use graphql_tools::static_graphql::schema::Type;
use serde_json::{Map, Value};

use super::Execution;
use crate::{
    error::GraphqlError,
    planning::{Kind, SelectionItem},
    schema::{SchemaIndex, TypeKind},
};

struct Shaper<'a> {
    schema: &'a SchemaIndex,
    variables: &'a Map<String, Value>,
    errors: &'a mut Vec<GraphqlError>,
}

/// Where the shaper is, for error paths: borrowed, since it changes at
/// every field and is read only when a non-null field turns out null.
#[derive(Clone, Copy)]
enum Segment<'a> {
    Key(&'a str),
    Index(usize),
}

fn to_path(segments: &[Segment<'_>]) -> Vec<Value> {
    segments
        .iter()
        .map(|s| match s {
            Segment::Key(k) => Value::from(*k),
            Segment::Index(i) => Value::from(*i),
        })
        .collect()
}

/// Whether an error's path and `segments` are on one branch (one is a
/// prefix of the other).
fn on_branch(error: &[Value], segments: &[Segment<'_>]) -> bool {
    error.iter().zip(segments).all(|(e, s)| match s {
        Segment::Key(k) => e.as_str() == Some(*k),
        Segment::Index(i) => e.as_u64() == u64::try_from(*i).ok(),
    })
}

/// `null` for a value that is null but may not be: the parent must become
/// null in turn.
struct Propagate;

pub fn shape(exec: &Execution<'_>, data: Value, errors: &mut Vec<GraphqlError>) -> Value {
    let schema = exec.schema;
    let root_type = match exec.operation.kind {
        Kind::Query => schema.query_type.clone(),
        Kind::Mutation => schema.mutation_type.clone().unwrap_or_default(),
        Kind::Subscription => schema.subscription_type.clone().unwrap_or_default(),
    };
    let mut shaper = Shaper { schema, variables: exec.variables, errors };
    let empty = Map::new();
    let object = data.as_object().unwrap_or(&empty);
    match shaper.object(
        object,
        &root_type,
        &exec.operation.operation.selection_set.items,
        &mut Vec::new(),
    ) {
        Ok(map) => Value::Object(map),
        Err(Propagate) => Value::Null,
    }
}

impl<'a> Shaper<'a> {
    fn object<'s>(
        &mut self,
        source: &'s Map<String, Value>,
        static_type: &'s str,
        items: &'s [SelectionItem],
        path: &mut Vec<Segment<'s>>,
    ) -> Result<Map<String, Value>, Propagate>
    where
        'a: 's,
    {
        let concrete = source.get("__typename").and_then(Value::as_str).unwrap_or(static_type);
        let mut out = Map::with_capacity(items.len());
        self.fields(source, concrete, items, path, &mut out)?;
        Ok(out)
    }

    fn fields<'s>(
        &mut self,
        source: &'s Map<String, Value>,
        concrete: &'s str,
        items: &'s [SelectionItem],
        path: &mut Vec<Segment<'s>>,
        out: &mut Map<String, Value>,
    ) -> Result<(), Propagate>
    where
        'a: 's,
    {
        let schema: &'a SchemaIndex = self.schema;
        for item in items {
            match item {
                SelectionItem::Field(field) => {
                    if field.omit_from_response
                        || !self.included(field.skip_if.as_deref(), field.include_if.as_deref())
                    {
                        continue;
                    }
                    let key = field.selection_identifier();
                    if field.name == "__typename" {
                        out.insert(key.to_owned(), Value::from(concrete));
                        continue;
                    }
                    let Some(definition) = schema.field(concrete, &field.name) else {
                        // Not in the API schema (introspection fields are
                        // typed through their own types); keep what we have.
                        out.insert(key.to_owned(), source.get(key).cloned().unwrap_or(Value::Null));
                        continue;
                    };
                    path.push(Segment::Key(key));
                    let completed = self.complete(
                        source.get(key),
                        &definition.field_type,
                        &field.selections.items,
                        path,
                        concrete,
                        &field.name,
                    );
                    path.pop();
                    match completed {
                        Ok(value) => match out.get_mut(key) {
                            Some(existing) => super::paths::deep_merge(existing, value),
                            None => {
                                out.insert(key.to_owned(), value);
                            }
                        },
                        Err(Propagate) => return Err(Propagate),
                    }
                }
                SelectionItem::InlineFragment(fragment) => {
                    if !self.included(fragment.skip_if.as_deref(), fragment.include_if.as_deref()) {
                        continue;
                    }
                    if self.schema.type_matches(concrete, &fragment.type_condition) {
                        self.fields(source, concrete, &fragment.selections.items, path, out)?;
                    }
                }
                SelectionItem::FragmentSpread(_) => {}
            }
        }
        Ok(())
    }

    #[allow(clippy::too_many_arguments)]
    fn complete<'s>(
        &mut self,
        raw: Option<&'s Value>,
        ty: &'s Type,
        items: &'s [SelectionItem],
        path: &mut Vec<Segment<'s>>,
        parent: &str,
        field: &str,
    ) -> Result<Value, Propagate>
    where
        'a: 's,
    {
        match ty {
            Type::NonNullType(inner) => {
                match self.complete(raw, inner, items, path, parent, field) {
                    Ok(value) if !value.is_null() => Ok(value),
                    _ => {
                        // A value that is absent was lost with a failed fetch,
                        // which already reported an error; an explicit null is
                        // reported here unless an error already covers it.
                        if raw.is_some_and(Value::is_null) && !self.error_covers(path) {
                            self.errors.push(
                            GraphqlError::new(
                                format!("Cannot return null for non-nullable field {parent}.{field}."),
                                "INTERNAL_SERVER_ERROR",
                            )
                            .at(to_path(path)),
                        );
                        }
                        Err(Propagate)
                    }
                }
            }
            Type::ListType(inner) => {
                let Some(Value::Array(values)) = raw else { return Ok(Value::Null) };
                let mut out = Vec::with_capacity(values.len());
                for (i, value) in values.iter().enumerate() {
                    path.push(Segment::Index(i));
                    let item = self.complete(Some(value), inner, items, path, parent, field);
                    path.pop();
                    match item {
                        Ok(v) => out.push(v),
                        Err(Propagate) => return Ok(Value::Null),
                    }
                }
                Ok(Value::Array(out))
            }
            Type::NamedType(name) => {
                let Some(value) = raw.filter(|v| !v.is_null()) else { return Ok(Value::Null) };
                match self.schema.kind(name) {
                    Some(TypeKind::Object | TypeKind::Interface | TypeKind::Union) => {
                        let Value::Object(object) = value else { return Ok(Value::Null) };
                        match self.object(object, name, items, path) {
                            Ok(map) => Ok(Value::Object(map)),
                            Err(Propagate) => Ok(Value::Null),
                        }
                    }
                    _ => Ok(value.clone()),
                }
            }
        }
    }

    fn included(&self, skip_if: Option<&str>, include_if: Option<&str>) -> bool {
        let flag = |name: &str| self.variables.get(name).and_then(Value::as_bool).unwrap_or(false);
        !skip_if.is_some_and(flag) && include_if.is_none_or(flag)
    }

    fn error_covers(&self, path: &[Segment<'_>]) -> bool {
        self.errors.iter().any(|e| e.path.as_ref().is_some_and(|p| on_branch(p, path)))
    }
}
