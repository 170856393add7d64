//! Customer events in, notifications out: each event renders its
//! templates into stored notifications, once per event.

use std::collections::HashMap;

use anyhow::Context;
use kit::{events::Apply, events::Envelope, money::Money};
use serde_json::Value;

use crate::{
    store::{KnownOrder, NotificationDoc, NotificationStatus, Recipient, Store, now_ms},
    templates,
};

pub const LISTENS_TO: &[&str] = &[
    "user.registered",
    "user.password_reset_requested",
    "order.created",
    "order.status_changed",
    "payment.action_required",
    "payment.failed",
    "payment.refunded",
];

pub const SOURCE: &str = "notifications";

/// Who gets a message, what template, and its values.
struct Plan {
    key: &'static str,
    user_id: String,
    email: Option<String>,
    values: HashMap<&'static str, String>,
}

pub struct Notify {
    pub store: Store,
    /// Tells this instance's delivery worker that something is due now, so
    /// that it need not poll often.
    pub wake_worker: std::sync::Arc<tokio::sync::Notify>,
}

impl Apply for Notify {
    async fn apply(&self, event: &Envelope) -> anyhow::Result<bool> {
        let Some(plan) = self.plan(event).await? else { return Ok(false) };
        let mut created = false;
        for template in self.store.templates_for(plan.key).await? {
            let notification = render(event, &plan, &template);
            created |= self.store.insert_once(notification).await?;
        }
        if created {
            self.wake_worker.notify_one();
        }
        Ok(created)
    }
}

impl Notify {
    async fn plan(&self, event: &Envelope) -> anyhow::Result<Option<Plan>> {
        let data = &event.data;
        let text = |key: &str| data.get(key).and_then(Value::as_str).map(str::to_owned);
        let plan = match event.event_type.as_str() {
            "user.registered" => {
                let recipient = Recipient {
                    user_id: text("userId").context("userId")?,
                    email: text("email").context("email")?,
                    name: text("name").unwrap_or_default(),
                };
                self.store.remember_recipient(recipient.clone()).await?;
                Plan {
                    key: "user.registered",
                    user_id: recipient.user_id,
                    email: Some(recipient.email.clone()),
                    values: HashMap::from([("name", recipient.name), ("email", recipient.email)]),
                }
            }
            "user.password_reset_requested" => {
                let email = text("email").context("email")?;
                Plan {
                    key: "user.password_reset",
                    user_id: text("userId").context("userId")?,
                    email: Some(email.clone()),
                    values: HashMap::from([
                        ("name", text("name").unwrap_or_default()),
                        ("email", email),
                        ("token", text("token").context("token")?),
                        ("expiresAt", text("expiresAt").unwrap_or_default()),
                    ]),
                }
            }
            "order.created" => {
                let order = KnownOrder {
                    order_id: text("orderId").context("orderId")?,
                    customer_id: text("customerId").context("customerId")?,
                    number: text("number").context("number")?,
                    total: money(data.get("total")),
                };
                self.store.remember_order(order.clone()).await?;
                let mut plan = self.for_order(&order, "order.placed").await?;
                plan.values.insert("total", order.total);
                plan
            }
            "order.status_changed" => {
                let key = match text("status").as_deref() {
                    Some("PAID") => "order.paid",
                    Some("SHIPPED") => "order.shipped",
                    Some("DELIVERED") => "order.delivered",
                    _ => return Ok(None),
                };
                let order = self.known_order(data).await?;
                let mut plan = self.for_order(&order, key).await?;
                plan.values.insert("total", order.total);
                plan
            }
            "payment.action_required" => {
                let order = self.known_order(data).await?;
                self.for_order(&order, "payment.action_required").await?
            }
            "payment.failed" => {
                let order = self.known_order(data).await?;
                let mut plan = self.for_order(&order, "payment.failed").await?;
                plan.values.insert("reason", text("reason").unwrap_or_default());
                plan
            }
            "payment.refunded" => {
                let order = self.known_order(data).await?;
                let mut plan = self.for_order(&order, "payment.refunded").await?;
                plan.values.insert("amount", money(data.get("amount")));
                plan
            }
            _ => return Ok(None),
        };
        Ok(Some(plan))
    }

    /// The order an event is about. Events that describe the order
    /// (`order.status_changed`) need nothing else; for the others, unknown
    /// means `order.created` has not been handled yet: failing lets the
    /// consumer retry later.
    async fn known_order(&self, data: &Value) -> anyhow::Result<KnownOrder> {
        let id = data.get("orderId").and_then(Value::as_str).context("orderId")?;
        if let Some(order) = self.store.order(id).await? {
            return Ok(order);
        }
        let text = |key: &str| data.get(key).and_then(Value::as_str).map(str::to_owned);
        match (text("customerId"), text("number")) {
            (Some(customer_id), Some(number)) => {
                let order = KnownOrder {
                    order_id: id.to_owned(),
                    customer_id,
                    number,
                    total: money(data.get("total")),
                };
                self.store.remember_order(order.clone()).await?;
                Ok(order)
            }
            _ => anyhow::bail!("order {id} is not known yet"),
        }
    }

    async fn for_order(&self, order: &KnownOrder, key: &'static str) -> anyhow::Result<Plan> {
        let recipient = self.store.recipient(&order.customer_id).await?;
        let name = recipient.as_ref().map_or_else(|| "there".to_owned(), |r| r.name.clone());
        Ok(Plan {
            key,
            user_id: order.customer_id.clone(),
            email: recipient.map(|r| r.email),
            values: HashMap::from([("name", name), ("orderNumber", order.number.clone())]),
        })
    }
}

/// One stored notification for `template`. A template that cannot be
/// rendered (an admin saved a variable this event lacks) is recorded as
/// FAILED with the reason; the consumer carries on.
fn render(event: &Envelope, plan: &Plan, template: &templates::Template) -> NotificationDoc {
    let now = now_ms();
    let subject =
        template.subject.as_deref().map(|s| templates::render(s, &plan.values)).transpose();
    let body = templates::render(&template.body, &plan.values);
    let mut notification = NotificationDoc {
        id: format!("{}/{}/{}", event.id, template.key, template.channel.as_str()),
        event_id: event.id.to_string(),
        user_id: plan.user_id.clone(),
        template: template.key.clone(),
        channel: template.channel,
        recipient: plan.email.clone(),
        subject: None,
        body: String::new(),
        status: NotificationStatus::Queued,
        attempts: 0,
        last_error: None,
        next_attempt_ms: now,
        created_at_ms: now,
        sent_at_ms: None,
        read_at_ms: None,
        outcome_event_id: None,
        announced: false,
    };
    let failure = match (subject, body) {
        (Ok(subject), Ok(body)) => {
            notification.subject = subject;
            notification.body = body;
            None
        }
        (Err(e), _) | (_, Err(e)) => {
            tracing::warn!(template = %template.key, error = %e.0, "template could not be rendered");
            Some(format!("template `{}` could not be rendered: {}", template.key, e.0))
        }
    };
    if let Some(reason) = failure {
        notification.status = NotificationStatus::Failed;
        notification.last_error = Some(reason);
        notification.outcome_event_id = Some(uuid::Uuid::now_v7());
    }
    notification
}

fn money(value: Option<&Value>) -> String {
    let amount = value.and_then(|v| v.get("amount")).and_then(Value::as_i64).unwrap_or_default();
    let currency = value.and_then(|v| v.get("currency")).and_then(Value::as_str).unwrap_or("USD");
    Money { amount, currency: currency.to_owned() }.format()
}
