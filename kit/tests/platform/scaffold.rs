use std::sync::{
    Arc,
    atomic::{AtomicBool, Ordering},
};

use axum::Router;
use kit::{
    events::Broker,
    http::{App, Readiness, ReadinessChecks},
};
use sqlx::PgPool;

use crate::helpers::{BrokerProxy, events_config};

async fn get(url: &str) -> (u16, serde_json::Value) {
    let response = reqwest::get(url).await.expect("request");
    let status = response.status().as_u16();
    (status, response.json().await.expect("json"))
}

#[sqlx::test(migrations = false)]
async fn health_ready_and_graceful_stop_of_background_tasks(pool: PgPool) {
    let mut proxy = BrokerProxy::start().await;
    let broker = Broker::new(events_config(&proxy.addr.to_string()));
    let stopped = Arc::new(AtomicBool::new(false));
    let flag = stopped.clone();
    let app = App::new(Router::new(), Readiness::new().postgres(pool).broker(broker)).with_task(
        move |shutdown| async move {
            shutdown.cancelled().await;
            flag.store(true, Ordering::SeqCst);
        },
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let running = app.spawn(listener);

    assert_eq!(get(&running.url("/health")).await, (200, serde_json::json!({ "status": "ok" })));
    assert_eq!(get(&running.url("/ready")).await.0, 200);

    proxy.stop().await;
    let (status, body) = get(&running.url("/ready")).await;
    assert_eq!(status, 503);
    assert_eq!(body["failing"]["rabbitmq"], "unavailable", "{body}");
    assert!(body["failing"].get("postgres").is_none(), "{body}");

    assert!(!stopped.load(Ordering::SeqCst));
    running.stop().await;
    assert!(stopped.load(Ordering::SeqCst), "background tasks must stop with the server");
}
