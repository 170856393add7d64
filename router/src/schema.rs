//! A lookup view of the API schema (the supergraph minus `join__*`,
//! federation internals and `@inaccessible` elements): what the router
//! validates against, answers introspection from and shapes responses by.

/// Looked up for every field of every response: a fast hasher (the keys
/// are schema names, not attacker-chosen).
type HashMap<K, V> = std::collections::HashMap<K, V, foldhash::fast::RandomState>;
type HashSet<T> = std::collections::HashSet<T, foldhash::fast::RandomState>;

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
pub type FieldDefinitions = HashMap<String, Field>;

#[derive(Debug)]
pub struct TypeInfo {
    pub kind: TypeKind,
    pub definition: TypeDefinition,
    pub fields: FieldDefinitions,
    pub input_fields: HashMap<String, InputValue>,
    pub enum_values: HashSet<String>,
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
            TypeDefinition::Object(o) => {
                fields.extend(o.fields.iter().map(|f| (f.name.clone(), f.clone())));
            }
            TypeDefinition::Interface(i) => {
                fields.extend(i.fields.iter().map(|f| (f.name.clone(), f.clone())));
            }
            TypeDefinition::InputObject(i) => {
                input_fields.extend(i.fields.iter().map(|f| (f.name.clone(), f.clone())));
            }
            TypeDefinition::Enum(e) => {
                enum_values.extend(e.values.iter().map(|v| v.name.clone()));
            }
            _ => {}
        }
        Self { kind, definition, fields, input_fields, enum_values }
    }
}

/// `[T!]!` -> `T`.
pub fn named_type(ty: &Type) -> &str {
    match ty {
        Type::NamedType(name) => name,
        Type::ListType(inner) | Type::NonNullType(inner) => named_type(inner),
    }
}
