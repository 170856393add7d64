//! Addressing inside the response tree: finding entities along a plan path,
//! reading them back, and the rewrites the planner asks for.

use std::collections::BTreeSet;

use serde_json::{Map, Value};

use crate::planning::plan_nodes::{FetchNodePathSegment, FetchRewrite, FlattenNodePathSegment};

/// A concrete position in the response: object keys (borrowed from the
/// plan's paths, so addresses cost no string copies) and list indexes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Step<'p> {
    Key(&'p str),
    Index(usize),
}

pub type Address<'p> = Vec<Step<'p>>;

pub fn address_to_path(address: &[Step<'_>]) -> Vec<Value> {
    address
        .iter()
        .map(|s| match s {
            Step::Key(k) => Value::from(*k),
            Step::Index(i) => Value::from(*i),
        })
        .collect()
}

/// Every object reached by following `path` from `root`.
pub fn collect<'p>(
    root: &Value,
    path: &'p [FlattenNodePathSegment],
    matches: &dyn Fn(&str, &BTreeSet<String>) -> bool,
) -> Vec<Address<'p>> {
    let mut found = Vec::new();
    walk(root, path, &mut Vec::new(), &mut found, matches);
    found
}

fn walk<'p>(
    value: &Value,
    path: &'p [FlattenNodePathSegment],
    at: &mut Address<'p>,
    found: &mut Vec<Address<'p>>,
    matches: &dyn Fn(&str, &BTreeSet<String>) -> bool,
) {
    // Lists are traversed wherever they occur, whether or not the path
    // spells the `@`.
    if let Value::Array(items) = value {
        let rest = match path.first() {
            Some(FlattenNodePathSegment::List) => &path[1..],
            _ => path,
        };
        for (i, item) in items.iter().enumerate() {
            at.push(Step::Index(i));
            walk(item, rest, at, found, matches);
            at.pop();
        }
        return;
    }
    let Value::Object(object) = value else { return };
    match path.first() {
        None => found.push(at.clone()),
        Some(FlattenNodePathSegment::Field(key)) => {
            if let Some(child) = object.get(key) {
                at.push(Step::Key(key.as_str()));
                walk(child, &path[1..], at, found, matches);
                at.pop();
            }
        }
        Some(FlattenNodePathSegment::TypeCondition(types)) => {
            let typename = object.get("__typename").and_then(Value::as_str).unwrap_or_default();
            if matches(typename, types) {
                walk(value, &path[1..], at, found, matches);
            }
        }
        Some(FlattenNodePathSegment::List) => {}
    }
}

pub fn get<'a>(root: &'a Value, address: &[Step<'_>]) -> Option<&'a Value> {
    address.iter().try_fold(root, |value, step| match step {
        Step::Key(k) => value.get(*k),
        Step::Index(i) => value.get(*i),
    })
}

pub fn get_mut<'a>(root: &'a mut Value, address: &[Step<'_>]) -> Option<&'a mut Value> {
    address.iter().try_fold(root, |value, step| match step {
        Step::Key(k) => value.get_mut(*k),
        Step::Index(i) => value.get_mut(*i),
    })
}

/// Deep-merges `source` into `target`: objects field by field, lists of the
/// same length item by item, anything else replaced.
pub fn deep_merge(target: &mut Value, source: Value) {
    match (target, source) {
        (Value::Object(t), Value::Object(s)) => {
            // One hash per key, whether it is new or merged.
            for (key, value) in s {
                match t.entry(key) {
                    serde_json::map::Entry::Occupied(existing) => {
                        deep_merge(existing.into_mut(), value)
                    }
                    serde_json::map::Entry::Vacant(slot) => {
                        slot.insert(value);
                    }
                }
            }
        }
        (Value::Array(t), Value::Array(s)) if t.len() == s.len() => {
            for (t, s) in t.iter_mut().zip(s) {
                deep_merge(t, s);
            }
        }
        (target, source) => *target = source,
    }
}

/// Applies the planner's rewrites (type-name setters for interface objects,
/// key renames for internal aliases) to a representation or a result.
pub fn apply_rewrites(
    value: &mut Value,
    rewrites: &[FetchRewrite],
    matches: &dyn Fn(&str, &BTreeSet<String>) -> bool,
) {
    for rewrite in rewrites {
        match rewrite {
            FetchRewrite::ValueSetter(setter) => {
                let to = Value::from(setter.set_value_to.as_str());
                at_last_key(value, &setter.path, matches, &mut |object, key| {
                    object.insert(key.to_owned(), to.clone());
                });
            }
            FetchRewrite::KeyRenamer(renamer) => {
                at_last_key(value, &renamer.path, matches, &mut |object, key| {
                    if let Some(moved) = object.shift_remove(key) {
                        object.insert(renamer.rename_key_to.clone(), moved);
                    }
                });
            }
        }
    }
}

/// Follows `path` (through lists, and only into objects whose `__typename`
/// matches type conditions) and calls `apply` with the object holding the
/// final key.
fn at_last_key(
    value: &mut Value,
    path: &[FetchNodePathSegment],
    matches: &dyn Fn(&str, &BTreeSet<String>) -> bool,
    apply: &mut dyn FnMut(&mut Map<String, Value>, &str),
) {
    if let Value::Array(items) = value {
        for item in items {
            at_last_key(item, path, matches, apply);
        }
        return;
    }
    match path.split_first() {
        Some((FetchNodePathSegment::TypenameEquals(types), rest))
            if typename_matches(value, types, matches) =>
        {
            at_last_key(value, rest, matches, apply);
        }
        Some((FetchNodePathSegment::Key(key), rest)) => {
            let Value::Object(object) = value else { return };
            if rest.is_empty() {
                apply(object, key);
            } else if let Some(child) = object.get_mut(key) {
                at_last_key(child, rest, matches, apply);
            }
        }
        _ => {}
    }
}

fn typename_matches(
    value: &Value,
    types: &BTreeSet<String>,
    matches: &dyn Fn(&str, &BTreeSet<String>) -> bool,
) -> bool {
    value.get("__typename").and_then(Value::as_str).is_some_and(|t| matches(t, types))
}

/// An empty JSON object.
pub fn empty_object() -> Value {
    Value::Object(Map::new())
}
