use std::io::Read;

use async_graphql::{Context, ID, Object, Result, Upload};
use kit::{
    AppError,
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

    /// Admin: adds an image to a product, sent as a GraphQL multipart
    /// request. JPEG, PNG or WebP, told by the file's bytes (anything else
    /// is BAD_USER_INPUT); variants 200 and 800 px wide are made of it.
    #[graphql(guard = "AdminOnly", directive = kit::directives::policy::apply(kit::directives::admins()))]
    async fn upload_product_image(
        &self,
        ctx: &Context<'_>,
        product_id: ID,
        file: Upload,
        alt: Option<String>,
    ) -> Result<Product> {
        let catalog = catalog(ctx);
        let upload = file.value(ctx)?;
        let limit = catalog.images.max_bytes as u64;
        let mut bytes = Vec::new();
        upload
            .into_read()
            .take(limit + 1)
            .read_to_end(&mut bytes)
            .map_err(|e| AppError::internal(anyhow::anyhow!("reading an upload: {e}")))?;
        let product =
            catalog.add_image(&product_id, bytes, alt, ctx.data_opt::<TraceParent>()).await?;
        Ok(Product(product))
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
