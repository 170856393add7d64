//! The one boundary to the query planner (`hive-router-query-planner`).
//! Everything else in the router sees `PreparedOperation`; replacing the
//! planner means rewriting this module.

mod authorization;
mod context;
mod cost;
mod defer;
mod limits;
mod overrides;

pub use authorization::{AuthorizationConfig, FORBIDDEN, PolicyRule};
pub use context::{ContextArgument, Contexts};
pub use defer::{DeferGroup, DeferredFragments};
pub use limits::{Limits, refusal};

use std::{
    hash::BuildHasher,
    num::NonZeroUsize,
    sync::{Arc, Mutex},
};

use graphql_tools::{
    parser::query::{Definition, OperationDefinition as AstOperation},
    static_graphql::{query::Document as QueryDocument, schema::Document as SchemaDocument},
    validation::{
        rules::default_rules_validation_plan, validate::ValidationPlan, validate::validate,
    },
};
use hive_router_query_planner::{
    ast::{normalization::normalize_operation, operation::OperationDefinition},
    planner::{Planner, QueryPlannerOptions, plan_nodes::QueryPlan},
    utils::cancellation::CancellationToken,
};
use lru::LruCache;

use crate::{
    error::{GraphqlError, PARSE_FAILED, RequestError, RequestFailure, VALIDATION_FAILED},
    observability::RouterMetrics,
    schema::{SchemaIndex, named_type},
};

pub use hive_router_query_planner::ast::{
    selection_item::SelectionItem,
    selection_set::{FieldSelection, SelectionSet},
};
pub use hive_router_query_planner::planner::plan_nodes;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Query,
    Mutation,
    Subscription,
}

/// An operation ready to execute: validated, normalized and planned.
#[derive(Debug)]
pub struct PreparedOperation {
    pub kind: Kind,
    /// The normalized operation: fragments inlined, abstract types
    /// expanded. The response is shaped by it.
    pub operation: OperationDefinition,
    /// The client's variable definitions, for coercion.
    pub variables: Vec<graphql_tools::static_graphql::query::VariableDefinition>,
    pub plan: Arc<QueryPlan>,
    /// Its `@defer` fragments (none for subscriptions).
    pub deferred: DeferredFragments,
    /// The progressive-override draw it was planned with.
    draw: overrides::Draw,
    /// Its estimated cost, once known, when it has no variables (a list
    /// size then never depends on the request).
    fixed_cost: std::sync::OnceLock<u64>,
}

impl PreparedOperation {
    /// Whether it asks for `__schema` or `__type` (`__typename` is not
    /// introspection of the schema).
    pub fn introspects(&self) -> bool {
        fn walk(items: &[SelectionItem]) -> bool {
            items.iter().any(|item| match item {
                SelectionItem::Field(f) => f.name == "__schema" || f.name == "__type",
                SelectionItem::InlineFragment(f) => walk(&f.selections.items),
                SelectionItem::FragmentSpread(_) => false,
            })
        }
        walk(&self.operation.selection_set.items)
    }
}

pub struct QueryPlanner {
    planner: Planner,
    validation: ValidationPlan,
    /// The API schema plus the `@defer` directive, which clients may use
    /// although no subgraph declares it.
    validation_schema: SchemaDocument,
    /// Keyed by a hash of the request text and operation name: a hit skips
    /// parsing, validation and normalization as well as planning. Each
    /// entry keeps its text, compared on a hit, so that a colliding
    /// document (crafted or not) is never answered with another's plan.
    by_text: Mutex<LruCache<u64, Arc<TextEntry>>>,
    /// Keyed by the normalized operation's hash: differently written but
    /// equivalent documents share one plan. The planner's hash is FxHash,
    /// easy to collide, so each entry keeps the normalized text too.
    by_normalized: Mutex<LruCache<u64, PlanEntry>>,
    /// Seeded per process, so nobody can aim collisions at a known entry.
    text_hasher: foldhash::fast::RandomState,
    schema: SchemaIndex,
    overrides: overrides::Overrides,
    contexts: Contexts,
    costs: cost::CostModel,
    authorization: authorization::AuthorizationModel,
    /// Counts plan cache hits and misses, when the router observes them.
    metrics: Option<Arc<RouterMetrics>>,
}

/// A plan, the normalized operation's text and the progressive-override
/// bucket it was planned for.
type PlanEntry = (String, usize, Arc<QueryPlan>);

struct TextEntry {
    query: Box<str>,
    operation_name: Option<Box<str>>,
    /// The progressive-override bucket it was planned for.
    bucket: usize,
    prepared: Arc<PreparedOperation>,
}

impl QueryPlanner {
    /// `override_flags`: progressive-override labels that are switched on.
    pub fn new(
        supergraph: &SchemaDocument,
        cache_size: usize,
        override_flags: &[String],
    ) -> Result<Self, String> {
        let (contexts, planned) = Contexts::read(supergraph);
        let planner = Planner::new_from_supergraph(
            planned.as_ref().unwrap_or(supergraph),
            QueryPlannerOptions::default(),
        )
        .map_err(|e| format!("the supergraph cannot be planned over: {e}"))?;
        let size = NonZeroUsize::new(cache_size.max(1)).unwrap_or(NonZeroUsize::MIN);
        let api = without_spec_definitions(&planner.consumer_schema.document);
        let validation_schema = with_defer_directive(&api);
        let schema = SchemaIndex::new(api);
        Ok(Self {
            schema,
            validation_schema,
            overrides: overrides::Overrides::new(supergraph, override_flags),
            contexts,
            costs: cost::CostModel::read(supergraph),
            authorization: authorization::AuthorizationModel::read(supergraph),
            planner,
            validation: default_rules_validation_plan(),
            by_text: Mutex::new(LruCache::new(size)),
            by_normalized: Mutex::new(LruCache::new(size)),
            text_hasher: foldhash::fast::RandomState::default(),
            metrics: None,
        })
    }

    /// Counts this planner's cache hits and misses in `metrics`.
    pub fn observe(&mut self, metrics: Arc<RouterMetrics>) {
        self.metrics = Some(metrics);
    }

    /// The API schema: what clients see and are validated against.
    pub fn api_schema(&self) -> &SchemaDocument {
        &self.schema.document
    }

    /// The API schema, indexed for lookups.
    pub fn schema(&self) -> &SchemaIndex {
        &self.schema
    }

    /// `operation`'s estimated cost with these variables (see `cost.rs`).
    pub fn estimate_cost(
        &self,
        operation: &PreparedOperation,
        variables: &serde_json::Map<String, serde_json::Value>,
        default_list_size: u64,
    ) -> u64 {
        let estimate =
            || self.costs.estimate(operation, variables, &self.schema, default_list_size);
        if operation.variables.is_empty() {
            return *operation.fixed_cost.get_or_init(estimate);
        }
        estimate()
    }

    /// The supergraph's `@fromContext` arguments and virtual subgraphs.
    pub fn contexts(&self) -> &Contexts {
        &self.contexts
    }

    pub fn prepare(
        &self,
        query: &str,
        operation_name: Option<&str>,
        limits: Limits,
    ) -> Result<Arc<PreparedOperation>, RequestError> {
        let draw = self.overrides.draw();
        let text_key = self.text_hasher.hash_one((query, operation_name, draw.bucket));
        if let Some(hit) = lock(&self.by_text).get(&text_key)
            && *hit.query == *query
            && hit.operation_name.as_deref() == operation_name
            && hit.bucket == draw.bucket
        {
            if let Some(metrics) = &self.metrics {
                metrics.plan_cache(true);
            }
            return Ok(hit.prepared.clone());
        }
        if let Some(metrics) = &self.metrics {
            metrics.plan_cache(false);
        }
        let started = std::time::Instant::now();
        limits.check_depth(query)?;
        let document: QueryDocument =
            graphql_tools::parser::parse_query_with_token_limit::<String>(query, limits.max_tokens)
                .map_err(|e| RequestError {
                    failure: RequestFailure::Invalid,
                    errors: vec![GraphqlError::new(format!("syntax error: {e}"), PARSE_FAILED)],
                })?
                .into_static();
        let (kind, variables) = select_operation(&document, operation_name)?;
        limits.check_shape(&document, operation_name)?;
        let errors = validate(&self.validation_schema, &document, &self.validation);
        if !errors.is_empty() {
            return Err(RequestError {
                failure: RequestFailure::Invalid,
                errors: errors
                    .into_iter()
                    .map(|e| {
                        let mut error = GraphqlError::new(e.message, VALIDATION_FAILED);
                        for pos in e.locations {
                            error = error.with_location(pos.line, pos.column);
                        }
                        error
                    })
                    .collect(),
            });
        }
        let mut deferred = DeferredFragments::default();
        let mut rewritten = None;
        if kind != Kind::Subscription && query.contains("@defer") {
            let mut copy = document.clone();
            let names: Vec<String> = variables.iter().map(|v| v.name.clone()).collect();
            if let Some(found) = defer::rewrite(&mut copy, &names) {
                deferred = found;
                rewritten = Some(copy);
            }
        }
        let to_plan = rewritten.as_ref().unwrap_or(&document);
        let normalized = normalize_operation(&self.planner.supergraph, to_plan, operation_name)
            .map_err(|e| invalid(format!("cannot normalize the operation: {e}")))?;
        let mut operation = normalized.operation;
        let root = match kind {
            Kind::Query => Some(&self.schema.query_type),
            Kind::Mutation => self.schema.mutation_type.as_ref(),
            Kind::Subscription => self.schema.subscription_type.as_ref(),
        };
        if let Some(root) = root {
            ask_for_typenames(&mut operation.selection_set, root, &self.schema);
            if !self.contexts.is_empty() {
                self.contexts.ask_for_values(&mut operation.selection_set, root, &self.schema);
            }
        }
        defer::locate(&mut deferred, &operation.selection_set);
        let plan = self.plan_cached(&operation, draw)?;
        let prepared = Arc::new(PreparedOperation {
            kind,
            operation,
            variables,
            plan,
            deferred,
            draw,
            fixed_cost: std::sync::OnceLock::new(),
        });
        let entry = TextEntry {
            query: query.into(),
            operation_name: operation_name.map(Into::into),
            bucket: draw.bucket,
            prepared: prepared.clone(),
        };
        lock(&self.by_text).put(text_key, Arc::new(entry));
        if let Some(metrics) = &self.metrics {
            metrics.planned(started.elapsed());
        }
        Ok(prepared)
    }

    /// The plan of a normalized operation, from the cache when an
    /// equivalent one was planned for the same override bucket.
    fn plan_cached(
        &self,
        operation: &OperationDefinition,
        draw: overrides::Draw,
    ) -> Result<Arc<QueryPlan>, RequestError> {
        let plan_key = self.text_hasher.hash_one((operation.hash(), draw.bucket));
        let normalized_text = operation.to_string();
        let cached = lock(&self.by_normalized)
            .get(&plan_key)
            .filter(|(text, bucket, _)| *text == normalized_text && *bucket == draw.bucket)
            .map(|(_, _, plan)| plan.clone());
        if let Some(plan) = cached {
            return Ok(plan);
        }
        // Introspection is answered by the router, not planned.
        let mut plannable = operation.clone();
        plannable
            .selection_set
            .items
            .retain(|item| !matches!(item, SelectionItem::Field(f) if f.name.starts_with("__")));
        let mut plan = if plannable.selection_set.items.is_empty() {
            QueryPlan { kind: "QueryPlan", node: None }
        } else {
            self.plan(&plannable, draw)?
        };
        self.contexts.pass_arguments(&mut plan);
        let plan = Arc::new(plan);
        lock(&self.by_normalized).put(plan_key, (normalized_text, draw.bucket, plan.clone()));
        Ok(plan)
    }

    /// `prepared` as these claims may run it: fields the authorization
    /// directives deny are not planned (the response has them `null`), and
    /// an error for each comes back to go in the response.
    pub fn authorize(
        &self,
        prepared: Arc<PreparedOperation>,
        claims: Option<&authorization::Claims>,
        config: &AuthorizationConfig,
    ) -> Result<(Arc<PreparedOperation>, Vec<GraphqlError>), RequestError> {
        if self.authorization.is_empty() {
            return Ok((prepared, Vec::new()));
        }
        let root = match prepared.kind {
            Kind::Query => Some(&self.schema.query_type),
            Kind::Mutation => self.schema.mutation_type.as_ref(),
            Kind::Subscription => self.schema.subscription_type.as_ref(),
        };
        let Some(root) = root else { return Ok((prepared, Vec::new())) };
        let (selections, denied) = self.authorization.filter(
            &prepared.operation.selection_set,
            root,
            claims,
            config,
            &self.schema,
        );
        if denied.is_empty() {
            return Ok((prepared, Vec::new()));
        }
        if config.reject_unauthorized {
            return Err(RequestError { failure: RequestFailure::Forbidden, errors: denied });
        }
        let mut allowed = prepared.operation.clone();
        allowed.selection_set = selections;
        let plan = self.plan_cached(&allowed, prepared.draw)?;
        let authorized = PreparedOperation {
            kind: prepared.kind,
            operation: prepared.operation.clone(),
            variables: prepared.variables.clone(),
            plan,
            deferred: prepared.deferred.clone(),
            draw: prepared.draw,
            fixed_cost: prepared.fixed_cost.clone(),
        };
        Ok((Arc::new(authorized), denied))
    }

    fn plan(
        &self,
        operation: &OperationDefinition,
        draw: overrides::Draw,
    ) -> Result<QueryPlan, RequestError> {
        self.planner
            .plan_from_normalized_operation(
                operation,
                self.overrides.context(draw),
                &CancellationToken::new(),
            )
            .map_err(|e| {
                tracing::error!(error = %e, "query planning failed");
                invalid("the operation cannot be planned over the current supergraph")
            })
    }
}

/// The planner's API schema without what the federation specs define
/// (`@context`, `join__ContextArgument`…): they are not the clients'.
fn without_spec_definitions(schema: &SchemaDocument) -> SchemaDocument {
    use graphql_tools::static_graphql::schema::{Definition as SchemaDefinition, TypeDefinition};
    let spec = |name: &str| {
        ["join__", "link__", "context__", "federation__", "requiresScopes__", "policy__"]
            .iter()
            .any(|p| name.starts_with(p))
    };
    let mut document = schema.clone();
    document.definitions.retain(|definition| match definition {
        SchemaDefinition::DirectiveDefinition(d) => {
            !(spec(&d.name)
                || matches!(
                    d.name.as_str(),
                    "context" | "link" | "authenticated" | "requiresScopes" | "policy"
                ))
        }
        SchemaDefinition::TypeDefinition(t) => !spec(match t {
            TypeDefinition::Scalar(t) => &t.name,
            TypeDefinition::Object(t) => &t.name,
            TypeDefinition::Interface(t) => &t.name,
            TypeDefinition::Union(t) => &t.name,
            TypeDefinition::Enum(t) => &t.name,
            TypeDefinition::InputObject(t) => &t.name,
        }),
        _ => true,
    });
    document
}

/// `schema` with `directive @defer` added unless it already has one.
fn with_defer_directive(schema: &SchemaDocument) -> SchemaDocument {
    use graphql_tools::static_graphql::schema::Definition as SchemaDefinition;
    let mut document = schema.clone();
    let declared = document
        .definitions
        .iter()
        .any(|d| matches!(d, SchemaDefinition::DirectiveDefinition(d) if d.name == "defer"));
    let defer =
        "directive @defer(label: String, if: Boolean! = true) on FRAGMENT_SPREAD | INLINE_FRAGMENT";
    if !declared && let Ok(parsed) = graphql_tools::parser::parse_schema::<String>(defer) {
        document.definitions.extend(parsed.into_static().definitions);
    }
    document
}

fn invalid(message: impl Into<String>) -> RequestError {
    RequestError::new(RequestFailure::Invalid, message, VALIDATION_FAILED)
}

type Selected = (Kind, Vec<graphql_tools::static_graphql::query::VariableDefinition>);

/// Picks the operation to run as the spec says: by name, or the only one.
fn select_operation(
    document: &QueryDocument,
    name: Option<&str>,
) -> Result<Selected, RequestError> {
    let operations: Vec<&AstOperation<'static, String>> = document
        .definitions
        .iter()
        .filter_map(|d| match d {
            Definition::Operation(op) => Some(op),
            Definition::Fragment(_) => None,
        })
        .collect();
    let name_of = |op: &AstOperation<'static, String>| match op {
        AstOperation::Query(q) => q.name.clone(),
        AstOperation::Mutation(m) => m.name.clone(),
        AstOperation::Subscription(s) => s.name.clone(),
        AstOperation::SelectionSet(_) => None,
    };
    let chosen = match name {
        Some(name) => operations
            .iter()
            .find(|op| name_of(op).as_deref() == Some(name))
            .ok_or_else(|| invalid(format!("unknown operation named `{name}`")))?,
        None if operations.len() == 1 => &operations[0],
        None if operations.is_empty() => return Err(invalid("the document contains no operation")),
        None => {
            return Err(invalid(
                "operationName is required when the document has several operations",
            ));
        }
    };
    Ok(match chosen {
        AstOperation::Query(q) => (Kind::Query, q.variable_definitions.clone()),
        AstOperation::SelectionSet(_) => (Kind::Query, Vec::new()),
        AstOperation::Mutation(m) => (Kind::Mutation, m.variable_definitions.clone()),
        AstOperation::Subscription(s) => (Kind::Subscription, s.variable_definitions.clone()),
    })
}

/// Adds a `__typename` that the client did not ask for (and does not get)
/// to every selection on an interface or union that lacks one, so that
/// each object's concrete type is known when the response is written: an
/// object of a type the API schema hides must be answered as `null`.
fn ask_for_typenames(selections: &mut SelectionSet, parent: &str, schema: &SchemaIndex) {
    for item in &mut selections.items {
        match item {
            SelectionItem::Field(field) if !field.selections.is_empty() => {
                let Some(definition) =
                    schema.types.get(parent).and_then(|t| t.fields.get(&field.name))
                else {
                    continue;
                };
                let named = named_type(&definition.definition.field_type);
                ask_for_typenames(&mut field.selections, named, schema);
                let asked = field.selections.items.iter().any(|item| {
                    matches!(item, SelectionItem::Field(f) if f.name == "__typename"
                        && f.alias.is_none() && f.skip_if.is_none() && f.include_if.is_none())
                });
                if schema.is_abstract(named) && !asked {
                    let typename = FieldSelection::new_skipped_typename();
                    field.selections.items.insert(0, SelectionItem::Field(typename));
                }
            }
            SelectionItem::InlineFragment(fragment) => {
                ask_for_typenames(&mut fragment.selections, &fragment.type_condition, schema);
            }
            _ => {}
        }
    }
}

fn lock<T>(mutex: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
}
