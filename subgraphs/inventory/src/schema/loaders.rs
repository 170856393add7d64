use std::collections::HashMap;

use async_graphql::dataloader::Loader;
use kit::AppError;
use sqlx::PgPool;
use uuid::Uuid;

use crate::{
    repository::{stock, stock::StockRow, warehouses, warehouses::WarehouseRow},
    stock::{Availability, Stock},
};

/// `inStock` and `availableQuantity` for many products: Redis, then one
/// SQL query for the misses.
pub struct AvailabilityLoader(pub Stock);

impl Loader<String> for AvailabilityLoader {
    type Value = Availability;
    type Error = AppError;

    async fn load(&self, products: &[String]) -> Result<HashMap<String, Availability>, AppError> {
        self.0.availability(products).await
    }
}

/// Per-warehouse rows of many products in one query.
pub struct StockLevelsLoader(pub PgPool);

impl Loader<String> for StockLevelsLoader {
    type Value = Vec<StockRow>;
    type Error = AppError;

    async fn load(&self, products: &[String]) -> Result<HashMap<String, Vec<StockRow>>, AppError> {
        let rows = stock::for_products(&self.0, products).await?;
        Ok(kit::loaders::group_by(products, rows, |row| row.product_id.clone()))
    }
}

pub struct WarehouseLoader(pub PgPool);

impl Loader<Uuid> for WarehouseLoader {
    type Value = WarehouseRow;
    type Error = AppError;

    async fn load(&self, ids: &[Uuid]) -> Result<HashMap<Uuid, WarehouseRow>, AppError> {
        Ok(warehouses::by_ids(&self.0, ids).await?.into_iter().map(|w| (w.id, w)).collect())
    }
}
