//! `shipmentUpdated`: the order's shipment as it stands, then again after
//! every change, fed by this instance's live event queue.

use std::time::Duration;

use async_graphql::{Context, ID, Result, Subscription as GraphqlSubscription};
use futures::{Stream, StreamExt};
use kit::{
    AppError,
    auth::{Authorization, ContextAuthExt},
    error::parse_uuid,
    events::{
        LiveFeed,
        live::{self, SharedLoads},
    },
    graphql_client::GraphqlClient,
};
use serde::Deserialize;
use serde_json::json;
use sqlx::PgPool;
use uuid::Uuid;

use crate::{
    schema::{Shipment, Shipping},
    shipments::{self, ShipmentRow},
};

pub const SHIPMENT_UPDATED: &str = "shipment.updated";
/// The routing keys the live feed binds.
pub const LIVE_EVENTS: &[&str] = &[SHIPMENT_UPDATED];

/// How long a new subscription waits for the live queue after a restart.
const FEED_WAIT: Duration = Duration::from_secs(5);

/// What every subscription to one order's shipment shares per event.
pub type ShipmentLoads = SharedLoads<Option<(ShipmentRow, usize)>>;

pub struct Subscription;

#[GraphqlSubscription]
impl Subscription {
    /// The owner's or an admin's. Starts with the shipment as it is (when
    /// there is one yet), then yields it again after every change.
    async fn shipment_updated(
        &self,
        ctx: &Context<'_>,
        order_id: ID,
    ) -> Result<impl Stream<Item = Result<Shipment>> + use<>> {
        let viewer = ctx.viewer()?;
        let order = parse_uuid(&order_id, "order")?;
        let shipping = ctx.data::<Shipping>()?;
        let feed = ctx.data::<LiveFeed>()?;
        let pool = shipping.pool.clone();
        let existing = shipments::by_orders(&pool, &[order]).await.map_err(AppError::internal)?;
        let owner = match existing.first() {
            Some(shipment) => shipment.customer_id == viewer.user_id,
            // No parcel yet: orders knows whose order it is.
            None => {
                let authorization = ctx.data_opt::<Authorization>().map(|a| a.0.as_str());
                viewer.is_admin() || shipping.orders.visible(order, authorization).await?
            }
        };
        if !owner && !viewer.is_admin() {
            return Err(AppError::forbidden(
                "only the customer or an admin can follow this order's shipment",
            )
            .into());
        }
        if !feed.ready(FEED_WAIT).await {
            return Err(AppError::unavailable("live updates are unavailable right now").into());
        }
        let loads = ctx.data::<ShipmentLoads>()?.clone();
        let order_text = order.to_string();
        let stream = live::follow(
            feed.subscribe(),
            move |event| {
                event.event_type == SHIPMENT_UPDATED
                    && event.data.get("orderId").and_then(|v| v.as_str()) == Some(&order_text)
            },
            move |trigger| {
                let (pool, loads) = (pool.clone(), loads.clone());
                async move {
                    let key = order.to_string();
                    let current = loads.load(&key, trigger, || current(pool, order)).await?;
                    Ok::<_, AppError>(current.as_ref().clone().into_iter().collect())
                }
            },
            |(shipment, events): &(ShipmentRow, usize)| format!("{}:{events}", shipment.status),
        );
        Ok(stream.map(|item| item.map(|(row, _)| Shipment(row)).map_err(Into::into)))
    }
}

/// The order's shipment with how many tracking events it has, if any.
async fn current(pool: PgPool, order: Uuid) -> Result<Option<(ShipmentRow, usize)>, AppError> {
    let Some(shipment) =
        shipments::by_orders(&pool, &[order]).await.map_err(AppError::internal)?.pop()
    else {
        return Ok(None);
    };
    let events = shipments::events_of(&pool, &[shipment.id]).await.map_err(AppError::internal)?;
    Ok(Some((shipment, events.len())))
}

/// Asks the orders subgraph, as the caller, whether the caller may see an
/// order (orders answers NOT_FOUND for other customers' orders).
#[derive(Clone)]
pub struct OrderAccess(GraphqlClient);

#[derive(Deserialize)]
struct OrderSeen {
    order: Option<OrderId>,
}

#[derive(Deserialize)]
struct OrderId {
    id: Uuid,
}

impl OrderAccess {
    pub fn new(url: impl Into<String>, caller: &kit::config::ServiceConfig) -> Self {
        Self(GraphqlClient::new("orders", url, caller))
    }

    pub async fn visible(
        &self,
        order: Uuid,
        authorization: Option<&str>,
    ) -> Result<bool, AppError> {
        let response = self
            .0
            .response::<OrderSeen>(
                "query($id: ID!) { order(id: $id) { id } }",
                json!({ "id": order }),
                authorization,
            )
            .await?;
        Ok(response.data.and_then(|d| d.order).is_some_and(|seen| seen.id == order))
    }
}
