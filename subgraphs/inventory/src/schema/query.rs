use async_graphql::{Context, ID, Object, Result, dataloader::DataLoader};
use kit::auth::AdminOnly;

use super::{
    loaders::WarehouseLoader,
    types::{Product, StockLevel, Warehouse},
};
use crate::{
    repository::{stock, warehouses},
    stock::Stock,
};

pub struct Query;

#[Object]
impl Query {
    #[graphql(guard = "AdminOnly", directive = kit::directives::policy::apply(kit::directives::admins()))]
    async fn warehouses(&self, ctx: &Context<'_>) -> Result<Vec<Warehouse>> {
        let rows = warehouses::all(&ctx.data_unchecked::<Stock>().pool)
            .await
            .map_err(kit::AppError::from)?;
        Ok(rows.into_iter().map(Warehouse).collect())
    }

    /// Admin: stock rows with at most `threshold` available (default: the
    /// low-stock threshold), lowest first.
    #[graphql(guard = "AdminOnly", directive = kit::directives::policy::apply(kit::directives::admins()))]
    async fn low_stock(
        &self,
        ctx: &Context<'_>,
        threshold: Option<i32>,
    ) -> Result<Vec<StockLevel>> {
        let stock_state = ctx.data_unchecked::<Stock>();
        let threshold = threshold.unwrap_or(stock_state.low_stock_threshold);
        let rows = stock::low(&stock_state.pool, threshold).await.map_err(kit::AppError::from)?;
        Ok(rows.into_iter().map(StockLevel).collect())
    }

    #[graphql(entity)]
    async fn find_product_by_id(&self, id: ID) -> Product {
        Product { id }
    }

    #[graphql(entity)]
    async fn find_warehouse_by_id(&self, ctx: &Context<'_>, id: ID) -> Result<Option<Warehouse>> {
        let Ok(id) = uuid::Uuid::parse_str(&id) else { return Ok(None) };
        Ok(ctx.data_unchecked::<DataLoader<WarehouseLoader>>().load_one(id).await?.map(Warehouse))
    }
}
