//! The router's Prometheus metrics, served on `/metrics` in the text
//! exposition format (`prometheus-client`, one registry per router, so
//! several routers in one process keep their own counts). Names follow the
//! OpenTelemetry semantic conventions where one exists
//! (`http.server.request.duration` → `http_server_request_duration_seconds`).

use std::{
    collections::{HashMap, HashSet},
    sync::{PoisonError, RwLock, atomic::AtomicI64},
    time::Duration,
};

use axum::response::Response;
use prometheus_client::{
    metrics::{counter::Counter, family::Family, gauge::Gauge, histogram::Histogram},
    registry::{Registry, Unit},
};
use server::metrics::{Labels, LatencyFamily, exposition, latency_family};

/// Distinct operation names kept as label values; later ones are counted
/// as `other`, so a client sending random names cannot grow the series.
const MAX_OPERATION_NAMES: usize = 100;

pub struct RouterMetrics {
    registry: Registry,
    requests: LatencyFamily,
    subgraph_requests: LatencyFamily,
    plan_cache_hits: Counter,
    plan_cache_misses: Counter,
    rate_limited: Counter,
    websocket_connections: Gauge<i64, AtomicI64>,
    active_subscriptions: Gauge<i64, AtomicI64>,
    subscription_events: Counter,
    upstream_connections: Gauge<i64, AtomicI64>,
    upstream_operations: Gauge<i64, AtomicI64>,
    buffer_full_closes: Counter,
    results_computed: Counter,
    planning: Histogram,
    operation_names: RwLock<HashSet<String>>,
    /// The series of requests that succeeded, by operation type and known
    /// name: found without building labels, the usual case per request.
    succeeded: RwLock<HashMap<&'static str, HashMap<String, Histogram>>>,
}

/// How a GraphQL request ended, for the `result` label.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    /// Executed without errors.
    Ok,
    /// Executed, with errors in the response.
    GraphqlError,
    /// Refused before execution (parse, validation, limits, auth, rate).
    Rejected,
}

impl Outcome {
    fn label(self) -> &'static str {
        match self {
            Self::Ok => "ok",
            Self::GraphqlError => "graphql_error",
            Self::Rejected => "rejected",
        }
    }
}

impl Default for RouterMetrics {
    fn default() -> Self {
        let mut registry = Registry::default();
        let requests = latency_family();
        registry.register_with_unit(
            "http_server_request_duration",
            "GraphQL requests over HTTP, by operation name, type, result and error code",
            Unit::Seconds,
            requests.clone(),
        );
        let subgraph_requests = latency_family();
        registry.register_with_unit(
            "router_subgraph_request_duration",
            "Requests to subgraphs, by subgraph and result",
            Unit::Seconds,
            subgraph_requests.clone(),
        );
        let plan_cache = Family::<Labels, Counter>::default();
        registry.register(
            "router_query_plan_cache_lookups",
            "Query plan cache lookups by the operation's text, by result (hit, miss)",
            plan_cache.clone(),
        );
        let rate_limited = Counter::default();
        registry.register(
            "router_rate_limited",
            "Requests refused by rate limits",
            rate_limited.clone(),
        );
        let websocket_connections = Gauge::<i64, AtomicI64>::default();
        registry.register(
            "router_websocket_connections",
            "Open WebSocket connections",
            websocket_connections.clone(),
        );
        let active_subscriptions = Gauge::<i64, AtomicI64>::default();
        registry.register(
            "router_active_subscriptions",
            "Subscriptions running, over WebSocket and SSE",
            active_subscriptions.clone(),
        );
        let subscription_events = Counter::default();
        registry.register(
            "router_subscription_events",
            "Subscription events delivered to clients",
            subscription_events.clone(),
        );
        let upstream_connections = Gauge::<i64, AtomicI64>::default();
        registry.register(
            "router_subscription_upstream_connections",
            "WebSocket connections to subgraphs carrying subscriptions",
            upstream_connections.clone(),
        );
        let upstream_operations = Gauge::<i64, AtomicI64>::default();
        registry.register(
            "router_subscription_upstream_operations",
            "Subscriptions running at subgraphs (identical client subscriptions share one)",
            upstream_operations.clone(),
        );
        let buffer_full_closes = Counter::default();
        registry.register(
            "router_subscription_buffer_full_closes",
            "Subscriptions ended because the client did not keep up (SUBSCRIPTION_BUFFER_FULL)",
            buffer_full_closes.clone(),
        );
        let results_computed = Counter::default();
        registry.register(
            "router_subscription_results_computed",
            "Subscription results computed from upstream events (identical subscriptions share one per event)",
            results_computed.clone(),
        );
        let planning = server::metrics::latency_histogram();
        registry.register_with_unit(
            "router_query_planning_duration",
            "Time to parse, validate and plan an operation the plan cache did not hold",
            Unit::Seconds,
            planning.clone(),
        );
        // One statement each: the family's guard lives to the statement's
        // end, and the second lookup inserts under the write lock.
        let plan_cache_hits = plan_cache.get_or_create(&vec![("result", "hit".to_owned())]).clone();
        let plan_cache_misses =
            plan_cache.get_or_create(&vec![("result", "miss".to_owned())]).clone();
        Self {
            plan_cache_hits,
            plan_cache_misses,
            registry,
            requests,
            subgraph_requests,
            rate_limited,
            websocket_connections,
            active_subscriptions,
            subscription_events,
            upstream_connections,
            upstream_operations,
            buffer_full_closes,
            results_computed,
            planning,
            operation_names: RwLock::new(HashSet::new()),
            succeeded: RwLock::default(),
        }
    }
}

impl RouterMetrics {
    /// Upstream subscription connections and operations open now.
    pub fn upstreams(&self, (connections, operations): (usize, usize)) {
        self.upstream_connections.set(i64::try_from(connections).unwrap_or(i64::MAX));
        self.upstream_operations.set(i64::try_from(operations).unwrap_or(i64::MAX));
    }

    /// The `/metrics` answer.
    pub fn exposition(&self) -> Response {
        exposition(&self.registry)
    }

    pub fn request(
        &self,
        operation_name: Option<&str>,
        operation_type: &'static str,
        outcome: Outcome,
        code: Option<&str>,
        elapsed: Duration,
    ) {
        let seconds = elapsed.as_secs_f64();
        let name = operation_name.unwrap_or_default();
        if outcome == Outcome::Ok {
            let succeeded = self.succeeded.read().unwrap_or_else(PoisonError::into_inner);
            if let Some(series) =
                succeeded.get(operation_type).and_then(|by_name| by_name.get(name))
            {
                series.observe(seconds);
                return;
            }
        }
        let bounded = self.bounded_name(operation_name);
        let labels = vec![
            ("operation_type", operation_type.to_owned()),
            ("result", outcome.label().to_owned()),
            ("code", code.unwrap_or_default().to_owned()),
            ("operation_name", bounded),
        ];
        let series = self.requests.get_or_create(&labels).clone();
        series.observe(seconds);
        // Names past the bound share `other`'s series but are not kept.
        if outcome == Outcome::Ok && labels[3].1 == name {
            let mut succeeded = self.succeeded.write().unwrap_or_else(PoisonError::into_inner);
            succeeded.entry(operation_type).or_default().insert(name.to_owned(), series);
        }
    }

    /// A subgraph's request timer, looked up once per subgraph.
    pub fn subgraph_timer(&self, subgraph: &str) -> SubgraphTimer {
        let series = |result: &str| {
            let labels = vec![("subgraph", subgraph.to_owned()), ("result", result.to_owned())];
            self.subgraph_requests.get_or_create(&labels).clone()
        };
        SubgraphTimer { ok: series("ok"), error: series("error") }
    }

    pub fn plan_cache(&self, hit: bool) {
        if hit {
            self.plan_cache_hits.inc()
        } else {
            self.plan_cache_misses.inc()
        };
    }

    /// An operation planned (the plan cache missed), and how long it took.
    pub fn planned(&self, elapsed: Duration) {
        self.planning.observe(elapsed.as_secs_f64());
    }

    /// The counter a subscription bumps when it ends on a full buffer.
    pub fn buffer_full_closes(&self) -> Counter {
        self.buffer_full_closes.clone()
    }

    pub fn results_computed(&self) -> Counter {
        self.results_computed.clone()
    }

    pub fn rate_limited(&self) {
        self.rate_limited.inc();
    }

    /// Counts an open WebSocket connection until the guard is dropped.
    pub fn websocket_opened(&self) -> GaugeGuard {
        GaugeGuard::new(&self.websocket_connections)
    }

    /// Counts a running subscription until the guard is dropped.
    pub fn subscription_started(&self) -> GaugeGuard {
        GaugeGuard::new(&self.active_subscriptions)
    }

    pub fn subscription_event(&self) {
        self.subscription_events.inc();
    }

    fn bounded_name(&self, name: Option<&str>) -> String {
        let Some(name) = name.filter(|n| !n.is_empty()) else { return String::new() };
        // Known names are read under a shared lock: the usual case.
        if self.operation_names.read().unwrap_or_else(PoisonError::into_inner).contains(name) {
            return name.to_owned();
        }
        let mut names = self.operation_names.write().unwrap_or_else(PoisonError::into_inner);
        if names.len() < MAX_OPERATION_NAMES || names.contains(name) {
            names.insert(name.to_owned());
            return name.to_owned();
        }
        "other".to_owned()
    }
}

/// Times one subgraph's requests, by result.
#[derive(Debug, Clone)]
pub struct SubgraphTimer {
    ok: Histogram,
    error: Histogram,
}

impl SubgraphTimer {
    pub fn observe(&self, ok: bool, elapsed: Duration) {
        let series = if ok { &self.ok } else { &self.error };
        series.observe(elapsed.as_secs_f64());
    }
}

/// Holds a gauge up by one while it lives (it may move into a task).
pub struct GaugeGuard(Gauge<i64, AtomicI64>);

impl GaugeGuard {
    fn new(gauge: &Gauge<i64, AtomicI64>) -> Self {
        gauge.inc();
        Self(gauge.clone())
    }
}

impl Drop for GaugeGuard {
    fn drop(&mut self) {
        self.0.dec();
    }
}
