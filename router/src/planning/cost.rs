//! Demand control: an operation's cost estimated before anything is
//! fetched, from the supergraph's `@cost(weight:)` and
//! `@listSize(assumedSize:, slicingArguments:, sizedFields:)` (the IBM
//! GraphQL cost directives, federation 2.9), with defaults where they are
//! absent:
//! - an object, interface or union costs 1, a scalar or enum 0, unless
//!   `@cost` on the field or its type says otherwise; a mutation's root
//!   field costs 10;
//! - a list multiplies the cost of one item by its size: the value of a
//!   slicing argument (the largest given), else `assumedSize`, else the
//!   configured default; with `sizedFields` the size applies to those child
//!   fields instead (connections);
//! - of an abstract type's fragments, the most expensive counts;
//! - an argument given in the operation adds its `@cost`.

use std::collections::HashMap;

use graphql_tools::static_graphql::schema::{
    Definition, Directive, Document, Field, TypeDefinition, Value as SchemaValue,
};
use hive_router_query_planner::ast::value::Value;
use serde_json::{Map, Value as JsonValue};

use super::{FieldSelection, Kind, PreparedOperation, SelectionItem, SelectionSet};
use crate::schema::{SchemaIndex, TypeKind, named_type};

const MUTATION_FIELD_WEIGHT: u64 = 10;

#[derive(Debug, Default)]
pub struct CostModel {
    /// Type -> field -> what its directives say.
    fields: HashMap<String, HashMap<String, FieldCost>>,
    /// `@cost` on a type.
    types: HashMap<String, u64>,
}

#[derive(Debug, Default)]
struct FieldCost {
    weight: Option<u64>,
    arguments: Vec<(String, u64)>,
    assumed_size: Option<u64>,
    slicing_arguments: Vec<String>,
    sized_fields: Vec<String>,
}

impl CostModel {
    pub fn read(supergraph: &Document) -> Self {
        let mut model = Self::default();
        for definition in &supergraph.definitions {
            let Definition::TypeDefinition(ty) = definition else { continue };
            let (name, directives, fields): (&str, _, &[Field]) = match ty {
                TypeDefinition::Object(o) => (&o.name, &o.directives, &o.fields),
                TypeDefinition::Interface(i) => (&i.name, &i.directives, &i.fields),
                TypeDefinition::Scalar(s) => (&s.name, &s.directives, &[]),
                TypeDefinition::Enum(e) => (&e.name, &e.directives, &[]),
                TypeDefinition::Union(u) => (&u.name, &u.directives, &[]),
                TypeDefinition::InputObject(_) => continue,
            };
            if let Some(weight) = weight(directives) {
                model.types.insert(name.to_owned(), weight);
            }
            for field in fields {
                let mut cost = FieldCost {
                    weight: weight(&field.directives),
                    arguments: field
                        .arguments
                        .iter()
                        .filter_map(|a| weight(&a.directives).map(|w| (a.name.clone(), w)))
                        .collect(),
                    ..FieldCost::default()
                };
                if let Some(list_size) = field.directives.iter().find(|d| d.name == "listSize") {
                    cost.assumed_size = int_arg(list_size, "assumedSize");
                    cost.slicing_arguments = strings_arg(list_size, "slicingArguments");
                    cost.sized_fields = strings_arg(list_size, "sizedFields");
                }
                let plain = cost.weight.is_none()
                    && cost.arguments.is_empty()
                    && cost.assumed_size.is_none()
                    && cost.slicing_arguments.is_empty();
                if !plain {
                    model
                        .fields
                        .entry(name.to_owned())
                        .or_default()
                        .insert(field.name.clone(), cost);
                }
            }
        }
        model
    }

    /// The estimated cost of `operation` with these variables.
    pub fn estimate(
        &self,
        operation: &PreparedOperation,
        variables: &Map<String, JsonValue>,
        schema: &SchemaIndex,
        default_list_size: u64,
    ) -> u64 {
        let root = match operation.kind {
            Kind::Query => Some(&schema.query_type),
            Kind::Mutation => schema.mutation_type.as_ref(),
            Kind::Subscription => schema.subscription_type.as_ref(),
        };
        let Some(root) = root else { return 0 };
        let estimate = Estimate { model: self, schema, variables, default_list_size };
        let mutation = operation.kind == Kind::Mutation;
        estimate.selections(&operation.operation.selection_set, root, None, mutation)
    }
}

struct Estimate<'e> {
    model: &'e CostModel,
    schema: &'e SchemaIndex,
    variables: &'e Map<String, JsonValue>,
    default_list_size: u64,
}

/// A size set by a parent's `@listSize(sizedFields:)` for some children.
type Sized<'s> = Option<(&'s [String], u64)>;

impl Estimate<'_> {
    fn selections(
        &self,
        set: &SelectionSet,
        parent: &str,
        sized: Sized<'_>,
        root_mutation: bool,
    ) -> u64 {
        let mut total: u64 = 0;
        let mut branches: HashMap<&str, u64> = HashMap::new();
        for item in &set.items {
            match item {
                SelectionItem::Field(field) => {
                    let cost = self.field(field, parent, sized, root_mutation);
                    total = total.saturating_add(cost);
                }
                SelectionItem::InlineFragment(fragment) => {
                    let condition = fragment.type_condition.as_str();
                    let cost =
                        self.selections(&fragment.selections, condition, sized, root_mutation);
                    if condition == parent {
                        total = total.saturating_add(cost);
                    } else {
                        let branch = branches.entry(condition).or_default();
                        *branch = branch.saturating_add(cost);
                    }
                }
                SelectionItem::FragmentSpread(_) => {}
            }
        }
        total.saturating_add(branches.into_values().max().unwrap_or(0))
    }

    fn field(
        &self,
        field: &FieldSelection,
        parent: &str,
        sized: Sized<'_>,
        root_mutation: bool,
    ) -> u64 {
        if field.name.starts_with("__") {
            return 0;
        }
        let Some(definition) =
            self.schema.types.get(parent).and_then(|t| t.fields.get(&field.name))
        else {
            return 0;
        };
        let field_type = &definition.definition.field_type;
        let named = named_type(field_type);
        let declared = self.model.fields.get(parent).and_then(|f| f.get(&field.name));
        let type_weight =
            self.model.types.get(named).copied().unwrap_or_else(|| match self.schema.kind(named) {
                Some(TypeKind::Object | TypeKind::Interface | TypeKind::Union) => 1,
                _ => 0,
            });
        let weight = declared.and_then(|d| d.weight).unwrap_or(if root_mutation {
            MUTATION_FIELD_WEIGHT
        } else {
            type_weight
        });
        let arguments: u64 = declared
            .map(|d| {
                d.arguments
                    .iter()
                    .filter(|(name, _)| {
                        field.arguments.as_ref().is_some_and(|a| a.get_argument(name).is_some())
                    })
                    .map(|(_, w)| *w)
                    .sum()
            })
            .unwrap_or(0);
        let own_size = declared.map_or(self.default_list_size, |d| self.list_size(field, d));
        let size_for_children = declared
            .filter(|d| !d.sized_fields.is_empty())
            .map(|d| (d.sized_fields.as_slice(), own_size));
        let children = if field.selections.is_empty() {
            0
        } else {
            self.selections(&field.selections, named, size_for_children, false)
        };
        let per_item = weight.saturating_add(children);
        let size = match sized {
            Some((names, size)) if names.contains(&field.name) => size,
            _ if is_list(field_type) && size_for_children.is_none() => own_size,
            _ => 1,
        };
        per_item.saturating_mul(size).saturating_add(arguments)
    }

    /// The largest slicing argument given, else the assumed size, else
    /// the default.
    fn list_size(&self, field: &FieldSelection, declared: &FieldCost) -> u64 {
        let sliced = declared
            .slicing_arguments
            .iter()
            .filter_map(|name| match field.arguments.as_ref()?.get_argument(name)? {
                Value::Int(n) => u64::try_from(*n).ok(),
                Value::Variable(variable) => self.variables.get(variable)?.as_u64(),
                _ => None,
            })
            .max();
        sliced.or(declared.assumed_size).unwrap_or(self.default_list_size)
    }
}

fn is_list(ty: &graphql_tools::static_graphql::schema::Type) -> bool {
    use graphql_tools::static_graphql::schema::Type;
    match ty {
        Type::ListType(_) => true,
        Type::NonNullType(inner) => is_list(inner),
        Type::NamedType(_) => false,
    }
}

fn weight(directives: &[Directive]) -> Option<u64> {
    directives.iter().find(|d| d.name == "cost").and_then(|d| int_arg(d, "weight"))
}

fn int_arg(directive: &Directive, name: &str) -> Option<u64> {
    directive.arguments.iter().find(|(n, _)| n == name).and_then(|(_, v)| match v {
        SchemaValue::Int(n) => n.as_i64().and_then(|n| u64::try_from(n).ok()),
        SchemaValue::String(s) => s.parse().ok(),
        _ => None,
    })
}

fn strings_arg(directive: &Directive, name: &str) -> Vec<String> {
    match directive.arguments.iter().find(|(n, _)| n == name).map(|(_, v)| v) {
        Some(SchemaValue::List(items)) => items
            .iter()
            .filter_map(|v| match v {
                SchemaValue::String(s) => Some(s.clone()),
                _ => None,
            })
            .collect(),
        Some(SchemaValue::String(s)) => vec![s.clone()],
        _ => Vec::new(),
    }
}
