use async_graphql::{
    ComplexObject, Context, ID, Object, Result, SimpleObject, dataloader::DataLoader,
};

use super::loaders::{AvailabilityLoader, StockLevelsLoader, WarehouseLoader};
use crate::repository::{stock::StockRow, warehouses::WarehouseRow};

pub struct Warehouse(pub WarehouseRow);

#[Object]
impl Warehouse {
    async fn id(&self) -> ID {
        ID(self.0.id.to_string())
    }
    async fn code(&self) -> &str {
        &self.0.code
    }
    async fn name(&self) -> &str {
        &self.0.name
    }
    /// ISO 3166-1 alpha-2.
    async fn country(&self) -> &str {
        &self.0.country
    }
}

pub struct StockLevel(pub StockRow);

#[Object]
impl StockLevel {
    async fn warehouse(&self, ctx: &Context<'_>) -> Result<Warehouse> {
        let warehouse = ctx
            .data_unchecked::<DataLoader<WarehouseLoader>>()
            .load_one(self.0.warehouse_id)
            .await?;
        Ok(Warehouse(warehouse.ok_or_else(|| {
            kit::AppError::internal(anyhow::anyhow!("stock row without warehouse"))
        })?))
    }
    async fn product(&self) -> Product {
        Product { id: ID(self.0.product_id.clone()) }
    }
    async fn on_hand(&self) -> i32 {
        self.0.on_hand
    }
    async fn reserved(&self) -> i32 {
        self.0.reserved
    }
    async fn available(&self) -> i32 {
        self.0.available()
    }
}

/// The catalog's `Product`, with what inventory knows about it.
#[derive(SimpleObject)]
#[graphql(complex)]
pub struct Product {
    pub id: ID,
}

#[ComplexObject]
impl Product {
    async fn in_stock(&self, ctx: &Context<'_>) -> Result<bool> {
        Ok(self.available(ctx).await? > 0)
    }

    /// On hand minus reserved, over all warehouses.
    async fn available_quantity(&self, ctx: &Context<'_>) -> Result<i32> {
        Ok(i32::try_from(self.available(ctx).await?).unwrap_or(i32::MAX))
    }

    /// Admin: per warehouse.
    #[graphql(guard = "kit::auth::AdminOnly", directive = kit::directives::policy::apply(kit::directives::admins()))]
    async fn stock_levels(&self, ctx: &Context<'_>) -> Result<Vec<StockLevel>> {
        let rows = ctx
            .data_unchecked::<DataLoader<StockLevelsLoader>>()
            .load_one(self.id.0.clone())
            .await?;
        Ok(rows.unwrap_or_default().into_iter().map(StockLevel).collect())
    }
}

impl Product {
    async fn available(&self, ctx: &Context<'_>) -> Result<i64> {
        let availability = ctx
            .data_unchecked::<DataLoader<AvailabilityLoader>>()
            .load_one(self.id.0.clone())
            .await?;
        Ok(availability.map(|a| a.available()).unwrap_or(0).max(0))
    }
}
