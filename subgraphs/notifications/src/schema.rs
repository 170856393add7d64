//! The notifications subgraph's GraphQL surface.

use async_graphql::{
    ComplexObject, Context, EmptySubscription, ID, InputObject, Object, Result, Schema,
    SimpleObject,
};
use chrono::{DateTime, Utc};
use kit::{
    AppError,
    auth::{AdminOnly, ContextAuthExt},
    pagination::PageRequest,
};

use crate::{
    store::{NotificationDoc, NotificationStatus, Store, now_ms, to_datetime},
    templates::{self, NotificationChannel, Template},
};

pub type NotificationsSchema = Schema<Query, Mutation, EmptySubscription>;

/// Without a store, the schema is only good for printing its SDL.
pub fn build_schema(store: Option<Store>) -> NotificationsSchema {
    let builder = kit::http::configure_schema(Schema::build(Query, Mutation, EmptySubscription));
    match store {
        Some(store) => builder.data(store).finish(),
        None => builder.finish(),
    }
}

fn internal(e: mongodb::error::Error) -> AppError {
    AppError::internal(e)
}

pub struct Notification(NotificationDoc);

#[Object]
impl Notification {
    async fn id(&self) -> ID {
        ID(self.0.id.clone())
    }
    async fn channel(&self) -> NotificationChannel {
        self.0.channel
    }
    /// The template key, e.g. `order.shipped`.
    async fn template(&self) -> &str {
        &self.0.template
    }
    async fn subject(&self) -> Option<&str> {
        self.0.subject.as_deref()
    }
    async fn body(&self) -> &str {
        &self.0.body
    }
    async fn status(&self) -> NotificationStatus {
        self.0.status
    }
    /// Delivery attempts so far.
    async fn attempts(&self) -> u32 {
        self.0.attempts
    }
    async fn created_at(&self) -> DateTime<Utc> {
        to_datetime(self.0.created_at_ms)
    }
    async fn sent_at(&self) -> Option<DateTime<Utc>> {
        self.0.sent_at_ms.map(to_datetime)
    }
    async fn read_at(&self) -> Option<DateTime<Utc>> {
        self.0.read_at_ms.map(to_datetime)
    }
}

kit::connection_types!(NotificationConnection, NotificationEdge, Notification);

#[derive(SimpleObject)]
pub struct NotificationTemplate {
    pub key: String,
    pub channel: NotificationChannel,
    pub subject: Option<String>,
    pub body: String,
}

impl From<Template> for NotificationTemplate {
    fn from(t: Template) -> Self {
        Self { key: t.key, channel: t.channel, subject: t.subject, body: t.body }
    }
}

#[derive(InputObject)]
pub struct NotificationTemplateInput {
    /// One of the known keys, e.g. `order.shipped`.
    pub key: String,
    pub channel: NotificationChannel,
    /// Required for EMAIL.
    pub subject: Option<String>,
    /// Text with `{{variable}}` placeholders from the key's variables.
    pub body: String,
}

/// The users subgraph's `User`, with their notifications.
#[derive(SimpleObject)]
#[graphql(complex)]
pub struct User {
    pub id: ID,
}

#[ComplexObject]
impl User {
    /// Newest first. The user's own, or any user's for an admin.
    #[graphql(directive = kit::directives::list_size::apply(kit::directives::page_size(), kit::directives::paged_by_first(), kit::directives::connection_edges(), Some(false)))]
    async fn notifications(
        &self,
        ctx: &Context<'_>,
        first: Option<i32>,
        after: Option<String>,
    ) -> Result<NotificationConnection> {
        let viewer = ctx.viewer()?;
        if viewer.user_id.to_string() != self.id.as_str() && !viewer.is_admin() {
            return Err(AppError::forbidden("only the user or an admin can read these").into());
        }
        let page = PageRequest::parse(first, after)?;
        let after = page.after.as_deref().map(parse_cursor).transpose()?;
        let store = ctx.data::<Store>()?;
        let (rows, total) = store.page(&self.id, after, page.limit).await.map_err(internal)?;
        let rows = rows.into_iter().map(Notification).collect();
        let total = i64::try_from(total).unwrap_or(i64::MAX);
        Ok(NotificationConnection::new(rows, &page, total, |n| {
            format!("{}|{}", n.0.created_at_ms, n.0.id)
        }))
    }
}

fn parse_cursor(cursor: &str) -> Result<(i64, String), AppError> {
    let invalid = || AppError::bad_input("`after` is not a cursor from this list");
    let (at, id) = cursor.split_once('|').ok_or_else(invalid)?;
    Ok((at.parse().map_err(|_| invalid())?, id.to_owned()))
}

pub struct Query;

#[Object]
impl Query {
    /// Admin: every template, by key and channel.
    #[graphql(guard = "AdminOnly", directive = kit::directives::policy::apply(kit::directives::admins()))]
    async fn notification_templates(&self, ctx: &Context<'_>) -> Result<Vec<NotificationTemplate>> {
        let templates = ctx.data::<Store>()?.templates().await.map_err(internal)?;
        Ok(templates.into_iter().map(Into::into).collect())
    }

    #[graphql(entity)]
    async fn find_user_by_id(&self, id: ID) -> User {
        User { id }
    }
}

pub struct Mutation;

#[Object]
impl Mutation {
    /// The reader's own notification; reading twice keeps the first time.
    async fn mark_notification_read(&self, ctx: &Context<'_>, id: ID) -> Result<Notification> {
        let viewer = ctx.viewer()?;
        let store = ctx.data::<Store>()?;
        let not_found = || AppError::not_found("notification not found");
        let mut notification = store.by_id(&id).await.map_err(internal)?.ok_or_else(not_found)?;
        if notification.user_id != viewer.user_id.to_string() {
            return Err(not_found().into());
        }
        if notification.read_at_ms.is_none() {
            notification.read_at_ms = Some(now_ms());
            store.mark_read(&notification.id, notification.read_at_ms).await.map_err(internal)?;
        }
        Ok(Notification(notification))
    }

    /// Admin: creates or replaces the template for a key and channel.
    #[graphql(guard = "AdminOnly", directive = kit::directives::policy::apply(kit::directives::admins()))]
    async fn upsert_notification_template(
        &self,
        ctx: &Context<'_>,
        input: NotificationTemplateInput,
    ) -> Result<NotificationTemplate> {
        let template = Template {
            key: input.key.trim().to_owned(),
            channel: input.channel,
            subject: input.subject.filter(|s| !s.trim().is_empty()),
            body: input.body,
        };
        templates::validate(&template).map_err(|e| AppError::bad_input(e.0))?;
        ctx.data::<Store>()?.upsert_template(template.clone()).await.map_err(internal)?;
        Ok(template.into())
    }
}
