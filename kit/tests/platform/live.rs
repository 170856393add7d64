//! The live feed: followers see every stored change, even when the feed
//! lost the broker while a change was announced.

use std::{
    sync::{Arc, Mutex},
    time::Duration,
};

use futures::StreamExt;
use kit::events::{Broker, Envelope, LiveFeed, consumer::publish_direct, live::follow};
use tokio_util::sync::CancellationToken;

use crate::helpers::{BrokerProxy, RABBITMQ, events_config};

const CHANGED: &str = "widget.changed";

fn changed() -> Envelope {
    Envelope::new("tests", CHANGED, "widget-1", serde_json::json!({}), None)
}

#[tokio::test]
async fn followers_reload_when_the_feed_binds_again_after_losing_the_broker() {
    let mut proxy = BrokerProxy::start().await;
    let through_proxy = events_config(&proxy.addr.to_string());
    let direct = Broker::new(kit::config::EventsConfig {
        amqp_url: format!("amqp://guest:guest@{RABBITMQ}/%2f"),
        ..through_proxy.clone()
    });
    let feed = LiveFeed::new(&[CHANGED]);
    let shutdown = CancellationToken::new();
    tokio::spawn(feed.clone().run(Broker::new(through_proxy), shutdown.clone()));
    assert!(feed.ready(Duration::from_secs(10)).await, "the feed never bound");

    // The stored versions of the widget, which events announce.
    let store = Arc::new(Mutex::new(vec![1]));
    let loaded = store.clone();
    let mut follower = follow(
        feed.subscribe(),
        |event| event.event_type == CHANGED,
        move |_| {
            let versions = loaded.lock().expect("store").clone();
            async move { Ok::<_, ()>(versions) }
        },
        |version: &i32| version.to_string(),
    );
    let next = async |follower: &mut futures::stream::BoxStream<'_, Result<i32, ()>>| {
        tokio::time::timeout(Duration::from_secs(10), follower.next()).await
    };
    assert_eq!(next(&mut follower).await, Ok(Some(Ok(1))));
    store.lock().expect("store").push(2);
    publish_direct(&direct, &changed()).await.expect("publish");
    assert_eq!(next(&mut follower).await, Ok(Some(Ok(2))));

    // The feed's link goes; its queue goes with its connection, so the
    // change announced now never reaches it.
    proxy.stop().await;
    tokio::time::sleep(Duration::from_millis(500)).await;
    store.lock().expect("store").push(3);
    publish_direct(&direct, &changed()).await.expect("publish");
    proxy.restart().await;
    // No further event: binding again is what makes the follower reload.
    assert_eq!(next(&mut follower).await, Ok(Some(Ok(3))), "the missed change never arrived");
    shutdown.cancel();
    proxy.stop().await;
}
