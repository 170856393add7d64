//! Merges subgraphs into the supergraph AST with `@join__*` directives.

use std::collections::{BTreeMap, BTreeSet};

use graphql_tools::parser::{
    Pos,
    schema::{
        Definition, Directive, EnumType, EnumValue, Field, InputObjectType, InterfaceType,
        ObjectType, ScalarType, Type, TypeDefinition, UnionType, Value,
    },
};

use super::{
    CompositionError,
    subgraph::{Ast, Kind, SubField, SubType, Subgraph, named_type},
};

type Defs = Vec<Definition<'static, Ast>>;

/// All type definitions of the supergraph, sorted by name.
pub fn merge_types(subgraphs: &[Subgraph]) -> Result<Defs, Vec<CompositionError>> {
    let mut by_name: BTreeMap<&str, Vec<(&Subgraph, &SubType)>> = BTreeMap::new();
    for subgraph in subgraphs {
        for ty in subgraph.types.values() {
            by_name.entry(&ty.name).or_default().push((subgraph, ty));
        }
    }
    let mut errors = Vec::new();
    let mut definitions = Vec::new();
    for (name, defs) in &by_name {
        match merge_type(name, defs, &by_name) {
            Ok(def) => definitions.push(Definition::TypeDefinition(def)),
            Err(mut e) => errors.append(&mut e),
        }
    }
    if errors.is_empty() { Ok(definitions) } else { Err(errors) }
}

fn effective_kind(ty: &SubType) -> Kind {
    if ty.interface_object { Kind::Interface } else { ty.kind }
}

fn merge_type(
    name: &str,
    defs: &[(&Subgraph, &SubType)],
    all: &BTreeMap<&str, Vec<(&Subgraph, &SubType)>>,
) -> Result<TypeDefinition<'static, Ast>, Vec<CompositionError>> {
    let kind = effective_kind(defs[0].1);
    if let Some((other, ty)) = defs.iter().find(|(_, t)| effective_kind(t) != kind) {
        return Err(vec![CompositionError::new(format!(
            "type `{name}` is {} in subgraph `{}` but {} in subgraph `{}`",
            kind.describe(),
            defs[0].0.name,
            effective_kind(ty).describe(),
            other.name
        ))]);
    }
    let description = defs.iter().find_map(|(_, t)| t.description.clone());
    let inaccessible = defs.iter().any(|(_, t)| t.inaccessible);
    let mut directives = Vec::new();
    for (subgraph, ty) in defs {
        directives.extend(join_types(subgraph, ty, kind));
    }
    if inaccessible {
        directives.push(directive("inaccessible", vec![]));
    }
    // A context's name is qualified by its subgraph, where it is read.
    for (subgraph, ty) in defs {
        for context in &ty.contexts {
            let name = Value::String(format!("{}__{context}", subgraph.name));
            directives.push(directive("context", vec![("name", name)]));
        }
    }
    for (_, ty) in defs {
        for carried in &ty.directives {
            if !directives.iter().any(|d| d.name == carried.name) {
                directives.push(carried.clone());
            }
        }
    }
    Ok(match kind {
        Kind::Object | Kind::Interface => {
            let mut implements = Vec::new();
            for (subgraph, ty) in defs {
                for interface in &ty.implements {
                    directives.push(directive(
                        "join__implements",
                        vec![graph_arg(subgraph), ("interface", Value::String(interface.clone()))],
                    ));
                    if !implements.contains(interface) {
                        implements.push(interface.clone());
                    }
                }
            }
            let mut fields = merge_fields(name, defs)?;
            if kind == Kind::Object {
                add_interface_object_fields(&implements, &mut fields, all);
            }
            if kind == Kind::Object {
                TypeDefinition::Object(ObjectType {
                    position: Pos::default(),
                    description,
                    name: name.to_owned(),
                    implements_interfaces: implements,
                    directives,
                    fields,
                })
            } else {
                TypeDefinition::Interface(InterfaceType {
                    position: Pos::default(),
                    description,
                    name: name.to_owned(),
                    implements_interfaces: implements,
                    directives,
                    fields,
                })
            }
        }
        Kind::Union => {
            let mut members: Vec<String> = Vec::new();
            for (subgraph, ty) in defs {
                for member in &ty.members {
                    directives.push(directive(
                        "join__unionMember",
                        vec![graph_arg(subgraph), ("member", Value::String(member.clone()))],
                    ));
                    if !members.contains(member) {
                        members.push(member.clone());
                    }
                }
            }
            TypeDefinition::Union(UnionType {
                position: Pos::default(),
                description,
                name: name.to_owned(),
                directives,
                types: members,
            })
        }
        Kind::Enum => {
            let mut values: Vec<EnumValue<'static, Ast>> = Vec::new();
            for (subgraph, ty) in defs {
                for (value, inaccessible) in &ty.enum_values {
                    let index = match values.iter().position(|v| v.name == value.name) {
                        Some(i) => i,
                        None => {
                            values.push(value.clone());
                            values.len() - 1
                        }
                    };
                    let merged = &mut values[index];
                    merged.directives.push(directive("join__enumValue", vec![graph_arg(subgraph)]));
                    if *inaccessible && !merged.directives.iter().any(|d| d.name == "inaccessible")
                    {
                        merged.directives.push(directive("inaccessible", vec![]));
                    }
                }
            }
            TypeDefinition::Enum(EnumType {
                position: Pos::default(),
                description,
                name: name.to_owned(),
                directives,
                values,
            })
        }
        Kind::InputObject => TypeDefinition::InputObject(InputObjectType {
            position: Pos::default(),
            description,
            name: name.to_owned(),
            directives,
            fields: merge_input_fields(defs),
        }),
        Kind::Scalar => TypeDefinition::Scalar(ScalarType {
            position: Pos::default(),
            description,
            name: name.to_owned(),
            directives,
        }),
    })
}

fn join_types(subgraph: &Subgraph, ty: &SubType, kind: Kind) -> Vec<Directive<'static, Ast>> {
    let base = || vec![graph_arg(subgraph)];
    if !matches!(kind, Kind::Object | Kind::Interface) || ty.keys.is_empty() {
        let mut args = base();
        if ty.interface_object {
            args.push(("isInterfaceObject", Value::Boolean(true)));
        }
        return vec![directive("join__type", args)];
    }
    ty.keys
        .iter()
        .map(|key| {
            let mut args = base();
            args.push(("key", Value::String(key.fields.clone())));
            if ty.extension {
                args.push(("extension", Value::Boolean(true)));
            }
            if !key.resolvable {
                args.push(("resolvable", Value::Boolean(false)));
            }
            if ty.interface_object {
                args.push(("isInterfaceObject", Value::Boolean(true)));
            }
            directive("join__type", args)
        })
        .collect()
}

fn merge_fields(
    type_name: &str,
    defs: &[(&Subgraph, &SubType)],
) -> Result<Vec<Field<'static, Ast>>, Vec<CompositionError>> {
    let mut order: Vec<&str> = Vec::new();
    let mut by_field: BTreeMap<&str, Vec<(&Subgraph, &SubType, &SubField)>> = BTreeMap::new();
    for (subgraph, ty) in defs {
        for field in &ty.fields {
            let name = field.ast.name.as_str();
            if !by_field.contains_key(name) {
                order.push(name);
            }
            by_field.entry(name).or_default().push((subgraph, ty, field));
        }
    }
    let multi_graph = defs.len() > 1;
    let mut errors = Vec::new();
    let mut fields = Vec::new();
    for name in order {
        let sources = &by_field[name];
        match merge_field(type_name, name, sources, multi_graph) {
            Ok(field) => fields.push(field),
            Err(e) => errors.push(e),
        }
    }
    if errors.is_empty() { Ok(fields) } else { Err(errors) }
}

fn merge_field(
    type_name: &str,
    name: &str,
    sources: &[(&Subgraph, &SubType, &SubField)],
    multi_graph: bool,
) -> Result<Field<'static, Ast>, CompositionError> {
    for (_, _, f) in sources {
        if let Some(label) = &f.override_label {
            check_override_label(type_name, name, label)?;
        }
    }
    // Overridden subgraphs do not resolve the field, except that one
    // overridden progressively (with a label) still does for the requests
    // the label leaves to it: it keeps its `@join__field`.
    let overridden: BTreeSet<&str> =
        sources.iter().filter_map(|(_, _, f)| f.override_from.as_deref()).collect();
    let fully_overridden: BTreeSet<&str> = sources
        .iter()
        .filter(|(_, _, f)| f.override_label.is_none())
        .filter_map(|(_, _, f)| f.override_from.as_deref())
        .collect();
    let resolving: Vec<_> = sources
        .iter()
        .filter(|(s, _, f)| !f.external && !overridden.contains(s.name.as_str()))
        .collect();
    // An interface's fields are resolved by its implementations' fields,
    // which carry the shareability; the interface itself declares only.
    let declared_only = sources.iter().all(|(_, ty, _)| ty.kind == Kind::Interface);
    if resolving.len() > 1 && !declared_only {
        let unshared: Vec<&str> = resolving
            .iter()
            .filter(|(_, ty, f)| !(f.shareable || ty.shareable || ty.is_key_field(name)))
            .map(|(s, _, _)| s.name.as_str())
            .collect();
        if !unshared.is_empty() {
            let all: Vec<&str> = resolving.iter().map(|(s, _, _)| s.name.as_str()).collect();
            return Err(CompositionError::new(format!(
                "field `{type_name}.{name}` is resolved by subgraphs [{}] but is not @shareable in [{}]",
                all.join(", "),
                unshared.join(", ")
            )));
        }
    }
    // External declarations restate another subgraph's field; the type
    // comes from the subgraphs that resolve it.
    let owners: Vec<_> = sources.iter().filter(|(_, _, f)| !f.external).collect();
    let typed: Vec<_> = if owners.is_empty() { sources.iter().collect() } else { owners };
    let types: Vec<&Type<'static, Ast>> = typed.iter().map(|(_, _, f)| &f.ast.field_type).collect();
    let merged_type = merge_output_type(types.as_slice()).ok_or_else(|| {
        let described: Vec<String> =
            sources.iter().map(|(s, _, f)| format!("{}: {}", s.name, f.ast.field_type)).collect();
        CompositionError::new(format!(
            "field `{type_name}.{name}` has incompatible types across subgraphs ({})",
            described.join(", ")
        ))
    })?;
    let template = resolving.first().map(|(_, _, f)| *f).unwrap_or(sources[0].2);
    let mut field = template.ast.clone();
    // `@deprecated`, `@cost`, `@listSize` from whichever subgraph has them.
    for (_, _, source) in sources {
        for carried in &source.ast.directives {
            if !field.directives.iter().any(|d| d.name == carried.name) {
                field.directives.push(carried.clone());
            }
        }
    }
    field.description = sources.iter().find_map(|(_, _, f)| f.ast.description.clone());
    field.field_type = merged_type.clone();
    let needs_join = multi_graph
        || sources.iter().any(|(_, _, f)| {
            f.external
                || f.requires.is_some()
                || f.provides.is_some()
                || f.override_from.is_some()
                || !f.context_arguments.is_empty()
        });
    if needs_join {
        for (subgraph, _, source) in sources {
            if fully_overridden.contains(subgraph.name.as_str()) && source.override_from.is_none() {
                continue;
            }
            let mut args = vec![graph_arg(subgraph)];
            if let Some(requires) = &source.requires {
                args.push(("requires", Value::String(requires.clone())));
            }
            if let Some(provides) = &source.provides {
                args.push(("provides", Value::String(provides.clone())));
            }
            if source.ast.field_type != merged_type {
                args.push(("type", Value::String(source.ast.field_type.to_string())));
            }
            if source.external {
                args.push(("external", Value::Boolean(true)));
            }
            if let Some(from) = &source.override_from {
                args.push(("override", Value::String(from.clone())));
            }
            if let Some(label) = &source.override_label {
                args.push(("overrideLabel", Value::String(label.clone())));
            }
            if !source.context_arguments.is_empty() {
                let arguments = source
                    .context_arguments
                    .iter()
                    .map(|a| {
                        let entry = |v: String| Value::String(v);
                        Value::Object(
                            [
                                (
                                    "context".to_owned(),
                                    entry(format!("{}__{}", subgraph.name, a.context)),
                                ),
                                ("name".to_owned(), entry(a.name.clone())),
                                ("type".to_owned(), entry(a.argument_type.clone())),
                                ("selection".to_owned(), entry(a.selection.clone())),
                            ]
                            .into_iter()
                            .collect(),
                        )
                    })
                    .collect();
                args.push(("contextArguments", Value::List(arguments)));
            }
            field.directives.push(directive("join__field", args));
        }
    }
    if sources.iter().any(|(_, _, f)| f.inaccessible) {
        field.directives.push(directive("inaccessible", vec![]));
    }
    Ok(field)
}

/// `percent(N)` with 0 ≤ N ≤ 100 and at most 8 fraction digits, or a flag
/// name; anything else is refused here (the planner would abort on it).
fn check_override_label(type_name: &str, name: &str, label: &str) -> Result<(), CompositionError> {
    let valid = match label.strip_prefix("percent(").and_then(|l| l.strip_suffix(')')) {
        Some(number) => {
            let (whole, fraction) = number.split_once('.').unwrap_or((number, ""));
            let digits = |s: &str| s.bytes().all(|b| b.is_ascii_digit());
            !whole.is_empty()
                && digits(whole)
                && digits(fraction)
                && fraction.len() <= 8
                && number.contains('.') != fraction.is_empty()
                && number.parse::<f64>().is_ok_and(|n| (0.0..=100.0).contains(&n))
        }
        None => {
            let mut chars = label.chars();
            chars.next().is_some_and(|c| c.is_ascii_alphabetic())
                && chars.all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | ':' | '.'))
        }
    };
    if valid {
        Ok(())
    } else {
        Err(CompositionError::new(format!(
            "field `{type_name}.{name}`: invalid @override label `{label}` (expected `percent(N)` with 0 ≤ N ≤ 100 and at most 8 fraction digits, or a flag name)"
        )))
    }
}

/// Output types may differ in nullability only; the supergraph takes the
/// nullable form wherever any subgraph is nullable.
fn merge_output_type(types: &[&Type<'static, Ast>]) -> Option<Type<'static, Ast>> {
    let first = types[0];
    types.iter().skip(1).try_fold(first.clone(), |acc, ty| merge_two(&acc, ty))
}

fn merge_two(a: &Type<'static, Ast>, b: &Type<'static, Ast>) -> Option<Type<'static, Ast>> {
    match (a, b) {
        (Type::NonNullType(x), Type::NonNullType(y)) => {
            Some(Type::NonNullType(Box::new(merge_two(x, y)?)))
        }
        (Type::NonNullType(x), other) | (other, Type::NonNullType(x)) => merge_two(x, other),
        (Type::ListType(x), Type::ListType(y)) => Some(Type::ListType(Box::new(merge_two(x, y)?))),
        (Type::NamedType(x), Type::NamedType(y)) if x == y => Some(a.clone()),
        _ => None,
    }
}

/// Input types keep the fields every defining subgraph accepts.
fn merge_input_fields(
    defs: &[(&Subgraph, &SubType)],
) -> Vec<graphql_tools::parser::schema::InputValue<'static, Ast>> {
    let (_, first) = defs[0];
    first
        .input_fields
        .iter()
        .filter(|(field, _)| {
            defs.iter().all(|(_, ty)| ty.input_fields.iter().any(|(f, _)| f.name == field.name))
        })
        .map(|(field, _)| {
            let mut field = field.clone();
            if defs.len() > 1 {
                for (subgraph, _) in defs {
                    field.directives.push(directive("join__field", vec![graph_arg(subgraph)]));
                }
            }
            let inaccessible = defs.iter().any(|(_, ty)| {
                ty.input_fields.iter().any(|(f, hidden)| f.name == field.name && *hidden)
            });
            if inaccessible {
                field.directives.push(directive("inaccessible", vec![]));
            }
            field
        })
        .collect()
}

/// Fields an `@interfaceObject` adds to an interface also exist on every
/// implementation; no subgraph resolves them there directly, so they carry a
/// bare `@join__field`, as Apollo's composition writes them.
fn add_interface_object_fields(
    implements: &[String],
    fields: &mut Vec<Field<'static, Ast>>,
    all: &BTreeMap<&str, Vec<(&Subgraph, &SubType)>>,
) {
    for interface in implements {
        let Some(defs) = all.get(interface.as_str()) else { continue };
        for (_, ty) in defs.iter().filter(|(_, t)| t.interface_object) {
            for field in &ty.fields {
                if fields.iter().any(|f| f.name == field.ast.name) {
                    continue;
                }
                let mut added = field.ast.clone();
                added.directives.push(directive("join__field", vec![]));
                fields.push(added);
            }
        }
    }
}

fn graph_arg(subgraph: &Subgraph) -> (&'static str, Value<'static, Ast>) {
    ("graph", Value::Enum(subgraph.graph_enum()))
}

pub fn directive(name: &str, args: Vec<(&str, Value<'static, Ast>)>) -> Directive<'static, Ast> {
    Directive {
        position: Pos::default(),
        name: name.to_owned(),
        arguments: args.into_iter().map(|(k, v)| (k.to_owned(), v)).collect(),
    }
}

/// Every type a field or argument refers to must exist somewhere.
pub fn check_references(defs: &Defs) -> Vec<CompositionError> {
    let known: BTreeSet<&str> = defs
        .iter()
        .filter_map(|d| match d {
            Definition::TypeDefinition(t) => Some(type_name(t)),
            _ => None,
        })
        .chain(["String", "Int", "Float", "Boolean", "ID"])
        .collect();
    let mut errors = Vec::new();
    for def in defs {
        let Definition::TypeDefinition(t) = def else { continue };
        let fields = match t {
            TypeDefinition::Object(o) => &o.fields,
            TypeDefinition::Interface(i) => &i.fields,
            _ => continue,
        };
        for field in fields {
            let target = named_type(&field.field_type);
            if !known.contains(target) {
                errors.push(CompositionError::new(format!(
                    "field `{}.{}` refers to unknown type `{target}`",
                    type_name(t),
                    field.name
                )));
            }
        }
    }
    errors
}

pub fn type_name<'a>(t: &'a TypeDefinition<'static, Ast>) -> &'a str {
    match t {
        TypeDefinition::Scalar(s) => &s.name,
        TypeDefinition::Object(o) => &o.name,
        TypeDefinition::Interface(i) => &i.name,
        TypeDefinition::Union(u) => &u.name,
        TypeDefinition::Enum(e) => &e.name,
        TypeDefinition::InputObject(i) => &i.name,
    }
}
