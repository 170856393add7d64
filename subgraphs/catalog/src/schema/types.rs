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
    async fn images(&self) -> &[String] {
        &self.0.images
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
