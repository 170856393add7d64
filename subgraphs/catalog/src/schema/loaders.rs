use std::collections::HashMap;

use async_graphql::dataloader::Loader;
use kit::AppError;

use crate::{
    catalog::Catalog,
    store::documents::{CategoryDoc, ProductDoc, ReviewDoc},
};

/// Products by id: Redis first, then one `$in` query for every miss.
pub struct ProductLoader(pub Catalog);

impl Loader<String> for ProductLoader {
    type Value = ProductDoc;
    type Error = AppError;

    async fn load(&self, ids: &[String]) -> Result<HashMap<String, ProductDoc>, AppError> {
        let (hits, misses) = self.0.cache.lookup(ids).await;
        let mut found: HashMap<String, ProductDoc> =
            hits.into_iter().map(|p| (p.id.clone(), p)).collect();
        if misses.is_empty() {
            return Ok(found);
        }
        let miss_ids: Vec<String> = misses.iter().map(|(id, _)| id.clone()).collect();
        let loaded = self.0.store.products_by_ids(&miss_ids).await.map_err(AppError::internal)?;
        let mut slots: HashMap<String, _> = misses.into_iter().collect();
        for product in loaded {
            if let Some(Some(slot)) = slots.remove(&product.id) {
                self.0.cache.store(slot, &product).await;
            }
            found.insert(product.id.clone(), product);
        }
        Ok(found)
    }
}

pub struct CategoryLoader(pub Catalog);

impl Loader<String> for CategoryLoader {
    type Value = CategoryDoc;
    type Error = AppError;

    async fn load(&self, ids: &[String]) -> Result<HashMap<String, CategoryDoc>, AppError> {
        let rows = self.0.store.categories_by_ids(ids).await.map_err(AppError::internal)?;
        Ok(rows.into_iter().map(|c| (c.id.clone(), c)).collect())
    }
}

/// Child categories by parent id.
pub struct ChildrenLoader(pub Catalog);

impl Loader<String> for ChildrenLoader {
    type Value = Vec<CategoryDoc>;
    type Error = AppError;

    async fn load(
        &self,
        parents: &[String],
    ) -> Result<HashMap<String, Vec<CategoryDoc>>, AppError> {
        let children =
            self.0.store.categories_by_parents(parents).await.map_err(AppError::internal)?;
        // Asked by parent id, so every child has one.
        let children = children.into_iter().filter(|c| c.parent_id.is_some());
        Ok(kit::loaders::group_by(parents, children, |c| c.parent_id.clone().unwrap_or_default()))
    }
}

pub struct ReviewLoader(pub Catalog);

impl Loader<String> for ReviewLoader {
    type Value = ReviewDoc;
    type Error = AppError;

    async fn load(&self, ids: &[String]) -> Result<HashMap<String, ReviewDoc>, AppError> {
        let rows = self.0.store.reviews_by_ids(ids).await.map_err(AppError::internal)?;
        Ok(rows.into_iter().map(|r| (r.id.clone(), r)).collect())
    }
}

/// Who a batch of reviews belongs to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ReviewOwner {
    Product,
    Author,
}

/// All reviews of a product (or by an author), newest first: one query for
/// every product on a page. Pages are cut in memory.
pub struct ReviewsOfLoader(pub Catalog);

impl Loader<(ReviewOwner, String)> for ReviewsOfLoader {
    type Value = Vec<ReviewDoc>;
    type Error = AppError;

    async fn load(
        &self,
        keys: &[(ReviewOwner, String)],
    ) -> Result<HashMap<(ReviewOwner, String), Vec<ReviewDoc>>, AppError> {
        let mut out: HashMap<(ReviewOwner, String), Vec<ReviewDoc>> =
            keys.iter().map(|k| (k.clone(), Vec::new())).collect();
        for (owner, field) in
            [(ReviewOwner::Product, "productId"), (ReviewOwner::Author, "authorId")]
        {
            let ids: Vec<String> =
                keys.iter().filter(|(o, _)| *o == owner).map(|(_, id)| id.clone()).collect();
            if ids.is_empty() {
                continue;
            }
            for review in self.0.store.reviews_of(field, &ids).await.map_err(AppError::internal)? {
                let id = if owner == ReviewOwner::Product {
                    review.product_id.clone()
                } else {
                    review.author_id.clone()
                };
                out.entry((owner, id)).or_default().push(review);
            }
        }
        Ok(out)
    }
}
