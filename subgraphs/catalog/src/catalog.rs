//! Catalog use cases: what resolvers call. Validation, storage, cache
//! invalidation and events happen here, in that order.

use kit::{
    AppError, AppResult, money::MoneyInput, pagination::PageRequest, telemetry::TraceParent,
};
use mongodb::bson::{Document, doc};
use uuid::Uuid;

use crate::{
    cache::ProductCache,
    domain,
    events::{self, PRODUCT_CREATED, PRODUCT_UPDATED},
    images::{self, storage::ImageStorage},
    store::{
        Store,
        documents::{CategoryDoc, MediaDoc, ProductDoc, ReviewDoc, VariantDoc, now_ms},
        is_duplicate_key,
        paging::{ProductSort, after_filter},
        products::ProductFilter,
    },
};

/// Admin input for a new product, as the API receives it.
pub struct NewProduct {
    pub sku: String,
    pub name: String,
    pub description: String,
    pub price: MoneyInput,
    pub weight_grams: i32,
    pub category_id: Option<String>,
    pub tags: Vec<String>,
    pub images: Vec<String>,
}

/// Admin changes to a product; `None` leaves a field as it is.
#[derive(Default)]
pub struct ProductChanges {
    pub name: Option<String>,
    pub description: Option<String>,
    pub price: Option<MoneyInput>,
    pub weight_grams: Option<i32>,
    pub category_id: Option<String>,
    pub tags: Option<Vec<String>>,
    pub images: Option<Vec<String>>,
}

/// The search side of `products(filter:)`, as the API receives it.
#[derive(Default)]
pub struct ProductQuery {
    pub search: Option<String>,
    pub category_id: Option<String>,
    pub tags: Vec<String>,
    pub min_price: Option<i64>,
    pub max_price: Option<i64>,
}

#[derive(Clone)]
pub struct Catalog {
    pub store: Store,
    pub cache: ProductCache,
    pub images: Images,
}

/// Where uploaded images are kept, and the public address they are served
/// under (`<base>/<file id>`).
#[derive(Clone)]
pub struct Images {
    pub storage: ImageStorage,
    pub base_url: String,
    pub max_bytes: usize,
}

impl Images {
    pub fn url(&self, file: &str) -> String {
        format!("{}/{file}", self.base_url.trim_end_matches('/'))
    }
}

fn storage(e: mongodb::error::Error) -> AppError {
    AppError::internal(e)
}

impl Catalog {
    pub async fn create_product(
        &self,
        input: NewProduct,
        trace: Option<&TraceParent>,
    ) -> AppResult<ProductDoc> {
        let name = domain::parse_name(&input.name)?;
        let sku = domain::parse_sku(&input.sku)?;
        let price = domain::parse_price(&input.price)?;
        let weight_grams = domain::parse_weight(input.weight_grams)?;
        let tags = domain::parse_tags(&input.tags)?;
        let images = domain::parse_images(&input.images)?;
        if let Some(category) = &input.category_id {
            self.require_category(category).await?;
        }
        let now = now_ms();
        let mut product = ProductDoc {
            id: Uuid::now_v7().to_string(),
            search_terms: domain::search_terms(&name, &sku, &tags),
            name_key: domain::fold(&name),
            slug: domain::slugify(&name),
            sku,
            name,
            description: input.description.trim().to_owned(),
            price,
            images,
            media: Vec::new(),
            category_id: input.category_id,
            tags,
            weight_grams,
            rating_sum: 0,
            review_count: 0,
            average_rating: None,
            rating_key: -1.0,
            created_at_ms: now,
            updated_at_ms: now,
            deleted: false,
            pending_events: Vec::new(),
        };
        product.pending_events.push(events::product_event(PRODUCT_CREATED, &product, trace));
        self.insert_with_unique_slug(&mut product).await?;
        Ok(product)
    }

    /// Slugs come from names, which repeat; a taken slug gets a suffix. A
    /// taken SKU is the caller's CONFLICT.
    async fn insert_with_unique_slug(&self, product: &mut ProductDoc) -> AppResult<()> {
        let base = product.slug.clone();
        for attempt in 0..20 {
            if attempt > 0 {
                product.slug = format!("{base}-{}", attempt + 1);
            }
            match self.store.insert_product(product).await {
                Ok(()) => return Ok(()),
                Err(e) if is_duplicate_key(&e) => {
                    if self
                        .store
                        .products
                        .find_one(doc! { "sku": &product.sku })
                        .await
                        .map_err(storage)?
                        .is_some()
                    {
                        return Err(AppError::conflict(format!(
                            "sku `{}` already exists",
                            product.sku
                        )));
                    }
                }
                Err(e) => return Err(storage(e)),
            }
        }
        Err(AppError::conflict("could not find a free slug for this name"))
    }

    pub async fn update_product(
        &self,
        id: &str,
        changes: ProductChanges,
        trace: Option<&TraceParent>,
    ) -> AppResult<ProductDoc> {
        let current =
            self.product(id).await?.ok_or_else(|| AppError::not_found("product not found"))?;
        let mut set = Document::new();
        let name = changes.name.as_deref().map(domain::parse_name).transpose()?;
        let tags = changes.tags.as_deref().map(domain::parse_tags).transpose()?;
        if let Some(name) = &name {
            set.insert("name", name);
            set.insert("nameKey", domain::fold(name));
        }
        if name.is_some() || tags.is_some() {
            let name = name.as_deref().unwrap_or(&current.name);
            let tags = tags.as_deref().unwrap_or(&current.tags);
            set.insert("searchTerms", domain::search_terms(name, &current.sku, tags));
        }
        if let Some(tags) = tags {
            set.insert("tags", tags);
        }
        if let Some(description) = changes.description {
            set.insert("description", description.trim());
        }
        if let Some(price) = &changes.price {
            let price = domain::parse_price(price)?;
            set.insert("price", doc! { "amount": price.amount, "currency": price.currency });
        }
        if let Some(weight) = changes.weight_grams {
            set.insert("weightGrams", domain::parse_weight(weight)?);
        }
        if let Some(category) = changes.category_id {
            self.require_category(&category).await?;
            set.insert("categoryId", category);
        }
        if let Some(images) = changes.images {
            set.insert("images", domain::parse_images(&images)?);
        }
        self.write_with_event(id, set, &current, trace).await
    }

    /// Soft delete: the product disappears from every query and entity
    /// lookup, its SKU and slug are freed, and `product.updated` says
    /// `deleted: true` (orders keep their own snapshots).
    pub async fn delete_product(&self, id: &str, trace: Option<&TraceParent>) -> AppResult<()> {
        let current =
            self.product(id).await?.ok_or_else(|| AppError::not_found("product not found"))?;
        let tombstone = format!("deleted:{id}");
        let set = doc! { "deleted": true, "sku": &tombstone, "slug": &tombstone };
        self.write_with_event(id, set, &current, trace).await.map(|_| ())
    }

    async fn write_with_event(
        &self,
        id: &str,
        set: Document,
        current: &ProductDoc,
        trace: Option<&TraceParent>,
    ) -> AppResult<ProductDoc> {
        // The event describes the product after the change.
        let mut after = current.clone();
        apply_preview(&mut after, &set);
        let event = events::product_event(PRODUCT_UPDATED, &after, trace);
        let updated = self.store.update_product(id, set, event).await.map_err(storage)?;
        self.cache.invalidate(id).await;
        updated.ok_or_else(|| AppError::not_found("product not found"))
    }

    /// Checks, resizes and stores an uploaded image, then adds it to the
    /// product (announced as `product.updated`).
    pub async fn add_image(
        &self,
        product_id: &str,
        bytes: Vec<u8>,
        alt: Option<String>,
        trace: Option<&TraceParent>,
    ) -> AppResult<ProductDoc> {
        let current = self
            .product(product_id)
            .await?
            .ok_or_else(|| AppError::not_found("product not found"))?;
        if bytes.len() > self.images.max_bytes {
            return Err(AppError::bad_input(format!(
                "an image may be at most {} bytes",
                self.images.max_bytes
            )));
        }
        let alt = alt.map(|a| a.trim().to_owned()).filter(|a| !a.is_empty());
        if alt.as_ref().is_some_and(|a| a.chars().count() > 500) {
            return Err(AppError::bad_input("`alt` may be at most 500 characters"));
        }
        let processed = tokio::task::spawn_blocking(move || images::process(bytes))
            .await
            .map_err(AppError::internal)??;
        let id = Uuid::now_v7().simple().to_string();
        let side = |n: u32| i32::try_from(n).unwrap_or(i32::MAX);
        let mut variants = Vec::new();
        for variant in &processed.variants {
            let file = format!("{id}-w{}", variant.width);
            self.images.storage.put(&file, variant).await.map_err(storage)?;
            variants.push(VariantDoc {
                id: file,
                width: side(variant.width),
                height: side(variant.height),
                content_type: variant.content_type.to_owned(),
            });
        }
        // The original last: a product never points at a file not yet there.
        self.images.storage.put(&id, &processed.original).await.map_err(storage)?;
        let media = MediaDoc {
            id,
            alt,
            width: side(processed.original.width),
            height: side(processed.original.height),
            content_type: processed.original.content_type.to_owned(),
            variants,
        };
        let mut after = current.clone();
        after.media.push(media.clone());
        let event = events::product_event(PRODUCT_UPDATED, &after, trace);
        let updated = self.store.push_media(product_id, &media, event).await.map_err(storage)?;
        self.cache.invalidate(product_id).await;
        updated.ok_or_else(|| AppError::not_found("product not found"))
    }

    pub async fn product(&self, id: &str) -> AppResult<Option<ProductDoc>> {
        Ok(self.store.products_by_ids(&[id.to_owned()]).await.map_err(storage)?.into_iter().next())
    }

    async fn require_category(&self, id: &str) -> AppResult<()> {
        let found = self.store.categories_by_ids(&[id.to_owned()]).await.map_err(storage)?;
        if found.is_empty() {
            Err(AppError::bad_input(format!("category `{id}` does not exist")))
        } else {
            Ok(())
        }
    }

    pub async fn create_category(
        &self,
        name: &str,
        parent_id: Option<String>,
    ) -> AppResult<CategoryDoc> {
        let name = domain::parse_name(name)?;
        let ancestors = match &parent_id {
            Some(parent) => {
                let found = self
                    .store
                    .categories_by_ids(std::slice::from_ref(parent))
                    .await
                    .map_err(storage)?;
                let parent_doc = found.into_iter().next().ok_or_else(|| {
                    AppError::bad_input(format!("category `{parent}` does not exist"))
                })?;
                let mut ancestors = parent_doc.ancestors;
                ancestors.push(parent_doc.id);
                ancestors
            }
            None => Vec::new(),
        };
        let category = CategoryDoc {
            id: Uuid::now_v7().to_string(),
            slug: domain::slugify(&name),
            name,
            parent_id,
            ancestors,
        };
        match self.store.insert_category(&category).await {
            Ok(()) => Ok(category),
            Err(e) if is_duplicate_key(&e) => {
                Err(AppError::conflict(format!("category slug `{}` already exists", category.slug)))
            }
            Err(e) => Err(storage(e)),
        }
    }

    pub async fn add_review(
        &self,
        product_id: &str,
        author_id: &str,
        rating: i32,
        title: &str,
        body: &str,
    ) -> AppResult<ReviewDoc> {
        let (rating, title, body) = domain::parse_review(rating, title, body)?;
        self.product(product_id).await?.ok_or_else(|| AppError::not_found("product not found"))?;
        let review = ReviewDoc {
            id: Uuid::now_v7().to_string(),
            product_id: product_id.to_owned(),
            author_id: author_id.to_owned(),
            rating,
            title,
            body,
            created_at_ms: now_ms(),
        };
        match self.store.insert_review(&review).await {
            Ok(()) => {}
            Err(e) if is_duplicate_key(&e) => {
                return Err(AppError::conflict("you have already reviewed this product"));
            }
            Err(e) => return Err(storage(e)),
        }
        self.store.count_review(product_id, rating).await.map_err(storage)?;
        self.cache.invalidate(product_id).await;
        Ok(review)
    }

    pub async fn products(
        &self,
        query: ProductQuery,
        sort: ProductSort,
        page: &PageRequest,
    ) -> AppResult<(Vec<ProductDoc>, u64)> {
        if let (Some(min), Some(max)) = (query.min_price, query.max_price)
            && min > max
        {
            return Err(AppError::bad_input("minPrice must not exceed maxPrice"));
        }
        let category_ids = match &query.category_id {
            Some(id) => Some(self.store.category_subtree(id).await.map_err(storage)?),
            None => None,
        };
        let filter = ProductFilter {
            search_terms: query.search.as_deref().map(domain::query_terms).unwrap_or_default(),
            category_ids,
            tags: domain::parse_tags(&query.tags)?,
            min_price: query.min_price,
            max_price: query.max_price,
        }
        .to_document();
        let total = self.store.count_products(filter.clone()).await.map_err(storage)?;
        let page_filter = match after_filter(sort, page)? {
            Some(after) => doc! { "$and": [filter, after] },
            None => filter,
        };
        let rows = self
            .store
            .list_products(page_filter, sort.sort(), page.fetch_limit())
            .await
            .map_err(storage)?;
        Ok((rows, total))
    }
}

/// Applies the simple `$set` fields to a copy, for the event payload.
fn apply_preview(product: &mut ProductDoc, set: &Document) {
    if let Ok(name) = set.get_str("name") {
        product.name = name.to_owned();
    }
    if let Ok(deleted) = set.get_bool("deleted") {
        product.deleted = deleted;
    }
    if let Ok(price) = set.get_document("price")
        && let (Ok(amount), Ok(currency)) = (price.get_i64("amount"), price.get_str("currency"))
    {
        product.price = kit::money::Money { amount, currency: currency.to_owned() };
    }
    if let Ok(weight) = set.get_i32("weightGrams") {
        product.weight_grams = weight;
    }
    if let Ok(category) = set.get_str("categoryId") {
        product.category_id = Some(category.to_owned());
    }
}
