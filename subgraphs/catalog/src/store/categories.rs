use futures::TryStreamExt;
use mongodb::bson::doc;

use super::{Store, documents::CategoryDoc};

impl Store {
    #[tracing::instrument(skip_all, fields(otel.kind = "client", db.system.name = "mongodb"))]
    pub async fn all_categories(&self) -> mongodb::error::Result<Vec<CategoryDoc>> {
        self.categories.find(doc! {}).sort(doc! { "name": 1 }).await?.try_collect().await
    }

    #[tracing::instrument(skip_all, fields(otel.kind = "client", db.system.name = "mongodb"))]
    pub async fn categories_by_ids(
        &self,
        ids: &[String],
    ) -> mongodb::error::Result<Vec<CategoryDoc>> {
        self.categories.find(doc! { "_id": { "$in": ids } }).await?.try_collect().await
    }

    #[tracing::instrument(skip_all, fields(otel.kind = "client", db.system.name = "mongodb"))]
    pub async fn categories_by_parents(
        &self,
        parents: &[String],
    ) -> mongodb::error::Result<Vec<CategoryDoc>> {
        self.categories
            .find(doc! { "parentId": { "$in": parents } })
            .sort(doc! { "name": 1 })
            .await?
            .try_collect()
            .await
    }

    /// The category and every descendant.
    #[tracing::instrument(skip_all, fields(otel.kind = "client", db.system.name = "mongodb"))]
    pub async fn category_subtree(&self, id: &str) -> mongodb::error::Result<Vec<String>> {
        let descendants: Vec<CategoryDoc> =
            self.categories.find(doc! { "ancestors": id }).await?.try_collect().await?;
        Ok(std::iter::once(id.to_owned()).chain(descendants.into_iter().map(|c| c.id)).collect())
    }

    #[tracing::instrument(skip_all, fields(otel.kind = "client", db.system.name = "mongodb"))]
    pub async fn insert_category(&self, category: &CategoryDoc) -> mongodb::error::Result<()> {
        self.categories.insert_one(category).await.map(|_| ())
    }
}
