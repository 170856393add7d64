use async_graphql::{
    ComplexObject, Context, ID, Object, Result, SimpleObject, dataloader::DataLoader,
};
use chrono::{DateTime, Utc};
use kit::{money::Money, pagination::PageRequest};

use super::loaders::{CategoryLoader, ChildrenLoader, ProductLoader, ReviewOwner, ReviewsOfLoader};
use crate::{
    catalog::{Catalog, ProductQuery},
    store::{
        documents::{CategoryDoc, ProductDoc, ReviewDoc, to_datetime},
        paging::ProductSort,
    },
};

pub struct Product(pub ProductDoc);

#[Object]
impl Product {
    async fn id(&self) -> ID {
        ID(self.0.id.clone())
    }
    async fn sku(&self) -> &str {
        &self.0.sku
    }
    async fn slug(&self) -> &str {
        &self.0.slug
    }
    async fn name(&self) -> &str {
        &self.0.name
    }
    async fn description(&self) -> &str {
        &self.0.description
    }
    async fn price(&self) -> &Money {
        &self.0.price
    }
    /// Image URLs; uploaded images last.
    #[graphql(
        deprecation = "Use `media`: uploaded images with their size, alt text and resized variants."
    )]
    async fn images(&self, ctx: &Context<'_>) -> Vec<String> {
        let images = &ctx.data_unchecked::<Catalog>().images;
        let uploaded = self.0.media.iter().map(|m| images.url(&m.id));
        self.0.images.iter().cloned().chain(uploaded).collect()
    }
    /// The product's images: those given as URLs (no size known), then
    /// the uploaded ones, with their variants.
    async fn media(&self, ctx: &Context<'_>) -> Vec<Image> {
        let images = &ctx.data_unchecked::<Catalog>().images;
        let linked = self.0.images.iter().enumerate().map(|(n, url)| Image {
            id: ID(format!("{}-url-{n}", self.0.id)),
            url: url.clone(),
            alt: None,
            width: None,
            height: None,
            content_type: None,
            variants: Vec::new(),
        });
        let uploaded = self.0.media.iter().map(|m| Image {
            id: ID(m.id.clone()),
            url: images.url(&m.id),
            alt: m.alt.clone(),
            width: Some(m.width),
            height: Some(m.height),
            content_type: Some(m.content_type.clone()),
            variants: m
                .variants
                .iter()
                .map(|v| ImageVariant {
                    url: images.url(&v.id),
                    width: v.width,
                    height: v.height,
                    content_type: v.content_type.clone(),
                })
                .collect(),
        });
        linked.chain(uploaded).collect()
    }
    async fn category(&self, ctx: &Context<'_>) -> Result<Option<Category>> {
        let Some(id) = &self.0.category_id else { return Ok(None) };
        Ok(ctx
            .data_unchecked::<DataLoader<CategoryLoader>>()
            .load_one(id.clone())
            .await?
            .map(Category))
    }
    async fn tags(&self) -> &[String] {
        &self.0.tags
    }
    async fn weight_grams(&self) -> i32 {
        self.0.weight_grams
    }
    /// Mean rating, null until the first review.
    async fn average_rating(&self) -> Option<f64> {
        self.0.average_rating
    }
    async fn review_count(&self) -> i32 {
        self.0.review_count
    }
    /// Newest first.
    #[graphql(directive = kit::directives::list_size::apply(kit::directives::page_size(), kit::directives::paged_by_first(), kit::directives::connection_edges(), Some(false)))]
    async fn reviews(
        &self,
        ctx: &Context<'_>,
        first: Option<i32>,
        after: Option<String>,
    ) -> Result<ReviewConnection> {
        reviews_page(ctx, ReviewOwner::Product, &self.0.id, first, after).await
    }
    async fn created_at(&self) -> DateTime<Utc> {
        to_datetime(self.0.created_at_ms)
    }
    async fn updated_at(&self) -> DateTime<Utc> {
        to_datetime(self.0.updated_at_ms)
    }
}

/// An image of a product.
#[derive(SimpleObject)]
pub struct Image {
    pub id: ID,
    /// The original, as uploaded (or the address given).
    pub url: String,
    pub alt: Option<String>,
    /// Pixels; unknown for an image given only by its address.
    pub width: Option<i32>,
    pub height: Option<i32>,
    pub content_type: Option<String>,
    /// Smaller copies (200 and 800 px wide, when the original is wider),
    /// narrowest first.
    pub variants: Vec<ImageVariant>,
}

/// A resized copy of an image.
#[derive(SimpleObject)]
pub struct ImageVariant {
    pub url: String,
    pub width: i32,
    pub height: i32,
    pub content_type: String,
}

pub struct Category(pub CategoryDoc);

#[Object]
impl Category {
    async fn id(&self) -> ID {
        ID(self.0.id.clone())
    }
    async fn slug(&self) -> &str {
        &self.0.slug
    }
    async fn name(&self) -> &str {
        &self.0.name
    }
    async fn parent(&self, ctx: &Context<'_>) -> Result<Option<Category>> {
        let Some(id) = &self.0.parent_id else { return Ok(None) };
        Ok(ctx
            .data_unchecked::<DataLoader<CategoryLoader>>()
            .load_one(id.clone())
            .await?
            .map(Category))
    }
    async fn children(&self, ctx: &Context<'_>) -> Result<Vec<Category>> {
        let children =
            ctx.data_unchecked::<DataLoader<ChildrenLoader>>().load_one(self.0.id.clone()).await?;
        Ok(children.unwrap_or_default().into_iter().map(Category).collect())
    }
    /// Products in this category and its descendants, newest first.
    #[graphql(directive = kit::directives::list_size::apply(kit::directives::page_size(), kit::directives::paged_by_first(), kit::directives::connection_edges(), Some(false)))]
    async fn products(
        &self,
        ctx: &Context<'_>,
        first: Option<i32>,
        after: Option<String>,
    ) -> Result<ProductConnection> {
        let query =
            ProductQuery { category_id: Some(self.0.id.clone()), ..ProductQuery::default() };
        product_page(ctx, query, ProductSort::Newest, first, after).await
    }
}

pub struct Review(pub ReviewDoc);

#[Object]
impl Review {
    async fn id(&self) -> ID {
        ID(self.0.id.clone())
    }
    async fn product(&self, ctx: &Context<'_>) -> Result<Product> {
        let product = ctx
            .data_unchecked::<DataLoader<ProductLoader>>()
            .load_one(self.0.product_id.clone())
            .await?;
        Ok(Product(
            product
                .ok_or_else(|| kit::AppError::not_found("the reviewed product no longer exists"))?,
        ))
    }
    /// A reference resolved by the users subgraph.
    async fn author(&self) -> User {
        User { id: ID(self.0.author_id.clone()) }
    }
    async fn rating(&self) -> i32 {
        self.0.rating
    }
    async fn title(&self) -> &str {
        &self.0.title
    }
    async fn body(&self) -> &str {
        &self.0.body
    }
    async fn created_at(&self) -> DateTime<Utc> {
        to_datetime(self.0.created_at_ms)
    }
}

/// The users subgraph's `User`, extended with the reviews they wrote.
#[derive(SimpleObject)]
#[graphql(complex)]
pub struct User {
    pub id: ID,
}

#[ComplexObject]
impl User {
    /// Newest first.
    #[graphql(directive = kit::directives::list_size::apply(kit::directives::page_size(), kit::directives::paged_by_first(), kit::directives::connection_edges(), Some(false)))]
    async fn reviews(
        &self,
        ctx: &Context<'_>,
        first: Option<i32>,
        after: Option<String>,
    ) -> Result<ReviewConnection> {
        reviews_page(ctx, ReviewOwner::Author, &self.id, first, after).await
    }
}

kit::connection_types!(ProductConnection, ProductEdge, Product);
kit::connection_types!(ReviewConnection, ReviewEdge, Review);

pub async fn product_page(
    ctx: &Context<'_>,
    query: ProductQuery,
    sort: ProductSort,
    first: Option<i32>,
    after: Option<String>,
) -> Result<ProductConnection> {
    let page = PageRequest::parse(first, after)?;
    let (rows, total) = ctx.data_unchecked::<Catalog>().products(query, sort, &page).await?;
    let rows = rows.into_iter().map(Product).collect();
    Ok(ProductConnection::new(rows, &page, i64::try_from(total).unwrap_or(i64::MAX), |p| {
        sort.cursor(&p.0)
    }))
}

async fn reviews_page(
    ctx: &Context<'_>,
    owner: ReviewOwner,
    id: &str,
    first: Option<i32>,
    after: Option<String>,
) -> Result<ReviewConnection> {
    let page = PageRequest::parse(first, after)?;
    let all = ctx
        .data_unchecked::<DataLoader<ReviewsOfLoader>>()
        .load_one((owner, id.to_owned()))
        .await?
        .unwrap_or_default();
    let total = all.len() as i64;
    let start = match &page.after {
        Some(cursor) => {
            all.iter().position(|r| review_cursor(r) == *cursor).map(|i| i + 1).unwrap_or(all.len())
        }
        None => 0,
    };
    let rows: Vec<Review> =
        all.into_iter().skip(start).take(page.fetch_limit() as usize).map(Review).collect();
    Ok(ReviewConnection::new(rows, &page, total, |r| review_cursor(&r.0)))
}

fn review_cursor(review: &ReviewDoc) -> String {
    format!("{}|{}", review.created_at_ms, review.id)
}
