use std::time::Duration;

use kit::events::{Broker, OutboxRelay, outbox};
use sqlx::PgPool;
use tokio_util::sync::CancellationToken;

use crate::helpers::{BrokerProxy, RABBITMQ, delete_queues, drain, envelope, events_config, tap};

async fn unpublished(pool: &PgPool) -> i64 {
    sqlx::query_scalar("SELECT count(*) FROM outbox WHERE published_at IS NULL")
        .fetch_one(pool)
        .await
        .expect("count")
}

#[sqlx::test(migrations = "../migrations/kit")]
async fn an_event_commits_with_its_state_change_or_not_at_all(pool: PgPool) {
    sqlx::query("CREATE TABLE widgets (id INT PRIMARY KEY)").execute(&pool).await.expect("table");

    let mut tx = pool.begin().await.expect("begin");
    sqlx::query("INSERT INTO widgets VALUES (1)").execute(&mut *tx).await.expect("insert");
    outbox::enqueue(&mut tx, &envelope("widget.created", 1)).await.expect("enqueue");
    tx.rollback().await.expect("rollback");

    let mut tx = pool.begin().await.expect("begin");
    sqlx::query("INSERT INTO widgets VALUES (2)").execute(&mut *tx).await.expect("insert");
    outbox::enqueue(&mut tx, &envelope("widget.created", 2)).await.expect("enqueue");
    tx.commit().await.expect("commit");

    let widgets: Vec<i32> =
        sqlx::query_scalar("SELECT id FROM widgets").fetch_all(&pool).await.expect("widgets");
    let subjects: Vec<String> = sqlx::query_scalar("SELECT envelope->>'subject' FROM outbox")
        .fetch_all(&pool)
        .await
        .expect("outbox");
    assert_eq!(widgets, [2]);
    assert_eq!(subjects, ["subject-2"]);
}

#[sqlx::test(migrations = "../migrations/kit")]
async fn the_relay_publishes_committed_events_in_order_and_marks_them_sent(pool: PgPool) {
    let broker = Broker::new(events_config(RABBITMQ));
    let (channel, queue) = tap(&broker, "widget.*").await;
    let mut tx = pool.begin().await.expect("begin");
    for n in 0..5 {
        outbox::enqueue(&mut tx, &envelope("widget.created", n)).await.expect("enqueue");
    }
    tx.commit().await.expect("commit");

    let stop = CancellationToken::new();
    let relay =
        tokio::spawn(OutboxRelay::new("kit-test", pool.clone(), broker.clone()).run(stop.clone()));
    let received = drain(&channel, &queue, 5, Duration::from_secs(10)).await;
    stop.cancel();
    relay.await.expect("relay stops");

    let ns: Vec<i64> = received.iter().map(|e| e["data"]["n"].as_i64().expect("n")).collect();
    assert_eq!(ns, [0, 1, 2, 3, 4]);
    assert_eq!(received[0]["type"], "widget.created");
    assert_eq!(unpublished(&pool).await, 0);
    delete_queues(&channel, &[queue]).await;
}

#[sqlx::test(migrations = "../migrations/kit")]
async fn events_wait_while_the_broker_is_down_and_go_out_when_it_returns(pool: PgPool) {
    let mut proxy = BrokerProxy::start().await;
    let mut config = events_config(&proxy.addr.to_string());
    let relay_broker = Broker::new(config.clone());
    // The test's own tap talks to RabbitMQ directly, on the same exchange.
    config.amqp_url = events_config(RABBITMQ).amqp_url;
    let observer = Broker::new(config);
    let (channel, queue) = tap(&observer, "widget.*").await;
    // Connect the relay once, then take the broker away.
    relay_broker.check().await.expect("broker reachable through the proxy");
    proxy.stop().await;

    let stop = CancellationToken::new();
    let relay =
        tokio::spawn(OutboxRelay::new("kit-test", pool.clone(), relay_broker).run(stop.clone()));
    let mut tx = pool.begin().await.expect("begin");
    for n in 0..3 {
        outbox::enqueue(&mut tx, &envelope("widget.created", n)).await.expect("enqueue");
    }
    tx.commit().await.expect("commit");

    tokio::time::sleep(Duration::from_millis(700)).await;
    assert_eq!(
        unpublished(&pool).await,
        3,
        "nothing is lost or marked sent while the broker is down"
    );
    let attempts: i64 = sqlx::query_scalar("SELECT max(attempts)::bigint FROM outbox")
        .fetch_one(&pool)
        .await
        .expect("attempts");
    assert!(attempts >= 1, "the relay must have tried");
    assert!(drain(&channel, &queue, 1, Duration::from_millis(100)).await.is_empty());

    proxy.restart().await;
    let received = drain(&channel, &queue, 3, Duration::from_secs(15)).await;
    stop.cancel();
    relay.await.expect("relay stops");
    proxy.stop().await;

    let ns: Vec<i64> = received.iter().map(|e| e["data"]["n"].as_i64().expect("n")).collect();
    assert_eq!(ns, [0, 1, 2]);
    assert_eq!(unpublished(&pool).await, 0);
    delete_queues(&channel, &[queue]).await;
}

/// The relay samples what waits: with the broker away, the rows and the
/// age of the oldest show on `/metrics`, under the relay's service.
#[sqlx::test(migrations = "../migrations/kit")]
async fn the_backlog_and_its_age_are_on_metrics_while_the_broker_is_away(pool: PgPool) {
    let mut proxy = BrokerProxy::start().await;
    let broker = Broker::new(events_config(&proxy.addr.to_string()));
    proxy.stop().await;
    let mut tx = pool.begin().await.expect("begin");
    for n in 0..3 {
        outbox::enqueue(&mut tx, &envelope("widget.created", n)).await.expect("enqueue");
    }
    tx.commit().await.expect("commit");
    sqlx::query("UPDATE outbox SET created_at = now() - interval '90 seconds'")
        .execute(&pool)
        .await
        .expect("age the rows");

    // One registry per process: a name of its own keeps other tests out.
    let service: &'static str = Box::leak(format!("relay-{}", uuid::Uuid::new_v4()).into());
    let stop = CancellationToken::new();
    let relay = tokio::spawn(OutboxRelay::new(service, pool.clone(), broker).run(stop.clone()));
    let labels = [("service", service)];
    let mut scraped = None;
    for _ in 0..100 {
        let response = kit::metrics::metrics().exposition();
        let body = axum::body::to_bytes(response.into_body(), usize::MAX).await.expect("body");
        let text =
            server::metrics::Scraped::parse(String::from_utf8(body.to_vec()).expect("utf-8"));
        if text.value("outbox_backlog_events", &labels) > 0.0 {
            scraped = Some(text);
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    stop.cancel();
    relay.await.expect("relay stops");
    let scraped = scraped.expect("the relay sampled the outbox");
    assert_eq!(scraped.value("outbox_backlog_events", &labels), 3.0, "{}", scraped.text);
    let age = scraped.value("outbox_oldest_event_age_seconds", &labels);
    assert!((90.0..300.0).contains(&age), "{age}: {}", scraped.text);
    let used = [("service", service), ("state", "used")];
    let idle = [("service", service), ("state", "idle")];
    let connections = scraped.value("db_client_connection_count", &used)
        + scraped.value("db_client_connection_count", &idle);
    assert!(connections >= 1.0, "{}", scraped.text);
}
