//! The router answers introspection itself, from the API schema. The whole
//! `__schema` tree is built and written as JSON once per supergraph; a
//! request parses that text like a subgraph response, and the response
//! writer selects what the client asked for, as for any other data.

use std::collections::HashMap;

use graphql_tools::static_graphql::schema::{
    Definition, DirectiveDefinition, Field, InputValue, Type, TypeDefinition,
};
use hive_router_query_planner::ast::value::Value as AstValue;
use serde_json::{Map, Value, json};

use super::{parse, value};
use crate::{
    planning::{SelectionItem, SelectionSet},
    schema::SchemaIndex,
};

/// `__schema` and each `__type`, as JSON text.
pub struct Introspection {
    schema: String,
    types: HashMap<String, String>,
}

impl Introspection {
    pub fn new(index: &SchemaIndex) -> Self {
        let mut names: Vec<&String> = index.types.keys().collect();
        names.sort();
        let types: HashMap<String, Value> =
            names.iter().map(|n| ((*n).clone(), type_value(index, n))).collect();
        let mut directives: Vec<Value> = index
            .document
            .definitions
            .iter()
            .filter_map(|d| match d {
                Definition::DirectiveDefinition(d) => Some(directive_value(d)),
                _ => None,
            })
            .collect();
        // The built-in ones the schema document does not define itself.
        for builtin in builtin_directives() {
            if !directives.iter().any(|d| d["name"] == builtin["name"]) {
                directives.push(builtin);
            }
        }
        let root =
            |name: &Option<String>| name.as_ref().map(|n| json!({ "kind": "OBJECT", "name": n }));
        let schema = json!({
            "description": null,
            "queryType": { "kind": "OBJECT", "name": index.query_type },
            "mutationType": root(&index.mutation_type),
            "subscriptionType": root(&index.subscription_type),
            "types": names.iter().map(|n| types[*n].clone()).collect::<Vec<_>>(),
            "directives": directives,
        });
        let types = types.into_iter().map(|(name, value)| (name, value.to_string())).collect();
        Self { schema: schema.to_string(), types }
    }

    /// Fills `__schema` and `__type` root fields into `data`.
    pub fn resolve_root<'a>(
        &'a self,
        selection: &'a SelectionSet,
        variables: &Map<String, Value>,
        data: &mut value::Value<'a>,
    ) {
        let value::Value::Object(data) = data else { return };
        for item in &selection.items {
            let SelectionItem::Field(field) = item else { continue };
            let text = match field.name.as_str() {
                "__schema" => Some(self.schema.as_str()),
                "__type" => {
                    let name = field.arguments().and_then(|a| a.get_argument("name")).and_then(
                        |v| match v {
                            AstValue::String(s) => Some(s.clone()),
                            AstValue::Variable(var) => {
                                variables.get(var).and_then(Value::as_str).map(str::to_owned)
                            }
                            _ => None,
                        },
                    );
                    name.and_then(|n| self.types.get(&n)).map(String::as_str)
                }
                _ => continue,
            };
            // The text was written by serde_json, so it parses.
            let parsed = text.and_then(|t| parse::value(t).ok()).unwrap_or(value::Value::Null);
            value::set(data, field.selection_identifier(), parsed);
        }
    }
}

fn type_value(index: &SchemaIndex, name: &str) -> Value {
    let info = &index.types[name];
    let (kind, description) = match &info.definition {
        TypeDefinition::Scalar(s) => ("SCALAR", &s.description),
        TypeDefinition::Object(o) => ("OBJECT", &o.description),
        TypeDefinition::Interface(i) => ("INTERFACE", &i.description),
        TypeDefinition::Union(u) => ("UNION", &u.description),
        TypeDefinition::Enum(e) => ("ENUM", &e.description),
        TypeDefinition::InputObject(i) => ("INPUT_OBJECT", &i.description),
    };
    let mut value = json!({
        "kind": kind,
        "name": name,
        "description": description,
        "specifiedByURL": null,
        "fields": null,
        "interfaces": null,
        "possibleTypes": null,
        "enumValues": null,
        "inputFields": null,
        "ofType": null,
    });
    let ref_list = |names: &[String]| -> Value {
        names
            .iter()
            .map(|n| json!({ "kind": kind_of(index, n), "name": n, "ofType": null }))
            .collect()
    };
    match &info.definition {
        TypeDefinition::Object(o) => {
            value["fields"] = visible_fields(index, &o.fields);
            value["interfaces"] = ref_list(&o.implements_interfaces);
        }
        TypeDefinition::Interface(i) => {
            value["fields"] = visible_fields(index, &i.fields);
            value["interfaces"] = ref_list(&i.implements_interfaces);
            let mut possible: Vec<String> = index
                .possible_types
                .get(name)
                .map(|s| s.iter().cloned().collect())
                .unwrap_or_default();
            possible.sort();
            value["possibleTypes"] = ref_list(&possible);
        }
        TypeDefinition::Union(u) => value["possibleTypes"] = ref_list(&u.types),
        TypeDefinition::Enum(e) => {
            value["enumValues"] = e
                .values
                .iter()
                .map(|v| {
                    let (deprecated, reason) = deprecation(&v.directives);
                    json!({ "name": v.name, "description": v.description, "isDeprecated": deprecated, "deprecationReason": reason })
                })
                .collect();
        }
        TypeDefinition::InputObject(i) => {
            value["inputFields"] = i.fields.iter().map(|f| input_value(index, f)).collect();
        }
        TypeDefinition::Scalar(_) => {}
    }
    value
}

/// A type's fields as introspection lists them: without the meta-fields
/// (`__schema`, `__type`) that the schema used for planning declares on
/// the root type. Clients build a schema from this answer, and GraphQL
/// forbids `__` names there (GraphiQL refuses the whole schema).
fn visible_fields(index: &SchemaIndex, fields: &[Field]) -> Value {
    fields.iter().filter(|f| !f.name.starts_with("__")).map(|f| field_value(index, f)).collect()
}

fn field_value(index: &SchemaIndex, field: &Field) -> Value {
    let (deprecated, reason) = deprecation(&field.directives);
    json!({
        "name": field.name,
        "description": field.description,
        "args": field.arguments.iter().map(|a| input_value(index, a)).collect::<Vec<_>>(),
        "type": type_ref(index, &field.field_type),
        "isDeprecated": deprecated,
        "deprecationReason": reason,
    })
}

fn input_value(index: &SchemaIndex, value: &InputValue) -> Value {
    let (deprecated, reason) = deprecation(&value.directives);
    json!({
        "name": value.name,
        "description": value.description,
        "type": type_ref(index, &value.value_type),
        "defaultValue": value.default_value.as_ref().map(ToString::to_string),
        "isDeprecated": deprecated,
        "deprecationReason": reason,
    })
}

fn type_ref(index: &SchemaIndex, ty: &Type) -> Value {
    match ty {
        Type::NonNullType(inner) => {
            json!({ "kind": "NON_NULL", "name": null, "ofType": type_ref(index, inner) })
        }
        Type::ListType(inner) => {
            json!({ "kind": "LIST", "name": null, "ofType": type_ref(index, inner) })
        }
        Type::NamedType(name) => {
            json!({ "kind": kind_of(index, name), "name": name, "ofType": null })
        }
    }
}

fn kind_of(index: &SchemaIndex, name: &str) -> &'static str {
    match index.types.get(name).map(|t| &t.definition) {
        Some(TypeDefinition::Object(_)) => "OBJECT",
        Some(TypeDefinition::Interface(_)) => "INTERFACE",
        Some(TypeDefinition::Union(_)) => "UNION",
        Some(TypeDefinition::Enum(_)) => "ENUM",
        Some(TypeDefinition::InputObject(_)) => "INPUT_OBJECT",
        _ => "SCALAR",
    }
}

fn deprecation(directives: &[graphql_tools::static_graphql::schema::Directive]) -> (bool, Value) {
    match directives.iter().find(|d| d.name == "deprecated") {
        Some(d) => {
            let reason = d
                .arguments
                .iter()
                .find(|(n, _)| n == "reason")
                .map(|(_, v)| v.to_string().trim_matches('"').to_owned())
                .unwrap_or_else(|| "No longer supported".to_owned());
            (true, Value::from(reason))
        }
        None => (false, Value::Null),
    }
}

fn directive_value(d: &DirectiveDefinition) -> Value {
    json!({
        "name": d.name,
        "description": d.description,
        "isRepeatable": d.repeatable,
        "locations": d.locations.iter().map(|l| l.as_str()).collect::<Vec<_>>(),
        "args": d.arguments.iter().map(|a| json!({
            "name": a.name, "description": a.description,
            "type": { "kind": "SCALAR", "name": crate::schema::named_type(&a.value_type), "ofType": null },
            "defaultValue": a.default_value.as_ref().map(ToString::to_string),
            "isDeprecated": false, "deprecationReason": null,
        })).collect::<Vec<_>>(),
    })
}

fn builtin_directives() -> Vec<Value> {
    let boolean_if = json!([{ "name": "if", "description": null, "defaultValue": null, "isDeprecated": false, "deprecationReason": null,
        "type": { "kind": "NON_NULL", "name": null, "ofType": { "kind": "SCALAR", "name": "Boolean", "ofType": null } } }]);
    vec![
        json!({ "name": "include", "description": "Include only when `if` is true.", "isRepeatable": false,
                "locations": ["FIELD", "FRAGMENT_SPREAD", "INLINE_FRAGMENT"], "args": boolean_if }),
        json!({ "name": "skip", "description": "Skip when `if` is true.", "isRepeatable": false,
                "locations": ["FIELD", "FRAGMENT_SPREAD", "INLINE_FRAGMENT"], "args": boolean_if }),
        json!({ "name": "deprecated", "description": "Marks an element as deprecated.", "isRepeatable": false,
                "locations": ["FIELD_DEFINITION", "ARGUMENT_DEFINITION", "INPUT_FIELD_DEFINITION", "ENUM_VALUE"],
                "args": [{ "name": "reason", "description": null, "defaultValue": "\"No longer supported\"",
                           "isDeprecated": false, "deprecationReason": null,
                           "type": { "kind": "SCALAR", "name": "String", "ofType": null } }] }),
        json!({ "name": "defer", "description": "Delivers the fragment in a later part of an incremental response.", "isRepeatable": false,
                "locations": ["FRAGMENT_SPREAD", "INLINE_FRAGMENT"],
                "args": [
                    { "name": "label", "description": null, "defaultValue": null, "isDeprecated": false, "deprecationReason": null,
                      "type": { "kind": "SCALAR", "name": "String", "ofType": null } },
                    { "name": "if", "description": null, "defaultValue": "true", "isDeprecated": false, "deprecationReason": null,
                      "type": { "kind": "NON_NULL", "name": null, "ofType": { "kind": "SCALAR", "name": "Boolean", "ofType": null } } },
                ] }),
    ]
}
