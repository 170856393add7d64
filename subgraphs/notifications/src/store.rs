//! MongoDB documents: templates, notifications (with their delivery state),
//! and what events taught us about recipients and orders.

use chrono::{DateTime, TimeZone, Utc};
use futures::TryStreamExt;
use mongodb::{
    Collection, Database, IndexModel,
    bson::doc,
    options::{FindOptions, ReplaceOptions},
};
use serde::{Deserialize, Serialize};

use crate::templates::{NotificationChannel, Template};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, async_graphql::Enum)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum NotificationStatus {
    Queued,
    Sent,
    Failed,
}

/// One message to one user on one channel, produced by one event.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct NotificationDoc {
    /// `<event id>/<template key>/<channel>`: an event yields each of its
    /// notifications once, however often it is delivered.
    #[serde(rename = "_id")]
    pub id: String,
    pub event_id: String,
    pub user_id: String,
    pub template: String,
    pub channel: NotificationChannel,
    /// The email address, for EMAIL.
    pub recipient: Option<String>,
    pub subject: Option<String>,
    pub body: String,
    pub status: NotificationStatus,
    pub attempts: u32,
    pub last_error: Option<String>,
    pub next_attempt_ms: i64,
    pub created_at_ms: i64,
    pub sent_at_ms: Option<i64>,
    pub read_at_ms: Option<i64>,
    /// The id of the `notification.sent`/`failed` event, fixed when the
    /// delivery ends so a re-announcement is deduplicated downstream.
    pub outcome_event_id: Option<uuid::Uuid>,
    /// Whether that event went out (an in-document outbox).
    pub announced: bool,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
struct TemplateDoc {
    #[serde(rename = "_id")]
    id: String,
    #[serde(flatten)]
    template: Template,
}

/// A customer as `user.registered` described them.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Recipient {
    #[serde(rename = "_id")]
    pub user_id: String,
    pub email: String,
    pub name: String,
}

/// An order as `order.created` described it.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct KnownOrder {
    #[serde(rename = "_id")]
    pub order_id: String,
    pub customer_id: String,
    pub number: String,
    pub total: String,
}

#[derive(Clone)]
pub struct Store {
    notifications: Collection<NotificationDoc>,
    templates: Collection<TemplateDoc>,
    recipients: Collection<Recipient>,
    orders: Collection<KnownOrder>,
}

pub fn now_ms() -> i64 {
    Utc::now().timestamp_millis()
}

pub fn to_datetime(ms: i64) -> DateTime<Utc> {
    Utc.timestamp_millis_opt(ms).single().unwrap_or_default()
}

impl Store {
    pub fn new(database: &Database) -> Self {
        Self {
            notifications: database.collection("notifications"),
            templates: database.collection("templates"),
            recipients: database.collection("recipients"),
            orders: database.collection("orders"),
        }
    }

    #[tracing::instrument(skip_all, fields(otel.kind = "client", db.system.name = "mongodb"))]
    pub async fn create_indexes(&self) -> mongodb::error::Result<()> {
        self.notifications
            .create_indexes([
                IndexModel::builder()
                    .keys(doc! { "userId": 1, "createdAtMs": -1, "_id": -1 })
                    .build(),
                IndexModel::builder().keys(doc! { "status": 1, "nextAttemptMs": 1 }).build(),
                // The worker's announcement pass, every poll.
                IndexModel::builder().keys(doc! { "announced": 1, "status": 1 }).build(),
            ])
            .await?;
        Ok(())
    }

    /// Adds the default templates that are missing; edited ones stay.
    #[tracing::instrument(skip_all, fields(otel.kind = "client", db.system.name = "mongodb"))]
    pub async fn seed_templates(&self, defaults: Vec<Template>) -> mongodb::error::Result<()> {
        for template in defaults {
            let id = template_id(&template.key, template.channel);
            if self.templates.find_one(doc! { "_id": &id }).await?.is_none() {
                let document = TemplateDoc { id, template };
                if let Err(e) = self.templates.insert_one(document).await
                    && !kit::mongo::is_duplicate_key(&e)
                {
                    return Err(e);
                }
            }
        }
        Ok(())
    }

    #[tracing::instrument(skip_all, fields(otel.kind = "client", db.system.name = "mongodb"))]
    pub async fn templates(&self) -> mongodb::error::Result<Vec<Template>> {
        let options = FindOptions::builder().sort(doc! { "_id": 1 }).build();
        let docs: Vec<TemplateDoc> =
            self.templates.find(doc! {}).with_options(options).await?.try_collect().await?;
        Ok(docs.into_iter().map(|d| d.template).collect())
    }

    #[tracing::instrument(skip_all, fields(otel.kind = "client", db.system.name = "mongodb"))]
    pub async fn templates_for(&self, key: &str) -> mongodb::error::Result<Vec<Template>> {
        let docs: Vec<TemplateDoc> =
            self.templates.find(doc! { "key": key }).await?.try_collect().await?;
        Ok(docs.into_iter().map(|d| d.template).collect())
    }

    #[tracing::instrument(skip_all, fields(otel.kind = "client", db.system.name = "mongodb"))]
    pub async fn upsert_template(&self, template: Template) -> mongodb::error::Result<()> {
        let id = template_id(&template.key, template.channel);
        let options = ReplaceOptions::builder().upsert(true).build();
        self.templates
            .replace_one(doc! { "_id": &id }, TemplateDoc { id: id.clone(), template })
            .with_options(options)
            .await?;
        Ok(())
    }

    #[tracing::instrument(skip_all, fields(otel.kind = "client", db.system.name = "mongodb"))]
    pub async fn remember_recipient(&self, recipient: Recipient) -> mongodb::error::Result<()> {
        let options = ReplaceOptions::builder().upsert(true).build();
        let filter = doc! { "_id": &recipient.user_id };
        self.recipients.replace_one(filter, recipient).with_options(options).await?;
        Ok(())
    }

    #[tracing::instrument(skip_all, fields(otel.kind = "client", db.system.name = "mongodb"))]
    pub async fn recipient(&self, user_id: &str) -> mongodb::error::Result<Option<Recipient>> {
        self.recipients.find_one(doc! { "_id": user_id }).await
    }

    #[tracing::instrument(skip_all, fields(otel.kind = "client", db.system.name = "mongodb"))]
    pub async fn remember_order(&self, order: KnownOrder) -> mongodb::error::Result<()> {
        let options = ReplaceOptions::builder().upsert(true).build();
        let filter = doc! { "_id": &order.order_id };
        self.orders.replace_one(filter, order).with_options(options).await?;
        Ok(())
    }

    #[tracing::instrument(skip_all, fields(otel.kind = "client", db.system.name = "mongodb"))]
    pub async fn order(&self, order_id: &str) -> mongodb::error::Result<Option<KnownOrder>> {
        self.orders.find_one(doc! { "_id": order_id }).await
    }

    /// Inserts a notification unless this event already produced it.
    #[tracing::instrument(skip_all, fields(otel.kind = "client", db.system.name = "mongodb"))]
    pub async fn insert_once(&self, notification: NotificationDoc) -> mongodb::error::Result<bool> {
        match self.notifications.insert_one(notification).await {
            Ok(_) => Ok(true),
            Err(e) if kit::mongo::is_duplicate_key(&e) => Ok(false),
            Err(e) => Err(e),
        }
    }

    /// The ids of up to `limit` due notifications, oldest first: one
    /// sorted scan per pass rather than one per notification.
    #[tracing::instrument(skip_all, fields(otel.kind = "client", db.system.name = "mongodb"))]
    pub async fn due(&self, limit: i64) -> mongodb::error::Result<Vec<String>> {
        let filter = doc! { "status": "QUEUED", "nextAttemptMs": { "$lte": now_ms() } };
        let options = FindOptions::builder()
            .sort(doc! { "nextAttemptMs": 1 })
            .limit(limit)
            .projection(doc! { "_id": 1 })
            .build();
        let ids: Vec<mongodb::bson::Document> = self
            .notifications
            .clone_with_type()
            .find(filter)
            .with_options(options)
            .await?
            .try_collect()
            .await?;
        Ok(ids.iter().filter_map(|d| d.get_str("_id").ok().map(str::to_owned)).collect())
    }

    /// Takes those of `ids` still due for `lease_ms`, so that another
    /// instance does not try them meanwhile, and returns them: two round
    /// trips for the whole batch.
    #[tracing::instrument(skip_all, fields(otel.kind = "client", db.system.name = "mongodb"))]
    pub async fn claim(
        &self,
        ids: &[String],
        lease_ms: i64,
    ) -> mongodb::error::Result<Vec<NotificationDoc>> {
        if ids.is_empty() {
            return Ok(Vec::new());
        }
        let now = now_ms();
        let token = uuid::Uuid::new_v4().to_string();
        let filter =
            doc! { "_id": { "$in": ids }, "status": "QUEUED", "nextAttemptMs": { "$lte": now } };
        let claim = doc! { "$set": { "nextAttemptMs": now + lease_ms, "claim": &token } };
        self.notifications.update_many(filter, claim).await?;
        let mine = doc! { "_id": { "$in": ids }, "claim": &token };
        self.notifications.find(mine).await?.try_collect().await
    }

    /// Finished notifications whose event has not gone out yet.
    #[tracing::instrument(skip_all, fields(otel.kind = "client", db.system.name = "mongodb"))]
    pub async fn unannounced(&self, limit: i64) -> mongodb::error::Result<Vec<NotificationDoc>> {
        let filter = doc! { "status": { "$in": ["SENT", "FAILED"] }, "announced": false };
        let options = FindOptions::builder().limit(limit).build();
        self.notifications.find(filter).with_options(options).await?.try_collect().await
    }

    #[tracing::instrument(skip_all, fields(otel.kind = "client", db.system.name = "mongodb"))]
    pub async fn save(&self, notification: &NotificationDoc) -> mongodb::error::Result<()> {
        self.notifications.replace_one(doc! { "_id": &notification.id }, notification).await?;
        Ok(())
    }

    /// Sets `readAt` once; a concurrent second read keeps the first time.
    #[tracing::instrument(skip_all, fields(otel.kind = "client", db.system.name = "mongodb"))]
    pub async fn mark_read(&self, id: &str, at: Option<i64>) -> mongodb::error::Result<()> {
        let filter = doc! { "_id": id, "readAtMs": null };
        self.notifications.update_one(filter, doc! { "$set": { "readAtMs": at } }).await?;
        Ok(())
    }

    #[tracing::instrument(skip_all, fields(otel.kind = "client", db.system.name = "mongodb"))]
    pub async fn by_id(&self, id: &str) -> mongodb::error::Result<Option<NotificationDoc>> {
        self.notifications.find_one(doc! { "_id": id }).await
    }

    /// A user's notifications, newest first, after the `(createdAtMs, _id)`
    /// cursor; one more than `limit` to tell whether there is a next page.
    #[tracing::instrument(skip_all, fields(otel.kind = "client", db.system.name = "mongodb"))]
    pub async fn page(
        &self,
        user_id: &str,
        after: Option<(i64, String)>,
        limit: i64,
    ) -> mongodb::error::Result<(Vec<NotificationDoc>, u64)> {
        let total = self.notifications.count_documents(doc! { "userId": user_id }).await?;
        let mut filter = doc! { "userId": user_id };
        if let Some((at, id)) = after {
            filter.insert(
                "$or",
                vec![
                    doc! { "createdAtMs": { "$lt": at } },
                    doc! { "createdAtMs": at, "_id": { "$lt": id } },
                ],
            );
        }
        let options = FindOptions::builder()
            .sort(doc! { "createdAtMs": -1, "_id": -1 })
            .limit(limit + 1)
            .build();
        let rows =
            self.notifications.find(filter).with_options(options).await?.try_collect().await?;
        Ok((rows, total))
    }
}

fn template_id(key: &str, channel: NotificationChannel) -> String {
    format!("{key}/{}", channel.as_str())
}
