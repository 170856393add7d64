use std::time::Duration;

use kit::events::Broker;
use lapin::{
    options::{BasicGetOptions, QueueBindOptions, QueueDeclareOptions},
    types::FieldTable,
};
use serde_json::{Value, json};

use crate::helpers::TestCatalog;

#[tokio::test]
async fn product_writes_are_published_once_the_relay_runs() {
    let catalog = TestCatalog::new().await;
    let broker = Broker::new(catalog.config.service.events.clone());
    let channel = broker.channel().await.expect("channel");
    let queue = format!("test.catalog.{}", uuid::Uuid::new_v4().simple());
    channel
        .queue_declare(
            queue.as_str().into(),
            QueueDeclareOptions { auto_delete: true, ..Default::default() },
            FieldTable::default(),
        )
        .await
        .expect("queue");
    channel
        .queue_bind(
            queue.as_str().into(),
            broker.exchange().into(),
            "product.*".into(),
            QueueBindOptions::default(),
            FieldTable::default(),
        )
        .await
        .expect("bind");

    // Written while no relay runs: the events wait in the documents.
    let id = catalog.create("EV-1", "Vase", 900, json!({})).await;
    let update =
        "mutation($id: ID!) { updateProduct(id: $id, input: { name: \"Tall Vase\" }) { id } }";
    catalog.graphql(update, json!({ "id": id }), Some(&catalog.admin())).await;

    let running = catalog.spawn().await;
    let mut received: Vec<Value> = Vec::new();
    for _ in 0..200 {
        if let Some(message) = channel
            .basic_get(queue.as_str().into(), BasicGetOptions { no_ack: true })
            .await
            .expect("get")
        {
            received.push(serde_json::from_slice(&message.delivery.data).expect("json"));
            if received.len() == 2 {
                break;
            }
        } else {
            tokio::time::sleep(Duration::from_millis(25)).await;
        }
    }
    running.stop().await;
    let kinds: Vec<&str> = received.iter().filter_map(|e| e["type"].as_str()).collect();
    assert_eq!(kinds, ["product.created", "product.updated"]);
    assert_eq!(received[1]["data"]["name"], "Tall Vase");
    assert_eq!(received[1]["subject"], id.as_str());
}
