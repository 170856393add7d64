//! `router check`: what changed in the API schema between two supergraphs,
//! and which client operations each breaking change would break.
//!
//! Breaking: a type, field, argument, input field, enum value, union member
//! or implemented interface removed; a type's kind changed; an argument or
//! input field newly required; an input type narrowed (`T` → `T!`) or an
//! output type widened (`T!` → `T`); a named type changed. Dangerous: an
//! enum value, union member or implemented interface added (clients that
//! switch over them meet a case they do not know), an optional argument or
//! input field added.

mod operations;

use std::collections::BTreeSet;

use graphql_tools::static_graphql::schema::{Field, InputValue, Type, TypeDefinition};

pub use operations::{Operation, usages};

use crate::schema::{SchemaIndex, TypeInfo};

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Level {
    Breaking,
    Dangerous,
}

#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct Change {
    pub level: Level,
    /// Where: `Type`, `Type.field`, `Type.field(argument:)`, `Enum.VALUE`.
    pub coordinate: String,
    pub message: String,
    /// What an operation must use to be affected: a coordinate, or a type
    /// name for changes that reach every use of the type.
    pub affects: String,
}

fn change(level: Level, coordinate: String, message: String, affects: String) -> Change {
    Change { level, coordinate, message, affects }
}

/// Every change from `base` to `new`, breaking first, by coordinate.
pub fn changes(base: &SchemaIndex, new: &SchemaIndex) -> Vec<Change> {
    let mut found = Vec::new();
    for (name, old) in &base.types {
        if name.starts_with("__") {
            continue;
        }
        let Some(now) = new.types.get(name) else {
            let message = format!("type `{name}` was removed");
            found.push(change(Level::Breaking, name.clone(), message, name.clone()));
            continue;
        };
        if old.kind != now.kind {
            let message = format!("`{name}` changed kind from {:?} to {:?}", old.kind, now.kind);
            found.push(change(Level::Breaking, name.clone(), message, name.clone()));
            continue;
        }
        compare_type(name, old, now, &mut found);
    }
    found.sort();
    found
}

fn compare_type(name: &str, old: &TypeInfo, now: &TypeInfo, found: &mut Vec<Change>) {
    match (&old.definition, &now.definition) {
        (TypeDefinition::Object(o), TypeDefinition::Object(n)) => {
            compare_fields(name, &o.fields, &n.fields, found);
            compare_members(
                name,
                "implements",
                &o.implements_interfaces,
                &n.implements_interfaces,
                found,
            );
        }
        (TypeDefinition::Interface(o), TypeDefinition::Interface(n)) => {
            compare_fields(name, &o.fields, &n.fields, found);
        }
        (TypeDefinition::Union(o), TypeDefinition::Union(n)) => {
            compare_members(name, "has member", &o.types, &n.types, found);
        }
        (TypeDefinition::Enum(o), TypeDefinition::Enum(n)) => {
            let old: Vec<String> = o.values.iter().map(|v| v.name.clone()).collect();
            let now: Vec<String> = n.values.iter().map(|v| v.name.clone()).collect();
            for value in old.iter().filter(|v| !now.contains(v)) {
                let message = format!("enum value `{name}.{value}` was removed");
                found.push(change(
                    Level::Breaking,
                    format!("{name}.{value}"),
                    message,
                    name.into(),
                ));
            }
            for value in now.iter().filter(|v| !old.contains(v)) {
                let message = format!("enum value `{name}.{value}` was added");
                found.push(change(
                    Level::Dangerous,
                    format!("{name}.{value}"),
                    message,
                    name.into(),
                ));
            }
        }
        (TypeDefinition::InputObject(o), TypeDefinition::InputObject(n)) => {
            compare_inputs(name, "input field", &o.fields, &n.fields, name, found);
        }
        _ => {}
    }
}

fn compare_members(
    name: &str,
    relation: &str,
    old: &[String],
    now: &[String],
    found: &mut Vec<Change>,
) {
    for member in old.iter().filter(|m| !now.contains(m)) {
        let message = format!("`{name}` no longer {relation} `{member}`");
        found.push(change(Level::Breaking, name.into(), message, name.into()));
    }
    for member in now.iter().filter(|m| !old.contains(m)) {
        let message = format!("`{name}` now {relation} `{member}`");
        found.push(change(Level::Dangerous, name.into(), message, name.into()));
    }
}

fn compare_fields(name: &str, old: &[Field], now: &[Field], found: &mut Vec<Change>) {
    for field in old {
        let coordinate = format!("{name}.{}", field.name);
        let Some(current) = now.iter().find(|f| f.name == field.name) else {
            let message = format!("field `{coordinate}` was removed");
            found.push(change(Level::Breaking, coordinate.clone(), message, coordinate));
            continue;
        };
        if !output_compatible(&field.field_type, &current.field_type) {
            let message = format!(
                "field `{coordinate}` changed type from `{}` to `{}`",
                field.field_type, current.field_type
            );
            found.push(change(Level::Breaking, coordinate.clone(), message, coordinate.clone()));
        }
        compare_inputs(
            &coordinate,
            "argument",
            &field.arguments,
            &current.arguments,
            &coordinate,
            found,
        );
    }
}

/// Arguments of a field, or fields of an input object.
fn compare_inputs(
    owner: &str,
    what: &str,
    old: &[InputValue],
    now: &[InputValue],
    affects: &str,
    found: &mut Vec<Change>,
) {
    let argument = what == "argument";
    let coordinate =
        |name: &str| if argument { format!("{owner}({name}:)") } else { format!("{owner}.{name}") };
    // An operation uses an argument by passing it, an input field through
    // a value of its input type.
    let used_as = |at: &str| if argument { at.to_owned() } else { affects.to_owned() };
    for input in old {
        let at = coordinate(&input.name);
        match now.iter().find(|i| i.name == input.name) {
            None => {
                let message = format!("{what} `{at}` was removed");
                found.push(change(Level::Breaking, at.clone(), message, used_as(&at)));
            }
            Some(current) if !input_compatible(&input.value_type, &current.value_type) => {
                let message = format!(
                    "{what} `{at}` changed type from `{}` to `{}`",
                    input.value_type, current.value_type
                );
                found.push(change(Level::Breaking, at.clone(), message, used_as(&at)));
            }
            Some(current) if is_required(current) && !is_required(input) => {
                let message = format!("{what} `{at}` is now required");
                found.push(change(Level::Breaking, at.clone(), message, affects.into()));
            }
            Some(_) => {}
        }
    }
    for input in now.iter().filter(|i| !old.iter().any(|o| o.name == i.name)) {
        let at = coordinate(&input.name);
        let (level, message) = if is_required(input) {
            (Level::Breaking, format!("new required {what} `{at}`"))
        } else {
            (Level::Dangerous, format!("new optional {what} `{at}`"))
        };
        found.push(change(level, at, message, affects.into()));
    }
}

fn is_required(input: &InputValue) -> bool {
    matches!(input.value_type, Type::NonNullType(_)) && input.default_value.is_none()
}

/// An output may become non-null, never nullable, and keeps its type.
fn output_compatible(old: &Type, now: &Type) -> bool {
    match (old, now) {
        (Type::NonNullType(o), Type::NonNullType(n)) => output_compatible(o, n),
        (Type::NonNullType(_), _) => false,
        (o, Type::NonNullType(n)) => output_compatible(o, n),
        (Type::ListType(o), Type::ListType(n)) => output_compatible(o, n),
        (Type::NamedType(o), Type::NamedType(n)) => o == n,
        _ => false,
    }
}

/// An input may become nullable, never non-null, and keeps its type.
fn input_compatible(old: &Type, now: &Type) -> bool {
    match (old, now) {
        (Type::NonNullType(o), Type::NonNullType(n)) => input_compatible(o, n),
        (Type::NonNullType(o), n) => input_compatible(o, n),
        (_, Type::NonNullType(_)) => false,
        (Type::ListType(o), Type::ListType(n)) => input_compatible(o, n),
        (Type::NamedType(o), Type::NamedType(n)) => o == n,
        _ => false,
    }
}

/// The operations a change affects: those that use its coordinate (or,
/// for a change to a whole type, the type).
pub fn affected<'o>(
    change: &Change,
    operations: &'o [(Operation, BTreeSet<String>)],
) -> Vec<&'o Operation> {
    operations.iter().filter(|(_, used)| used.contains(&change.affects)).map(|(op, _)| op).collect()
}
