//! Our executor: walks the query plan, calls subgraphs, merges their data
//! into one tree, then writes the response to the client's selection.
//!
//! The tree borrows from the subgraphs' response bodies (see `value`),
//! which are kept in `Bodies` until the response is written.

mod context;
mod incremental;
mod introspection;
mod parse;
mod paths;
mod representations;
mod response;
pub mod subgraphs;
pub mod uploads;
mod value;

use std::{collections::BTreeSet, sync::Mutex};

use axum::http::HeaderMap;
use futures::{FutureExt, future::BoxFuture};
use serde_json::{Map, Value as JsonValue};
use server::telemetry::{self, TraceParent};
use tracing::Instrument;

pub use incremental::Format;
pub use introspection::Introspection;
use paths::{Matcher, address_to_path};
use subgraphs::{FetchError, Sharing, SubgraphResponse, Subgraphs};
use value::{Object, Value, deep_merge};

use crate::{
    error::{GraphqlError, SUBREQUEST_FAILED},
    planning::{
        Contexts, Kind, PreparedOperation, SelectionSet,
        plan_nodes::{BatchFetchNode, FetchNode, FetchRewrite, FlattenNodePathSegment, PlanNode},
    },
    schema::SchemaIndex,
};

/// The result of one operation.
#[derive(Debug)]
pub struct ExecutionResult {
    /// The response body so far: `{"data":` and the JSON text of `data`,
    /// written by `response::write` straight into the buffer that is sent.
    body: Vec<u8>,
    pub errors: Vec<GraphqlError>,
}

/// How every response body starts.
const DATA_PREFIX: &[u8] = b"{\"data\":";

impl ExecutionResult {
    /// The JSON text of `data`.
    fn data(&self) -> &[u8] {
        &self.body[DATA_PREFIX.len()..]
    }

    /// The response body's bytes: `data`, then `errors` when there are any.
    pub fn into_bytes(self) -> Vec<u8> {
        let mut body = self.body;
        if !self.errors.is_empty() {
            body.extend_from_slice(b",\"errors\":");
            // Errors are plain data and always serialise.
            let _ = serde_json::to_writer(&mut body, &self.errors);
        }
        body.push(b'}');
        body
    }

    /// The response body as a value, for transports that send events.
    pub fn into_body(self) -> JsonValue {
        let mut body = Map::new();
        if !self.errors.is_empty() {
            body.insert("errors".into(), serde_json::to_value(&self.errors).unwrap_or_default());
        }
        let data = serde_json::from_slice(self.data()).unwrap_or(JsonValue::Null);
        body.insert("data".into(), data);
        JsonValue::Object(body)
    }
}

pub struct Execution<'a> {
    pub operation: &'a PreparedOperation,
    pub variables: &'a Map<String, JsonValue>,
    pub headers: &'a HeaderMap,
    pub subgraphs: &'a Subgraphs,
    pub schema: &'a SchemaIndex,
    pub introspection: &'a Introspection,
    pub contexts: &'a Contexts,
    /// Errors the response starts with: fields authorization took out.
    pub denied: &'a [GraphqlError],
    /// Files of a multipart request, for the fetches whose variables
    /// carry them.
    pub uploads: Option<&'a uploads::Uploads>,
}

/// The response bodies of one execution, kept as long as the values parsed
/// from them: pushing never moves a body already kept.
type Bodies = elsa::sync::FrozenVec<String>;

/// One execution in progress. Values in `data` borrow from `bodies` and
/// from the plan ('a outlives 'b).
struct Run<'a, 'b> {
    exec: &'b Execution<'a>,
    bodies: &'b Bodies,
    data: Mutex<Value<'b>>,
    /// Each error with the group (`@defer` payload; 0: the first) of the
    /// fetch that reported it.
    errors: Mutex<Vec<(usize, GraphqlError)>>,
    /// Set when the result is delivered in parts.
    incremental: Option<incremental::Incremental>,
    /// Bytes received from subgraphs.
    received: std::sync::atomic::AtomicUsize,
    /// Whether this request's trace is exported and sampled: only then
    /// are plan nodes and fetches given spans of their own (an unsampled
    /// trace would drop them anyway, after paying for them).
    detailed: bool,
}

/// One `_entities` call's worth of work: which entities, what to send.
#[derive(Clone)]
struct EntityJob<'a> {
    response_key: &'a str,
    representations_variable: &'a str,
    paths: Vec<&'a [FlattenNodePathSegment]>,
    requires: &'a SelectionSet,
    input_rewrites: Option<&'a Vec<FetchRewrite>>,
    output_rewrites: Option<&'a Vec<FetchRewrite>>,
    /// Only the entities at these addresses (`None`: all along `paths`).
    only: Option<std::collections::HashSet<Vec<u32>>>,
}

/// The entities one job found, in the order their representations were
/// written: each one's address, end to end in `steps`.
#[derive(Default)]
struct Found {
    steps: Vec<u32>,
    entities: Vec<Entity>,
}

struct Entity {
    /// Which of the job's paths led to it.
    path: usize,
    /// Where its address ends in `steps` (it starts where the previous
    /// one's ends).
    end: usize,
    /// Its representation's index, or `None` when it lacks a required field.
    representation: Option<usize>,
}

/// A subscription event's payload, standing in for the plan's Subscription
/// node, with the rewrites the primary fetch asks for.
struct Seed<'a> {
    data: String,
    rewrites: Option<&'a Vec<FetchRewrite>>,
}

impl<'a> Execution<'a> {
    pub async fn run(&self) -> ExecutionResult {
        self.execute(None, self.denied.to_vec(), None).await
    }

    /// Runs a query or mutation with `@defer`red fragments, sending each
    /// payload (the JSON text of one part, in `format`) as soon as the
    /// fetches it needs are done.
    pub async fn run_incremental(
        &self,
        format: Format,
        parts: tokio::sync::mpsc::UnboundedSender<Vec<u8>>,
    ) {
        let incremental = incremental::Incremental::new(self, format, parts);
        self.execute(None, self.denied.to_vec(), Some(incremental)).await;
    }

    /// One subscription event: the owning subgraph's payload for the
    /// primary fetch, followed by the rest of the plan (the follow-up
    /// fetches), run as for a query.
    pub async fn run_event(
        &self,
        primary: &'a FetchNode,
        response: SubgraphResponse,
    ) -> ExecutionResult {
        let service = primary.service_name.as_str();
        let errors = self
            .denied
            .iter()
            .cloned()
            .chain(
                response
                    .errors
                    .into_iter()
                    .map(|e| subgraph_error(e, service, |path| Some(path.to_vec()))),
            )
            .collect();
        let seed = response.data.filter(JsonValue::is_object).map(|data| Seed {
            data: data.to_string(),
            rewrites: primary.output_rewrites.as_ref(),
        });
        self.execute(seed, errors, None).await
    }

    async fn execute(
        &self,
        seed: Option<Seed<'a>>,
        errors: Vec<GraphqlError>,
        incremental: Option<incremental::Incremental>,
    ) -> ExecutionResult {
        let bodies = Bodies::new();
        let mut data = Value::Object(Object::new());
        if let Some(seed) = seed {
            let text = bodies.push_get(seed.data);
            // The payload was a JSON object when it was written.
            if let Ok(parsed) = parse::value(text) {
                data = parsed;
            }
            if let Some(rewrites) = seed.rewrites {
                paths::apply_rewrites(&mut data, rewrites, &self.matcher());
            }
        }
        // Answered by the router itself, before any payload is written.
        self.introspection.resolve_root(
            &self.operation.operation.selection_set,
            self.variables,
            &mut data,
        );
        let run = Run {
            exec: self,
            bodies: &bodies,
            data: Mutex::new(data),
            errors: Mutex::new(errors.into_iter().map(|e| (0, e)).collect()),
            received: 0.into(),
            incremental,
            detailed: telemetry::otlp::exporting()
                && TraceParent::from_headers(self.headers).is_some_and(|trace| trace.sampled),
        };
        run.emit_ready();
        if let Some(node) = &self.operation.plan.node {
            run.node(node, 0).await;
        }
        if run.incremental.is_some() {
            run.finish_incremental();
            return ExecutionResult { body: Vec::new(), errors: Vec::new() };
        }
        let data = run.data.into_inner().unwrap_or_else(|e| e.into_inner());
        let errors = run.errors.into_inner().unwrap_or_else(|e| e.into_inner());
        let mut errors: Vec<GraphqlError> = errors.into_iter().map(|(_, e)| e).collect();
        // The client's answer is usually a little smaller than what the
        // subgraphs sent: one allocation, no regrowth.
        let received = run.received.load(std::sync::atomic::Ordering::Relaxed);
        let mut body = Vec::with_capacity(received + 256);
        body.extend_from_slice(DATA_PREFIX);
        response::write(self, self.variables, &data, &mut errors, &mut body);
        ExecutionResult { body, errors }
    }

    fn matcher(&self) -> impl Fn(&str, &BTreeSet<String>) -> bool + '_ {
        |typename: &str, types: &BTreeSet<String>| {
            types.iter().any(|t| self.schema.type_matches(typename, t))
        }
    }
}

impl<'a: 'b, 'b> Run<'a, 'b> {
    /// Runs `node`, whose fetches serve `group` (the `@defer` payload that
    /// waits for them; 0: the first).
    fn node<'n>(&'n self, node: &'a PlanNode, group: usize) -> BoxFuture<'n, ()> {
        let span = if self.detailed {
            let kind = node_kind(node);
            tracing::info_span!("plan node", otel.name = kind, plan.node = kind)
        } else {
            tracing::Span::none()
        };
        async move {
            match node {
                PlanNode::Sequence(sequence) => {
                    for child in &sequence.nodes {
                        self.node(child, group).await;
                    }
                }
                PlanNode::Parallel(parallel) => {
                    let children = parallel.nodes.iter().map(|n| self.node(n, group));
                    futures::future::join_all(children).await;
                }
                PlanNode::Fetch(fetch) => {
                    match &fetch.requires {
                        Some(_) => self.entities_from_fetch(&[], fetch, group).await,
                        None => self.root_fetch(fetch, group).await,
                    }
                    self.fetch_done(group);
                }
                PlanNode::Flatten(flatten) => match flatten.node.as_ref() {
                    PlanNode::Fetch(fetch) => {
                        self.entities_from_fetch(flatten.path.as_slice(), fetch, group).await;
                        self.fetch_done(group);
                    }
                    other => self.node(other, group).await,
                },
                PlanNode::BatchFetch(batch) => {
                    self.batch_fetch(batch, group).await;
                    self.fetch_done(group);
                }
                PlanNode::Condition(condition) => {
                    let (branch, group) = incremental::branch(
                        condition,
                        group,
                        self.exec.operation,
                        self.exec.variables,
                    );
                    if let Some(branch) = branch {
                        self.node(branch, group).await;
                    }
                }
                // Its data is the seed `execute` started with.
                PlanNode::Subscription(_) => {}
                // The planner never builds one (see `planning::defer`).
                PlanNode::Defer(_) => {
                    let error =
                        GraphqlError::new("@defer is not supported", "OPERATION_NOT_SUPPORTED");
                    self.error(group, error);
                }
            }
        }
        .instrument(span)
        .boxed()
    }

    async fn root_fetch(&self, fetch: &'a FetchNode, group: usize) {
        let variables = self.variables_for(fetch.variable_usages.as_ref());
        let service = fetch.service_name.as_str();
        let Some(response) =
            self.call(service, &fetch.operation.document_str, &variables, &[], group).await
        else {
            return;
        };
        for error in response.errors {
            self.error(group, subgraph_error(error, service, |path| Some(path.to_vec())));
        }
        if let Some(mut data) = response.data.filter(|d| d.as_object().is_some()) {
            if let Some(rewrites) = &fetch.output_rewrites {
                paths::apply_rewrites(&mut data, rewrites, &self.exec.matcher());
            }
            deep_merge(&mut self.lock_data(), data);
        }
    }

    async fn entities_from_fetch(
        &self,
        path: &'a [FlattenNodePathSegment],
        fetch: &'a FetchNode,
        group: usize,
    ) {
        let Some(requires) = &fetch.requires else { return };
        let query = fetch.operation.document_str.as_str();
        let job = EntityJob {
            response_key: "_entities",
            representations_variable: "representations",
            paths: vec![path],
            requires,
            input_rewrites: fetch.input_rewrites.as_ref(),
            output_rewrites: fetch.output_rewrites.as_ref(),
            only: None,
        };
        let usages = fetch.variable_usages.as_ref();
        let contextual = self.exec.contexts.for_fetch(&fetch.service_name, query);
        if !contextual.is_empty() {
            let request = (fetch.service_name.as_str(), query, usages);
            return self.contextual_fetch(request, vec![job], contextual, group).await;
        }
        self.entity_fetch(&fetch.service_name, query, usages, vec![job], Map::new(), group).await;
    }

    async fn batch_fetch(&self, batch: &'a BatchFetchNode, group: usize) {
        let jobs = batch
            .entity_batch
            .aliases
            .iter()
            .map(|alias| EntityJob {
                response_key: &alias.alias,
                representations_variable: &alias.representations_variable_name,
                paths: alias.merge_paths.iter().map(|p| p.as_slice()).collect(),
                requires: &alias.requires,
                input_rewrites: alias.input_rewrites.as_ref(),
                output_rewrites: alias.output_rewrites.as_ref(),
                only: None,
            })
            .collect();
        let (service, query) = (batch.service_name.as_str(), batch.operation.document_str.as_str());
        let usages = batch.variable_usages.as_ref();
        let contextual = self.exec.contexts.for_fetch(service, query);
        if !contextual.is_empty() {
            return self.contextual_fetch((service, query, usages), jobs, contextual, group).await;
        }
        self.entity_fetch(service, query, usages, jobs, Map::new(), group).await;
    }

    /// One request to `service` resolving every job's entities, with each
    /// representation sent once however often it occurs in the response.
    /// `extra`: variables the router adds (contextual arguments).
    async fn entity_fetch(
        &self,
        service: &str,
        query: &str,
        usages: Option<&BTreeSet<String>>,
        jobs: Vec<EntityJob<'a>>,
        extra: Map<String, JsonValue>,
        group: usize,
    ) {
        let matcher = self.exec.matcher();
        let mut variables = self.variables_for(usages);
        variables.extend(extra);
        // Each job's representations, as the JSON text of one array.
        let mut raw: Vec<(&str, Vec<u8>)> = Vec::with_capacity(jobs.len());
        let mut found: Vec<Found> = Vec::with_capacity(jobs.len());
        {
            let data = self.lock_data();
            for job in &jobs {
                let mut array = representations::Representations::default();
                let mut job_found = Found::default();
                for (path_index, path) in job.paths.iter().enumerate() {
                    let mut address = Vec::new();
                    paths::each(&data, path, &matcher, &mut address, &mut |entity, address| {
                        if job.only.as_ref().is_some_and(|only| !only.contains(address)) {
                            return;
                        }
                        let representation = array.add(
                            entity,
                            job.requires,
                            job.input_rewrites,
                            self.exec.schema,
                            &matcher,
                        );
                        job_found.steps.extend_from_slice(address);
                        job_found.entities.push(Entity {
                            path: path_index,
                            end: job_found.steps.len(),
                            representation,
                        });
                    });
                }
                raw.push((job.representations_variable, array.finish()));
                found.push(job_found);
            }
        }
        if found.iter().flat_map(|f| &f.entities).all(|e| e.representation.is_none()) {
            return;
        }
        let Some(response) = self.call(service, query, &variables, &raw, group).await else {
            return;
        };
        let mut data = match response.data {
            Some(Value::Object(data)) => data,
            _ => Object::new(),
        };
        let mut tree = self.lock_data();
        for error in response.errors {
            for error in remap_entity_error(error, service, &jobs, &found, &data, &tree, &matcher) {
                self.error(group, error);
            }
        }
        for (job, job_found) in jobs.iter().zip(&found) {
            let Some(at) = data.iter().position(|(key, _)| *key == job.response_key) else {
                continue;
            };
            let Value::List(mut results) = data.swap_remove(at).1 else { continue };
            // A result is moved into its last entity and cloned only for
            // the others that share its representation.
            let mut uses = vec![0usize; results.len()];
            for index in job_found.entities.iter().filter_map(|e| e.representation) {
                if let Some(count) = uses.get_mut(index) {
                    *count += 1;
                }
            }
            // Targets per path, in the order they were found.
            let mut targets: Vec<Vec<paths::Target<'_, 'b>>> = vec![Vec::new(); job.paths.len()];
            let mut start = 0;
            for entity in &job_found.entities {
                let address = &job_found.steps[start..entity.end];
                start = entity.end;
                let Some(index) = entity.representation else { continue };
                let Some(slot) = results.get_mut(index).filter(|r| r.as_object().is_some()) else {
                    continue;
                };
                uses[index] -= 1;
                let mut result = if uses[index] == 0 {
                    std::mem::replace(slot, Value::Null)
                } else {
                    slot.clone()
                };
                if let Some(rewrites) = job.output_rewrites {
                    paths::apply_rewrites(&mut result, rewrites, &matcher);
                }
                targets[entity.path].push((address, result));
            }
            for (path, mut targets) in job.paths.iter().zip(targets) {
                paths::merge_at(&mut tree, path, &mut targets);
            }
        }
    }

    /// Calls a subgraph and parses its answer into values that live as
    /// long as the execution; `None` after recording why it failed.
    async fn call(
        &self,
        service: &str,
        query: &str,
        variables: &Map<String, JsonValue>,
        raw_variables: &[(&str, Vec<u8>)],
        group: usize,
    ) -> Option<parse::Response<'b>> {
        let sharing = match self.exec.operation.kind {
            Kind::Mutation => Sharing::Mutation,
            Kind::Query | Kind::Subscription => Sharing::Query,
        };
        let subgraphs = self.exec.subgraphs;
        let headers = self.exec.headers;
        let multipart = self.exec.uploads.and_then(|uploads| uploads.request(query, variables));
        let fetch = async move {
            match multipart {
                Some((content_type, body)) => {
                    subgraphs.fetch_multipart(service, &content_type, body, headers).await
                }
                None => {
                    subgraphs
                        .fetch(service, query, variables, raw_variables, headers, sharing)
                        .await
                }
            }
        };
        let span = if self.detailed {
            tracing::info_span!(
                "fetch",
                otel.name = format!("fetch {service}"),
                otel.kind = "client",
                subgraph.name = service,
            )
        } else {
            tracing::Span::none()
        };
        let answer = fetch.instrument(span).await;
        let parsed = answer.and_then(|answer| {
            let status = answer.status;
            let received = answer.body.len();
            self.received.fetch_add(received, std::sync::atomic::Ordering::Relaxed);
            let text = self.bodies.push_get(answer.into_text()?);
            parse::response(text).map_err(|e| FetchError::unreadable(status, e.to_string()))
        });
        match parsed {
            Ok(response) => Some(response),
            Err(e) => {
                tracing::warn!(service, error = %e, "subgraph request failed");
                let message = match e {
                    FetchError::Timeout => format!("subgraph `{service}` did not answer in time"),
                    _ => format!("subgraph `{service}` is unavailable"),
                };
                let mut error = GraphqlError::new(message, SUBREQUEST_FAILED);
                error.extensions.insert("serviceName".into(), JsonValue::from(service));
                self.error(group, error);
                None
            }
        }
    }

    fn variables_for(&self, usages: Option<&BTreeSet<String>>) -> Map<String, JsonValue> {
        usages
            .into_iter()
            .flatten()
            .filter_map(|name| self.exec.variables.get(name).map(|v| (name.clone(), v.clone())))
            .collect()
    }

    fn lock_data(&self) -> std::sync::MutexGuard<'_, Value<'b>> {
        self.data.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    fn error(&self, group: usize, error: GraphqlError) {
        self.errors.lock().unwrap_or_else(std::sync::PoisonError::into_inner).push((group, error));
    }
}

/// A subgraph's error, with its path translated to the client's response
/// and `extensions.serviceName` added.
pub(crate) fn subgraph_error(
    raw: Map<String, JsonValue>,
    service: &str,
    remap: impl Fn(&[JsonValue]) -> Option<Vec<JsonValue>>,
) -> GraphqlError {
    let message =
        raw.get("message").and_then(JsonValue::as_str).unwrap_or("subgraph error").to_owned();
    let mut extensions =
        raw.get("extensions").and_then(JsonValue::as_object).cloned().unwrap_or_default();
    extensions.insert("serviceName".into(), JsonValue::from(service));
    let path = raw.get("path").and_then(JsonValue::as_array).and_then(|p| remap(p));
    GraphqlError { message, locations: Vec::new(), path, extensions }
}

/// Translates an `_entities` error to the client's paths:
/// `["_entities", 3, "name"]` becomes the path of each entity that used
/// representation 3, followed by `name`. Some subgraphs leave the index out
/// (`["_entities", "name"]`); the error then belongs to the entities whose
/// result is null at that field.
fn remap_entity_error(
    raw: Map<String, JsonValue>,
    service: &str,
    jobs: &[EntityJob<'_>],
    found: &[Found],
    results: &Object<'_>,
    tree: &Value<'_>,
    matcher: Matcher<'_>,
) -> Vec<GraphqlError> {
    let path: Vec<JsonValue> =
        raw.get("path").and_then(JsonValue::as_array).cloned().unwrap_or_default();
    let located = path.first().and_then(JsonValue::as_str).and_then(|key| {
        let job = jobs.iter().position(|j| j.response_key == key)?;
        let (indexes, rest): (Vec<usize>, &[JsonValue]) =
            match path.get(1).and_then(JsonValue::as_u64) {
                Some(index) => (vec![usize::try_from(index).ok()?], &path[2..]),
                None => {
                    let rest = &path[1..];
                    let nulls = match value::field(results, key) {
                        Some(Value::List(r)) => {
                            (0..r.len()).filter(|i| is_null_at(&r[*i], rest)).collect()
                        }
                        _ => Vec::new(),
                    };
                    (nulls, rest)
                }
            };
        // The entities' response paths, in the order `found` lists them.
        let addresses = jobs[job]
            .paths
            .iter()
            .flat_map(|p| paths::addresses(tree, p, matcher))
            .collect::<Vec<_>>();
        let paths: Vec<Vec<JsonValue>> = found[job]
            .entities
            .iter()
            .zip(&addresses)
            .filter(|(entity, _)| entity.representation.is_some_and(|i| indexes.contains(&i)))
            .map(|(_, address)| {
                let mut client = address_to_path(address);
                client.extend(rest.iter().cloned());
                client
            })
            .collect();
        (!paths.is_empty()).then_some(paths)
    });
    match located {
        Some(paths) => paths
            .into_iter()
            .map(|p| subgraph_error(raw.clone(), service, |_| Some(p.clone())))
            .collect(),
        None => vec![subgraph_error(raw, service, |_| None)],
    }
}

fn is_null_at(value: &Value<'_>, path: &[JsonValue]) -> bool {
    let mut current = value;
    for segment in path {
        let next = match (segment, current) {
            (JsonValue::String(key), Value::Object(object)) => value::field(object, key),
            (JsonValue::Number(n), Value::List(items)) => {
                n.as_u64().and_then(|i| items.get(usize::try_from(i).ok()?))
            }
            _ => None,
        };
        match next {
            Some(v) => current = v,
            None => return current.is_null(),
        }
    }
    current.is_null()
}

/// The plan node's kind, as query plans print it.
fn node_kind(node: &PlanNode) -> &'static str {
    match node {
        PlanNode::Sequence(_) => "Sequence",
        PlanNode::Parallel(_) => "Parallel",
        PlanNode::Fetch(_) => "Fetch",
        PlanNode::Flatten(_) => "Flatten",
        PlanNode::BatchFetch(_) => "BatchFetch",
        PlanNode::Condition(_) => "Condition",
        PlanNode::Subscription(_) => "Subscription",
        PlanNode::Defer(_) => "Defer",
    }
}
