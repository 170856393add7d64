//! A lookup view of the API schema (the supergraph minus `join__*`,
//! federation internals and `@inaccessible` elements): what the router
//! validates against, answers introspection from and shapes responses by.

/// Looked up for every field of every response: a fast hasher (the keys
/// are schema names, not attacker-chosen).
pub type HashMap<K, V> = std::collections::HashMap<K, V, foldhash::fast::RandomState>;
pub type HashSet<T> = std::collections::HashSet<T, foldhash::fast::RandomState>;

use std::sync::Arc;

use graphql_tools::static_graphql::schema::{
    Definition, Document, Field, InputValue, Type, TypeDefinition,
};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TypeKind {
    Scalar,
    Object,
    Interface,
    Union,
    Enum,
    InputObject,
}

/// A type's fields by name.
pub type FieldDefinitions = HashMap<String, FieldInfo>;

/// A field as the response writer needs it.
#[derive(Debug)]
pub struct FieldInfo {
    pub definition: Field,
    /// The values the field's enum type has in the API schema, when its
    /// named type is an enum: a subgraph may return one the API schema
    /// hides (`@inaccessible`), which the client must see as `null`.
    pub enum_values: Option<Arc<HashSet<String>>>,
}

#[derive(Debug)]
pub struct TypeInfo {
    pub kind: TypeKind,
    pub definition: TypeDefinition,
    pub fields: FieldDefinitions,
    pub input_fields: HashMap<String, InputValue>,
    pub enum_values: Arc<HashSet<String>>,
}

#[derive(Debug)]
pub struct SchemaIndex {
    pub document: Document,
    pub types: HashMap<String, TypeInfo>,
    /// Abstract type -> the object types that belong to it.
    pub possible_types: HashMap<String, HashSet<String>>,
    pub query_type: String,
    pub mutation_type: Option<String>,
    pub subscription_type: Option<String>,
}

const BUILTIN_SCALARS: &[&str] = &["String", "Int", "Float", "Boolean", "ID"];

impl SchemaIndex {
    pub fn new(document: Document) -> Self {
        let mut types = HashMap::default();
        let mut possible_types: HashMap<String, HashSet<String>> = HashMap::default();
        for scalar in BUILTIN_SCALARS {
            let definition = TypeDefinition::Scalar(
                graphql_tools::static_graphql::schema::ScalarType::new((*scalar).to_owned()),
            );
            types.insert((*scalar).to_owned(), TypeInfo::new(TypeKind::Scalar, definition));
        }
        for definition in &document.definitions {
            let Definition::TypeDefinition(def) = definition else { continue };
            let (name, kind) = match def {
                TypeDefinition::Scalar(s) => (&s.name, TypeKind::Scalar),
                TypeDefinition::Object(o) => {
                    for interface in &o.implements_interfaces {
                        possible_types.entry(interface.clone()).or_default().insert(o.name.clone());
                    }
                    (&o.name, TypeKind::Object)
                }
                TypeDefinition::Interface(i) => (&i.name, TypeKind::Interface),
                TypeDefinition::Union(u) => {
                    possible_types
                        .entry(u.name.clone())
                        .or_default()
                        .extend(u.types.iter().cloned());
                    (&u.name, TypeKind::Union)
                }
                TypeDefinition::Enum(e) => (&e.name, TypeKind::Enum),
                TypeDefinition::InputObject(i) => (&i.name, TypeKind::InputObject),
            };
            types.insert(name.clone(), TypeInfo::new(kind, def.clone()));
        }
        prune_hidden_references(&mut types, &mut possible_types);
        link_enum_values(&mut types);
        let query_type = document.query_type_name().cloned().unwrap_or_else(|| "Query".into());
        let mutation_type =
            document.mutation_type_name().cloned().filter(|n| types.contains_key(n));
        let subscription_type =
            document.subscription_type_name().cloned().filter(|n| types.contains_key(n));
        Self { document, types, possible_types, query_type, mutation_type, subscription_type }
    }

    pub fn kind(&self, type_name: &str) -> Option<TypeKind> {
        self.types.get(type_name).map(|t| t.kind)
    }

    pub fn is_abstract(&self, type_name: &str) -> bool {
        matches!(self.kind(type_name), Some(TypeKind::Interface | TypeKind::Union))
    }

    /// Whether an object of `concrete` type matches a fragment on `condition`.
    pub fn type_matches(&self, concrete: &str, condition: &str) -> bool {
        concrete == condition
            || self.possible_types.get(condition).is_some_and(|members| members.contains(concrete))
    }
}

impl TypeInfo {
    fn new(kind: TypeKind, definition: TypeDefinition) -> Self {
        let mut fields = HashMap::default();
        let mut input_fields = HashMap::default();
        let mut enum_values = HashSet::default();
        match &definition {
            TypeDefinition::Object(o) => fields.extend(o.fields.iter().map(field_info)),
            TypeDefinition::Interface(i) => fields.extend(i.fields.iter().map(field_info)),
            TypeDefinition::InputObject(i) => {
                input_fields.extend(i.fields.iter().map(|f| (f.name.clone(), f.clone())));
            }
            TypeDefinition::Enum(e) => {
                enum_values.extend(e.values.iter().map(|v| v.name.clone()));
            }
            _ => {}
        }
        Self { kind, definition, fields, input_fields, enum_values: Arc::new(enum_values) }
    }
}

fn field_info(field: &Field) -> (String, FieldInfo) {
    (field.name.clone(), FieldInfo { definition: field.clone(), enum_values: None })
}

/// The planner's API schema drops `@inaccessible` types but leaves union
/// members and implemented interfaces that name them: drop those too, so
/// that introspection never names a missing type and an object of a hidden
/// type is not a possible type of anything.
fn prune_hidden_references(
    types: &mut HashMap<String, TypeInfo>,
    possible_types: &mut HashMap<String, HashSet<String>>,
) {
    let known: HashSet<String> = types.keys().cloned().collect();
    for members in possible_types.values_mut() {
        members.retain(|member| known.contains(member));
    }
    for info in types.values_mut() {
        match &mut info.definition {
            TypeDefinition::Union(union) => union.types.retain(|m| known.contains(m)),
            TypeDefinition::Object(object) => {
                object.implements_interfaces.retain(|i| known.contains(i));
            }
            TypeDefinition::Interface(interface) => {
                interface.implements_interfaces.retain(|i| known.contains(i));
            }
            _ => {}
        }
    }
}

/// Gives every field whose named type is an enum that enum's values.
fn link_enum_values(types: &mut HashMap<String, TypeInfo>) {
    let enums: HashMap<String, Arc<HashSet<String>>> = types
        .iter()
        .filter(|(_, info)| info.kind == TypeKind::Enum)
        .map(|(name, info)| (name.clone(), info.enum_values.clone()))
        .collect();
    for info in types.values_mut() {
        for field in info.fields.values_mut() {
            field.enum_values = enums.get(named_type(&field.definition.field_type)).cloned();
        }
    }
}

/// `[T!]!` -> `T`.
pub fn named_type(ty: &Type) -> &str {
    match ty {
        Type::NamedType(name) => name,
        Type::ListType(inner) | Type::NonNullType(inner) => named_type(inner),
    }
}

/// `(a: 1)`: made-up values for the required arguments, for tools that
/// build operations from the schema (the satisfiability check, the
/// differential harness); `None` when one cannot be made up (an input
/// object).
pub fn sample_arguments(schema: &SchemaIndex, arguments: &[InputValue]) -> Option<String> {
    let mut filled = Vec::new();
    for argument in arguments {
        if matches!(argument.value_type, Type::NonNullType(_)) && argument.default_value.is_none() {
            filled.push(format!("{}: {}", argument.name, sample(schema, &argument.value_type)?));
        }
    }
    Some(if filled.is_empty() { String::new() } else { format!("({})", filled.join(", ")) })
}

fn sample(schema: &SchemaIndex, ty: &Type) -> Option<String> {
    match ty {
        Type::NonNullType(inner) => sample(schema, inner),
        Type::ListType(_) => Some("[]".into()),
        Type::NamedType(name) => match schema.types.get(name).map(|t| &t.definition) {
            Some(TypeDefinition::Enum(e)) => e.values.first().map(|v| v.name.clone()),
            Some(TypeDefinition::InputObject(_)) => None,
            _ => Some(match name.as_str() {
                "Int" => "1".into(),
                "Float" => "1.0".into(),
                "Boolean" => "true".into(),
                _ => "\"1\"".into(),
            }),
        },
    }
}

/// One subgraph of a supergraph: `USERS @join__graph(name: "users", url: "…")`.
pub struct JoinGraph {
    /// Its `join__Graph` enum value (`USERS`).
    pub enum_value: String,
    pub name: String,
    pub url: String,
}

/// The subgraphs a supergraph's `join__Graph` enum lists.
pub fn join_graphs(document: &Document) -> Vec<JoinGraph> {
    use graphql_tools::static_graphql::schema::Value;
    let mut graphs = Vec::new();
    for definition in &document.definitions {
        let Definition::TypeDefinition(TypeDefinition::Enum(e)) = definition else { continue };
        if e.name != "join__Graph" {
            continue;
        }
        for value in &e.values {
            let Some(directive) = value.directives.iter().find(|d| d.name == "join__graph") else {
                continue;
            };
            let arg = |n: &str| {
                directive.arguments.iter().find(|(k, _)| k == n).and_then(|(_, v)| match v {
                    Value::String(s) => Some(s.clone()),
                    _ => None,
                })
            };
            if let (Some(name), Some(url)) = (arg("name"), arg("url")) {
                graphs.push(JoinGraph { enum_value: value.name.clone(), name, url });
            }
        }
    }
    graphs
}
