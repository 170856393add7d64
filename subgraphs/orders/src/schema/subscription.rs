//! `orderStatusChanged`: the order's status history so far, then each
//! change as it happens, fed by this instance's live event queue.

use std::time::Duration;

use async_graphql::{Context, ID, Object, Result, Subscription as GraphqlSubscription};
use chrono::{DateTime, Utc};
use futures::{Stream, StreamExt};
use kit::{
    AppError,
    auth::ContextAuthExt,
    error::parse_uuid,
    events::{LiveFeed, live},
};
use sqlx::PgPool;
use uuid::Uuid;

use super::{loaders::OrderLoader, types::Order};
use crate::{events::ORDER_STATUS_CHANGED, repository, status::OrderStatus};

/// The routing keys the live feed binds.
pub const LIVE_EVENTS: &[&str] = &[ORDER_STATUS_CHANGED];

/// How long a new subscription waits for the live queue after a restart.
const FEED_WAIT: Duration = Duration::from_secs(5);

pub struct Subscription;

#[GraphqlSubscription]
impl Subscription {
    /// The owner's or an admin's. Starts with the order's history so far
    /// (oldest first), so a client that subscribes right after checkout
    /// misses no step; then one event per change.
    async fn order_status_changed(
        &self,
        ctx: &Context<'_>,
        order_id: ID,
    ) -> Result<impl Stream<Item = Result<OrderStatusEvent>> + use<>> {
        let viewer = ctx.viewer()?;
        let id = parse_uuid(&order_id, "order")?;
        let pool = ctx.data::<PgPool>()?.clone();
        let feed = ctx.data::<LiveFeed>()?;
        let order = repository::by_ids(&pool, &[id]).await.map_err(AppError::internal)?;
        let order = order.first().ok_or_else(|| AppError::not_found("order not found"))?;
        if order.customer_id != viewer.user_id && !viewer.is_admin() {
            return Err(
                AppError::forbidden("only the customer or an admin can follow this order").into()
            );
        }
        if !feed.ready(FEED_WAIT).await {
            return Err(AppError::unavailable("live updates are unavailable right now").into());
        }
        let subject = id.to_string();
        let stream = live::follow(
            feed.subscribe(),
            move |event| event.event_type == ORDER_STATUS_CHANGED && event.subject == subject,
            move || history(pool.clone(), id),
            |event: &OrderStatusEvent| format!("{}@{}", event.status.as_str(), event.at),
        );
        Ok(stream.map(|item| item.map_err(Into::into)))
    }
}

async fn history(pool: PgPool, order: Uuid) -> Result<Vec<OrderStatusEvent>, AppError> {
    let rows = repository::history_of(&pool, &[order]).await.map_err(AppError::internal)?;
    let mut previous = None;
    let mut events = Vec::with_capacity(rows.len());
    for row in rows {
        let Some(status) = OrderStatus::parse(&row.status) else { continue };
        events.push(OrderStatusEvent {
            order_id: order,
            status,
            previous_status: previous,
            at: row.at,
            reason: row.reason,
        });
        previous = Some(status);
    }
    Ok(events)
}

pub struct OrderStatusEvent {
    order_id: Uuid,
    status: OrderStatus,
    previous_status: Option<OrderStatus>,
    at: DateTime<Utc>,
    reason: Option<String>,
}

#[Object]
impl OrderStatusEvent {
    /// The order as it is when the event is delivered.
    async fn order(&self, ctx: &Context<'_>) -> Result<Order> {
        let loader = ctx.data_unchecked::<async_graphql::dataloader::DataLoader<OrderLoader>>();
        let row = loader.load_one(self.order_id).await?;
        Ok(Order(row.ok_or_else(|| AppError::not_found("order not found"))?))
    }
    async fn status(&self) -> OrderStatus {
        self.status
    }
    async fn previous_status(&self) -> Option<OrderStatus> {
        self.previous_status
    }
    async fn at(&self) -> DateTime<Utc> {
        self.at
    }
    async fn reason(&self) -> Option<&str> {
        self.reason.as_deref()
    }
}
