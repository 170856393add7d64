//! One checkout is one trace: from the router, through orders, over
//! RabbitMQ to inventory and payments and back, to shipping. The spans go
//! over OTLP/HTTP (protobuf) to a collector in this test, as they would to
//! Jaeger or an OpenTelemetry Collector. Its own test binary: the trace
//! exporter is part of the process's one global subscriber.

use std::{
    collections::HashMap,
    sync::{Arc, Mutex},
    time::Duration,
};

use axum::{Router, body::Bytes, extract::State, http::header, routing::post};
use opentelemetry_proto::tonic::{
    collector::trace::v1::ExportTraceServiceRequest, common::v1::any_value,
};
use prost::Message;
use serde_json::{Value, json};
use sqlx::PgPool;

use e2e::platform::Platform;

/// A span as the collector received it.
#[derive(Debug, Clone)]
struct ReceivedSpan {
    name: String,
    span_id: Vec<u8>,
    parent_span_id: Vec<u8>,
    trace_id: Vec<u8>,
    attributes: HashMap<String, String>,
}

type Received = Arc<Mutex<Vec<ReceivedSpan>>>;

async fn collect(
    State(received): State<Received>,
    body: Bytes,
) -> impl axum::response::IntoResponse {
    let Ok(request) = ExportTraceServiceRequest::decode(body) else {
        return (axum::http::StatusCode::BAD_REQUEST, [(header::CONTENT_TYPE, "text/plain")]);
    };
    let spans = request
        .resource_spans
        .into_iter()
        .flat_map(|resource| resource.scope_spans)
        .flat_map(|scope| scope.spans)
        .map(|span| ReceivedSpan {
            name: span.name,
            span_id: span.span_id,
            parent_span_id: span.parent_span_id,
            trace_id: span.trace_id,
            attributes: span
                .attributes
                .into_iter()
                .filter_map(|kv| {
                    let text = match kv.value?.value? {
                        any_value::Value::StringValue(text) => text,
                        any_value::Value::IntValue(n) => n.to_string(),
                        any_value::Value::BoolValue(b) => b.to_string(),
                        _ => return None,
                    };
                    Some((kv.key, text))
                })
                .collect(),
        });
    received.lock().expect("lock").extend(spans);
    // An empty ExportTraceServiceResponse: full success.
    (axum::http::StatusCode::OK, [(header::CONTENT_TYPE, "application/x-protobuf")])
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

#[sqlx::test(migrations = false)]
async fn a_checkout_is_one_trace_from_the_router_through_the_saga_to_shipping(pool: PgPool) {
    let received = Received::default();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let collector = listener.local_addr().expect("addr");
    let app = Router::new().route("/v1/traces", post(collect)).with_state(received.clone());
    tokio::spawn(async move { axum::serve(listener, app).await });
    let logs = server::telemetry::CapturedLines::default();
    let telemetry = Arc::new(server::telemetry::init_for_test(
        "e2e",
        &format!("http://{collector}/v1/traces"),
        logs.clone(),
    ));

    let platform = Platform::start(pool).await;
    // Seeding the catalog made thousands of spans, more than the exporter
    // queues (it drops the rest, as the SDK should): send them first.
    let flushing = telemetry.clone();
    tokio::task::spawn_blocking(move || flushing.flush()).await.expect("flush");
    let token = platform.customer("trace@example.com").await;
    let product = platform.products("chair", 1).await.remove(0);
    platform.add_to_cart(&token, &product, 1).await;
    // The client's own span: the router's joins its trace.
    let client_trace = "0af7651916cd43dd8448eb211c80319c";
    let client_span = "b7ad6b7169203331";
    let placed: Value = reqwest::Client::new()
        .post(platform.router_url("/graphql"))
        .bearer_auth(&token)
        .header("traceparent", format!("00-{client_trace}-{client_span}-01"))
        .json(&json!({
            "query": "mutation Checkout($i: CheckoutInput!) { checkout(input: $i) { id status } }",
            "operationName": "Checkout",
            "variables": { "i": { "paymentToken": "tok_visa", "idempotencyKey": "trace-1",
                "shippingAddress": { "name": "T", "line1": "1 Main St", "city": "London",
                                     "postalCode": "N1 9GU", "country": "GB" } } },
        }))
        .send()
        .await
        .expect("router")
        .json()
        .await
        .expect("json");
    let order = placed["data"]["checkout"]["id"].as_str().unwrap_or_else(|| panic!("{placed}"));
    platform.wait_for_status(&token, order, "PAID").await;

    // The saga's last step: shipping consumes the paid order.
    let mut trace = Vec::new();
    for _ in 0..60 {
        let flushing = telemetry.clone();
        tokio::task::spawn_blocking(move || flushing.flush()).await.expect("flush");
        trace = received
            .lock()
            .expect("lock")
            .iter()
            .filter(|span| hex(&span.trace_id) == client_trace)
            .cloned()
            .collect::<Vec<_>>();
        let shipped = trace.iter().any(|span| {
            span.name.ends_with(" process")
                && span.attributes.get("consumer").is_some_and(|c| c.contains("shipping"))
        });
        // Spans are sent when they end: wait for the work still running
        // (other consumers of the same events) to end too.
        let ids: std::collections::HashSet<&[u8]> =
            trace.iter().map(|span| span.span_id.as_slice()).collect();
        let whole = trace.iter().all(|span| {
            ids.contains(span.parent_span_id.as_slice()) || hex(&span.parent_span_id) == client_span
        });
        // Notifications, too, has had the order's events (it keeps the
        // order in MongoDB).
        let notified = trace.iter().any(|span| {
            span.attributes.get("consumer").is_some_and(|c| c.ends_with(".notifications.events"))
                && span.name == "order.created process"
        });
        if shipped && whole && notified {
            break;
        }
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
    let names: Vec<&str> = trace.iter().map(|span| span.name.as_str()).collect();
    let by_id: HashMap<String, &ReceivedSpan> =
        trace.iter().map(|span| (hex(&span.span_id), span)).collect();
    let named = |name: &str| {
        trace
            .iter()
            .find(|span| span.name == name)
            .unwrap_or_else(|| panic!("no `{name}` in {names:?}"))
    };
    let ancestors = |span: &ReceivedSpan| {
        let mut chain = Vec::new();
        let mut parent = hex(&span.parent_span_id);
        while let Some(up) = by_id.get(&parent) {
            chain.push(up.name.clone());
            parent = hex(&up.parent_span_id);
        }
        (chain, parent)
    };

    // The router's span continues the client's.
    let root = named("mutation Checkout");
    assert_eq!(hex(&root.parent_span_id), client_span);
    assert_eq!(root.attributes.get("graphql.operation.type").map(String::as_str), Some("mutation"));
    // Every span of the trace leads back to it: one tree, nothing orphaned.
    for span in &trace {
        if span.span_id == root.span_id {
            continue;
        }
        let (chain, top) = ancestors(span);
        assert!(
            chain.last().is_some_and(|name| name == "mutation Checkout"),
            "`{}` does not lead to the router's span (its chain {chain:?} ends at {top}); all: {names:?}",
            span.name
        );
    }
    // The hops: router → orders over HTTP (per plan node and fetch) ...
    let fetch = named("fetch orders");
    // A span whose `attribute` holds `value` (a queue's name, say, ends
    // with it: the test's queues are prefixed).
    let with = |attribute: &str, value: &str| {
        trace
            .iter()
            .find(|span| span.attributes.get(attribute).is_some_and(|s| s.ends_with(value)))
            .unwrap_or_else(|| panic!("no span with {attribute} {value} in {names:?}"))
    };
    let orders = with("service", "orders");
    assert_eq!(orders.parent_span_id, fetch.span_id, "orders continues the router's fetch");
    assert!(
        ancestors(fetch).0.iter().any(|name| name == "Fetch"),
        "the fetch runs in its plan node"
    );
    // ... orders' own calls to other subgraphs, each continued there ...
    let call_cart = named("call cart");
    let cart = with("service", "cart");
    assert_eq!(cart.parent_span_id, call_cart.span_id, "cart continues orders' call");
    // ... with a span per database operation, in PostgreSQL, Redis and
    // MongoDB, under the work that made it ...
    let under = |system: &str, owner: &str| {
        trace.iter().any(|span| {
            span.attributes.get("db.system.name").is_some_and(|s| s == system)
                && ancestors(span).0.iter().any(|name| name == owner)
        })
    };
    assert!(under("postgresql", &orders.name), "no PostgreSQL span under orders: {names:?}");
    assert!(under("redis", &cart.name), "no Redis span under cart: {names:?}");
    assert!(under("mongodb", "order.created process"), "no MongoDB span in a consumer: {names:?}");
    // ... the order's event published by the outbox relay, in the
    // transaction's trace, and consumed by inventory and payments ...
    let created = named("order.created publish");
    assert!(ancestors(created).0.iter().any(|name| name == &orders.name));
    let consumed: Vec<&ReceivedSpan> =
        trace.iter().filter(|span| span.name == "order.created process").collect();
    assert!(!consumed.is_empty(), "order.created was not consumed in the trace: {names:?}");
    for span in &consumed {
        assert_eq!(span.parent_span_id, created.span_id, "a consumer continues the publish");
    }
    // Inventory reserved and payments charged within it.
    for consumer in [".inventory.orders", ".payments.saga", ".orders.saga", ".shipping.orders"] {
        let span = with("consumer", consumer);
        assert!(span.name.ends_with(" process"), "{}", span.name);
    }
    // ... the payment's outcome back to orders, and the paid order on to
    // shipping.
    for step in
        ["payment.succeeded publish", "payment.succeeded process", "order.status_changed publish"]
    {
        named(step);
    }
    // Log lines written inside the trace's work carry its trace id, and
    // the id of a span in it, at the top level: logs join traces.
    let lines = logs.json();
    let traced: Vec<&Value> =
        lines.iter().filter(|line| line["trace_id"] == client_trace).collect();
    assert!(!traced.is_empty(), "no log line carries the trace id of {} lines", lines.len());
    for line in &traced {
        let span_id = line["span_id"].as_str().unwrap_or_else(|| panic!("{line}"));
        assert!(by_id.contains_key(span_id), "{line} names a span outside the trace");
    }
    platform.stop().await;
    // Its last flush blocks until the collector answered, which needs this
    // runtime's thread free.
    tokio::task::spawn_blocking(move || drop(telemetry)).await.expect("shutdown");
}
