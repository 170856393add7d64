//! A subgraph's SDL, read into the facts composition needs: which types and
//! fields it defines, and what its federation directives say about them.
//! Federation directives are stripped from the AST here; the supergraph
//! re-expresses them as `@join__*`.

use std::collections::BTreeMap;

use graphql_tools::parser::schema::{
    Definition, Directive, Document, Field, InputValue, Type, TypeDefinition, TypeExtension, Value,
    parse_schema,
};

use super::CompositionError;

pub type Ast = String;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Object,
    Interface,
    Union,
    Enum,
    InputObject,
    Scalar,
}

impl Kind {
    pub fn describe(self) -> &'static str {
        match self {
            Kind::Object => "an object type",
            Kind::Interface => "an interface",
            Kind::Union => "a union",
            Kind::Enum => "an enum",
            Kind::InputObject => "an input type",
            Kind::Scalar => "a scalar",
        }
    }
}

#[derive(Debug, Clone)]
pub struct Key {
    pub fields: String,
    pub resolvable: bool,
}

#[derive(Debug, Clone)]
pub struct SubField {
    pub ast: Field<'static, Ast>,
    pub external: bool,
    pub shareable: bool,
    pub inaccessible: bool,
    pub requires: Option<String>,
    pub provides: Option<String>,
    pub override_from: Option<String>,
    /// Progressive override: `percent(N)` or a flag name.
    pub override_label: Option<String>,
    /// Arguments taken from a context (`@fromContext`), removed from `ast`.
    pub context_arguments: Vec<ContextArgument>,
}

/// `arg: T @fromContext(field: "$context { selection }")`.
#[derive(Debug, Clone)]
pub struct ContextArgument {
    pub name: String,
    pub argument_type: String,
    /// The context's name in its subgraph.
    pub context: String,
    pub selection: String,
}

#[derive(Debug, Clone)]
pub struct SubType {
    pub kind: Kind,
    pub name: String,
    pub description: Option<String>,
    pub keys: Vec<Key>,
    pub shareable: bool,
    pub inaccessible: bool,
    pub interface_object: bool,
    pub extension: bool,
    pub implements: Vec<String>,
    pub fields: Vec<SubField>,
    pub members: Vec<String>,
    pub enum_values: Vec<(graphql_tools::parser::schema::EnumValue<'static, Ast>, bool)>,
    pub input_fields: Vec<(InputValue<'static, Ast>, bool)>,
    /// Other directives kept as they are (`@deprecated` lives on fields).
    pub directives: Vec<Directive<'static, Ast>>,
    /// Contexts this type sets (`@context(name:)`).
    pub contexts: Vec<String>,
}

impl SubType {
    fn new(kind: Kind, name: &str, description: Option<String>) -> Self {
        Self {
            kind,
            name: name.to_owned(),
            description,
            keys: Vec::new(),
            shareable: false,
            inaccessible: false,
            interface_object: false,
            extension: false,
            implements: Vec::new(),
            fields: Vec::new(),
            members: Vec::new(),
            enum_values: Vec::new(),
            input_fields: Vec::new(),
            directives: Vec::new(),
            contexts: Vec::new(),
        }
    }

    /// Whether `field` is named at the top level of one of this type's keys:
    /// key fields are shareable without saying so.
    pub fn is_key_field(&self, field: &str) -> bool {
        self.keys.iter().any(|k| top_level_fields(&k.fields).iter().any(|f| f == field))
    }
}

#[derive(Debug, Clone)]
pub struct Subgraph {
    pub name: String,
    pub url: String,
    pub types: BTreeMap<String, SubType>,
}

/// Types every subgraph may declare that never reach the supergraph.
const FEDERATION_TYPES: &[&str] = &[
    "_Service",
    "_Any",
    "_Entity",
    "FieldSet",
    "link__Import",
    "link__Purpose",
    "_FieldSet",
    "federation__FieldSet",
    "federation__Scope",
    "federation__Policy",
    "federation__ContextFieldValue",
];
const BUILTIN_SCALARS: &[&str] = &["String", "Int", "Float", "Boolean", "ID"];

impl Subgraph {
    pub fn parse(name: &str, url: &str, sdl: &str) -> Result<Self, CompositionError> {
        let sdl = strip_schema_extensions(sdl);
        let document: Document<'static, Ast> = parse_schema::<Ast>(&sdl)
            .map_err(|e| CompositionError::new(format!("subgraph `{name}`: invalid SDL: {e}")))?
            .into_static();
        let mut roots = BTreeMap::new();
        for definition in &document.definitions {
            if let Definition::SchemaDefinition(schema) = definition {
                for (standard, actual) in [
                    ("Query", &schema.query),
                    ("Mutation", &schema.mutation),
                    ("Subscription", &schema.subscription),
                ] {
                    if let Some(actual) = actual {
                        roots.insert(actual.clone(), standard.to_owned());
                    }
                }
            }
        }
        let rename = |n: &str| roots.get(n).cloned().unwrap_or_else(|| n.to_owned());
        let mut types: BTreeMap<String, SubType> = BTreeMap::new();
        for definition in document.definitions {
            let (ty, extension) = match definition {
                Definition::TypeDefinition(def) => (from_definition(def, &rename), false),
                Definition::TypeExtension(ext) => (from_extension(ext, &rename), true),
                _ => continue,
            };
            let Some(mut ty) = ty else { continue };
            if FEDERATION_TYPES.contains(&ty.name.as_str())
                || BUILTIN_SCALARS.contains(&ty.name.as_str())
            {
                continue;
            }
            ty.extension = extension;
            if ty.name == "Query" {
                ty.fields.retain(|f| f.ast.name != "_service" && f.ast.name != "_entities");
                if ty.fields.is_empty() {
                    continue;
                }
            }
            match types.get_mut(&ty.name) {
                Some(existing) => merge_same_subgraph(existing, ty),
                None => {
                    types.insert(ty.name.clone(), ty);
                }
            }
        }
        Ok(Self { name: name.to_owned(), url: url.to_owned(), types })
    }

    /// The `join__Graph` enum value for this subgraph: `users` -> `USERS`.
    /// Whether a type sets a context or a field reads one.
    pub fn uses_contexts(&self) -> bool {
        self.types.values().any(|t| {
            !t.contexts.is_empty() || t.fields.iter().any(|f| !f.context_arguments.is_empty())
        })
    }

    pub fn graph_enum(&self) -> String {
        graph_enum_name(&self.name)
    }
}

pub fn graph_enum_name(name: &str) -> String {
    let mut out: String = name
        .chars()
        .map(|c| if c.is_ascii_alphanumeric() { c.to_ascii_uppercase() } else { '_' })
        .collect();
    if out.starts_with(|c: char| c.is_ascii_digit()) {
        out.insert(0, '_');
    }
    out
}

fn merge_same_subgraph(existing: &mut SubType, more: SubType) {
    existing.keys.extend(more.keys);
    existing.shareable |= more.shareable;
    existing.inaccessible |= more.inaccessible;
    existing.interface_object |= more.interface_object;
    existing.implements.extend(more.implements);
    existing.fields.extend(more.fields);
    existing.members.extend(more.members);
    existing.enum_values.extend(more.enum_values);
    existing.input_fields.extend(more.input_fields);
    existing.contexts.extend(more.contexts);
    existing.extension &= more.extension;
}

fn from_definition(
    def: TypeDefinition<'static, Ast>,
    rename: &dyn Fn(&str) -> String,
) -> Option<SubType> {
    Some(match def {
        TypeDefinition::Object(o) => {
            let mut ty = SubType::new(Kind::Object, &rename(&o.name), o.description);
            ty.implements = o.implements_interfaces;
            apply_type_directives(&mut ty, o.directives);
            ty.fields = o.fields.into_iter().map(sub_field).collect();
            ty
        }
        TypeDefinition::Interface(i) => {
            let mut ty = SubType::new(Kind::Interface, &i.name, i.description);
            ty.implements = i.implements_interfaces;
            apply_type_directives(&mut ty, i.directives);
            ty.fields = i.fields.into_iter().map(sub_field).collect();
            ty
        }
        TypeDefinition::Union(u) => {
            let mut ty = SubType::new(Kind::Union, &u.name, u.description);
            apply_type_directives(&mut ty, u.directives);
            ty.members = u.types;
            ty
        }
        TypeDefinition::Enum(e) => {
            let mut ty = SubType::new(Kind::Enum, &e.name, e.description);
            apply_type_directives(&mut ty, e.directives);
            ty.enum_values = e
                .values
                .into_iter()
                .map(|mut v| {
                    let inaccessible = take_directive(&mut v.directives, "inaccessible").is_some();
                    v.directives.retain_mut(carried);
                    (v, inaccessible)
                })
                .collect();
            ty
        }
        TypeDefinition::InputObject(i) => {
            let mut ty = SubType::new(Kind::InputObject, &i.name, i.description);
            apply_type_directives(&mut ty, i.directives);
            ty.input_fields = i.fields.into_iter().map(input_value).collect();
            ty
        }
        TypeDefinition::Scalar(s) => {
            let mut ty = SubType::new(Kind::Scalar, &s.name, s.description);
            apply_type_directives(&mut ty, s.directives);
            ty
        }
    })
}

fn from_extension(
    ext: TypeExtension<'static, Ast>,
    rename: &dyn Fn(&str) -> String,
) -> Option<SubType> {
    Some(match ext {
        TypeExtension::Object(o) => {
            let mut ty = SubType::new(Kind::Object, &rename(&o.name), None);
            ty.implements = o.implements_interfaces;
            apply_type_directives(&mut ty, o.directives);
            ty.fields = o.fields.into_iter().map(sub_field).collect();
            ty
        }
        TypeExtension::Interface(i) => {
            let mut ty = SubType::new(Kind::Interface, &i.name, None);
            apply_type_directives(&mut ty, i.directives);
            ty.fields = i.fields.into_iter().map(sub_field).collect();
            ty
        }
        TypeExtension::Union(u) => {
            let mut ty = SubType::new(Kind::Union, &u.name, None);
            ty.members = u.types;
            ty
        }
        TypeExtension::Enum(e) => {
            let mut ty = SubType::new(Kind::Enum, &e.name, None);
            ty.enum_values = e.values.into_iter().map(|v| (v, false)).collect();
            ty
        }
        TypeExtension::InputObject(i) => {
            let mut ty = SubType::new(Kind::InputObject, &i.name, None);
            ty.input_fields = i.fields.into_iter().map(input_value).collect();
            ty
        }
        TypeExtension::Scalar(s) => SubType::new(Kind::Scalar, &s.name, None),
    })
}

fn apply_type_directives(ty: &mut SubType, directives: Vec<Directive<'static, Ast>>) {
    for directive in directives {
        let name = directive_name(&directive).to_owned();
        match name.as_str() {
            "key" => ty.keys.push(Key {
                fields: string_arg(&directive, "fields").unwrap_or_default(),
                resolvable: !matches!(arg(&directive, "resolvable"), Some(Value::Boolean(false))),
            }),
            "shareable" => ty.shareable = true,
            "inaccessible" => ty.inaccessible = true,
            "interfaceObject" => ty.interface_object = true,
            "extends" => ty.extension = true,
            "context" => ty.contexts.extend(string_arg(&directive, "name")),
            "cost" | "authenticated" | "requiresScopes" | "policy" => {
                let mut directive = directive;
                directive.name = name;
                ty.directives.push(directive);
            }
            _ => {}
        }
    }
}

fn sub_field(mut field: Field<'static, Ast>) -> SubField {
    let external = take_directive(&mut field.directives, "external").is_some();
    let shareable = take_directive(&mut field.directives, "shareable").is_some();
    let inaccessible = take_directive(&mut field.directives, "inaccessible").is_some();
    let requires =
        take_directive(&mut field.directives, "requires").and_then(|d| string_arg(&d, "fields"));
    let provides =
        take_directive(&mut field.directives, "provides").and_then(|d| string_arg(&d, "fields"));
    let overrides = take_directive(&mut field.directives, "override");
    let override_from = overrides.as_ref().and_then(|d| string_arg(d, "from"));
    let override_label = overrides.as_ref().and_then(|d| string_arg(d, "label"));
    field.directives.retain_mut(carried);
    let mut context_arguments = Vec::new();
    let mut arguments = Vec::new();
    for mut argument in std::mem::take(&mut field.arguments) {
        let from = take_directive(&mut argument.directives, "fromContext")
            .and_then(|d| string_arg(&d, "field"));
        match from.as_deref().and_then(parse_context_reference) {
            Some((context, selection)) => context_arguments.push(ContextArgument {
                name: argument.name.clone(),
                argument_type: argument.value_type.to_string(),
                context,
                selection,
            }),
            None => arguments.push(input_value(argument).0),
        }
    }
    field.arguments = arguments;
    SubField {
        ast: field,
        external,
        shareable,
        inaccessible,
        requires,
        provides,
        override_from,
        override_label,
        context_arguments,
    }
}

/// `$name { selection }` -> (name, `{ selection }`).
fn parse_context_reference(field: &str) -> Option<(String, String)> {
    let rest = field.trim().strip_prefix('$')?;
    let end = rest.find(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))?;
    let (name, selection) = rest.split_at(end);
    let selection = selection.trim();
    (!name.is_empty() && !selection.is_empty()).then(|| (name.to_owned(), selection.to_owned()))
}

fn input_value(mut value: InputValue<'static, Ast>) -> (InputValue<'static, Ast>, bool) {
    let inaccessible = take_directive(&mut value.directives, "inaccessible").is_some();
    value.directives.retain_mut(carried);
    (value, inaccessible)
}

/// Directives the supergraph keeps where a subgraph put them: `@deprecated`
/// for clients, `@cost` and `@listSize` (federation 2.9) for the router's
/// cost limits, `@authenticated`, `@requiresScopes` and `@policy`
/// (federation 2.5/2.6) for its authorization. Namespaced forms
/// (`@federation__cost`) lose the prefix.
fn carried(directive: &mut Directive<'static, Ast>) -> bool {
    let name = directive_name(directive);
    let keep = matches!(
        name,
        "deprecated" | "cost" | "listSize" | "authenticated" | "requiresScopes" | "policy"
    );
    if keep && name != directive.name {
        directive.name = name.to_owned();
    }
    keep
}

/// Federation directives may be namespaced (`@federation__key`).
fn directive_name<'a>(directive: &'a Directive<'static, Ast>) -> &'a str {
    directive.name.strip_prefix("federation__").unwrap_or(&directive.name)
}

fn take_directive(
    directives: &mut Vec<Directive<'static, Ast>>,
    name: &str,
) -> Option<Directive<'static, Ast>> {
    let index = directives.iter().position(|d| directive_name(d) == name)?;
    Some(directives.remove(index))
}

fn arg<'a>(directive: &'a Directive<'static, Ast>, name: &str) -> Option<&'a Value<'static, Ast>> {
    directive.arguments.iter().find(|(n, _)| n == name).map(|(_, v)| v)
}

fn string_arg(directive: &Directive<'static, Ast>, name: &str) -> Option<String> {
    match arg(directive, name)? {
        Value::String(s) => Some(s.clone()),
        _ => None,
    }
}

/// The field names at the top level of a field set: `id sku` ->
/// [id, sku]; `id owner { id }` -> [id, owner].
pub fn top_level_fields(field_set: &str) -> Vec<String> {
    let mut depth = 0usize;
    let mut names = Vec::new();
    let mut current = String::new();
    let flush = |current: &mut String, names: &mut Vec<String>| {
        if !current.is_empty() {
            names.push(std::mem::take(current));
        }
    };
    for c in field_set.chars() {
        match c {
            '{' => {
                flush(&mut current, &mut names);
                depth += 1;
            }
            '}' => depth = depth.saturating_sub(1),
            c if c.is_alphanumeric() || c == '_' => {
                if depth == 0 {
                    current.push(c);
                }
            }
            _ => flush(&mut current, &mut names),
        }
    }
    flush(&mut current, &mut names);
    names.retain(|n| n != "on" && !n.starts_with("__"));
    names
}

/// Removes `extend schema @link(...) ...` statements, which carry only
/// federation metadata and which the parser does not accept.
fn strip_schema_extensions(sdl: &str) -> String {
    let mut out = String::with_capacity(sdl.len());
    let mut rest = sdl;
    while let Some(start) = rest.find("extend schema") {
        out.push_str(&rest[..start]);
        let bytes = rest.as_bytes();
        let mut i = start + "extend schema".len();
        loop {
            while i < bytes.len() && bytes[i].is_ascii_whitespace() {
                i += 1;
            }
            if i >= bytes.len() || bytes[i] != b'@' {
                break;
            }
            while i < bytes.len()
                && (bytes[i] == b'@' || bytes[i].is_ascii_alphanumeric() || bytes[i] == b'_')
            {
                i += 1;
            }
            while i < bytes.len() && bytes[i].is_ascii_whitespace() {
                i += 1;
            }
            if i < bytes.len() && bytes[i] == b'(' {
                i = skip_balanced(bytes, i);
            }
        }
        rest = &rest[i..];
    }
    out.push_str(rest);
    out
}

/// From an opening `(`, the index after its matching `)`, minding strings.
fn skip_balanced(bytes: &[u8], mut i: usize) -> usize {
    let mut depth = 0usize;
    let mut in_string = false;
    while i < bytes.len() {
        match bytes[i] {
            b'\\' if in_string => i += 1,
            b'"' => in_string = !in_string,
            b'(' if !in_string => depth += 1,
            b')' if !in_string => {
                depth -= 1;
                if depth == 0 {
                    return i + 1;
                }
            }
            _ => {}
        }
        i += 1;
    }
    i
}

/// `[T!]!` -> `T`.
pub fn named_type<'a>(ty: &'a Type<'static, Ast>) -> &'a str {
    match ty {
        Type::NamedType(name) => name,
        Type::ListType(inner) | Type::NonNullType(inner) => named_type(inner),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn top_level_fields_skips_nested_selections() {
        assert_eq!(top_level_fields("id sku"), ["id", "sku"]);
        assert_eq!(top_level_fields("id owner { id name }"), ["id", "owner"]);
        assert_eq!(top_level_fields("upc,  dims { w h } weight"), ["upc", "dims", "weight"]);
    }

    #[test]
    fn schema_extensions_are_stripped() {
        let sdl = "type A { a: Int }\nextend schema @link(url: \"x(\", import: [\"@key\"]) @other\ntype B { b: Int }";
        let stripped = strip_schema_extensions(sdl);
        assert_eq!(stripped, "type A { a: Int }\ntype B { b: Int }");
    }

    #[test]
    fn graph_enum_names_are_valid_identifiers() {
        assert_eq!(graph_enum_name("users"), "USERS");
        assert_eq!(graph_enum_name("my-service.v2"), "MY_SERVICE_V2");
        assert_eq!(graph_enum_name("3d"), "_3D");
    }
}
