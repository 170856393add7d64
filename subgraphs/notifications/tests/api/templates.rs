//! Templates: seeded, listed and edited by admins, validated on save, and
//! rendering failures recorded without stopping the consumer.

use mongodb::bson::doc;
use serde_json::json;
use uuid::Uuid;

use crate::helpers::{TestNotifications, registered};

const UPSERT: &str = "mutation($i: NotificationTemplateInput!) { upsertNotificationTemplate(input: $i) { key channel subject body } }";

#[tokio::test]
async fn admins_edit_templates_and_new_messages_use_them() {
    let service = TestNotifications::start().await;
    let admin = service.admin();
    let listed =
        service.graphql("{ notificationTemplates { key channel } }", json!({}), Some(&admin)).await;
    let templates = listed["data"]["notificationTemplates"].as_array().expect("list");
    assert!(templates.len() >= 8, "{listed}");
    assert!(templates.contains(&json!({ "key": "order.shipped", "channel": "EMAIL" })));

    let input = json!({ "i": { "key": "user.registered", "channel": "EMAIL",
        "subject": "Hello {{ name }}", "body": "Welcome aboard, {{name}} <{{email}}>" } });
    let saved = service.graphql(UPSERT, input, Some(&admin)).await;
    assert_eq!(
        saved["data"]["upsertNotificationTemplate"]["subject"], "Hello {{ name }}",
        "{saved}"
    );
    let user = Uuid::new_v4();
    service.publish(&registered(user, "di@example.com", "Di")).await;
    let message = service.smtp.wait_for(&["Subject: Hello Di"], 10).await;
    assert!(message.contains("Welcome aboard, Di <di@example.com>"), "{message}");
    service.stop().await;
}

#[tokio::test]
async fn bad_templates_are_refused_with_clear_errors() {
    let service = TestNotifications::start().await;
    let admin = service.admin();
    let cases = [
        (
            json!({ "key": "order.shipped", "channel": "EMAIL", "subject": "x", "body": "{{token}}" }),
            "not available",
        ),
        (
            json!({ "key": "order.lost", "channel": "EMAIL", "subject": "x", "body": "y" }),
            "unknown template key",
        ),
        (json!({ "key": "order.shipped", "channel": "EMAIL", "body": "y" }), "needs a subject"),
        (json!({ "key": "order.shipped", "channel": "SMS", "body": "{{name" }), "no matching"),
    ];
    for (input, message) in cases {
        let response = service.graphql(UPSERT, json!({ "i": input }), Some(&admin)).await;
        assert_eq!(kit::testing::error_code(&response), "BAD_USER_INPUT", "{response}");
        assert!(
            response["errors"][0]["message"].as_str().is_some_and(|m| m.contains(message)),
            "{response}"
        );
    }
    let customer = service.customer(Uuid::new_v4());
    let input = json!({ "i": { "key": "order.shipped", "channel": "SMS", "body": "ok" } });
    let refused = service.graphql(UPSERT, input, Some(&customer)).await;
    assert_eq!(kit::testing::error_code(&refused), "FORBIDDEN");
    service.stop().await;
}

#[tokio::test]
async fn a_template_that_cannot_render_is_recorded_as_failed_and_the_consumer_carries_on() {
    let service = TestNotifications::start().await;
    // A broken template can only come from outside the API (an old
    // version, a hand edit): write one straight into MongoDB.
    service
        .database
        .collection::<mongodb::bson::Document>("templates")
        .update_one(
            doc! { "_id": "user.registered/EMAIL" },
            doc! { "$set": { "body": "Hi {{nickname}}" } },
        )
        .await
        .expect("update");
    let (first, second) = (Uuid::new_v4(), Uuid::new_v4());
    service.publish(&registered(first, "e1@example.com", "Ed")).await;
    service.publish(&registered(second, "e2@example.com", "Eve")).await;
    for user in [first, second] {
        let inbox = service.inbox(user, |n| !n.is_empty()).await;
        assert_eq!(inbox[0]["status"], "FAILED", "{inbox:#?}");
    }
    service.stop().await;
}
