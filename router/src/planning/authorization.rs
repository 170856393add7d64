//! The authorization directives of federation 2.5/2.6, enforced by the
//! router before planning: `@authenticated` (a verified token),
//! `@requiresScopes(scopes: [[…]])` (the token's scopes hold one inner list
//! in full) and `@policy(policies: [[…]])` (one inner list of policies all
//! pass, each a configured rule on the claims). A requirement on a field
//! applies to it; one on a type applies to every field returning it.
//!
//! An unauthorized field is taken out of what is planned (nothing is
//! fetched for it) but stays in the shape of the response, so it is
//! answered with `null`, with null propagation where it may not be null,
//! and an error at its path: `UNAUTHENTICATED` without a token, else
//! `FORBIDDEN`. `reject_unauthorized` refuses the whole operation instead.

use std::collections::HashMap;

use graphql_tools::static_graphql::schema::{
    Definition, Directive, Document, TypeDefinition, Value,
};
use serde::Deserialize;
use serde_json::Value as JsonValue;

use super::{FieldSelection, SelectionItem, SelectionSet};
use crate::{
    error::GraphqlError,
    schema::{SchemaIndex, named_type},
};

pub const FORBIDDEN: &str = "FORBIDDEN";
pub const UNAUTHENTICATED: &str = "UNAUTHENTICATED";

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct AuthorizationConfig {
    /// Refuse an operation with an unauthorized field instead of answering
    /// the rest. `ROUTER_AUTHORIZATION_REJECT`, default false.
    pub reject_unauthorized: bool,
    /// `@policy` names and the rule each stands for.
    pub policies: HashMap<String, PolicyRule>,
}

/// A rule on one claim: it equals a value, or (an array or a
/// space-separated string) contains one.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PolicyRule {
    pub claim: String,
    pub equals: Option<JsonValue>,
    pub contains: Option<JsonValue>,
}

impl PolicyRule {
    fn passes(&self, claims: &serde_json::Map<String, JsonValue>) -> bool {
        let Some(value) = claims.get(&self.claim) else { return false };
        if let Some(expected) = &self.equals {
            return value == expected;
        }
        if let Some(item) = &self.contains {
            return match value {
                JsonValue::Array(items) => items.contains(item),
                JsonValue::String(text) => {
                    item.as_str().is_some_and(|i| text.split_whitespace().any(|w| w == i))
                }
                _ => false,
            };
        }
        false
    }
}

#[derive(Debug, Clone, Default)]
struct Requirement {
    authenticated: bool,
    /// Any inner list, in full.
    scopes: Vec<Vec<String>>,
    policies: Vec<Vec<String>>,
}

impl Requirement {
    fn is_empty(&self) -> bool {
        !self.authenticated && self.scopes.is_empty() && self.policies.is_empty()
    }

    fn read(directives: &[Directive]) -> Self {
        let lists = |name: &str, argument: &str| -> Vec<Vec<String>> {
            directives
                .iter()
                .filter(|d| d.name == name)
                .flat_map(|d| d.arguments.iter().filter(|(a, _)| a == argument))
                .flat_map(|(_, value)| match value {
                    Value::List(outer) => outer
                        .iter()
                        .map(|inner| match inner {
                            Value::List(items) => items.iter().filter_map(string).collect(),
                            other => string(other).into_iter().collect(),
                        })
                        .collect::<Vec<Vec<String>>>(),
                    _ => Vec::new(),
                })
                .collect()
        };
        Self {
            authenticated: directives.iter().any(|d| d.name == "authenticated"),
            scopes: lists("requiresScopes", "scopes"),
            policies: lists("policy", "policies"),
        }
    }
}

fn string(value: &Value) -> Option<String> {
    match value {
        Value::String(s) | Value::Enum(s) => Some(s.clone()),
        _ => None,
    }
}

/// The claims of the caller, or none.
pub type Claims = serde_json::Map<String, JsonValue>;

#[derive(Debug, Default)]
pub struct AuthorizationModel {
    fields: HashMap<String, HashMap<String, Requirement>>,
    types: HashMap<String, Requirement>,
}

impl AuthorizationModel {
    pub fn read(supergraph: &Document) -> Self {
        let mut model = Self::default();
        for definition in &supergraph.definitions {
            let Definition::TypeDefinition(ty) = definition else { continue };
            let (name, directives, fields) = match ty {
                TypeDefinition::Object(o) => (&o.name, &o.directives, o.fields.as_slice()),
                TypeDefinition::Interface(i) => (&i.name, &i.directives, i.fields.as_slice()),
                TypeDefinition::Scalar(s) => (&s.name, &s.directives, &[][..]),
                TypeDefinition::Enum(e) => (&e.name, &e.directives, &[][..]),
                _ => continue,
            };
            let own = Requirement::read(directives);
            if !own.is_empty() {
                model.types.insert(name.clone(), own);
            }
            for field in fields {
                let requirement = Requirement::read(&field.directives);
                if !requirement.is_empty() {
                    model
                        .fields
                        .entry(name.clone())
                        .or_default()
                        .insert(field.name.clone(), requirement);
                }
            }
        }
        model
    }

    pub fn is_empty(&self) -> bool {
        self.fields.is_empty() && self.types.is_empty()
    }

    /// `selections` without the fields these claims may not see (each
    /// replaced by a hidden `__typename`), and an error for each.
    pub fn filter(
        &self,
        selections: &SelectionSet,
        root: &str,
        claims: Option<&Claims>,
        config: &AuthorizationConfig,
        schema: &SchemaIndex,
    ) -> (SelectionSet, Vec<GraphqlError>) {
        let mut filtered = selections.clone();
        let mut denied = Vec::new();
        let check = Check { model: self, claims, config, schema };
        check.walk(&mut filtered, root, &mut Vec::new(), &mut denied);
        (filtered, denied)
    }
}

struct Check<'c> {
    model: &'c AuthorizationModel,
    claims: Option<&'c Claims>,
    config: &'c AuthorizationConfig,
    schema: &'c SchemaIndex,
}

impl Check<'_> {
    fn walk(
        &self,
        set: &mut SelectionSet,
        parent: &str,
        path: &mut Vec<JsonValue>,
        denied: &mut Vec<GraphqlError>,
    ) {
        for item in &mut set.items {
            match item {
                SelectionItem::Field(field) => {
                    if field.name.starts_with("__") {
                        continue;
                    }
                    let Some(definition) =
                        self.schema.types.get(parent).and_then(|t| t.fields.get(&field.name))
                    else {
                        continue;
                    };
                    let named = named_type(&definition.definition.field_type).to_owned();
                    path.push(JsonValue::from(field.selection_identifier()));
                    let requirements = [
                        self.model.fields.get(parent).and_then(|f| f.get(&field.name)),
                        self.model.types.get(&named),
                    ];
                    match requirements.into_iter().flatten().find_map(|r| self.refusal(r)) {
                        Some(code) => {
                            let coordinate = format!("{parent}.{}", field.name);
                            let message = match code {
                                UNAUTHENTICATED => format!("{coordinate} needs a signed-in caller"),
                                _ => format!("the caller may not see {coordinate}"),
                            };
                            denied.push(GraphqlError::new(message, code).at(path.clone()));
                            *field = FieldSelection::new_skipped_typename();
                        }
                        None if !field.selections.is_empty() => {
                            self.walk(&mut field.selections, &named, path, denied);
                        }
                        None => {}
                    }
                    path.pop();
                }
                SelectionItem::InlineFragment(fragment) => {
                    let condition = fragment.type_condition.clone();
                    self.walk(&mut fragment.selections, &condition, path, denied);
                }
                SelectionItem::FragmentSpread(_) => {}
            }
        }
    }

    /// Why `requirement` is not met, as an error code.
    fn refusal(&self, requirement: &Requirement) -> Option<&'static str> {
        let Some(claims) = self.claims else {
            return (!requirement.is_empty()).then_some(UNAUTHENTICATED);
        };
        let scopes = granted_scopes(claims);
        let scopes_ok = requirement.scopes.is_empty()
            || requirement
                .scopes
                .iter()
                .any(|all| all.iter().all(|s| scopes.contains(&s.as_str())));
        let policies_ok = requirement.policies.is_empty()
            || requirement.policies.iter().any(|all| {
                all.iter()
                    .all(|p| self.config.policies.get(p).is_some_and(|rule| rule.passes(claims)))
            });
        (!(scopes_ok && policies_ok)).then_some(FORBIDDEN)
    }
}

/// `scope` (space-separated, OAuth 2), or `scp`/`scopes` (arrays).
fn granted_scopes(claims: &Claims) -> Vec<&str> {
    let mut scopes = Vec::new();
    for key in ["scope", "scp", "scopes"] {
        match claims.get(key) {
            Some(JsonValue::String(text)) => scopes.extend(text.split_whitespace()),
            Some(JsonValue::Array(items)) => {
                scopes.extend(items.iter().filter_map(JsonValue::as_str))
            }
            _ => {}
        }
    }
    scopes
}
