use std::{collections::HashMap, sync::Arc};

use async_graphql::dataloader::Loader;
use kit::AppError;
use sqlx::PgPool;
use uuid::Uuid;

use crate::{
    promotions::{
        Promotions,
        pricing::Product,
        repository::{self, AppliedRow, PromotionRow},
    },
    upstream::Upstream,
};

pub struct PromotionLoader(pub PgPool);

impl Loader<Uuid> for PromotionLoader {
    type Value = PromotionRow;
    type Error = AppError;

    async fn load(&self, ids: &[Uuid]) -> Result<HashMap<Uuid, PromotionRow>, AppError> {
        let rows = repository::promotions_by_ids(&self.0, ids).await?;
        Ok(rows.into_iter().map(|p| (p.id, p)).collect())
    }
}

/// What promotions took off each order.
pub struct AppliedLoader(pub PgPool);

impl Loader<Uuid> for AppliedLoader {
    type Value = Vec<AppliedRow>;
    type Error = AppError;

    async fn load(&self, ids: &[Uuid]) -> Result<HashMap<Uuid, Vec<AppliedRow>>, AppError> {
        Ok(kit::loaders::group_by(ids, repository::applied_to(&self.0, ids).await?, |a| a.order_id))
    }
}

/// Catalog products as pricing sees them, for every product of a request
/// in one call.
pub struct CatalogLoader(pub Upstream);

impl Loader<String> for CatalogLoader {
    type Value = Product;
    type Error = AppError;

    async fn load(&self, ids: &[String]) -> Result<HashMap<String, Product>, AppError> {
        self.0.products(ids).await
    }
}

/// The sales running now, read once per request however many products ask.
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct RunningSales;

pub struct SalesLoader(pub Promotions);

impl Loader<RunningSales> for SalesLoader {
    type Value = Arc<Vec<PromotionRow>>;
    type Error = AppError;

    async fn load(
        &self,
        _: &[RunningSales],
    ) -> Result<HashMap<RunningSales, Arc<Vec<PromotionRow>>>, AppError> {
        let rows = repository::active_sales(&self.0.pool, chrono::Utc::now()).await?;
        Ok(HashMap::from([(RunningSales, Arc::new(rows))]))
    }
}
