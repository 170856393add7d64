//! Coerces the request's `variables` against the operation's variable
//! definitions and the API schema, as the spec's CoerceVariableValues does:
//! defaults applied, required values present, every value of its type.

use graphql_tools::static_graphql::query::{Type, Value as AstValue, VariableDefinition};
use serde_json::{Map, Value};

use crate::{
    error::{BAD_USER_INPUT, GraphqlError},
    schema::{SchemaIndex, TypeKind},
};

pub fn coerce(
    definitions: &[VariableDefinition],
    provided: &Map<String, Value>,
    schema: &SchemaIndex,
) -> Result<Map<String, Value>, Vec<GraphqlError>> {
    let mut coerced = Map::new();
    let mut errors = Vec::new();
    for definition in definitions {
        let name = &definition.name;
        let value = match (provided.get(name), &definition.default_value) {
            (Some(value), _) => value.clone(),
            (None, Some(default)) => ast_to_json(default),
            (None, None) => {
                if matches!(definition.var_type, Type::NonNullType(_)) {
                    errors.push(GraphqlError::new(
                        format!(
                            "Variable \"${name}\" of required type \"{}\" was not provided.",
                            definition.var_type
                        ),
                        BAD_USER_INPUT,
                    ));
                }
                continue;
            }
        };
        match check(&value, &definition.var_type, schema) {
            Ok(value) => {
                coerced.insert(name.clone(), value);
            }
            Err(reason) => errors.push(GraphqlError::new(
                format!("Variable \"${name}\" got invalid value {value}; {reason}"),
                BAD_USER_INPUT,
            )),
        }
    }
    if errors.is_empty() { Ok(coerced) } else { Err(errors) }
}

fn check(value: &Value, ty: &Type, schema: &SchemaIndex) -> Result<Value, String> {
    match ty {
        Type::NonNullType(inner) => {
            if value.is_null() {
                return Err(format!("expected a non-null {inner}"));
            }
            check(value, inner, schema)
        }
        _ if value.is_null() => Ok(Value::Null),
        Type::ListType(inner) => match value {
            Value::Array(items) => items
                .iter()
                .map(|i| check(i, inner, schema))
                .collect::<Result<_, _>>()
                .map(Value::Array),
            // A single value where a list is expected is a list of one.
            single => Ok(Value::Array(vec![check(single, inner, schema)?])),
        },
        Type::NamedType(name) => check_named(value, name, schema),
    }
}

fn check_named(value: &Value, name: &str, schema: &SchemaIndex) -> Result<Value, String> {
    let invalid = || format!("expected type {name}");
    match name {
        "Int" => {
            let n = value
                .as_i64()
                .filter(|n| i32::try_from(*n).is_ok())
                .ok_or_else(|| format!("{} (a 32-bit integer)", invalid()))?;
            return Ok(Value::from(n));
        }
        "Float" => return value.as_f64().map(Value::from).ok_or_else(invalid),
        "String" => return value.as_str().map(Value::from).ok_or_else(invalid),
        "Boolean" => return value.as_bool().map(Value::from).ok_or_else(invalid),
        "ID" => {
            return match value {
                Value::String(s) => Ok(Value::from(s.as_str())),
                Value::Number(n) if n.is_i64() => Ok(Value::from(n.to_string())),
                _ => Err(invalid()),
            };
        }
        _ => {}
    }
    let info = schema.types.get(name).ok_or_else(|| format!("unknown type {name}"))?;
    match info.kind {
        TypeKind::Scalar => Ok(value.clone()),
        TypeKind::Enum => match value.as_str() {
            Some(v) if info.enum_values.contains(v) => Ok(value.clone()),
            _ => Err(format!("expected one of {name}'s values")),
        },
        TypeKind::InputObject => {
            let Value::Object(object) = value else { return Err(invalid()) };
            if let Some(unknown) = object.keys().find(|k| !info.input_fields.contains_key(*k)) {
                return Err(format!("field \"{unknown}\" is not defined by type {name}"));
            }
            let mut out = Map::new();
            for (field_name, field) in &info.input_fields {
                match (object.get(field_name), &field.default_value) {
                    (Some(v), _) => {
                        let v = check(v, &field.value_type, schema)
                            .map_err(|e| format!("at \"{field_name}\": {e}"))?;
                        out.insert(field_name.clone(), v);
                    }
                    (None, Some(default)) => {
                        out.insert(field_name.clone(), ast_to_json(default));
                    }
                    (None, None) if matches!(field.value_type, Type::NonNullType(_)) => {
                        return Err(format!(
                            "field \"{field_name}\" of required type {} was not provided",
                            field.value_type
                        ));
                    }
                    (None, None) => {}
                }
            }
            Ok(Value::Object(out))
        }
        _ => Err(format!("{name} is not an input type")),
    }
}

fn ast_to_json(value: &AstValue) -> Value {
    match value {
        AstValue::Int(n) => n.as_i64().map(Value::from).unwrap_or(Value::Null),
        AstValue::Float(f) => Value::from(*f),
        AstValue::String(s) => Value::from(s.as_str()),
        AstValue::Boolean(b) => Value::from(*b),
        AstValue::Enum(e) => Value::from(e.as_str()),
        AstValue::List(items) => Value::Array(items.iter().map(ast_to_json).collect()),
        AstValue::Object(fields) => {
            Value::Object(fields.iter().map(|(k, v)| (k.clone(), ast_to_json(v))).collect())
        }
        AstValue::Null | AstValue::Variable(_) => Value::Null,
    }
}
