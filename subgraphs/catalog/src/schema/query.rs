use async_graphql::{Context, ID, Object, Result, dataloader::DataLoader};
use kit::AppError;

use super::{
    inputs::ProductFilter,
    loaders::{CategoryLoader, ProductLoader, ReviewLoader},
    types::{Category, Product, ProductConnection, Review, User, product_page},
};
use crate::{catalog::Catalog, store::paging::ProductSort};

pub struct Query;

#[Object]
impl Query {
    /// By id or by slug.
    async fn product(
        &self,
        ctx: &Context<'_>,
        id: Option<ID>,
        slug: Option<String>,
    ) -> Result<Option<Product>> {
        match (id, slug) {
            (Some(id), None) => load_product(ctx, id).await,
            (None, Some(slug)) => {
                let found = ctx
                    .data_unchecked::<Catalog>()
                    .store
                    .product_by_slug(&slug)
                    .await
                    .map_err(AppError::internal)?;
                Ok(found.map(Product))
            }
            _ => Err(AppError::bad_input("give exactly one of `id` and `slug`").into()),
        }
    }

    /// `first` defaults to 20 and is capped at 100.
    #[graphql(directive = kit::directives::list_size::apply(kit::directives::page_size(), kit::directives::paged_by_first(), kit::directives::connection_edges(), Some(false)))]
    async fn products(
        &self,
        ctx: &Context<'_>,
        filter: Option<ProductFilter>,
        #[graphql(default_with = "ProductSort::Newest")] sort: ProductSort,
        first: Option<i32>,
        after: Option<String>,
    ) -> Result<ProductConnection> {
        product_page(ctx, filter.unwrap_or_default().into(), sort, first, after).await
    }

    async fn categories(&self, ctx: &Context<'_>) -> Result<Vec<Category>> {
        let all = ctx
            .data_unchecked::<Catalog>()
            .store
            .all_categories()
            .await
            .map_err(AppError::internal)?;
        Ok(all.into_iter().map(Category).collect())
    }

    #[graphql(entity)]
    async fn find_product_by_id(&self, ctx: &Context<'_>, id: ID) -> Result<Option<Product>> {
        load_product(ctx, id).await
    }

    #[graphql(entity)]
    async fn find_category_by_id(&self, ctx: &Context<'_>, id: ID) -> Result<Option<Category>> {
        Ok(ctx.data_unchecked::<DataLoader<CategoryLoader>>().load_one(id.0).await?.map(Category))
    }

    #[graphql(entity)]
    async fn find_review_by_id(&self, ctx: &Context<'_>, id: ID) -> Result<Option<Review>> {
        Ok(ctx.data_unchecked::<DataLoader<ReviewLoader>>().load_one(id.0).await?.map(Review))
    }

    #[graphql(entity)]
    async fn find_user_by_id(&self, id: ID) -> User {
        User { id }
    }
}

async fn load_product(ctx: &Context<'_>, id: ID) -> Result<Option<Product>> {
    Ok(ctx.data_unchecked::<DataLoader<ProductLoader>>().load_one(id.0).await?.map(Product))
}
