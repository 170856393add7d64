//! Addressing inside the response tree: finding entities along a plan path,
//! and the rewrites the planner asks for.
//!
//! An entity is found by walking the plan's path once, to build its
//! representation; its result is merged later by following the address
//! recorded then (field positions and list indexes), without searching.

use std::collections::BTreeSet;

use serde_json::Value as JsonValue;

use super::value::{Object, Value, deep_merge, field, field_mut, same_key};
use crate::planning::plan_nodes::{FetchNodePathSegment, FetchRewrite, FlattenNodePathSegment};

/// Whether a `__typename` satisfies a plan's type condition.
pub type Matcher<'m> = &'m dyn Fn(&str, &BTreeSet<String>) -> bool;

/// A concrete position in the response: object keys (borrowed from the
/// plan or the operation) and list indexes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Step<'p> {
    Key(&'p str),
    Index(usize),
}

pub fn address_to_path(address: &[Step<'_>]) -> Vec<JsonValue> {
    address
        .iter()
        .map(|s| match s {
            Step::Key(k) => JsonValue::from(*k),
            Step::Index(i) => JsonValue::from(*i),
        })
        .collect()
}

/// Calls `visit` with every object reached by following `path`, and its
/// address: the position of each field and list item on the way, which
/// [`at_mut`] follows back without searching objects for keys.
pub fn each<'v, 'a>(
    value: &'v Value<'a>,
    path: &[FlattenNodePathSegment],
    matches: Matcher<'_>,
    address: &mut Vec<u32>,
    visit: &mut dyn FnMut(&'v Value<'a>, &[u32]),
) {
    // Lists are traversed wherever they occur, whether or not the path
    // spells the `@`.
    if let Value::List(items) = value {
        let rest = skip_list(path);
        for (i, item) in items.iter().enumerate() {
            address.push(position(i));
            each(item, rest, matches, address, visit);
            address.pop();
        }
        return;
    }
    let Value::Object(object) = value else { return };
    match path.first() {
        None => visit(value, address),
        Some(FlattenNodePathSegment::Field(key)) => {
            if let Some(at) = object.iter().position(|(k, _)| same_key(k, key)) {
                address.push(position(at));
                each(&object[at].1, &path[1..], matches, address, visit);
                address.pop();
            }
        }
        Some(FlattenNodePathSegment::TypeCondition(types)) => {
            if matches(value.typename(), types) {
                each(value, &path[1..], matches, address, visit);
            }
        }
        Some(FlattenNodePathSegment::List) => {}
    }
}

/// Where one result goes: the address [`each`] recorded for its entity.
pub type Target<'s, 'a> = (&'s [u32], Value<'a>);

/// Merges each result into the object at its address along `path`.
/// Targets come in the order [`each`] found them, so those sharing a
/// prefix are consecutive and the prefix is walked once for all of them,
/// not once per entity. A field is checked to still have its key (and
/// searched for if it moved), so a tree changed in between gets each
/// result in the right object or nowhere.
pub fn merge_at<'a>(
    value: &mut Value<'a>,
    path: &[FlattenNodePathSegment],
    targets: &mut [Target<'_, 'a>],
) {
    merge_from(value, path, targets, 0);
}

fn merge_from<'a>(
    value: &mut Value<'a>,
    path: &[FlattenNodePathSegment],
    targets: &mut [Target<'_, 'a>],
    depth: usize,
) {
    let same_step = |a: &Target<'_, 'a>, b: &Target<'_, 'a>| a.0.get(depth) == b.0.get(depth);
    if let Value::List(items) = value {
        let rest = skip_list(path);
        for group in targets.chunk_by_mut(same_step) {
            let Some(&step) = group[0].0.get(depth) else { continue };
            if let Some(item) = usize::try_from(step).ok().and_then(|i| items.get_mut(i)) {
                merge_from(item, rest, group, depth + 1);
            }
        }
        return;
    }
    // Type conditions were checked when the addresses were found.
    let mut path = path;
    while let Some(FlattenNodePathSegment::TypeCondition(_)) = path.first() {
        path = &path[1..];
    }
    match path.first() {
        None if value.as_object().is_some() => {
            for (_, result) in targets {
                deep_merge(value, std::mem::replace(result, Value::Null));
            }
        }
        Some(FlattenNodePathSegment::Field(key)) => {
            let Value::Object(object) = value else { return };
            for group in targets.chunk_by_mut(same_step) {
                let Some(&step) = group[0].0.get(depth) else { continue };
                let at = usize::try_from(step).unwrap_or(usize::MAX);
                let at = match object.get(at) {
                    Some((k, _)) if same_key(k, key) => at,
                    _ => match object.iter().position(|(k, _)| same_key(k, key)) {
                        Some(at) => at,
                        None => continue,
                    },
                };
                merge_from(&mut object[at].1, &path[1..], group, depth + 1);
            }
        }
        _ => {}
    }
}

fn position(index: usize) -> u32 {
    u32::try_from(index).unwrap_or(u32::MAX)
}

/// The response path of every object [`each`] visits, in the same order:
/// needed only to place errors.
pub fn addresses<'p>(
    value: &Value<'_>,
    path: &'p [FlattenNodePathSegment],
    matches: Matcher<'_>,
) -> Vec<Vec<Step<'p>>> {
    fn walk<'p>(
        value: &Value<'_>,
        path: &'p [FlattenNodePathSegment],
        matches: Matcher<'_>,
        at: &mut Vec<Step<'p>>,
        found: &mut Vec<Vec<Step<'p>>>,
    ) {
        if let Value::List(items) = value {
            let rest = skip_list(path);
            for (i, item) in items.iter().enumerate() {
                at.push(Step::Index(i));
                walk(item, rest, matches, at, found);
                at.pop();
            }
            return;
        }
        let Value::Object(object) = value else { return };
        match path.first() {
            None => found.push(at.clone()),
            Some(FlattenNodePathSegment::Field(key)) => {
                if let Some(child) = field(object, key) {
                    at.push(Step::Key(key));
                    walk(child, &path[1..], matches, at, found);
                    at.pop();
                }
            }
            Some(FlattenNodePathSegment::TypeCondition(types)) => {
                if matches(value.typename(), types) {
                    walk(value, &path[1..], matches, at, found);
                }
            }
            Some(FlattenNodePathSegment::List) => {}
        }
    }
    let mut found = Vec::new();
    walk(value, path, matches, &mut Vec::new(), &mut found);
    found
}

fn skip_list(path: &[FlattenNodePathSegment]) -> &[FlattenNodePathSegment] {
    match path.first() {
        Some(FlattenNodePathSegment::List) => &path[1..],
        _ => path,
    }
}

/// Applies the planner's rewrites (type-name setters for interface objects,
/// key renames for internal aliases) to a representation or a result.
pub fn apply_rewrites<'a>(
    value: &mut Value<'a>,
    rewrites: &'a [FetchRewrite],
    matches: Matcher<'_>,
) {
    for rewrite in rewrites {
        match rewrite {
            FetchRewrite::ValueSetter(setter) => {
                let to = setter.set_value_to.as_str();
                at_last_key(value, &setter.path, matches, &mut |object, key| {
                    super::value::set(object, key, Value::Str(to));
                });
            }
            FetchRewrite::KeyRenamer(renamer) => {
                let to = renamer.rename_key_to.as_str();
                at_last_key(value, &renamer.path, matches, &mut |object, key| {
                    if let Some(at) = object.iter().position(|(k, _)| *k == key) {
                        let (_, moved) = object.remove(at);
                        super::value::set(object, to, moved);
                    }
                });
            }
        }
    }
}

/// Follows `path` (through lists, and only into objects whose `__typename`
/// matches type conditions) and calls `apply` with the object holding the
/// final key.
fn at_last_key<'a>(
    value: &mut Value<'a>,
    path: &'a [FetchNodePathSegment],
    matches: Matcher<'_>,
    apply: &mut dyn FnMut(&mut Object<'a>, &'a str),
) {
    if let Value::List(items) = value {
        for item in items {
            at_last_key(item, path, matches, apply);
        }
        return;
    }
    match path.split_first() {
        Some((FetchNodePathSegment::TypenameEquals(types), rest))
            if value.as_object().is_some() && matches(value.typename(), types) =>
        {
            at_last_key(value, rest, matches, apply);
        }
        Some((FetchNodePathSegment::Key(key), rest)) => {
            let Value::Object(object) = value else { return };
            if rest.is_empty() {
                apply(object, key);
            } else if let Some(child) = field_mut(object, key) {
                at_last_key(child, rest, matches, apply);
            }
        }
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::execution::parse;

    fn path(text: &str) -> Vec<FlattenNodePathSegment> {
        text.split('.')
            .map(|s| match s {
                "@" => FlattenNodePathSegment::List,
                key => FlattenNodePathSegment::Field(key.to_owned()),
            })
            .collect()
    }

    #[test]
    fn an_address_found_by_each_leads_back_even_after_fields_moved() {
        let text = r#"{"users":[{"id":"1","reviews":[{"product":{"upc":"a"}},{"product":{"upc":"b"}}]},
                              {"id":"2","reviews":[]},{"id":"3","reviews":[{"product":{"upc":"c"}}]}]}"#;
        let mut tree = parse::value(text).expect("JSON");
        let path = path("users.@.reviews.@.product");
        let any = |_: &str, _: &BTreeSet<String>| true;
        let mut found = Vec::new();
        each(&tree, &path, &any, &mut Vec::new(), &mut |entity, address| {
            found.push((entity.get("upc").and_then(Value::as_str), address.to_vec()));
        });
        assert_eq!(
            found,
            [
                (Some("a"), vec![0, 0, 1, 0, 0]),
                (Some("b"), vec![0, 0, 1, 1, 0]),
                (Some("c"), vec![0, 2, 1, 0, 0]),
            ]
        );
        // A field inserted before `reviews` moves it: the key check finds it.
        let Value::Object(root) = &mut tree else { panic!("an object") };
        let Value::List(users) = &mut root[0].1 else { panic!("a list") };
        let Value::Object(third) = &mut users[2] else { panic!("an object") };
        third.insert(0, ("name", Value::Str("Ann")));
        let result = |name| parse::value(name).expect("JSON");
        let mut targets: Vec<Target<'_, '_>> = vec![
            (&found[0].1, result(r#"{"name":"A"}"#)),
            (&found[1].1, result(r#"{"name":"B"}"#)),
            (&found[2].1, result(r#"{"name":"C"}"#)),
            (&[0, 5, 1, 0, 0], result(r#"{"name":"lost"}"#)),
        ];
        merge_at(&mut tree, &path, &mut targets);
        let mut merged = Vec::new();
        each(&tree, &path, &any, &mut Vec::new(), &mut |entity, _| {
            merged.push((
                entity.get("upc").and_then(Value::as_str),
                entity.get("name").and_then(Value::as_str),
            ));
        });
        assert_eq!(
            merged,
            [(Some("a"), Some("A")), (Some("b"), Some("B")), (Some("c"), Some("C"))]
        );
        let mut json = Vec::new();
        tree.write_json(&mut json);
        assert!(!String::from_utf8_lossy(&json).contains("lost"));
    }
}
