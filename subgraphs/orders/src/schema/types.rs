use async_graphql::{
    ComplexObject, Context, ID, Object, Result, SimpleObject, dataloader::DataLoader,
};
use chrono::{DateTime, Utc};
use kit::{AppError, auth::ContextAuthExt, money::Money, pagination::PageRequest};
use uuid::Uuid;

use super::{
    loaders::{HistoryLoader, ItemsLoader},
    promotions::{AppliedPromotion, loaders::AppliedLoader},
};
use crate::{
    repository::{self, ItemRow, OrderRow},
    status::OrderStatus,
};

pub struct Order(pub OrderRow);

impl Order {
    fn money(&self, amount: i64) -> Money {
        Money { amount, currency: self.0.currency.clone() }
    }
}

#[Object]
impl Order {
    async fn id(&self) -> ID {
        ID(self.0.id.to_string())
    }
    /// Human-facing, e.g. `SG-001000`.
    async fn number(&self) -> &str {
        &self.0.number
    }
    async fn customer(&self) -> User {
        User { id: ID(self.0.customer_id.to_string()) }
    }
    async fn items(&self, ctx: &Context<'_>) -> Result<Vec<OrderItem>> {
        let items = ctx.data_unchecked::<DataLoader<ItemsLoader>>().load_one(self.0.id).await?;
        Ok(items
            .unwrap_or_default()
            .into_iter()
            .map(|row| OrderItem { row, currency: self.0.currency.clone() })
            .collect())
    }
    async fn subtotal(&self) -> Money {
        self.money(self.0.subtotal)
    }
    async fn shipping_cost(&self) -> Money {
        self.money(self.0.shipping_cost)
    }
    /// `subtotal` + `shippingCost` − `discount`: what is charged.
    async fn total(&self) -> Money {
        self.money(self.0.total)
    }
    /// Taken off by the discount code: its share of the items and, for
    /// free shipping, the shipping cost. Sale prices are already in the
    /// items' unit prices.
    async fn discount(&self) -> Money {
        self.money(self.0.discount)
    }
    /// The discount code used, if any.
    async fn discount_code(&self) -> Option<&str> {
        self.0.discount_code.as_deref()
    }
    /// Each sale and the code, with what it took off, as at checkout.
    async fn applied_promotions(&self, ctx: &Context<'_>) -> Result<Vec<AppliedPromotion>> {
        let rows = ctx.data_unchecked::<DataLoader<AppliedLoader>>().load_one(self.0.id).await?;
        Ok(rows
            .unwrap_or_default()
            .into_iter()
            .map(|row| AppliedPromotion { row, currency: self.0.currency.clone() })
            .collect())
    }
    async fn status(&self) -> Result<OrderStatus> {
        OrderStatus::parse(&self.0.status)
            .ok_or_else(|| AppError::internal(anyhow::anyhow!("unknown status")).into())
    }
    /// Oldest first.
    async fn status_history(&self, ctx: &Context<'_>) -> Result<Vec<OrderStatusChange>> {
        let rows = ctx.data_unchecked::<DataLoader<HistoryLoader>>().load_one(self.0.id).await?;
        Ok(rows
            .unwrap_or_default()
            .into_iter()
            .filter_map(|r| {
                Some(OrderStatusChange {
                    status: OrderStatus::parse(&r.status)?,
                    at: r.at,
                    reason: r.reason,
                })
            })
            .collect())
    }
    async fn shipping_address(&self) -> Result<ShippingAddress> {
        Ok(serde_json::from_value(self.0.shipping_address.clone()).map_err(AppError::internal)?)
    }
    async fn placed_at(&self) -> DateTime<Utc> {
        self.0.placed_at
    }
    async fn updated_at(&self) -> DateTime<Utc> {
        self.0.updated_at
    }
}

pub struct OrderItem {
    row: ItemRow,
    currency: String,
}

#[Object]
impl OrderItem {
    async fn product(&self) -> Product {
        Product { id: ID(self.row.product_id.clone()) }
    }
    /// The name at checkout.
    async fn product_name(&self) -> &str {
        &self.row.product_name
    }
    async fn quantity(&self) -> i32 {
        self.row.quantity
    }
    /// The price charged for one unit: the sale price at checkout, if any.
    async fn unit_price(&self) -> Money {
        Money { amount: self.row.unit_price, currency: self.currency.clone() }
    }
    /// The catalog's price at checkout, before any sale.
    async fn list_price(&self) -> Money {
        let amount = self.row.list_price.unwrap_or(self.row.unit_price);
        Money { amount, currency: self.currency.clone() }
    }
    async fn line_total(&self) -> Money {
        Money {
            amount: self.row.unit_price * i64::from(self.row.quantity),
            currency: self.currency.clone(),
        }
    }
}

#[derive(SimpleObject)]
pub struct OrderStatusChange {
    pub status: OrderStatus,
    pub at: DateTime<Utc>,
    pub reason: Option<String>,
}

/// The address as it was at checkout.
#[derive(SimpleObject, serde::Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ShippingAddress {
    pub name: String,
    pub line1: String,
    pub line2: Option<String>,
    pub city: String,
    pub region: Option<String>,
    pub postal_code: String,
    pub country: String,
    pub phone: Option<String>,
}

/// The catalog's `Product`, with its sale price.
#[derive(SimpleObject)]
#[graphql(complex)]
pub struct Product {
    pub id: ID,
}

/// The users subgraph's `User`, with their orders.
#[derive(SimpleObject)]
#[graphql(complex)]
pub struct User {
    pub id: ID,
}

#[ComplexObject]
impl User {
    /// Newest first; the owner's or, for admins, anyone's.
    #[graphql(directive = kit::directives::list_size::apply(kit::directives::page_size(), kit::directives::paged_by_first(), kit::directives::connection_edges(), Some(false)))]
    async fn orders(
        &self,
        ctx: &Context<'_>,
        first: Option<i32>,
        after: Option<String>,
    ) -> Result<OrderConnection> {
        let viewer = ctx.viewer()?;
        if viewer.user_id.to_string() != self.id.as_str() && !viewer.is_admin() {
            return Err(AppError::forbidden("only the owner or an admin can list orders").into());
        }
        let customer =
            Uuid::parse_str(&self.id).map_err(|_| AppError::not_found("user not found"))?;
        order_page(ctx, Some(customer), None, first, after).await
    }
}

kit::connection_types!(OrderConnection, OrderEdge, Order);

pub async fn order_page(
    ctx: &Context<'_>,
    customer: Option<Uuid>,
    status: Option<OrderStatus>,
    first: Option<i32>,
    after: Option<String>,
) -> Result<OrderConnection> {
    let page = PageRequest::parse(first, after)?;
    let after = page.after.as_deref().map(parse_cursor).transpose()?;
    let pool = ctx.data_unchecked::<sqlx::PgPool>();
    let status = status.map(OrderStatus::as_str);
    let rows = repository::page(pool, customer, status, after, page.fetch_limit())
        .await
        .map_err(AppError::from)?;
    let total = repository::count(pool, customer, status).await.map_err(AppError::from)?;
    let rows = rows.into_iter().map(Order).collect();
    Ok(OrderConnection::new(rows, &page, total, |o| cursor(o.0.placed_at, o.0.id)))
}

pub(super) fn cursor(at: DateTime<Utc>, id: Uuid) -> String {
    format!("{}|{id}", at.to_rfc3339())
}

/// A `placed_at|id` style keyset cursor (newest first), as written by
/// `cursor`.
pub(super) fn parse_cursor(cursor: &str) -> Result<(DateTime<Utc>, Uuid), AppError> {
    let invalid = || AppError::bad_input("invalid `after` cursor");
    let (time, id) = cursor.split_once('|').ok_or_else(invalid)?;
    let time = DateTime::parse_from_rfc3339(time).map_err(|_| invalid())?.with_timezone(&Utc);
    Ok((time, Uuid::parse_str(id).map_err(|_| invalid())?))
}
