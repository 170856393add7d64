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
            "GraphQL requests a service answered, by service, operation type and result (ok, error)",
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

    pub fn graphql_request(
        &self,
        service: &str,
        operation_type: &'static str,
        ok: bool,
        elapsed: std::time::Duration,
    ) {
        let labels = vec![
            ("service", service.to_owned()),
            ("operation_type", operation_type.to_owned()),
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

/// The type of the operation `document` runs (`query`, `mutation` or
/// `subscription`), for the `operation_type` label, read from the
/// document's tokens at the top level without parsing it: the definition
/// named `operation_name`, or else the first. A bare `{ ... }` is a query.
pub fn operation_type(document: &str, operation_name: Option<&str>) -> &'static str {
    let mut depth = 0usize;
    // At the top level: the keyword of the definition being read, and
    // whether its name is next.
    let mut keyword: Option<&str> = None;
    let mut name: Option<&str> = None;
    let mut first = None;
    for token in top_level_tokens(document) {
        match token {
            "{" => {
                if depth == 0 && keyword != Some("fragment") {
                    let kind = match keyword {
                        Some("mutation") => "mutation",
                        Some("subscription") => "subscription",
                        _ => "query",
                    };
                    if operation_name.is_none() || operation_name == name {
                        return kind;
                    }
                    first = first.or(Some(kind));
                }
                depth += 1;
            }
            "}" => {
                depth = depth.saturating_sub(1);
                if depth == 0 {
                    (keyword, name) = (None, None);
                }
            }
            word if depth == 0 && keyword.is_none() => keyword = Some(word),
            word if depth == 0 && name.is_none() && keyword != Some("fragment") => {
                name = Some(word);
            }
            _ => {}
        }
    }
    first.unwrap_or("query")
}

/// Names and braces, skipping comments, strings and everything else
/// (arguments and variable definitions only ever hold names the scan
/// ignores: it reads a definition's keyword and name before its `(`).
fn top_level_tokens(document: &str) -> impl Iterator<Item = &str> {
    let bytes = document.as_bytes();
    let mut at = 0;
    let mut in_parens = 0usize;
    std::iter::from_fn(move || {
        while at < bytes.len() {
            let start = at;
            at += 1;
            match bytes[start] {
                b'#' => {
                    while at < bytes.len() && bytes[at] != b'\n' {
                        at += 1;
                    }
                }
                b'"' => {
                    while at < bytes.len() && bytes[at] != b'"' {
                        at += if bytes[at] == b'\\' { 2 } else { 1 };
                    }
                    at += 1;
                }
                b'(' => in_parens += 1,
                b')' => in_parens = in_parens.saturating_sub(1),
                b'{' | b'}' if in_parens == 0 => return document.get(start..at),
                c if (c.is_ascii_alphanumeric() || c == b'_') => {
                    while at < bytes.len()
                        && (bytes[at].is_ascii_alphanumeric() || bytes[at] == b'_')
                    {
                        at += 1;
                    }
                    if in_parens == 0 {
                        return document.get(start..at);
                    }
                }
                _ => {}
            }
        }
        None
    })
}

#[cfg(test)]
mod tests {
    use super::operation_type;

    #[test]
    fn reads_the_type_of_the_operation_that_runs() {
        assert_eq!(operation_type("{ products { id } }", None), "query");
        assert_eq!(operation_type("query{a}", None), "query");
        assert_eq!(
            operation_type("mutation Checkout($i: In!) { checkout(input: $i) { id } }", None),
            "mutation"
        );
        assert_eq!(
            operation_type(
                "# a comment\nsubscription { orderStatusChanged(orderId: \"{\") { status } }",
                None
            ),
            "subscription"
        );
        let many =
            "fragment F on Query { mutation } query A { ...F } mutation B { go(x: \"mutation\") }";
        assert_eq!(operation_type(many, Some("B")), "mutation");
        assert_eq!(operation_type(many, Some("A")), "query");
        assert_eq!(operation_type(many, None), "query");
        assert_eq!(operation_type("fragment F on M { a } mutation { ...F }", None), "mutation");
        assert_eq!(operation_type("", None), "query");
    }
}
