//! `@defer` on our side of the planning boundary: the pinned planner never
//! builds a `Defer` node, so each deferred fragment is turned into a
//! fragment skipped by a variable of its own (its marker) before the
//! operation is normalized and planned:
//!
//! ```graphql
//! ... on Product @defer(label: "r") { reviews { body } }
//! # becomes
//! ... @skip(if: $_defer_0) { ... on Product { reviews { body } } }
//! ```
//!
//! The planner then puts every fetch that serves only the fragment under a
//! `Condition` on the marker, which tells execution which fetches the first
//! payload need not wait for. Executing with every marker `false` fetches
//! everything (the whole result, as over WebSocket or plain JSON); writing
//! with a marker `true` leaves its fragment out of the payload that holds
//! its parent. A planner with native `@defer` would replace this file.

use graphql_tools::static_graphql::query::{
    Definition, Directive, Document, InlineFragment, OperationDefinition, Selection, SelectionSet,
    Type, Value, VariableDefinition,
};
use serde_json::{Map, Value as JsonValue};

use super::{SelectionItem, SelectionSet as Normalized};

/// One `@defer` of the operation. Group ids: 0 is the initial payload,
/// group `i` is `DeferredFragments::groups[i - 1]`.
#[derive(Debug, Clone)]
pub struct DeferGroup {
    /// The variable that skips the fragment where its parent is written.
    pub marker: String,
    pub label: Option<String>,
    /// `@defer(if: $variable)`: deferred only when the variable is true.
    pub if_variable: Option<String>,
    /// The fragment's type condition, when it has one.
    pub type_condition: Option<String>,
    /// The enclosing group (0: none).
    pub parent: usize,
    /// Where the fragment's parent objects are: response keys from the
    /// root, one list per place the fragment occurs.
    pub paths: Vec<Vec<String>>,
}

#[derive(Debug, Clone, Default)]
pub struct DeferredFragments {
    pub groups: Vec<DeferGroup>,
}

impl DeferredFragments {
    pub fn is_empty(&self) -> bool {
        self.groups.is_empty()
    }

    /// Every marker `false`: the whole result is fetched and written.
    pub fn add_markers(&self, variables: &mut Map<String, JsonValue>) {
        for group in &self.groups {
            variables.insert(group.marker.clone(), JsonValue::Bool(false));
        }
    }

    /// Whether group `id` is deferred with these variables (`@defer(if:)`).
    pub fn active(&self, id: usize, variables: &Map<String, JsonValue>) -> bool {
        id == 0
            || self.groups.get(id - 1).is_some_and(|g| {
                g.if_variable
                    .as_ref()
                    .is_none_or(|v| variables.get(v).and_then(JsonValue::as_bool).unwrap_or(true))
            })
    }

    /// The group whose payload carries group `id`'s data: itself when it
    /// is deferred, else the nearest deferred ancestor.
    pub fn effective(&self, mut id: usize, variables: &Map<String, JsonValue>) -> usize {
        while !self.active(id, variables) {
            id = self.groups[id - 1].parent;
        }
        id
    }

    /// The group a marker belongs to.
    pub fn by_marker(&self, marker: &str) -> Option<usize> {
        self.groups.iter().position(|g| g.marker == marker).map(|i| i + 1)
    }
}

/// Rewrites every `@defer` of `document` into a marker-skipped fragment and
/// declares the markers on the operation; `None` when there is no
/// `@defer` (the document is left as it was).
pub fn rewrite(document: &mut Document, used_names: &[String]) -> Option<DeferredFragments> {
    let mut rewriter = Rewriter { used_names, groups: Vec::new() };
    for definition in &mut document.definitions {
        match definition {
            Definition::Operation(operation) => rewriter.selections(selections_of(operation)),
            Definition::Fragment(fragment) => rewriter.selections(&mut fragment.selection_set),
        }
    }
    if rewriter.groups.is_empty() {
        return None;
    }
    for definition in &mut document.definitions {
        if let Definition::Operation(operation) = definition
            && let Some(variables) = variables_of(operation)
        {
            for group in &rewriter.groups {
                variables.push(VariableDefinition {
                    position: Default::default(),
                    name: group.marker.clone(),
                    var_type: Type::NonNullType(Box::new(Type::NamedType("Boolean".into()))),
                    default_value: Some(Value::Boolean(false)),
                });
            }
        }
    }
    Some(DeferredFragments { groups: rewriter.groups })
}

/// Finds where each marker ended up in the normalized operation: the
/// response path of its parent objects and its enclosing group.
pub fn locate(deferred: &mut DeferredFragments, root: &Normalized) {
    let mut found = Vec::new();
    walk(deferred, root, &mut Vec::new(), 0, &mut found);
    for (id, path, parent) in found {
        let group = &mut deferred.groups[id - 1];
        if group.paths.is_empty() {
            group.parent = parent;
        }
        if !group.paths.contains(&path) {
            group.paths.push(path);
        }
    }
}

fn walk(
    deferred: &DeferredFragments,
    selections: &Normalized,
    path: &mut Vec<String>,
    group: usize,
    found: &mut Vec<(usize, Vec<String>, usize)>,
) {
    for item in &selections.items {
        let (skip_if, inner, key) = match item {
            SelectionItem::Field(field) => {
                (&field.skip_if, &field.selections, Some(field.selection_identifier()))
            }
            SelectionItem::InlineFragment(fragment) => {
                (&fragment.skip_if, &fragment.selections, None)
            }
            SelectionItem::FragmentSpread(_) => continue,
        };
        let mut inner_group = group;
        if let Some(id) = skip_if.as_deref().and_then(|m| deferred.by_marker(m)) {
            found.push((id, path.clone(), group));
            inner_group = id;
        }
        if let Some(key) = key {
            path.push(key.to_owned());
            walk(deferred, inner, path, inner_group, found);
            path.pop();
        } else {
            walk(deferred, inner, path, inner_group, found);
        }
    }
}

struct Rewriter<'a> {
    used_names: &'a [String],
    groups: Vec<DeferGroup>,
}

impl Rewriter<'_> {
    fn selections(&mut self, set: &mut SelectionSet) {
        for item in &mut set.items {
            let (directives, type_condition) = match item {
                Selection::Field(field) => {
                    self.selections(&mut field.selection_set);
                    continue;
                }
                Selection::InlineFragment(fragment) => {
                    self.selections(&mut fragment.selection_set);
                    let condition = fragment.type_condition.as_ref().map(|c| c.as_ref().clone());
                    (&mut fragment.directives, condition)
                }
                Selection::FragmentSpread(spread) => (&mut spread.directives, None),
            };
            let Some(at) = directives.iter().position(|d| d.name == "defer") else { continue };
            let defer = directives.remove(at);
            let Some((label, if_variable)) = arguments(&defer) else { continue };
            let marker = self.marker();
            let skip = Directive {
                position: defer.position,
                name: "skip".into(),
                arguments: vec![("if".into(), Value::Variable(marker.clone()))],
            };
            let wrapped = std::mem::replace(item, placeholder());
            *item = Selection::InlineFragment(InlineFragment {
                position: defer.position,
                type_condition: None,
                directives: vec![skip],
                selection_set: SelectionSet { span: Default::default(), items: vec![wrapped] },
            });
            self.groups.push(DeferGroup {
                marker,
                label,
                if_variable,
                type_condition,
                parent: 0,
                paths: Vec::new(),
            });
        }
    }

    /// `_defer_N`, made unique against the client's own variables.
    fn marker(&self) -> String {
        let mut marker = format!("_defer_{}", self.groups.len());
        while self.used_names.contains(&marker) {
            marker.insert(0, '_');
        }
        marker
    }
}

/// `label` and the `if` variable; `None` when `if: false` turns the
/// deferral off (the fragment then stays where it is).
fn arguments(defer: &Directive) -> Option<(Option<String>, Option<String>)> {
    let mut label = None;
    let mut if_variable = None;
    for (name, value) in &defer.arguments {
        match (name.as_str(), value) {
            ("label", Value::String(text)) => label = Some(text.clone()),
            ("if", Value::Boolean(false)) => return None,
            ("if", Value::Variable(variable)) => if_variable = Some(variable.clone()),
            _ => {}
        }
    }
    Some((label, if_variable))
}

fn placeholder() -> Selection {
    Selection::FragmentSpread(graphql_tools::static_graphql::query::FragmentSpread {
        position: Default::default(),
        fragment_name: String::new(),
        directives: Vec::new(),
    })
}

fn selections_of(operation: &mut OperationDefinition) -> &mut SelectionSet {
    match operation {
        OperationDefinition::SelectionSet(set) => set,
        OperationDefinition::Query(q) => &mut q.selection_set,
        OperationDefinition::Mutation(m) => &mut m.selection_set,
        OperationDefinition::Subscription(s) => &mut s.selection_set,
    }
}

/// The variable definitions of an operation; an anonymous `{ … }` is made
/// a `query` so that it can declare the markers.
fn variables_of(operation: &mut OperationDefinition) -> Option<&mut Vec<VariableDefinition>> {
    if let OperationDefinition::SelectionSet(set) = operation {
        *operation = OperationDefinition::Query(graphql_tools::static_graphql::query::Query {
            position: set.span.0,
            name: None,
            variable_definitions: Vec::new(),
            directives: Vec::new(),
            selection_set: std::mem::replace(
                set,
                SelectionSet { span: Default::default(), items: Vec::new() },
            ),
        });
    }
    match operation {
        OperationDefinition::Query(q) => Some(&mut q.variable_definitions),
        OperationDefinition::Mutation(m) => Some(&mut m.variable_definitions),
        OperationDefinition::Subscription(_) | OperationDefinition::SelectionSet(_) => None,
    }
}
