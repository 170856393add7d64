use futures::TryStreamExt;
use mongodb::bson::doc;

use super::{Store, documents::ReviewDoc};

impl Store {
    #[tracing::instrument(skip_all, fields(otel.kind = "client", db.system.name = "mongodb"))]
    pub async fn insert_review(&self, review: &ReviewDoc) -> mongodb::error::Result<()> {
        self.reviews.insert_one(review).await.map(|_| ())
    }

    #[tracing::instrument(skip_all, fields(otel.kind = "client", db.system.name = "mongodb"))]
    pub async fn reviews_by_ids(&self, ids: &[String]) -> mongodb::error::Result<Vec<ReviewDoc>> {
        self.reviews.find(doc! { "_id": { "$in": ids } }).await?.try_collect().await
    }

    /// Every review whose `field` (`productId` or `authorId`) is one of
    /// `owners`, newest first. One customer writes at most one review per
    /// product, so this stays small for a page of products.
    #[tracing::instrument(skip_all, fields(otel.kind = "client", db.system.name = "mongodb"))]
    pub async fn reviews_of(
        &self,
        field: &str,
        owners: &[String],
    ) -> mongodb::error::Result<Vec<ReviewDoc>> {
        self.reviews
            .find(doc! { field: { "$in": owners } })
            .sort(doc! { "createdAtMs": -1, "_id": -1 })
            .await?
            .try_collect()
            .await
    }
}
