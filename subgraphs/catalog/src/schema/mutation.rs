use async_graphql::{Context, ID, Object, Result};
use kit::{
    auth::{AdminOnly, ContextAuthExt, SignedIn},
    telemetry::TraceParent,
};

use super::{
    inputs::{CategoryInput, ProductInput, ProductUpdateInput, ReviewInput},
    types::{Category, Product, Review},
};
use crate::catalog::Catalog;

pub struct Mutation;

#[Object]
impl Mutation {
    #[graphql(guard = "AdminOnly", directive = kit::directives::policy::apply(kit::directives::admins()))]
    async fn create_product(&self, ctx: &Context<'_>, input: ProductInput) -> Result<Product> {
        let product =
            catalog(ctx).create_product(input.into(), ctx.data_opt::<TraceParent>()).await?;
        Ok(Product(product))
    }

    #[graphql(guard = "AdminOnly", directive = kit::directives::policy::apply(kit::directives::admins()))]
    async fn update_product(
        &self,
        ctx: &Context<'_>,
        id: ID,
        input: ProductUpdateInput,
    ) -> Result<Product> {
        let product =
            catalog(ctx).update_product(&id, input.into(), ctx.data_opt::<TraceParent>()).await?;
        Ok(Product(product))
    }

    #[graphql(guard = "AdminOnly", directive = kit::directives::policy::apply(kit::directives::admins()))]
    async fn delete_product(&self, ctx: &Context<'_>, id: ID) -> Result<bool> {
        catalog(ctx).delete_product(&id, ctx.data_opt::<TraceParent>()).await?;
        Ok(true)
    }

    #[graphql(guard = "AdminOnly", directive = kit::directives::policy::apply(kit::directives::admins()))]
    async fn create_category(&self, ctx: &Context<'_>, input: CategoryInput) -> Result<Category> {
        let category =
            catalog(ctx).create_category(&input.name, input.parent_id.map(|id| id.0)).await?;
        Ok(Category(category))
    }

    /// One review per customer per product; rating 1 to 5.
    #[graphql(guard = "SignedIn", directive = kit::directives::authenticated::apply())]
    async fn add_review(
        &self,
        ctx: &Context<'_>,
        product_id: ID,
        input: ReviewInput,
    ) -> Result<Review> {
        let author = ctx.viewer()?.user_id.to_string();
        let review = catalog(ctx)
            .add_review(&product_id, &author, input.rating, &input.title, &input.body)
            .await?;
        Ok(Review(review))
    }
}

fn catalog<'a>(ctx: &'a Context<'_>) -> &'a Catalog {
    ctx.data_unchecked::<Catalog>()
}
