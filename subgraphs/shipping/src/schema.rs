//! The shipping subgraph's GraphQL surface.

use std::{collections::HashMap, sync::Arc};

use async_graphql::{
    ComplexObject, Context, Enum, ID, InputObject, Object, Result, Schema, SimpleObject,
    dataloader::{DataLoader, Loader},
};
use chrono::{DateTime, Utc};
use kit::{
    AppError,
    auth::{AdminOnly, ContextAuthExt},
    error::parse_uuid,
    events::LiveFeed,
    http::RequestData,
    money::Money,
    telemetry::TraceParent,
};
use sqlx::PgPool;
use uuid::Uuid;

use crate::{
    rates::{self, RateRow, Weights},
    shipments::{self, EventRow, ShipmentRow},
    status::ShipmentStatus,
    subscription::{OrderAccess, ShipmentLoads, Subscription},
};

/// What resolvers need besides the pool.
#[derive(Clone)]
pub struct Shipping {
    pub pool: PgPool,
    pub weights: Weights,
    pub origin_country: String,
    pub orders: OrderAccess,
}

pub type ShippingSchema = Schema<Query, Mutation, Subscription>;

/// Without services, the schema is only good for printing its SDL.
pub fn build_schema(services: Option<(Shipping, LiveFeed)>) -> ShippingSchema {
    let builder = kit::http::configure_schema(Schema::build(Query, Mutation, Subscription));
    match services {
        Some((shipping, feed)) => {
            builder.data(shipping).data(feed).data(ShipmentLoads::default()).finish()
        }
        None => builder.finish(),
    }
}

pub fn request_data(pool: PgPool) -> RequestData {
    Arc::new(move |request| {
        request
            .data(DataLoader::new(ShipmentByOrder(pool.clone()), tokio::spawn))
            .data(DataLoader::new(EventsOf(pool.clone()), tokio::spawn))
            .data(DataLoader::new(ShipmentById(pool.clone()), tokio::spawn))
    })
}

pub struct ShipmentByOrder(PgPool);
impl Loader<Uuid> for ShipmentByOrder {
    type Value = ShipmentRow;
    type Error = AppError;
    async fn load(&self, orders: &[Uuid]) -> Result<HashMap<Uuid, ShipmentRow>, AppError> {
        Ok(shipments::by_orders(&self.0, orders)
            .await?
            .into_iter()
            .map(|s| (s.order_id, s))
            .collect())
    }
}

pub struct ShipmentById(PgPool);
impl Loader<Uuid> for ShipmentById {
    type Value = ShipmentRow;
    type Error = AppError;
    async fn load(&self, ids: &[Uuid]) -> Result<HashMap<Uuid, ShipmentRow>, AppError> {
        Ok(shipments::by_ids(&self.0, ids).await?.into_iter().map(|s| (s.id, s)).collect())
    }
}

pub struct EventsOf(PgPool);
impl Loader<Uuid> for EventsOf {
    type Value = Vec<EventRow>;
    type Error = AppError;
    async fn load(&self, ids: &[Uuid]) -> Result<HashMap<Uuid, Vec<EventRow>>, AppError> {
        Ok(kit::loaders::group_by(ids, shipments::events_of(&self.0, ids).await?, |e| {
            e.shipment_id
        }))
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Enum)]
pub enum Carrier {
    Sandbox,
    Dhl,
    Fedex,
    Ups,
}

fn carrier(name: &str) -> Carrier {
    match name {
        "DHL" => Carrier::Dhl,
        "FEDEX" => Carrier::Fedex,
        "UPS" => Carrier::Ups,
        _ => Carrier::Sandbox,
    }
}

#[derive(SimpleObject)]
pub struct ShippingRate {
    pub id: ID,
    pub carrier: Carrier,
    pub service: String,
    pub cost: Money,
    pub estimated_days: i32,
}

fn quote(rate: &RateRow, grams: i64) -> ShippingRate {
    ShippingRate {
        id: ID(rate.id.to_string()),
        carrier: carrier(&rate.carrier),
        service: rate.service.clone(),
        cost: Money { amount: rate.cost_for(grams), currency: rate.currency.clone() },
        estimated_days: rate.estimated_days,
    }
}

#[derive(SimpleObject)]
pub struct TrackingEvent {
    pub status: ShipmentStatus,
    pub location: Option<String>,
    pub description: String,
    pub at: DateTime<Utc>,
}

/// A parcel. Everything but `order` is public to whoever holds the tracking
/// number; nothing here names the customer.
pub struct Shipment(pub ShipmentRow);

#[Object]
impl Shipment {
    async fn id(&self) -> ID {
        ID(self.0.id.to_string())
    }
    /// The owner's or an admin's only.
    async fn order(&self, ctx: &Context<'_>) -> Result<Order> {
        let viewer = ctx.viewer()?;
        if viewer.user_id != self.0.customer_id && !viewer.is_admin() {
            return Err(
                AppError::forbidden("only the customer or an admin can see the order").into()
            );
        }
        Ok(Order { id: ID(self.0.order_id.to_string()) })
    }
    async fn carrier(&self) -> Carrier {
        carrier(&self.0.carrier)
    }
    async fn tracking_number(&self) -> &str {
        &self.0.tracking_number
    }
    async fn status(&self) -> ShipmentStatus {
        ShipmentStatus::parse(&self.0.status).unwrap_or(ShipmentStatus::Exception)
    }
    /// Oldest first.
    async fn events(&self, ctx: &Context<'_>) -> Result<Vec<TrackingEvent>> {
        let rows = ctx.data_unchecked::<DataLoader<EventsOf>>().load_one(self.0.id).await?;
        Ok(rows
            .unwrap_or_default()
            .into_iter()
            .filter_map(|e| {
                Some(TrackingEvent {
                    status: ShipmentStatus::parse(&e.status)?,
                    location: e.location,
                    description: e.description,
                    at: e.at,
                })
            })
            .collect())
    }
    async fn estimated_delivery(&self) -> Option<DateTime<Utc>> {
        self.0.estimated_delivery
    }
}

/// The orders subgraph's `Order`, with its shipment.
#[derive(SimpleObject)]
#[graphql(complex)]
pub struct Order {
    pub id: ID,
}

#[ComplexObject]
impl Order {
    async fn shipment(&self, ctx: &Context<'_>) -> Result<Option<Shipment>> {
        ctx.viewer()?;
        let Ok(order) = Uuid::parse_str(&self.id) else { return Ok(None) };
        let loader = ctx.data_unchecked::<DataLoader<ShipmentByOrder>>();
        let Some(shipment) = loader.load_one(order).await? else { return Ok(None) };
        ctx.owner_or_admin(shipment.customer_id, "shipment")?;
        Ok(Some(Shipment(shipment)))
    }
}

/// The catalog's `Product`, with a shipping estimate from its weight.
#[derive(SimpleObject)]
#[graphql(complex)]
pub struct Product {
    pub id: ID,
    #[graphql(external)]
    pub weight_grams: Option<i32>,
}

#[ComplexObject]
impl Product {
    /// The cheapest domestic rate for one unit.
    #[graphql(requires = "weightGrams")]
    async fn shipping_estimate(&self, ctx: &Context<'_>) -> Result<Option<Money>> {
        let Some(grams) = self.weight_grams else { return Ok(None) };
        let shipping = ctx.data_unchecked::<Shipping>();
        let rates = rates::for_zone(&shipping.pool, "DOMESTIC").await.map_err(AppError::from)?;
        Ok(rates.iter().map(|r| quote(r, i64::from(grams)).cost).min_by_key(|m| m.amount))
    }
}

#[derive(InputObject)]
pub struct RateItemInput {
    pub product_id: ID,
    pub quantity: i32,
}

pub struct Query;

#[Object]
impl Query {
    /// Every service's price for these items to this destination, cheapest
    /// first.
    async fn shipping_rates(
        &self,
        ctx: &Context<'_>,
        country: String,
        postal_code: String,
        items: Vec<RateItemInput>,
    ) -> Result<Vec<ShippingRate>> {
        let country = country.trim().to_ascii_uppercase();
        if country.len() != 2 || !country.chars().all(|c| c.is_ascii_uppercase()) {
            return Err(AppError::bad_input("country must be an ISO 3166-1 alpha-2 code").into());
        }
        if postal_code.trim().is_empty() {
            return Err(AppError::bad_input("postalCode must not be empty").into());
        }
        if items.is_empty() || items.iter().any(|i| i.quantity <= 0) {
            return Err(AppError::bad_input(
                "give at least one item, each with a positive quantity",
            )
            .into());
        }
        let shipping = ctx.data_unchecked::<Shipping>();
        let ids: Vec<String> = items.iter().map(|i| i.product_id.0.clone()).collect();
        let weights = shipping.weights.of(&ids).await?;
        let mut grams = 0;
        for item in &items {
            let weight = weights.get(item.product_id.as_str()).ok_or_else(|| {
                AppError::not_found(format!(
                    "product `{}` does not exist",
                    item.product_id.as_str()
                ))
            })?;
            grams += weight * i64::from(item.quantity);
        }
        let zone = rates::zone(&shipping.origin_country, &country);
        let rows = rates::for_zone(&shipping.pool, zone).await.map_err(AppError::from)?;
        let mut quotes: Vec<ShippingRate> = rows.iter().map(|r| quote(r, grams)).collect();
        quotes.sort_by_key(|q| q.cost.amount);
        Ok(quotes)
    }

    /// Public: status, events and ETA of a parcel by tracking number.
    async fn track_shipment(
        &self,
        ctx: &Context<'_>,
        tracking_number: String,
    ) -> Result<Option<Shipment>> {
        let pool = &ctx.data_unchecked::<Shipping>().pool;
        Ok(shipments::by_tracking_number(pool, tracking_number.trim())
            .await
            .map_err(AppError::from)?
            .map(Shipment))
    }

    #[graphql(entity)]
    async fn find_order_by_id(&self, id: ID) -> Order {
        Order { id }
    }

    #[graphql(entity)]
    async fn find_product_by_id(
        &self,
        #[graphql(key)] id: ID,
        weight_grams: Option<i32>,
    ) -> Product {
        Product { id, weight_grams }
    }

    /// The owner's or an admin's; anyone else tracks a parcel by its
    /// tracking number (`trackShipment`), which shows no order.
    #[graphql(entity)]
    async fn find_shipment_by_id(&self, ctx: &Context<'_>, id: ID) -> Result<Option<Shipment>> {
        let Ok(id) = Uuid::parse_str(&id) else { return Ok(None) };
        ctx.viewer()?;
        let Some(shipment) = ctx.data_unchecked::<DataLoader<ShipmentById>>().load_one(id).await?
        else {
            return Ok(None);
        };
        ctx.owner_or_admin(shipment.customer_id, "shipment")?;
        Ok(Some(Shipment(shipment)))
    }
}

pub struct Mutation;

#[Object]
impl Mutation {
    /// Admin: one legal step (or into EXCEPTION and back).
    #[graphql(guard = "AdminOnly", directive = kit::directives::policy::apply(kit::directives::admins()))]
    async fn update_shipment_status(
        &self,
        ctx: &Context<'_>,
        id: ID,
        status: ShipmentStatus,
        location: Option<String>,
    ) -> Result<Shipment> {
        let id = parse_uuid(&id, "shipment")?;
        let pool = &ctx.data_unchecked::<Shipping>().pool;
        let mut tx = pool.begin().await.map_err(AppError::from)?;
        let updated = shipments::advance(
            &mut tx,
            id,
            status,
            location.as_deref(),
            ctx.data_opt::<TraceParent>(),
        )
        .await?;
        tx.commit().await.map_err(AppError::from)?;
        Ok(Shipment(updated))
    }
}
