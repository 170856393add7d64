use std::time::Duration;

use kit::events::{
    Broker, Consumer, ConsumerSpec, Deduplicated,
    consumer::{Outcome, publish_direct},
};
use lapin::{
    options::{BasicGetOptions, QueueDeclareOptions},
    types::{AMQPValue, FieldTable},
};
use sqlx::PgPool;
use tokio_util::sync::CancellationToken;

use crate::helpers::{
    BrokerProxy, RABBITMQ, RecordingHandler, create_effects_table, delete_queues, envelope,
    events_config, unique,
};

/// A consumer with its own queues on a fresh exchange, declared.
struct Setup {
    broker: Broker,
    spec: ConsumerSpec,
    handler: RecordingHandler,
    consumer: Consumer<Deduplicated<RecordingHandler>>,
    channel: lapin::Channel,
}

impl Setup {
    async fn new(pool: &PgPool, failing: bool) -> Self {
        create_effects_table(pool).await;
        let broker = Broker::new(events_config(RABBITMQ));
        let spec = spec(&broker);
        let handler = RecordingHandler::new(failing);
        let consumer = Consumer::new(spec.clone(), pool.clone(), broker.clone(), handler.clone());
        let channel = broker.channel().await.expect("channel");
        consumer.declare(&channel).await.expect("declare");
        Self { broker, spec, handler, consumer, channel }
    }
}

fn spec(broker: &Broker) -> ConsumerSpec {
    ConsumerSpec::new(&unique("test.consumer"), &["widget.*"], broker)
}

fn queues(spec: &ConsumerSpec) -> Vec<String> {
    vec![spec.name.clone(), format!("{}.retry", spec.name), spec.dead_letter_queue()]
}

async fn effects(pool: &PgPool) -> i64 {
    sqlx::query_scalar("SELECT count(*) FROM effects").fetch_one(pool).await.expect("count")
}

async fn depth(channel: &lapin::Channel, queue: &str) -> u32 {
    channel
        .queue_declare(
            queue.into(),
            QueueDeclareOptions { passive: true, ..Default::default() },
            FieldTable::default(),
        )
        .await
        .expect("passive declare")
        .message_count()
}

async fn wait_until(timeout: Duration, mut check: impl AsyncFnMut() -> bool) -> bool {
    let deadline = tokio::time::Instant::now() + timeout;
    while tokio::time::Instant::now() < deadline {
        if check().await {
            return true;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    false
}

#[sqlx::test(migrations = "../migrations/kit")]
async fn a_consumer_that_dies_before_its_ack_gets_the_message_again_and_applies_it_once(
    pool: PgPool,
) {
    let Setup { broker, spec, handler, consumer, channel } = Setup::new(&pool, false).await;
    publish_direct(&broker, &envelope("widget.created", 7)).await.expect("publish");

    // First life: take the message, apply it, and die before acking.
    let doomed = broker.channel().await.expect("channel");
    let message = wait_for_message(&doomed, &spec.name).await;
    assert!(matches!(consumer.process(&message.delivery.data).await, Outcome::Applied));
    doomed.close(200, "crash".into()).await.expect("close without ack");
    assert_eq!(effects(&pool).await, 1);

    // Second life: the broker redelivers; the effect is not repeated.
    let stop = CancellationToken::new();
    let running = tokio::spawn(consumer.run(stop.clone()));
    let settled = wait_until(Duration::from_secs(10), async || {
        handler.calls() == 1 && depth(&channel, &spec.name).await == 0
    })
    .await;
    stop.cancel();
    running.await.expect("consumer stops");

    assert!(settled, "the redelivered message was not acknowledged");
    assert_eq!(effects(&pool).await, 1, "the effect must happen once");
    assert_eq!(handler.calls(), 1, "the handler must not run for a duplicate");
    delete_queues(&channel, &queues(&spec)).await;
}

#[sqlx::test(migrations = "../migrations/kit")]
async fn a_message_its_consumers_keep_dying_on_is_dead_lettered_after_the_delivery_limit(
    pool: PgPool,
) {
    let Setup { broker, spec, channel, .. } = Setup::new(&pool, false).await;
    assert_eq!(spec.quorum_delivery_limit, Some(2), "the test's queues are quorum queues");
    publish_direct(&broker, &envelope("widget.created", 9)).await.expect("publish");
    // Three consumers in turn take the message and die before acking: the
    // first two times the broker returns it to the queue, the third time
    // it is over the limit and goes to the dead-letter queue.
    for _ in 0..3 {
        let doomed = broker.channel().await.expect("channel");
        wait_for_message(&doomed, &spec.name).await;
        doomed.close(200, "crash".into()).await.expect("close without ack");
    }
    let dead = wait_for_message(&channel, &spec.dead_letter_queue()).await;
    let body: serde_json::Value = serde_json::from_slice(&dead.delivery.data).expect("json");
    assert_eq!(body["data"]["n"], 9);
    assert_eq!(depth(&channel, &spec.name).await, 0);
    delete_queues(&channel, &queues(&spec)).await;
}

async fn wait_for_message(
    channel: &lapin::Channel,
    queue: &str,
) -> lapin::message::BasicGetMessage {
    for _ in 0..200 {
        if let Some(message) = channel
            .basic_get(queue.into(), BasicGetOptions { no_ack: false })
            .await
            .expect("basic_get")
        {
            return message;
        }
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
    panic!("no message arrived in {queue}");
}

#[sqlx::test(migrations = "../migrations/kit")]
async fn a_message_that_always_fails_is_retried_then_dead_lettered(pool: PgPool) {
    let Setup { broker, spec, handler, consumer, channel } = Setup::new(&pool, true).await;

    let stop = CancellationToken::new();
    let running = tokio::spawn(consumer.run(stop.clone()));
    publish_direct(&broker, &envelope("widget.created", 1)).await.expect("publish");
    let dead = wait_for_message(&channel, &spec.dead_letter_queue()).await;
    stop.cancel();
    running.await.expect("consumer stops");

    // One first attempt plus `max_retries` (2) retries.
    assert_eq!(handler.calls(), 3);
    let headers = dead.delivery.properties.headers().clone().expect("headers");
    assert_eq!(headers.inner().get("x-shopgraph-retries"), Some(&AMQPValue::LongUInt(2)));
    let body: serde_json::Value = serde_json::from_slice(&dead.delivery.data).expect("json");
    assert_eq!(body["data"]["n"], 1);
    assert_eq!(effects(&pool).await, 0);
    let processed: i64 = sqlx::query_scalar("SELECT count(*) FROM processed_events")
        .fetch_one(&pool)
        .await
        .expect("count");
    assert_eq!(processed, 0, "a failed event must not be marked processed");
    delete_queues(&channel, &queues(&spec)).await;
}

#[sqlx::test(migrations = "../migrations/kit")]
async fn a_malformed_message_goes_straight_to_the_dead_letter_queue(pool: PgPool) {
    let Setup { broker, spec, handler, consumer, channel } = Setup::new(&pool, false).await;

    let stop = CancellationToken::new();
    let running = tokio::spawn(consumer.run(stop.clone()));
    channel
        .basic_publish(
            broker.exchange().into(),
            "widget.created".into(),
            Default::default(),
            b"not json",
            Default::default(),
        )
        .await
        .expect("publish");
    let dead = wait_for_message(&channel, &spec.dead_letter_queue()).await;
    stop.cancel();
    running.await.expect("consumer stops");

    assert_eq!(dead.delivery.data, b"not json");
    assert_eq!(handler.calls(), 0);
    delete_queues(&channel, &queues(&spec)).await;
}

/// Two brokers on one fresh exchange: one through `proxy` (for the
/// consumer under test, whose link the test cuts), one straight to RabbitMQ.
fn linked_and_direct(proxy: &BrokerProxy) -> (Broker, Broker) {
    let linked = Broker::new(events_config(&proxy.addr.to_string()));
    let direct = Broker::new(kit::config::EventsConfig {
        amqp_url: format!("amqp://guest:guest@{RABBITMQ}/%2f"),
        ..linked.config().clone()
    });
    (linked, direct)
}

/// Whether `queue` has exactly one consumer (which starts after its
/// bindings exist). A fresh channel each time: a passive declare of a
/// missing queue closes the channel it was sent on.
async fn consumed(broker: &Broker, queue: &str) -> bool {
    let Ok(probe) = broker.channel().await else { return false };
    let passive = QueueDeclareOptions { passive: true, ..Default::default() };
    let declared = probe.queue_declare(queue.into(), passive, FieldTable::default()).await;
    declared.is_ok_and(|q| q.consumer_count() == 1)
}

#[sqlx::test(migrations = "../migrations/kit")]
async fn an_idle_consumer_whose_broker_link_drops_reconnects_and_consumes_again(pool: PgPool) {
    create_effects_table(&pool).await;
    let mut proxy = BrokerProxy::start().await;
    let (linked, direct) = linked_and_direct(&proxy);
    let spec = spec(&linked);
    let handler = RecordingHandler::new(false);
    let consumer = Consumer::new(spec.clone(), pool.clone(), linked.clone(), handler.clone());
    let stop = CancellationToken::new();
    let running = tokio::spawn(consumer.run(stop.clone()));
    let consuming = async || consumed(&direct, &spec.name).await;
    assert!(wait_until(Duration::from_secs(10), consuming).await, "never consumed");

    // Nothing in flight when the link goes, and another user of the same
    // broker (an outbox relay) reconnects first, replacing the connection
    // the consumer's stream was on.
    proxy.stop().await;
    tokio::time::sleep(Duration::from_millis(100)).await;
    proxy.restart().await;
    assert!(wait_until(Duration::from_secs(5), async || linked.channel().await.is_ok()).await);
    publish_direct(&direct, &envelope("widget.created", 9)).await.expect("publish");
    let applied = wait_until(Duration::from_secs(15), async || effects(&pool).await == 1).await;
    stop.cancel();
    running.await.expect("consumer stops");
    assert!(applied, "the consumer never came back");
    delete_queues(&direct.channel().await.expect("channel"), &queues(&spec)).await;
}

/// Records each event like `RecordingHandler`, but the first one only once
/// the test opens the gate.
#[derive(Clone)]
struct GatedHandler {
    inner: RecordingHandler,
    started: std::sync::Arc<tokio::sync::Notify>,
    gate: std::sync::Arc<tokio::sync::Semaphore>,
}

impl kit::events::EventHandler for GatedHandler {
    async fn handle(
        &self,
        tx: &mut sqlx::PgConnection,
        event: &kit::events::Envelope,
    ) -> anyhow::Result<()> {
        self.started.notify_one();
        drop(self.gate.acquire().await?);
        self.inner.handle(tx, event).await
    }
}

#[sqlx::test(migrations = "../migrations/kit")]
async fn a_consumer_whose_link_drops_while_it_handles_a_message_comes_back(pool: PgPool) {
    create_effects_table(&pool).await;
    let mut proxy = BrokerProxy::start().await;
    let (linked, direct) = linked_and_direct(&proxy);
    let spec = spec(&linked);
    let handler = GatedHandler {
        inner: RecordingHandler::new(false),
        started: Default::default(),
        gate: std::sync::Arc::new(tokio::sync::Semaphore::new(0)),
    };
    let consumer = Consumer::new(spec.clone(), pool.clone(), linked, handler.clone());
    let stop = CancellationToken::new();
    let running = tokio::spawn(consumer.run(stop.clone()));
    let started = handler.started.notified();
    let first = envelope("widget.created", 1);
    // The consumer declares its queue: publish once it is bound.
    let consuming = async || consumed(&direct, &spec.name).await;
    assert!(wait_until(Duration::from_secs(10), consuming).await, "never consumed");
    publish_direct(&direct, &first).await.expect("publish");

    // The link drops while the handler runs; the handler then commits, and
    // the acknowledgement goes to a dead connection.
    started.await;
    proxy.stop().await;
    handler.gate.add_permits(1_000);
    tokio::time::sleep(Duration::from_millis(300)).await;
    proxy.restart().await;
    publish_direct(&direct, &envelope("widget.created", 2)).await.expect("publish");
    let both = wait_until(Duration::from_secs(20), async || effects(&pool).await == 2).await;
    stop.cancel();
    running.await.expect("consumer stops");
    assert!(both, "the consumer never came back: {} effects", effects(&pool).await);
    delete_queues(&direct.channel().await.expect("channel"), &queues(&spec)).await;
}

#[tokio::test]
async fn a_broker_that_accepts_but_never_answers_is_an_error_not_a_wait_forever() {
    // Takes TCP connections and says nothing, like a broker stuck starting.
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let addr = listener.local_addr().expect("addr");
    let silent = tokio::spawn(async move {
        let mut held = Vec::new();
        while let Ok((socket, _)) = listener.accept().await {
            held.push(socket);
        }
    });
    let broker = Broker::new(events_config(&addr.to_string()));
    let answer = tokio::time::timeout(Duration::from_secs(120), broker.channel()).await;
    silent.abort();
    let error = answer.expect("channel() gave up by itself").expect_err("no channel");
    assert!(error.to_string().contains("did not answer"), "{error}");
}
