//! Every service's Prometheus metrics, served on `/metrics` beside
//! `/graphql` (OpenMetrics text, `prometheus-client`). One registry per
//! process: under `shopgraph dev` every service shares it, so each series
//! names its `service` (or its queue, or its event type).

use std::sync::OnceLock;

use prometheus_client::{
    encoding::text::encode,
    metrics::{counter::Counter, family::Family, histogram::Histogram},
    registry::{Registry, Unit},
};

type Labels = Vec<(&'static str, String)>;

pub struct ServiceMetrics {
    registry: Registry,
    graphql_requests: Family<Labels, Histogram, fn() -> Histogram>,
    events_published: Family<Labels, Counter>,
    events_consumed: Family<Labels, Counter>,
    orders_placed: Counter,
}

fn latency_buckets() -> Histogram {
    Histogram::new(prometheus_client::metrics::histogram::exponential_buckets(0.0005, 2.0, 16))
}

/// The process's metrics.
pub fn metrics() -> &'static ServiceMetrics {
    static METRICS: OnceLock<ServiceMetrics> = OnceLock::new();
    METRICS.get_or_init(ServiceMetrics::new)
}

impl ServiceMetrics {
    fn new() -> Self {
        let mut registry = Registry::default();
        let graphql_requests = Family::<Labels, Histogram, fn() -> Histogram>::new_with_constructor(
            latency_buckets as fn() -> Histogram,
        );
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

    /// The text exposition format, for `/metrics`.
    pub fn render(&self) -> String {
        let mut text = String::new();
        if encode(&mut text, &self.registry).is_err() {
            tracing::warn!("could not encode the metrics");
        }
        text
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
