//! `orderStatusChanged`: the order's status history so far, then each
//! change as it happens, fed by this instance's live event queue.

use std::{sync::Arc, time::Duration};

use async_graphql::{Context, ID, Object, Result, Subscription as GraphqlSubscription};
use chrono::{DateTime, Utc};
use futures::{Stream, StreamExt};
use kit::{
    AppError,
    auth::ContextAuthExt,
    error::parse_uuid,
    events::{
        LiveFeed,
        live::{self, SharedLoads},
    },
};
use sqlx::PgPool;
use uuid::Uuid;

use super::types::Order;
use crate::{
    events::ORDER_STATUS_CHANGED,
    repository::{self, HistoryRow, OrderRow},
    status::OrderStatus,
};

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
        let loads = ctx.data::<SharedLoads<Snapshot>>()?.clone();
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
        let events = feed.subscribe();
        let stream = live::follow(
            events,
            move |event| event.event_type == ORDER_STATUS_CHANGED && event.subject == subject,
            move |trigger| {
                let (pool, loads) = (pool.clone(), loads.clone());
                async move {
                    let key = id.to_string();
                    let snapshot = loads.load(&key, trigger, || snapshot(pool, id)).await?;
                    Ok::<_, AppError>(history(&snapshot))
                }
            },
            |event: &OrderStatusEvent| format!("{}@{}", event.status.as_str(), event.at),
        );
        Ok(stream.map(|item| item.map_err(Into::into)))
    }
}

/// An order and its status history, read once per event for every
/// subscription following the order (see `SharedLoads`).
pub struct Snapshot {
    order: OrderRow,
    history: Vec<HistoryRow>,
}

async fn snapshot(pool: PgPool, order: Uuid) -> Result<Snapshot, AppError> {
    let ids = [order];
    let (row, history) =
        futures::try_join!(repository::by_ids(&pool, &ids), repository::history_of(&pool, &ids))
            .map_err(AppError::internal)?;
    let order = row.into_iter().next().ok_or_else(|| AppError::not_found("order not found"))?;
    Ok(Snapshot { order, history })
}

fn history(snapshot: &Arc<Snapshot>) -> Vec<OrderStatusEvent> {
    let mut previous = None;
    let mut events = Vec::with_capacity(snapshot.history.len());
    for row in &snapshot.history {
        let Some(status) = OrderStatus::parse(&row.status) else { continue };
        events.push(OrderStatusEvent {
            snapshot: snapshot.clone(),
            status,
            previous_status: previous,
            at: row.at,
            reason: row.reason.clone(),
        });
        previous = Some(status);
    }
    events
}

pub struct OrderStatusEvent {
    snapshot: Arc<Snapshot>,
    status: OrderStatus,
    previous_status: Option<OrderStatus>,
    at: DateTime<Utc>,
    reason: Option<String>,
}

#[Object]
impl OrderStatusEvent {
    /// The order as it was read for this event.
    async fn order(&self) -> Order {
        Order(self.snapshot.order.clone())
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
