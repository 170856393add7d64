//! A consumer that dies after charging but before acknowledging gets the
//! message again, and the card is not charged twice.

use std::time::Duration;

use kit::events::{
    Broker, Consumer, ConsumerSpec, Envelope,
    consumer::{Outcome, publish_direct},
};
use lapin::options::BasicGetOptions;
use payments::consumers::{LISTENS_TO, PaymentEvents};
use serde_json::json;
use sqlx::PgPool;
use uuid::Uuid;

use crate::helpers::TestPayments;

#[sqlx::test(migrations = false)]
async fn killed_between_charge_and_ack_the_redelivery_does_not_charge_again(pool: PgPool) {
    let payments = TestPayments::new(pool.clone()).await;
    let order = payments.order(Uuid::new_v4(), 3300, "tok_visa").await;
    let mut events = kit::config::EventsConfig::from_env().expect("config");
    let unique = Uuid::new_v4().simple().to_string();
    events.exchange = format!("test.events.{unique}");
    events.queue_prefix = format!("test.{unique}.");
    let broker = Broker::new(events);
    let consumer = || {
        Consumer::new(
            ConsumerSpec::new("payments.saga", LISTENS_TO, &broker),
            pool.clone(),
            broker.clone(),
            PaymentEvents(payments.payments.clone()),
        )
    };
    let first_life = consumer();
    let channel = broker.channel().await.expect("channel");
    first_life.declare(&channel).await.expect("declare");
    publish_direct(
        &broker,
        &Envelope::new("inventory", "inventory.reserved", order, json!({ "orderId": order }), None),
    )
    .await
    .expect("publish");

    // First life: take the message, charge, commit, and die before the ack.
    let doomed = broker.channel().await.expect("channel");
    let queue = format!("test.{unique}.payments.saga");
    let mut message = None;
    for _ in 0..200 {
        message = doomed
            .basic_get(queue.as_str().into(), BasicGetOptions { no_ack: false })
            .await
            .expect("get");
        if message.is_some() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
    let message = message.expect("a message");
    assert!(matches!(first_life.process(&message.delivery.data).await, Outcome::Applied));
    doomed.close(200, "crash".into()).await.expect("close without ack");
    assert_eq!(payments.sandbox.charges().len(), 1);

    // Second life: the broker redelivers; nothing is charged again.
    let stop = tokio_util::sync::CancellationToken::new();
    let running = tokio::spawn(consumer().run(stop.clone()));
    let passive = lapin::options::QueueDeclareOptions { passive: true, ..Default::default() };
    let mut drained = false;
    for _ in 0..200 {
        let depth = channel
            .queue_declare(queue.as_str().into(), passive, lapin::types::FieldTable::default())
            .await
            .expect("depth")
            .message_count();
        if depth == 0 {
            drained = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
    tokio::time::sleep(Duration::from_millis(200)).await;
    stop.cancel();
    running.await.expect("consumer stops");
    assert!(drained, "the redelivered message was not consumed");
    assert_eq!(payments.sandbox.charges().len(), 1, "no second charge");
    assert_eq!(payments.payment(order).await.1, "SUCCEEDED");
    assert_eq!(payments.events("payment.succeeded").await.len(), 1);
}
