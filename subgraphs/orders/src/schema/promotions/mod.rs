//! Sales and discount codes: admin CRUD, the sale price of a product, and
//! the cart's discount.

mod admin;
mod cart;
pub mod loaders;
mod types;

use async_graphql::{ComplexObject, Context, Object, Result, dataloader::DataLoader};
use kit::money::Money;

pub use admin::{PromotionAdminMutation, PromotionAdminQuery};
pub use cart::{Cart, CartDiscountMutation};
pub use types::{AppliedPromotion, Promotion};

use self::loaders::{CatalogLoader, RunningSales, SalesLoader};
use super::types::Product;
use crate::promotions::{pricing::best_sale, sale};

/// The sale that gives a product its lowest price now, with that price.
async fn best_sale_of(
    ctx: &Context<'_>,
    product: &str,
) -> Result<Option<(Money, crate::promotions::repository::PromotionRow)>> {
    let catalog = ctx.data_unchecked::<DataLoader<CatalogLoader>>();
    let sales = ctx.data_unchecked::<DataLoader<SalesLoader>>();
    let (found, running) =
        futures::try_join!(catalog.load_one(product.to_owned()), sales.load_one(RunningSales))?;
    let (Some(found), Some(running)) = (found, running) else { return Ok(None) };
    let candidates: Vec<_> = running.iter().cloned().map(sale).collect();
    let Some((price, winner)) = best_sale(&found, &candidates) else { return Ok(None) };
    let row = running.iter().find(|r| r.id == winner.id).cloned();
    Ok(row.map(|row| (Money { amount: price, currency: found.currency.clone() }, row)))
}

#[ComplexObject]
impl Product {
    /// The price after the best running sale; null when nothing is on sale
    /// for it. `price` stays the list price.
    async fn sale_price(&self, ctx: &Context<'_>) -> Result<Option<Money>> {
        Ok(best_sale_of(ctx, &self.id).await?.map(|(price, _)| price))
    }

    /// The sale behind `salePrice`.
    async fn active_promotion(&self, ctx: &Context<'_>) -> Result<Option<Promotion>> {
        Ok(best_sale_of(ctx, &self.id).await?.map(|(_, row)| Promotion(row)))
    }
}

#[derive(Default)]
pub struct PromotionQuery;

#[Object]
impl PromotionQuery {
    /// The sales running now, for banners.
    async fn active_promotions(&self, ctx: &Context<'_>) -> Result<Vec<Promotion>> {
        let running =
            ctx.data_unchecked::<DataLoader<SalesLoader>>().load_one(RunningSales).await?;
        Ok(running.map(|rows| rows.iter().cloned().map(Promotion).collect()).unwrap_or_default())
    }
}
