//! Every service's Prometheus metrics, served on `/metrics` beside
//! `/graphql` (OpenMetrics text, `prometheus-client`). One registry per
//! process: under `shopgraph dev` every service shares it, so each series
//! names its `service` (or its queue, or its event type).

use std::sync::OnceLock;

use axum::response::Response;
use prometheus_client::{
    metrics::{counter::Counter, family::Family},
    registry::{Registry, Unit},
};
use server::metrics::{Labels, LatencyFamily, exposition, latency_family};

pub struct ServiceMetrics {
    registry: Registry,
    graphql_requests: LatencyFamily,
    events_published: Family<Labels, Counter>,
    events_consumed: Family<Labels, Counter>,
    orders_placed: Counter,
}

/// The process's metrics.
pub fn metrics() -> &'static ServiceMetrics {
    static METRICS: OnceLock<ServiceMetrics> = OnceLock::new();
    METRICS.get_or_init(ServiceMetrics::new)
}

impl ServiceMetrics {
    fn new() -> Self {
        let mut registry = Registry::default();
        let graphql_requests = latency_family();
        registry.register_with_unit(
            "graphql_server_request_duration",
            "GraphQL requests a service answered, by service and result (ok, error)",
            Unit::Seconds,
            graphql_requests.clone(),
        );
        let events_published = Family::<Labels, Counter>::default();
        registry.register(
            "events_published",
            "Events the outbox relays published, by event type",
            events_published.clone(),
        );
        let events_consumed = Family::<Labels, Counter>::default();
        registry.register(
            "events_consumed",
            "Events consumers settled, by queue and result (applied, duplicate, retried, dead_lettered)",
            events_consumed.clone(),
        );
        let orders_placed = Counter::default();
        registry.register("orders_placed", "Orders placed at checkout", orders_placed.clone());
        Self { registry, graphql_requests, events_published, events_consumed, orders_placed }
    }

    /// The `/metrics` answer.
    pub fn exposition(&self) -> Response {
        exposition(&self.registry)
    }

    pub fn graphql_request(&self, service: &str, ok: bool, elapsed: std::time::Duration) {
        let labels = vec![
            ("service", service.to_owned()),
            ("result", if ok { "ok" } else { "error" }.to_owned()),
        ];
        self.graphql_requests.get_or_create(&labels).observe(elapsed.as_secs_f64());
    }

    pub fn event_published(&self, event_type: &str) {
        self.events_published.get_or_create(&vec![("event_type", event_type.to_owned())]).inc();
    }

    pub fn event_consumed(&self, queue: &str, result: &'static str) {
        let labels = vec![("queue", queue.to_owned()), ("result", result.to_owned())];
        self.events_consumed.get_or_create(&labels).inc();
    }

    pub fn order_placed(&self) {
        self.orders_placed.inc();
    }
}
