use async_graphql::{
    ComplexObject, Context, ID, Object, Result, SimpleObject, dataloader::DataLoader,
};
use chrono::{DateTime, TimeZone, Utc};
use kit::{AppError, auth::ContextAuthExt, money::Money};

use super::ProductLoader;
use crate::{carts::Carts, store::StoredCart};

/// A customer's cart, priced with current catalog prices. Lines whose
/// product no longer exists are left out.
pub struct Cart {
    pub customer: String,
    pub stored: StoredCart,
    pub currency: String,
}

pub struct CartItem {
    product_id: String,
    quantity: i32,
    unit_price: Money,
}

#[Object]
impl CartItem {
    async fn product(&self) -> Product {
        Product { id: ID(self.product_id.clone()) }
    }
    async fn quantity(&self) -> i32 {
        self.quantity
    }
    /// The catalog's current price.
    async fn unit_price(&self) -> &Money {
        &self.unit_price
    }
    async fn line_total(&self) -> Money {
        Money {
            amount: self.unit_price.amount * i64::from(self.quantity),
            currency: self.unit_price.currency.clone(),
        }
    }
}

impl Cart {
    async fn priced(&self, ctx: &Context<'_>) -> Result<Vec<CartItem>> {
        let ids: Vec<String> = self.stored.lines.iter().map(|(p, _)| p.clone()).collect();
        let products = ctx.data_unchecked::<DataLoader<ProductLoader>>().load_many(ids).await?;
        Ok(self
            .stored
            .lines
            .iter()
            .filter_map(|(id, quantity)| {
                products.get(id).map(|p| CartItem {
                    product_id: id.clone(),
                    quantity: *quantity,
                    unit_price: p.price.clone(),
                })
            })
            .collect())
    }
}

#[Object]
impl Cart {
    /// The cart of one customer; its id is the customer's id.
    async fn id(&self) -> ID {
        ID(self.customer.clone())
    }
    async fn items(&self, ctx: &Context<'_>) -> Result<Vec<CartItem>> {
        self.priced(ctx).await
    }
    /// Units over all lines.
    async fn item_count(&self, ctx: &Context<'_>) -> Result<i32> {
        Ok(self.priced(ctx).await?.iter().map(|i| i.quantity).sum())
    }
    async fn subtotal(&self, ctx: &Context<'_>) -> Result<Money> {
        let items = self.priced(ctx).await?;
        let currency =
            items.first().map_or(self.currency.clone(), |i| i.unit_price.currency.clone());
        if items.iter().any(|i| i.unit_price.currency != currency) {
            return Err(AppError::conflict("the cart holds prices in several currencies").into());
        }
        let amount = items.iter().map(|i| i.unit_price.amount * i64::from(i.quantity)).sum();
        Ok(Money { amount, currency })
    }
    async fn updated_at(&self) -> DateTime<Utc> {
        self.stored
            .updated_at_ms
            .and_then(|ms| Utc.timestamp_millis_opt(ms).single())
            .unwrap_or_else(Utc::now)
    }
}

/// The catalog's `Product`, referenced by id.
#[derive(SimpleObject)]
pub struct Product {
    pub id: ID,
}

/// The users subgraph's `User`, with their cart.
#[derive(SimpleObject)]
#[graphql(complex)]
pub struct User {
    pub id: ID,
}

#[ComplexObject]
impl User {
    /// The owner's or, for admins, anyone's.
    async fn cart(&self, ctx: &Context<'_>) -> Result<Cart> {
        let viewer = ctx.viewer()?;
        if viewer.user_id.to_string() != self.id.as_str() && !viewer.is_admin() {
            return Err(AppError::forbidden("only the owner or an admin can see a cart").into());
        }
        Ok(ctx.data_unchecked::<Carts>().load(&self.id).await?)
    }
}
