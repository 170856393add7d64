//! Incremental delivery of `@defer`red fragments: the first payload is
//! written as soon as the fetches it needs are done, each deferred
//! fragment's payload as soon as its own fetches and its parent's payload
//! are. Which fetch serves which payload comes from planning (a fetch under
//! a `Condition` on a fragment's marker serves that fragment).
//!
//! Two formats, chosen by the client's `Accept`:
//! - `Legacy` (`deferSpec=20220824`, Apollo Client): parts carry
//!   `incremental: [{ data, path, label }]` and `hasNext`;
//! - `Current` (the incremental delivery RFC as graphql-js 17 implements
//!   it): the first payload announces `pending: [{ id, path, label }]`,
//!   later ones carry `incremental: [{ id, data }]` and `completed`.

use std::sync::Mutex;

use serde_json::{Map, Value as JsonValue, json};
use tokio::sync::mpsc::UnboundedSender;

use super::{
    Execution, Run,
    paths::Step,
    response::{self, Deferred},
    value::{self, Value},
};
use crate::{
    error::GraphqlError,
    planning::{
        DeferredFragments, Kind, PreparedOperation, SelectionItem,
        plan_nodes::{ConditionNode, PlanNode},
    },
    schema::{SchemaIndex, named_type},
};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    /// `multipart/mixed; deferSpec=20220824`.
    Legacy,
    /// `multipart/mixed` with `pending`/`completed`.
    Current,
}

pub(super) struct Incremental {
    format: Format,
    parts: UnboundedSender<Vec<u8>>,
    /// The client's variables with every deferred fragment's marker `true`:
    /// what writing a payload leaves out.
    write_variables: Map<String, JsonValue>,
    state: Mutex<State>,
}

struct State {
    /// Per group: fetches still to finish.
    remaining: Vec<usize>,
    emitted: Vec<bool>,
    /// Per group: the parent objects its payload is for, found when the
    /// parent's payload was written.
    instances: Vec<Vec<Instance>>,
    next_id: usize,
}

#[derive(Clone)]
struct Instance {
    id: String,
    path: Vec<JsonValue>,
}

impl Incremental {
    pub(super) fn new(
        exec: &Execution<'_>,
        format: Format,
        parts: UnboundedSender<Vec<u8>>,
    ) -> Self {
        let deferred = &exec.operation.deferred;
        let groups = deferred.groups.len() + 1;
        let mut write_variables = exec.variables.clone();
        for (index, group) in deferred.groups.iter().enumerate() {
            let active = deferred.active(index + 1, exec.variables);
            write_variables.insert(group.marker.clone(), JsonValue::Bool(active));
        }
        let mut remaining = vec![0; groups];
        if let Some(node) = &exec.operation.plan.node {
            count(node, 0, exec.operation, exec.variables, &mut remaining);
        }
        let state = State {
            remaining,
            emitted: vec![false; groups],
            instances: vec![Vec::new(); groups],
            next_id: 0,
        };
        Self { format, parts, write_variables, state: Mutex::new(state) }
    }
}

/// The branch of a `Condition` that runs, and the group its fetches serve.
pub(super) fn branch<'p>(
    condition: &'p ConditionNode,
    group: usize,
    operation: &PreparedOperation,
    variables: &Map<String, JsonValue>,
) -> (Option<&'p PlanNode>, usize) {
    let on = variables.get(&condition.condition).and_then(JsonValue::as_bool).unwrap_or(false);
    let branch = if on { &condition.if_clause } else { &condition.else_clause };
    let deferred = &operation.deferred;
    let group = match deferred.by_marker(&condition.condition) {
        Some(id) => deferred.effective(id, variables),
        None => group,
    };
    (branch.as_deref(), group)
}

/// Counts the fetches each group waits for, walking the plan as `Run::node`
/// does.
fn count(
    node: &PlanNode,
    group: usize,
    operation: &PreparedOperation,
    variables: &Map<String, JsonValue>,
    counts: &mut [usize],
) {
    match node {
        PlanNode::Sequence(sequence) => {
            for child in &sequence.nodes {
                count(child, group, operation, variables, counts);
            }
        }
        PlanNode::Parallel(parallel) => {
            for child in &parallel.nodes {
                count(child, group, operation, variables, counts);
            }
        }
        PlanNode::Fetch(_) | PlanNode::BatchFetch(_) => counts[group] += 1,
        PlanNode::Flatten(flatten) => match flatten.node.as_ref() {
            PlanNode::Fetch(_) => counts[group] += 1,
            other => count(other, group, operation, variables, counts),
        },
        PlanNode::Condition(condition) => {
            if let (Some(branch), group) = branch(condition, group, operation, variables) {
                count(branch, group, operation, variables, counts);
            }
        }
        PlanNode::Subscription(_) | PlanNode::Defer(_) => {}
    }
}

impl Run<'_, '_> {
    /// A fetch serving `group` is done: write every payload now ready.
    pub(super) fn fetch_done(&self, group: usize) {
        let Some(incremental) = &self.incremental else { return };
        {
            let mut state = lock(&incremental.state);
            state.remaining[group] = state.remaining[group].saturating_sub(1);
        }
        self.emit_ready();
    }

    /// Writes every payload whose fetches are done and whose parent's
    /// payload was sent, in order.
    pub(super) fn emit_ready(&self) {
        let Some(incremental) = &self.incremental else { return };
        let deferred = &self.exec.operation.deferred;
        let variables = self.exec.variables;
        let mut state = lock(&incremental.state);
        loop {
            let ready = (0..state.emitted.len()).find(|&id| {
                !state.emitted[id]
                    && state.remaining[id] == 0
                    && deferred.active(id, variables)
                    && (id == 0 || state.emitted[parent(deferred, id, variables)])
            });
            let Some(id) = ready else { break };
            state.emitted[id] = true;
            let has_next = (1..state.emitted.len())
                .any(|g| !state.emitted[g] && deferred.active(g, variables));
            if let Some(part) = self.payload(incremental, &mut state, id, has_next) {
                // A client that left just stops reading; the fetches finish.
                let _ = incremental.parts.send(part);
            }
        }
    }

    /// After the whole plan ran: whatever is left (a fetch that a branch
    /// skipped, say) goes out now.
    pub(super) fn finish_incremental(&self) {
        let Some(incremental) = &self.incremental else { return };
        {
            let mut state = lock(&incremental.state);
            state.remaining.iter_mut().for_each(|r| *r = 0);
        }
        self.emit_ready();
    }

    fn payload(
        &self,
        incremental: &Incremental,
        state: &mut State,
        id: usize,
        has_next: bool,
    ) -> Option<Vec<u8>> {
        let deferred = &self.exec.operation.deferred;
        let schema = self.exec.schema;
        let data = self.lock_data();
        let mut fetch_errors: Vec<GraphqlError> = {
            let mut all = self.errors.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
            let (mine, rest) = std::mem::take(&mut *all).into_iter().partition(|(g, _)| *g == id);
            *all = rest;
            mine.into_iter().map(|(_, e)| e).collect()
        };
        let mut part = Map::new();
        if id == 0 {
            let mut errors = fetch_errors;
            let mut bytes = Vec::new();
            response::write(
                self.exec,
                &incremental.write_variables,
                &data,
                &mut errors,
                &mut bytes,
            );
            part.insert("data".into(), serde_json::from_slice(&bytes).unwrap_or(JsonValue::Null));
            if !errors.is_empty() {
                part.insert("errors".into(), json!(errors));
            }
        } else {
            let group = &deferred.groups[id - 1];
            let instances = std::mem::take(&mut state.instances[id]);
            let (mut items, mut completed) = (Vec::new(), Vec::new());
            for instance in &instances {
                let mut errors: Vec<GraphqlError> = Vec::new();
                fetch_errors.retain(|e| {
                    let mine = e.path.as_ref().is_some_and(|p| p.starts_with(&instance.path));
                    if mine {
                        errors.push(e.clone());
                    }
                    !mine
                });
                let written = self.write_instance(
                    schema,
                    incremental,
                    &data,
                    &instance.path,
                    &group.marker,
                    &mut errors,
                );
                let mut item = Map::new();
                match incremental.format {
                    Format::Legacy => {
                        item.insert("data".into(), written.unwrap_or(JsonValue::Null));
                        item.insert("path".into(), JsonValue::Array(instance.path.clone()));
                        if let Some(label) = &group.label {
                            item.insert("label".into(), json!(label));
                        }
                        if !errors.is_empty() {
                            item.insert("errors".into(), json!(errors));
                        }
                        items.push(JsonValue::Object(item));
                    }
                    Format::Current => match written {
                        Some(data) => {
                            item.insert("id".into(), json!(instance.id));
                            item.insert("data".into(), data);
                            if !errors.is_empty() {
                                item.insert("errors".into(), json!(errors));
                            }
                            items.push(JsonValue::Object(item));
                            completed.push(json!({ "id": instance.id }));
                        }
                        None => completed.push(json!({ "id": instance.id, "errors": errors })),
                    },
                }
            }
            // Errors no parent object claims go with the first one.
            if let (Some(JsonValue::Object(first)), false) =
                (items.first_mut(), fetch_errors.is_empty())
            {
                let errors = first.entry("errors").or_insert_with(|| json!([]));
                if let JsonValue::Array(errors) = errors {
                    errors.extend(fetch_errors.iter().map(|e| json!(e)));
                }
            }
            if !items.is_empty() {
                part.insert("incremental".into(), JsonValue::Array(items));
            }
            if !completed.is_empty() {
                part.insert("completed".into(), JsonValue::Array(completed));
            }
        }
        // The deferred fragments whose parent this payload holds.
        let mut pending = Vec::new();
        for child in 1..state.emitted.len() {
            if state.emitted[child]
                || !deferred.active(child, self.exec.variables)
                || parent(deferred, child, self.exec.variables) != id
            {
                continue;
            }
            let group = &deferred.groups[child - 1];
            for path in &group.paths {
                for address in parents(&data, path, group.type_condition.as_deref(), schema) {
                    let instance = Instance { id: state.next_id.to_string(), path: address };
                    state.next_id += 1;
                    let mut announced = json!({ "id": instance.id, "path": instance.path });
                    if let Some(label) = &group.label {
                        announced["label"] = json!(label);
                    }
                    pending.push(announced);
                    state.instances[child].push(instance);
                }
            }
        }
        if incremental.format == Format::Current && !pending.is_empty() {
            part.insert("pending".into(), JsonValue::Array(pending));
        }
        // A fragment whose parents all turned out null sends nothing,
        // unless it is the last word.
        if id != 0 && part.is_empty() && has_next {
            return None;
        }
        part.insert("hasNext".into(), JsonValue::Bool(has_next));
        serde_json::to_vec(&part).ok()
    }

    /// One deferred fragment's data for the parent object at `path`;
    /// `None` when a non-null field made it null.
    fn write_instance(
        &self,
        schema: &SchemaIndex,
        incremental: &Incremental,
        data: &Value<'_>,
        path: &[JsonValue],
        marker: &str,
        errors: &mut Vec<GraphqlError>,
    ) -> Option<JsonValue> {
        let object = object_at(data, path)?;
        let (items, static_type) = selections_at(self.exec, path)?;
        let concrete = match value::field(object, "__typename") {
            Some(Value::Str(typename)) => typename,
            _ => static_type,
        };
        let steps: Vec<Step<'_>> = path
            .iter()
            .map(|segment| match segment {
                JsonValue::String(key) => Step::Key(key),
                other => {
                    Step::Index(other.as_u64().and_then(|i| usize::try_from(i).ok()).unwrap_or(0))
                }
            })
            .collect();
        let mut bytes = Vec::new();
        let fragments = &self.exec.operation.deferred;
        let deferred = Deferred { object, concrete, items, marker, fragments, path: steps };
        let written = response::write_deferred(
            schema,
            &incremental.write_variables,
            deferred,
            errors,
            &mut bytes,
        );
        written.then(|| serde_json::from_slice(&bytes).unwrap_or(JsonValue::Null))
    }
}

/// The group whose payload holds group `id`'s parent objects.
fn parent(deferred: &DeferredFragments, id: usize, variables: &Map<String, JsonValue>) -> usize {
    deferred.effective(deferred.groups[id - 1].parent, variables)
}

/// Every object at `keys` (lists walked item by item), as response paths;
/// objects of another type than the fragment's condition are left out.
fn parents(
    data: &Value<'_>,
    keys: &[String],
    type_condition: Option<&str>,
    schema: &SchemaIndex,
) -> Vec<Vec<JsonValue>> {
    fn walk(
        value: &Value<'_>,
        keys: &[String],
        path: &mut Vec<JsonValue>,
        found: &mut Vec<Vec<JsonValue>>,
        accept: &dyn Fn(&Value<'_>) -> bool,
    ) {
        match value {
            Value::List(items) => {
                for (index, item) in items.iter().enumerate() {
                    path.push(JsonValue::from(index));
                    walk(item, keys, path, found, accept);
                    path.pop();
                }
            }
            Value::Object(object) => match keys.split_first() {
                None if accept(value) => found.push(path.clone()),
                None => {}
                Some((key, rest)) => {
                    if let Some(child) = value::field(object, key) {
                        path.push(JsonValue::from(key.as_str()));
                        walk(child, rest, path, found, accept);
                        path.pop();
                    }
                }
            },
            _ => {}
        }
    }
    let accept = |value: &Value<'_>| match (type_condition, value.get("__typename")) {
        (Some(condition), Some(Value::Str(typename))) => schema.type_matches(typename, condition),
        _ => true,
    };
    let mut found = Vec::new();
    walk(data, keys, &mut Vec::new(), &mut found, &accept);
    found
}

fn object_at<'d, 'v>(data: &'d Value<'v>, path: &[JsonValue]) -> Option<&'d value::Object<'v>> {
    let mut current = data;
    for segment in path {
        current = match (segment, current) {
            (JsonValue::String(key), Value::Object(object)) => value::field(object, key)?,
            (JsonValue::Number(n), Value::List(items)) => {
                items.get(usize::try_from(n.as_u64()?).ok()?)?
            }
            _ => return None,
        };
    }
    current.as_object()
}

/// The selections of the field at `path` (every place it is selected) and
/// its named type; the root's at the empty path.
fn selections_at<'e>(
    exec: &'e Execution<'_>,
    path: &[JsonValue],
) -> Option<(Vec<&'e [SelectionItem]>, &'e str)> {
    let schema = exec.schema;
    let mut type_name: &str = match exec.operation.kind {
        Kind::Query => &schema.query_type,
        Kind::Mutation => schema.mutation_type.as_deref()?,
        Kind::Subscription => schema.subscription_type.as_deref()?,
    };
    let mut sets: Vec<&[SelectionItem]> = vec![&exec.operation.operation.selection_set.items];
    for key in path.iter().filter_map(JsonValue::as_str) {
        let mut next = Vec::new();
        let mut field = None;
        for set in &sets {
            fields_named(set, key, None, &mut |found, condition| {
                field = Some((found.name.as_str(), condition));
                next.push(found.selections.items.as_slice());
            });
        }
        let (field_name, condition) = field?;
        let parent = condition.unwrap_or(type_name);
        let definition = schema.types.get(parent)?.fields.get(field_name)?;
        type_name = named_type(&definition.definition.field_type);
        sets = next;
    }
    Some((sets, type_name))
}

/// Calls `found` with each field answering to `key` in `items`, looking
/// through inline fragments, and the type condition it was found under.
fn fields_named<'i>(
    items: &'i [SelectionItem],
    key: &str,
    condition: Option<&'i str>,
    found: &mut dyn FnMut(&'i crate::planning::FieldSelection, Option<&'i str>),
) {
    for item in items {
        match item {
            SelectionItem::Field(field) if field.selection_identifier() == key => {
                found(field, condition);
            }
            SelectionItem::InlineFragment(fragment) => {
                let inner = Some(fragment.type_condition.as_str());
                fields_named(&fragment.selections.items, key, inner, found);
            }
            _ => {}
        }
    }
}

fn lock<T>(mutex: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
}
