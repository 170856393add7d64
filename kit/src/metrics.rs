//! Every service's Prometheus metrics, served on `/metrics` beside
//! `/graphql` (OpenMetrics text, `prometheus-client`). One registry per
//! process: under `shopgraph dev` every service shares it, so each series
//! names its `service` (or its queue, or its event type).

use std::sync::OnceLock;

use axum::response::Response;
use std::sync::atomic::AtomicU64;

use prometheus_client::{
    metrics::{counter::Counter, family::Family, gauge::Gauge},
    registry::{Registry, Unit},
};
use server::metrics::{Labels, LatencyFamily, exposition, latency_family};

pub struct ServiceMetrics {
    registry: Registry,
    graphql_requests: LatencyFamily,
    events_published: Family<Labels, Counter>,
    events_consumed: Family<Labels, Counter>,
    orders_placed: Counter,
    notifications: Family<Labels, Counter>,
    db_connections: Family<Labels, Gauge>,
    outbox_backlog: Family<Labels, Gauge>,
    outbox_oldest_age: Family<Labels, Gauge<f64, AtomicU64>>,
    cache_lookups: Family<Labels, Counter>,
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
            "Events the outbox relays published, by event type and the status they report (payment.succeeded, order.status_changed PAID, shipment.updated DELIVERED, ...)",
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
        let notifications = Family::<Labels, Counter>::default();
        registry.register(
            "notifications",
            "Notifications that reached their end, by channel and result (sent, failed)",
            notifications.clone(),
        );
        let db_connections = Family::<Labels, Gauge>::default();
        registry.register(
            "db_client_connection_count",
            "PostgreSQL pool connections, by service and state (idle, used)",
            db_connections.clone(),
        );
        let outbox_backlog = Family::<Labels, Gauge>::default();
        registry.register(
            "outbox_backlog_events",
            "Outbox rows not yet published, by service (sampled by the relay)",
            outbox_backlog.clone(),
        );
        let outbox_oldest_age = Family::<Labels, Gauge<f64, AtomicU64>>::default();
        registry.register_with_unit(
            "outbox_oldest_event_age",
            "Age of the oldest unpublished outbox row, by service; 0 when none waits",
            Unit::Seconds,
            outbox_oldest_age.clone(),
        );
        let cache_lookups = Family::<Labels, Counter>::default();
        registry.register(
            "cache_lookups",
            "Cache lookups by cache and result (hit, miss); a lookup while Redis is unavailable is a miss",
            cache_lookups.clone(),
        );
        Self {
            cache_lookups,
            registry,
            graphql_requests,
            events_published,
            events_consumed,
            orders_placed,
            notifications,
            db_connections,
            outbox_backlog,
            outbox_oldest_age,
        }
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

    /// An event the broker confirmed. `status` is the state the event
    /// reports (orders and shipments): business counts come from here,
    /// counted once each, after the change committed. Bounded: statuses
    /// are each domain's enum.
    pub fn event_published(&self, event_type: &str, status: Option<&str>) {
        let labels = vec![
            ("event_type", event_type.to_owned()),
            ("status", status.unwrap_or_default().to_owned()),
        ];
        self.events_published.get_or_create(&labels).inc();
    }

    pub fn event_consumed(&self, queue: &str, result: &'static str) {
        let labels = vec![("queue", queue.to_owned()), ("result", result.to_owned())];
        self.events_consumed.get_or_create(&labels).inc();
    }

    /// `hits` and `misses` looked up in `cache` (e.g. `catalog.products`).
    pub fn cache_lookups(&self, cache: &str, hits: usize, misses: usize) {
        for (result, count) in [("hit", hits), ("miss", misses)] {
            if count > 0 {
                let labels = vec![("cache", cache.to_owned()), ("result", result.to_owned())];
                self.cache_lookups.get_or_create(&labels).inc_by(count as u64);
            }
        }
    }

    pub fn order_placed(&self) {
        self.orders_placed.inc();
    }

    /// A notification sent, or failed for good after its retries.
    pub fn notification_finished(&self, channel: &str, sent: bool) {
        self.notifications.get_or_create(&notification_labels(channel, sent)).inc();
    }

    /// How many notifications finished so far, as `/metrics` counts them.
    pub fn notifications_finished(&self, channel: &str, sent: bool) -> u64 {
        self.notifications.get_or_create(&notification_labels(channel, sent)).get()
    }

    /// A service's pool as it is now.
    pub fn db_pool(&self, service: &str, pool: &sqlx::PgPool) {
        let idle = i64::try_from(pool.num_idle()).unwrap_or(i64::MAX);
        let used = i64::from(pool.size()) - idle;
        for (state, count) in [("idle", idle), ("used", used.max(0))] {
            let labels = vec![("service", service.to_owned()), ("state", state.to_owned())];
            self.db_connections.get_or_create(&labels).set(count);
        }
    }

    /// What a service's outbox holds unpublished.
    pub fn outbox(&self, service: &str, backlog: i64, oldest_age_seconds: f64) {
        let labels = vec![("service", service.to_owned())];
        self.outbox_backlog.get_or_create(&labels).set(backlog);
        self.outbox_oldest_age.get_or_create(&labels).set(oldest_age_seconds);
    }
}

fn notification_labels(channel: &str, sent: bool) -> Labels {
    let result = if sent { "sent" } else { "failed" };
    vec![("channel", channel.to_owned()), ("result", result.to_owned())]
}
