//! MongoDB access for the catalog. Nothing here knows about GraphQL.

pub mod categories;
pub mod documents;
pub mod paging;
pub mod products;
pub mod reviews;

use mongodb::{Collection, Database, IndexModel, bson::doc, options::IndexOptions};

use documents::{CategoryDoc, ProductDoc, ReviewDoc};

#[derive(Clone)]
pub struct Store {
    pub products: Collection<ProductDoc>,
    pub categories: Collection<CategoryDoc>,
    pub reviews: Collection<ReviewDoc>,
}

impl Store {
    pub fn new(database: &Database) -> Self {
        Self {
            products: database.collection("products"),
            categories: database.collection("categories"),
            reviews: database.collection("reviews"),
        }
    }

    /// Creates every index the queries rely on. Idempotent: creating an
    /// existing index with the same definition is a no-op.
    #[tracing::instrument(skip_all, fields(otel.kind = "client", db.system.name = "mongodb"))]
    pub async fn ensure_indexes(&self) -> mongodb::error::Result<()> {
        let unique = || IndexOptions::builder().unique(true).build();
        let products = [
            IndexModel::builder().keys(doc! { "sku": 1 }).options(unique()).build(),
            IndexModel::builder().keys(doc! { "slug": 1 }).options(unique()).build(),
            IndexModel::builder().keys(doc! { "categoryId": 1 }).build(),
            IndexModel::builder().keys(doc! { "tags": 1 }).build(),
            IndexModel::builder().keys(doc! { "searchTerms": 1 }).build(),
            IndexModel::builder().keys(doc! { "createdAtMs": -1, "_id": -1 }).build(),
            IndexModel::builder().keys(doc! { "price.amount": 1, "_id": 1 }).build(),
            IndexModel::builder().keys(doc! { "ratingKey": -1, "_id": -1 }).build(),
            IndexModel::builder().keys(doc! { "nameKey": 1, "_id": 1 }).build(),
            IndexModel::builder().keys(doc! { "pendingEvents.id": 1 }).build(),
        ];
        self.products.create_indexes(products).await?;
        self.categories
            .create_indexes([
                IndexModel::builder().keys(doc! { "slug": 1 }).options(unique()).build(),
                IndexModel::builder().keys(doc! { "parentId": 1 }).build(),
                IndexModel::builder().keys(doc! { "ancestors": 1 }).build(),
            ])
            .await?;
        self.reviews
            .create_indexes([
                IndexModel::builder()
                    .keys(doc! { "productId": 1, "authorId": 1 })
                    .options(unique())
                    .build(),
                IndexModel::builder()
                    .keys(doc! { "productId": 1, "createdAtMs": -1, "_id": -1 })
                    .build(),
                IndexModel::builder()
                    .keys(doc! { "authorId": 1, "createdAtMs": -1, "_id": -1 })
                    .build(),
            ])
            .await?;
        Ok(())
    }
}

pub use kit::mongo::is_duplicate_key;
