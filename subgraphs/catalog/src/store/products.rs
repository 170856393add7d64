use futures::TryStreamExt;
use mongodb::{
    bson::{Document, doc},
    options::ReturnDocument,
};

use super::{
    Store,
    documents::{MediaDoc, PendingEvent, ProductDoc, now_ms},
};

/// What `products(filter)` narrows to, already resolved (category subtree,
/// folded search terms).
#[derive(Debug, Default, Clone)]
pub struct ProductFilter {
    pub search_terms: Vec<String>,
    pub category_ids: Option<Vec<String>>,
    pub tags: Vec<String>,
    pub min_price: Option<i64>,
    pub max_price: Option<i64>,
}

impl ProductFilter {
    pub fn to_document(&self) -> Document {
        let mut clauses = vec![doc! { "deleted": false }];
        if !self.search_terms.is_empty() {
            clauses.push(doc! { "searchTerms": { "$all": &self.search_terms } });
        }
        if let Some(ids) = &self.category_ids {
            clauses.push(doc! { "categoryId": { "$in": ids } });
        }
        if !self.tags.is_empty() {
            clauses.push(doc! { "tags": { "$all": &self.tags } });
        }
        if let Some(min) = self.min_price {
            clauses.push(doc! { "price.amount": { "$gte": min } });
        }
        if let Some(max) = self.max_price {
            clauses.push(doc! { "price.amount": { "$lte": max } });
        }
        doc! { "$and": clauses }
    }
}

impl Store {
    #[tracing::instrument(skip_all, fields(otel.kind = "client", db.system.name = "mongodb"))]
    pub async fn insert_product(&self, product: &ProductDoc) -> mongodb::error::Result<()> {
        self.products.insert_one(product).await.map(|_| ())
    }

    /// One query for any number of ids: the entity DataLoader's batch.
    #[tracing::instrument(skip_all, fields(otel.kind = "client", db.system.name = "mongodb"))]
    pub async fn products_by_ids(&self, ids: &[String]) -> mongodb::error::Result<Vec<ProductDoc>> {
        self.products
            .find(doc! { "_id": { "$in": ids }, "deleted": false })
            .await?
            .try_collect()
            .await
    }

    #[tracing::instrument(skip_all, fields(otel.kind = "client", db.system.name = "mongodb"))]
    pub async fn product_by_slug(&self, slug: &str) -> mongodb::error::Result<Option<ProductDoc>> {
        self.products.find_one(doc! { "slug": slug, "deleted": false }).await
    }

    #[tracing::instrument(skip_all, fields(otel.kind = "client", db.system.name = "mongodb"))]
    pub async fn list_products(
        &self,
        filter: Document,
        sort: Document,
        limit: i64,
    ) -> mongodb::error::Result<Vec<ProductDoc>> {
        self.products.find(filter).sort(sort).limit(limit).await?.try_collect().await
    }

    #[tracing::instrument(skip_all, fields(otel.kind = "client", db.system.name = "mongodb"))]
    pub async fn count_products(&self, filter: Document) -> mongodb::error::Result<u64> {
        self.products.count_documents(filter).await
    }

    /// Applies `set` and queues `event` in one atomic document update.
    #[tracing::instrument(skip_all, fields(otel.kind = "client", db.system.name = "mongodb"))]
    pub async fn update_product(
        &self,
        id: &str,
        mut set: Document,
        event: PendingEvent,
    ) -> mongodb::error::Result<Option<ProductDoc>> {
        set.insert("updatedAtMs", now_ms());
        let event = mongodb::bson::to_bson(&event)?;
        self.products
            .find_one_and_update(
                doc! { "_id": id, "deleted": false },
                doc! { "$set": set, "$push": { "pendingEvents": event } },
            )
            .return_document(ReturnDocument::After)
            .await
    }

    /// Appends an uploaded image and queues `event`, in one atomic
    /// document update (concurrent uploads to one product all land).
    #[tracing::instrument(skip_all, fields(otel.kind = "client", db.system.name = "mongodb"))]
    pub async fn push_media(
        &self,
        id: &str,
        media: &MediaDoc,
        event: PendingEvent,
    ) -> mongodb::error::Result<Option<ProductDoc>> {
        let media = mongodb::bson::to_bson(media)?;
        let event = mongodb::bson::to_bson(&event)?;
        self.products
            .find_one_and_update(
                doc! { "_id": id, "deleted": false },
                doc! { "$set": { "updatedAtMs": now_ms() }, "$push": { "media": media, "pendingEvents": event } },
            )
            .return_document(ReturnDocument::After)
            .await
    }

    /// Counts a new review into the product's rating without a
    /// read-modify-write: `$inc` is atomic, and the average is then written
    /// only if no other review was counted in between (the later writer,
    /// who saw the higher count, wins).
    #[tracing::instrument(skip_all, fields(otel.kind = "client", db.system.name = "mongodb"))]
    pub async fn count_review(&self, product_id: &str, rating: i32) -> mongodb::error::Result<()> {
        let updated = self
            .products
            .find_one_and_update(
                doc! { "_id": product_id },
                doc! { "$inc": { "ratingSum": i64::from(rating), "reviewCount": 1 } },
            )
            .return_document(ReturnDocument::After)
            .await?;
        let Some(product) = updated else { return Ok(()) };
        let average = product.rating_sum as f64 / f64::from(product.review_count.max(1));
        self.products
            .update_one(
                doc! { "_id": product_id, "reviewCount": product.review_count },
                doc! { "$set": { "averageRating": average, "ratingKey": average } },
            )
            .await?;
        Ok(())
    }

    /// Products with events still to publish.
    #[tracing::instrument(skip_all, fields(otel.kind = "client", db.system.name = "mongodb"))]
    pub async fn with_pending_events(&self, limit: i64) -> mongodb::error::Result<Vec<ProductDoc>> {
        self.products
            .find(doc! { "pendingEvents.id": { "$exists": true } })
            .limit(limit)
            .await?
            .try_collect()
            .await
    }

    #[tracing::instrument(skip_all, fields(otel.kind = "client", db.system.name = "mongodb"))]
    pub async fn remove_pending_event(
        &self,
        product_id: &str,
        event_id: &str,
    ) -> mongodb::error::Result<()> {
        self.products
            .update_one(
                doc! { "_id": product_id },
                doc! { "$pull": { "pendingEvents": { "id": event_id } } },
            )
            .await
            .map(|_| ())
    }
}
