//! `@context` / `@fromContext` (federation 2.8), which the pinned planner
//! does not know. A supergraph records them as `@context(name:)` on the
//! types that set a context and `@join__field(contextArguments:)` on the
//! fields that read one; the argument itself is not in the API schema.
//!
//! Planned on our side, in three steps:
//! 1. The planner is given a supergraph in which each contextual field
//!    belongs to a *virtual* subgraph (`<name>#context`, the same URL) that
//!    has only the field's type, by its key: the planner must then fetch the
//!    field with an entity fetch of its own, after the objects above it.
//! 2. Every selection of a type that sets a context, above a field that
//!    reads it, also asks for the context's selection under a hidden alias.
//! 3. The virtual fetches pass each contextual argument as a variable; the
//!    executor groups the entities by the values their nearest ancestor
//!    holds and sends one request per group.

use std::collections::{BTreeSet, HashMap};

use graphql_tools::{
    parser::query::{self as query_ast, Definition as QueryDefinition},
    static_graphql::schema::{
        Definition, Directive, Document, EnumValue, Field, TypeDefinition, Value,
    },
};
use hive_router_query_planner::{
    ast::{
        selection_item::SelectionItem,
        selection_set::{FieldSelection, InlineFragmentSelection, SelectionSet},
    },
    planner::plan_nodes::{PlanNode, QueryPlan},
};

use crate::schema::{SchemaIndex, join_graphs, named_type};

/// One argument a field reads from a context.
#[derive(Debug, Clone)]
pub struct ContextArgument {
    /// The type and field that take it.
    pub parent_type: String,
    pub field: String,
    /// The argument's name and type in the subgraph.
    pub name: String,
    pub argument_type: String,
    /// The context (`subgraph__name`) and what it selects on the setter.
    pub context: String,
    pub selection: String,
    /// The virtual subgraph the field is planned in.
    pub service: String,
    /// The hidden response key holding the value on the setter's objects.
    pub alias: String,
    /// The variable it is sent as.
    pub variable: String,
}

#[derive(Debug, Default)]
pub struct Contexts {
    pub arguments: Vec<ContextArgument>,
    /// Context name -> the types that set it.
    setters: HashMap<String, BTreeSet<String>>,
    /// Virtual subgraph name -> the subgraph it stands for.
    pub services: HashMap<String, String>,
}

const VIRTUAL_SUFFIX: &str = "#context";

impl Contexts {
    pub fn is_empty(&self) -> bool {
        self.arguments.is_empty()
    }

    /// The contextual arguments a fetch to `service` sends: those of a
    /// virtual subgraph that its query uses.
    pub fn for_fetch<'c>(&'c self, service: &str, query: &str) -> Vec<&'c ContextArgument> {
        if !self.services.contains_key(service) {
            return Vec::new();
        }
        self.arguments
            .iter()
            .filter(|a| a.service == service && query.contains(&format!("${}", a.variable)))
            .collect()
    }

    /// Reads the supergraph's contexts, and returns the supergraph the
    /// planner should see (`None`: there are none, plan the original).
    pub fn read(supergraph: &Document) -> (Self, Option<Document>) {
        let mut contexts = Self::default();
        let graphs = graph_names(supergraph);
        for definition in &supergraph.definitions {
            let Definition::TypeDefinition(ty) = definition else { continue };
            let (type_name, directives, fields) = match ty {
                TypeDefinition::Object(o) => (&o.name, &o.directives, o.fields.as_slice()),
                TypeDefinition::Interface(i) => (&i.name, &i.directives, i.fields.as_slice()),
                TypeDefinition::Union(u) => (&u.name, &u.directives, &[][..]),
                _ => continue,
            };
            for directive in directives.iter().filter(|d| d.name == "context") {
                if let Some(name) = string_arg(directive, "name") {
                    contexts.setters.entry(name).or_default().insert(type_name.clone());
                }
            }
            for field in fields {
                contexts.read_field(type_name, field, &graphs);
            }
        }
        if contexts.is_empty() {
            return (contexts, None);
        }
        let planned = contexts.planner_supergraph(supergraph, &graphs);
        (contexts, Some(planned))
    }

    fn read_field(&mut self, type_name: &str, field: &Field, graphs: &HashMap<String, String>) {
        for join in field.directives.iter().filter(|d| d.name == "join__field") {
            let Some(Value::List(arguments)) = arg(join, "contextArguments") else { continue };
            let Some(Value::Enum(graph)) = arg(join, "graph") else { continue };
            let Some(subgraph) = graphs.get(graph) else { continue };
            let service = format!("{subgraph}{VIRTUAL_SUFFIX}");
            for argument in arguments {
                let Value::Object(object) = argument else { continue };
                let text = |key: &str| match object.iter().find(|(k, _)| k == key) {
                    Some((_, Value::String(s))) => Some(s.trim().to_owned()),
                    _ => None,
                };
                let (Some(name), Some(argument_type), Some(context), Some(selection)) =
                    (text("name"), text("type"), text("context"), text("selection"))
                else {
                    continue;
                };
                let index = self.arguments.len();
                self.services.insert(service.clone(), subgraph.clone());
                self.arguments.push(ContextArgument {
                    parent_type: type_name.to_owned(),
                    field: field.name.clone(),
                    name,
                    argument_type,
                    context,
                    selection,
                    service: service.clone(),
                    alias: format!("_ctx_{index}"),
                    variable: format!("_ctx_arg_{index}"),
                });
            }
        }
    }

    /// The supergraph with each contextual field moved to its virtual
    /// subgraph, which holds the field's type by the real subgraph's key.
    fn planner_supergraph(
        &self,
        supergraph: &Document,
        graphs: &HashMap<String, String>,
    ) -> Document {
        let mut document = supergraph.clone();
        let virtual_enum = |subgraph: &str| {
            let real = graphs.iter().find(|(_, name)| *name == subgraph).map(|(e, _)| e.as_str());
            format!("{}_CONTEXT", real.unwrap_or(subgraph))
        };
        let real_enum = |service: &str| {
            let subgraph = &self.services[service];
            graphs.iter().find(|(_, name)| *name == subgraph).map(|(e, _)| e.clone())
        };
        for definition in &mut document.definitions {
            let Definition::TypeDefinition(ty) = definition else { continue };
            match ty {
                TypeDefinition::Enum(e) if e.name == "join__Graph" => {
                    let mut added = Vec::new();
                    for (service, subgraph) in &self.services {
                        let Some(real) = e.values.iter().find(|v| {
                            v.directives.iter().any(|d| {
                                d.name == "join__graph"
                                    && string_arg(d, "name").as_deref() == Some(subgraph)
                            })
                        }) else {
                            continue;
                        };
                        let mut value = EnumValue::new(virtual_enum(subgraph));
                        let mut directive = real.directives[0].clone();
                        for (key, v) in &mut directive.arguments {
                            if key == "name" {
                                *v = Value::String(service.clone());
                            }
                        }
                        value.directives = vec![directive];
                        added.push(value);
                    }
                    e.values.extend(added);
                }
                TypeDefinition::Object(o) => {
                    self.move_fields(
                        &o.name,
                        &mut o.directives,
                        &mut o.fields,
                        &virtual_enum,
                        &real_enum,
                    );
                }
                TypeDefinition::Interface(i) => {
                    self.move_fields(
                        &i.name,
                        &mut i.directives,
                        &mut i.fields,
                        &virtual_enum,
                        &real_enum,
                    );
                }
                _ => {}
            }
        }
        document
    }

    fn move_fields(
        &self,
        type_name: &str,
        directives: &mut Vec<Directive>,
        fields: &mut [Field],
        virtual_enum: &dyn Fn(&str) -> String,
        real_enum: &dyn Fn(&str) -> Option<String>,
    ) {
        let services: BTreeSet<&str> = self
            .arguments
            .iter()
            .filter(|a| a.parent_type == type_name)
            .map(|a| a.service.as_str())
            .collect();
        for service in services {
            let Some(real) = real_enum(service) else { continue };
            let virtual_graph = virtual_enum(&self.services[service]);
            // The virtual subgraph resolves the type by the real one's key.
            let key = directives.iter().find_map(|d| {
                let graph = matches!(arg(d, "graph"), Some(Value::Enum(g)) if *g == real);
                let resolvable = !matches!(arg(d, "resolvable"), Some(Value::Boolean(false)));
                (d.name == "join__type" && graph && resolvable)
                    .then(|| string_arg(d, "key"))
                    .flatten()
            });
            let Some(key) = key else {
                tracing::warn!(type_name, service, "a contextual field's type has no key");
                continue;
            };
            directives.push(directive(
                "join__type",
                vec![
                    ("graph".to_owned(), Value::Enum(virtual_graph.clone())),
                    ("key".to_owned(), Value::String(key.clone())),
                ],
            ));
            let key_fields: Vec<String> = key
                .split(|c: char| c.is_whitespace() || c == '{' || c == '}')
                .filter(|s| !s.is_empty())
                .map(str::to_owned)
                .collect();
            for field in fields.iter_mut() {
                let contextual = self.arguments.iter().any(|a| {
                    a.parent_type == type_name && a.field == field.name && a.service == service
                });
                let joined_in_real = field.directives.iter().any(|d| {
                    d.name == "join__field"
                        && matches!(arg(d, "graph"), Some(Value::Enum(g)) if *g == real)
                });
                if contextual {
                    field.directives.retain(|d| {
                        !(d.name == "join__field"
                            && matches!(arg(d, "graph"), Some(Value::Enum(g)) if *g == real))
                    });
                } else if !(joined_in_real && key_fields.contains(&field.name)) {
                    continue;
                }
                let graph = vec![("graph".to_owned(), Value::Enum(virtual_graph.clone()))];
                field.directives.push(directive("join__field", graph));
            }
        }
    }

    /// Adds, above each contextual field of the operation, the context's
    /// selection under its hidden alias to the selections of every type
    /// that sets the context.
    pub fn ask_for_values(
        &self,
        selections: &mut SelectionSet,
        parent: &str,
        schema: &SchemaIndex,
    ) {
        self.walk(selections, parent, schema);
    }

    /// Returns the arguments read by fields directly in `selections` and
    /// those read further down.
    fn walk(
        &self,
        selections: &mut SelectionSet,
        parent: &str,
        schema: &SchemaIndex,
    ) -> (BTreeSet<usize>, BTreeSet<usize>) {
        let (mut direct, mut below) = (BTreeSet::new(), BTreeSet::new());
        for item in &mut selections.items {
            match item {
                SelectionItem::Field(field) => {
                    direct.extend(
                        self.arguments
                            .iter()
                            .enumerate()
                            .filter(|(_, a)| {
                                a.field == field.name && schema.type_matches(parent, &a.parent_type)
                            })
                            .map(|(i, _)| i),
                    );
                    if field.selections.is_empty() {
                        continue;
                    }
                    let Some(definition) =
                        schema.types.get(parent).and_then(|t| t.fields.get(&field.name))
                    else {
                        continue;
                    };
                    let child = named_type(&definition.definition.field_type).to_owned();
                    let (child_direct, child_below) =
                        self.walk(&mut field.selections, &child, schema);
                    self.add_values(&mut field.selections, &child, &child_below);
                    below.extend(child_direct);
                    below.extend(child_below);
                }
                SelectionItem::InlineFragment(fragment) => {
                    let condition = fragment.type_condition.clone();
                    let (inner_direct, inner_below) =
                        self.walk(&mut fragment.selections, &condition, schema);
                    self.add_values(&mut fragment.selections, &condition, &inner_below);
                    direct.extend(inner_direct);
                    below.extend(inner_below);
                }
                SelectionItem::FragmentSpread(_) => {}
            }
        }
        (direct, below)
    }

    /// The hidden selections for `arguments` on `type_name`, where it sets
    /// their context.
    fn add_values(
        &self,
        selections: &mut SelectionSet,
        type_name: &str,
        arguments: &BTreeSet<usize>,
    ) {
        for &index in arguments {
            let argument = &self.arguments[index];
            if !self.setters.get(&argument.context).is_some_and(|t| t.contains(type_name)) {
                continue;
            }
            let present = selections.items.iter().any(|item| {
                matches!(item, SelectionItem::Field(f) if f.alias.as_deref() == Some(argument.alias.as_str()))
            });
            if present {
                continue;
            }
            selections.items.extend(hidden_selection(
                &argument.selection,
                &argument.alias,
                type_name,
            ));
        }
    }

    /// Gives each virtual fetch's contextual fields their arguments, as
    /// variables the executor fills in.
    pub fn pass_arguments(&self, plan: &mut QueryPlan) {
        if let Some(node) = &mut plan.node {
            self.pass_in_node(node);
        }
    }

    fn pass_in_node(&self, node: &mut PlanNode) {
        match node {
            PlanNode::Sequence(s) => s.nodes.iter_mut().for_each(|n| self.pass_in_node(n)),
            PlanNode::Parallel(p) => p.nodes.iter_mut().for_each(|n| self.pass_in_node(n)),
            PlanNode::Flatten(f) => self.pass_in_node(&mut f.node),
            PlanNode::Condition(c) => {
                for branch in [&mut c.if_clause, &mut c.else_clause].into_iter().flatten() {
                    self.pass_in_node(branch);
                }
            }
            PlanNode::Fetch(fetch) if self.services.contains_key(&fetch.service_name) => {
                let service = &fetch.service_name;
                if let Some(rewritten) = self.with_arguments(service, &fetch.operation.document_str)
                {
                    fetch.operation.document_str = rewritten;
                }
            }
            PlanNode::BatchFetch(batch) if self.services.contains_key(&batch.service_name) => {
                let service = &batch.service_name;
                if let Some(rewritten) = self.with_arguments(service, &batch.operation.document_str)
                {
                    batch.operation.document_str = rewritten;
                }
            }
            _ => {}
        }
    }

    /// `query` with `field(arg: $variable)` on each contextual field of the
    /// entity fragments, and the variables declared.
    fn with_arguments(&self, service: &str, query: &str) -> Option<String> {
        let mut document = query_ast::parse_query::<String>(query).ok()?.into_static();
        let mut used: Vec<&ContextArgument> = Vec::new();
        for definition in &mut document.definitions {
            let QueryDefinition::Operation(operation) = definition else { continue };
            let (selection_set, variables) = match operation {
                query_ast::OperationDefinition::Query(q) => {
                    (&mut q.selection_set, &mut q.variable_definitions)
                }
                _ => continue,
            };
            for entities in &mut selection_set.items {
                let query_ast::Selection::Field(entities) = entities else { continue };
                for fragment in &mut entities.selection_set.items {
                    let query_ast::Selection::InlineFragment(fragment) = fragment else { continue };
                    let Some(query_ast::TypeCondition::On(type_name)) = &fragment.type_condition
                    else {
                        continue;
                    };
                    for field in &mut fragment.selection_set.items {
                        let query_ast::Selection::Field(field) = field else { continue };
                        for argument in self.arguments.iter().filter(|a| {
                            a.service == service
                                && a.parent_type == *type_name
                                && a.field == field.name
                        }) {
                            field.arguments.push((
                                argument.name.clone(),
                                query_ast::Value::Variable(argument.variable.clone()),
                            ));
                            if !used.iter().any(|u| u.variable == argument.variable) {
                                used.push(argument);
                            }
                        }
                    }
                }
            }
            for argument in &used {
                let var_type = query_ast::parse_query::<String>(&format!(
                    "query(${}: {}) {{ a }}",
                    argument.variable, argument.argument_type
                ))
                .ok()
                .map(|d| d.into_static())
                .and_then(|d| match d.definitions.into_iter().next() {
                    Some(QueryDefinition::Operation(query_ast::OperationDefinition::Query(q))) => {
                        q.variable_definitions.into_iter().next().map(|v| v.var_type)
                    }
                    _ => None,
                })?;
                variables.push(query_ast::VariableDefinition {
                    position: Default::default(),
                    name: argument.variable.clone(),
                    var_type,
                    default_value: None,
                });
            }
        }
        Some(document.to_string())
    }
}

/// `{ prop }` as `_ctx_N: prop`; `... on A { prop }` keeps its fragment,
/// for the types it names.
fn hidden_selection(selection: &str, alias: &str, type_name: &str) -> Vec<SelectionItem> {
    let Ok(document) = query_ast::parse_query::<String>(selection) else { return Vec::new() };
    let Some(QueryDefinition::Operation(query_ast::OperationDefinition::SelectionSet(set))) =
        document.definitions.into_iter().next()
    else {
        return Vec::new();
    };
    let mut items = Vec::new();
    for item in set.items {
        match item {
            query_ast::Selection::Field(field) => {
                items.push(SelectionItem::Field(convert(&field, Some(alias))))
            }
            query_ast::Selection::InlineFragment(fragment) => {
                let condition = match &fragment.type_condition {
                    Some(query_ast::TypeCondition::On(t)) => t.clone(),
                    None => type_name.to_owned(),
                };
                let fields = fragment
                    .selection_set
                    .items
                    .iter()
                    .filter_map(|item| match item {
                        query_ast::Selection::Field(f) => {
                            Some(SelectionItem::Field(convert(f, Some(alias))))
                        }
                        _ => None,
                    })
                    .collect();
                items.push(SelectionItem::InlineFragment(InlineFragmentSelection {
                    type_condition: condition,
                    selections: SelectionSet { items: fields },
                    skip_if: None,
                    include_if: None,
                }));
            }
            query_ast::Selection::FragmentSpread(_) => {}
        }
    }
    items
}

fn convert(field: &query_ast::Field<'_, String>, alias: Option<&str>) -> FieldSelection {
    let items = field
        .selection_set
        .items
        .iter()
        .filter_map(|item| match item {
            query_ast::Selection::Field(f) => Some(SelectionItem::Field(convert(f, None))),
            _ => None,
        })
        .collect();
    FieldSelection {
        name: field.name.clone(),
        selections: SelectionSet { items },
        alias: alias.map(str::to_owned),
        arguments: None,
        skip_if: None,
        include_if: None,
        omit_from_response: true,
    }
}

/// `join__Graph` enum value -> subgraph name.
fn graph_names(document: &Document) -> HashMap<String, String> {
    join_graphs(document).into_iter().map(|g| (g.enum_value, g.name)).collect()
}

fn directive(name: &str, arguments: Vec<(String, Value)>) -> Directive {
    Directive { position: Default::default(), name: name.to_owned(), arguments }
}

fn arg<'d>(directive: &'d Directive, name: &str) -> Option<&'d Value> {
    directive.arguments.iter().find(|(n, _)| n == name).map(|(_, v)| v)
}

fn string_arg(directive: &Directive, name: &str) -> Option<String> {
    match arg(directive, name)? {
        Value::String(s) => Some(s.clone()),
        _ => None,
    }
}
