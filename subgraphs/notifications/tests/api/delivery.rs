//! Events in, email at the SMTP sink, in-app records in the inbox.

use serde_json::{Value, json};
use uuid::Uuid;

use crate::helpers::{
    TestNotifications, described_status_change, order_created, registered, status_changed,
};

fn of<'a>(inbox: &'a [Value], template: &str, channel: &str) -> Vec<&'a Value> {
    inbox.iter().filter(|n| n["template"] == template && n["channel"] == channel).collect()
}

#[tokio::test]
async fn order_placed_and_shipped_are_emailed_and_kept_in_the_inbox() {
    let service = TestNotifications::start().await;
    let pushed_before = kit::metrics::metrics().notifications_finished("PUSH", true);
    let (user, order) = (Uuid::new_v4(), Uuid::new_v4());
    service.publish(&registered(user, "ada@example.com", "Ada")).await;
    service.publish(&order_created(order, user, "SG-001234")).await;
    service.publish(&status_changed(order, user, "SHIPPED")).await;

    let placed = service.smtp.wait_for(&["Subject: We received order SG-001234"], 10).await;
    assert!(placed.contains("To: ada@example.com"), "{placed}");
    assert!(placed.contains("Hi Ada"), "{placed}");
    assert!(placed.contains("$123.45"), "{placed}");
    service.smtp.wait_for(&["Subject: Order SG-001234 has shipped"], 10).await;
    service.smtp.wait_for(&["Subject: Welcome to Shopgraph, Ada"], 10).await;

    let inbox =
        service.inbox(user, |n| n.iter().filter(|n| n["status"] == "SENT").count() == 6).await;
    // Welcome email; placed by email and in-app; shipped by email, push
    // and in-app.
    assert_eq!(inbox.len(), 6, "{inbox:#?}");
    assert!(kit::metrics::metrics().notifications_finished("PUSH", true) > pushed_before);
    let in_app = of(&inbox, "order.shipped", "IN_APP");
    assert_eq!(in_app.len(), 1, "{inbox:#?}");
    assert_eq!(in_app[0]["body"], "Order SG-001234 has shipped.");
    assert_eq!(of(&inbox, "order.shipped", "PUSH")[0]["status"], "SENT");
    // Newest first.
    let first_placed = inbox.iter().position(|n| n["template"] == "order.placed");
    let first_shipped = inbox.iter().position(|n| n["template"] == "order.shipped");
    assert!(first_shipped < first_placed, "{inbox:#?}");
    service.stop().await;
}

#[tokio::test]
async fn a_status_change_that_overtakes_order_created_is_still_sent() {
    let service = TestNotifications::start().await;
    let (user, order) = (Uuid::new_v4(), Uuid::new_v4());
    service.publish(&registered(user, "cy@example.com", "Cy")).await;
    // Another instance still holds order.created (its broker link is down).
    service.publish(&described_status_change(order, user, "SG-000888", "SHIPPED")).await;
    let shipped = service.smtp.wait_for(&["Subject: Order SG-000888 has shipped"], 10).await;
    assert!(shipped.contains("To: cy@example.com"), "{shipped}");
    service.publish(&order_created(order, user, "SG-000888")).await;
    service.smtp.wait_for(&["Subject: We received order SG-000888"], 10).await;
    let messages = service.smtp.messages();
    assert_eq!(messages.iter().filter(|m| m.contains("SG-000888 has shipped")).count(), 1);
    service.stop().await;
}

#[tokio::test]
async fn a_redelivered_event_sends_no_second_email() {
    let service = TestNotifications::start().await;
    let (user, order) = (Uuid::new_v4(), Uuid::new_v4());
    service.publish(&registered(user, "bo@example.com", "Bo")).await;
    let created = order_created(order, user, "SG-000777");
    service.publish(&created).await;
    service.publish(&created).await;
    let shipped = status_changed(order, user, "SHIPPED");
    service.publish(&shipped).await;
    service.publish(&shipped).await;
    service.smtp.wait_for(&["Subject: Order SG-000777 has shipped"], 10).await;
    // A marker event after the duplicates: once its email is in, the
    // duplicates have long been handled.
    service.publish(&status_changed(order, user, "DELIVERED")).await;
    service.smtp.wait_for(&["Subject: Order SG-000777 was delivered"], 10).await;
    let messages = service.smtp.messages();
    let count = |subject: &str| messages.iter().filter(|m| m.contains(subject)).count();
    assert_eq!(count("Subject: We received order SG-000777"), 1);
    assert_eq!(count("Subject: Order SG-000777 has shipped"), 1);
    let inbox = service.inbox(user, |n| !of(n, "order.delivered", "IN_APP").is_empty()).await;
    assert_eq!(of(&inbox, "order.placed", "IN_APP").len(), 1);
    service.stop().await;
}

#[tokio::test]
async fn a_refusing_mail_server_is_retried_then_the_email_fails_for_good() {
    let service = TestNotifications::start().await;
    service.smtp.refuse(true);
    // The process's counter: other tests may add to it, never take away.
    let failed_before = kit::metrics::metrics().notifications_finished("EMAIL", false);
    let user = Uuid::new_v4();
    service.publish(&registered(user, "cy@example.com", "Cy")).await;
    let inbox = service
        .inbox(user, |n| n.iter().any(|n| n["channel"] == "EMAIL" && n["status"] == "FAILED"))
        .await;
    let email = of(&inbox, "user.registered", "EMAIL")[0];
    assert_eq!(email["attempts"], 3, "{email}");
    assert!(service.smtp.messages().is_empty());
    assert!(kit::metrics::metrics().notifications_finished("EMAIL", false) > failed_before);
    service.stop().await;
}

#[tokio::test]
async fn an_order_email_without_a_known_address_fails_clearly_and_the_inbox_still_works() {
    let service = TestNotifications::start().await;
    let (user, order) = (Uuid::new_v4(), Uuid::new_v4());
    service.publish(&order_created(order, user, "SG-000001")).await;
    let inbox = service
        .inbox(user, |n| n.iter().any(|n| n["channel"] == "EMAIL" && n["status"] == "FAILED"))
        .await;
    assert_eq!(of(&inbox, "order.placed", "EMAIL")[0]["attempts"], 3);
    let in_app = of(&inbox, "order.placed", "IN_APP")[0];
    assert_eq!(in_app["body"], "Order SG-000001 placed ($123.45).");

    // Reading: once, by its owner only.
    let mark = "mutation($id: ID!) { markNotificationRead(id: $id) { readAt } }";
    let id = json!({ "id": in_app["id"] });
    let stranger = service.customer(Uuid::new_v4());
    let refused = service.graphql(mark, id.clone(), Some(&stranger)).await;
    assert_eq!(kit::testing::error_code(&refused), "NOT_FOUND");
    let owner = service.customer(user);
    let first = service.graphql(mark, id.clone(), Some(&owner)).await;
    let read_at = first["data"]["markNotificationRead"]["readAt"].clone();
    assert!(read_at.is_string(), "{first}");
    let again = service.graphql(mark, id, Some(&owner)).await;
    assert_eq!(again["data"]["markNotificationRead"]["readAt"], read_at);

    // Someone else's inbox is closed.
    let query = "query($r: [_Any!]!) { _entities(representations: $r) { ... on User { notifications { totalCount } } } }";
    let peek = service
        .graphql(query, json!({ "r": [{ "__typename": "User", "id": user }] }), Some(&stranger))
        .await;
    assert_eq!(kit::testing::error_code(&peek), "FORBIDDEN");
    service.stop().await;
}

#[tokio::test]
async fn a_payment_waiting_for_3d_secure_asks_the_customer_to_confirm() {
    let service = TestNotifications::start().await;
    let (user, order) = (Uuid::new_v4(), Uuid::new_v4());
    service.publish(&registered(user, "di@example.com", "Di")).await;
    service.publish(&order_created(order, user, "SG-000777")).await;
    let waiting = kit::events::Envelope::new(
        "payments",
        "payment.action_required",
        order,
        json!({ "orderId": order, "paymentId": Uuid::new_v4() }),
        None,
    );
    service.publish(&waiting).await;
    let email = service.smtp.wait_for(&["Subject: Confirm your payment for SG-000777"], 10).await;
    assert!(email.contains("To: di@example.com") && email.contains("Hi Di"), "{email}");
    let inbox = service
        .inbox(user, |n| {
            n.iter().any(|n| n["template"] == "payment.action_required" && n["channel"] == "IN_APP")
        })
        .await;
    let in_app = of(&inbox, "payment.action_required", "IN_APP");
    assert_eq!(in_app[0]["body"], "Confirm the payment for order SG-000777 with your bank.");
    service.stop().await;
}
