use std::collections::HashMap;

use async_graphql::dataloader::Loader;
use kit::AppError;
use sqlx::PgPool;
use uuid::Uuid;

use crate::repository::{self, HistoryRow, ItemRow, OrderRow};

pub struct OrderLoader(pub PgPool);

impl Loader<Uuid> for OrderLoader {
    type Value = OrderRow;
    type Error = AppError;

    async fn load(&self, ids: &[Uuid]) -> Result<HashMap<Uuid, OrderRow>, AppError> {
        Ok(repository::by_ids(&self.0, ids).await?.into_iter().map(|o| (o.id, o)).collect())
    }
}

pub struct ItemsLoader(pub PgPool);

impl Loader<Uuid> for ItemsLoader {
    type Value = Vec<ItemRow>;
    type Error = AppError;

    async fn load(&self, ids: &[Uuid]) -> Result<HashMap<Uuid, Vec<ItemRow>>, AppError> {
        Ok(kit::loaders::group_by(ids, repository::items_of(&self.0, ids).await?, |i| i.order_id))
    }
}

pub struct HistoryLoader(pub PgPool);

impl Loader<Uuid> for HistoryLoader {
    type Value = Vec<HistoryRow>;
    type Error = AppError;

    async fn load(&self, ids: &[Uuid]) -> Result<HashMap<Uuid, Vec<HistoryRow>>, AppError> {
        Ok(kit::loaders::group_by(ids, repository::history_of(&self.0, ids).await?, |h| h.order_id))
    }
}
