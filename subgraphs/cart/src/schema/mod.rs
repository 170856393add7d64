//! The cart subgraph's GraphQL surface.

mod types;

use std::{collections::HashMap, sync::Arc};

use async_graphql::{
    Context, EmptySubscription, ID, Object, Result, Schema,
    dataloader::{DataLoader, Loader},
};
use kit::{
    AppError,
    auth::{ContextAuthExt, SignedIn},
    http::RequestData,
};

pub use types::{Cart, User};

use crate::{
    carts::Carts,
    catalog_client::{CatalogClient, CatalogProduct},
};

pub type CartSchema = Schema<Query, Mutation, EmptySubscription>;

pub fn build_schema(carts: Option<Carts>) -> CartSchema {
    let builder = kit::http::configure_schema(Schema::build(Query, Mutation, EmptySubscription));
    match carts {
        Some(carts) => builder.data(carts).finish(),
        None => builder.finish(),
    }
}

/// Catalog products for every cart line of a request, in one lookup.
pub struct ProductLoader(pub CatalogClient);

impl Loader<String> for ProductLoader {
    type Value = CatalogProduct;
    type Error = AppError;

    async fn load(&self, ids: &[String]) -> Result<HashMap<String, CatalogProduct>, AppError> {
        self.0.products(ids).await
    }
}

pub fn request_data(catalog: CatalogClient) -> RequestData {
    Arc::new(move |request| {
        request.data(DataLoader::new(ProductLoader(catalog.clone()), tokio::spawn))
    })
}

pub struct Query;

#[Object]
impl Query {
    /// The signed-in customer's cart (empty if they have none yet).
    #[graphql(guard = "SignedIn", directive = kit::directives::authenticated::apply())]
    async fn cart(&self, ctx: &Context<'_>) -> Result<Cart> {
        let customer = ctx.viewer()?.user_id.to_string();
        Ok(carts(ctx).load(&customer).await?)
    }

    /// A cart by its id (the customer's): the owner's or an admin's. Other
    /// subgraphs add to it (orders: what promotions take off).
    #[graphql(entity)]
    async fn find_cart_by_id(&self, ctx: &Context<'_>, id: ID) -> Result<Cart> {
        let viewer = ctx.viewer()?;
        if viewer.user_id.to_string() != id.as_str() && !viewer.is_admin() {
            return Err(AppError::forbidden("only the owner or an admin can see a cart").into());
        }
        Ok(carts(ctx).load(&id).await?)
    }

    #[graphql(entity)]
    async fn find_user_by_id(&self, id: ID) -> User {
        User { id }
    }

    /// Cart lines point at catalog products by id.
    #[graphql(entity)]
    async fn find_product_by_id(&self, id: ID) -> types::Product {
        types::Product { id }
    }
}

pub struct Mutation;

#[Object]
impl Mutation {
    /// Adds `quantity` (1-99) of a product; a line holds at most 99.
    #[graphql(guard = "SignedIn", directive = kit::directives::authenticated::apply())]
    async fn add_to_cart(
        &self,
        ctx: &Context<'_>,
        product_id: ID,
        #[graphql(default = 1)] quantity: i32,
    ) -> Result<Cart> {
        let customer = ctx.viewer()?.user_id.to_string();
        Ok(carts(ctx).add(&customer, &product_id, quantity, loader(ctx)).await?)
    }

    /// Sets a line's quantity; 0 removes it.
    #[graphql(guard = "SignedIn", directive = kit::directives::authenticated::apply())]
    async fn update_cart_item(
        &self,
        ctx: &Context<'_>,
        product_id: ID,
        quantity: i32,
    ) -> Result<Cart> {
        let customer = ctx.viewer()?.user_id.to_string();
        Ok(carts(ctx).set(&customer, &product_id, quantity, loader(ctx)).await?)
    }

    #[graphql(guard = "SignedIn", directive = kit::directives::authenticated::apply())]
    async fn remove_from_cart(&self, ctx: &Context<'_>, product_id: ID) -> Result<Cart> {
        let customer = ctx.viewer()?.user_id.to_string();
        Ok(carts(ctx).set(&customer, &product_id, 0, loader(ctx)).await?)
    }

    #[graphql(guard = "SignedIn", directive = kit::directives::authenticated::apply())]
    async fn clear_cart(&self, ctx: &Context<'_>) -> Result<Cart> {
        let customer = ctx.viewer()?.user_id.to_string();
        Ok(carts(ctx).clear(&customer).await?)
    }
}

fn carts<'a>(ctx: &'a Context<'_>) -> &'a Carts {
    ctx.data_unchecked::<Carts>()
}

fn loader<'a>(ctx: &'a Context<'_>) -> &'a DataLoader<ProductLoader> {
    ctx.data_unchecked::<DataLoader<ProductLoader>>()
}
