use async_graphql::{Context, ID, Object, Result, dataloader::DataLoader};
use kit::auth::{AdminOnly, ContextAuthExt};
use uuid::Uuid;

use super::{
    loaders::OrderLoader,
    promotions::Cart,
    types::{Order, OrderConnection, User, order_page},
};
use crate::status::OrderStatus;

#[derive(Default)]
pub struct OrderQuery;

#[Object]
impl OrderQuery {
    /// The owner's or an admin's. Anyone else gets NOT_FOUND, exactly as
    /// for an order that does not exist, so order ids cannot be probed.
    async fn order(&self, ctx: &Context<'_>, id: ID) -> Result<Option<Order>> {
        let viewer = ctx.viewer()?;
        let not_found = || kit::AppError::not_found("order not found");
        let id = Uuid::parse_str(&id).map_err(|_| not_found())?;
        let order = ctx.data_unchecked::<DataLoader<OrderLoader>>().load_one(id).await?;
        let visible = order.filter(|o| o.customer_id == viewer.user_id || viewer.is_admin());
        Ok(Some(Order(visible.ok_or_else(not_found)?)))
    }

    /// Admin: every order, newest first, optionally of one status.
    #[graphql(guard = "AdminOnly", directive = kit::directives::policy::apply(kit::directives::admins()), directive = kit::directives::list_size::apply(kit::directives::page_size(), kit::directives::paged_by_first(), kit::directives::connection_edges(), Some(false)))]
    async fn orders(
        &self,
        ctx: &Context<'_>,
        status: Option<OrderStatus>,
        first: Option<i32>,
        after: Option<String>,
    ) -> Result<OrderConnection> {
        order_page(ctx, None, status, first, after).await
    }

    /// The owner's or an admin's: `_entities` is reachable by any caller
    /// the router admits, so it checks like `order(id:)` does (with an
    /// error rather than NOT_FOUND: the reference came from elsewhere).
    #[graphql(entity)]
    async fn find_order_by_id(&self, ctx: &Context<'_>, id: ID) -> Result<Option<Order>> {
        let Ok(id) = Uuid::parse_str(&id) else { return Ok(None) };
        ctx.viewer()?;
        let Some(order) = ctx.data_unchecked::<DataLoader<OrderLoader>>().load_one(id).await?
        else {
            return Ok(None);
        };
        ctx.owner_or_admin(order.customer_id, "order")?;
        Ok(Some(Order(order)))
    }

    #[graphql(entity)]
    async fn find_user_by_id(&self, id: ID) -> User {
        User { id }
    }

    /// The cart subgraph's cart, with what promotions take off it.
    #[graphql(entity)]
    async fn find_cart_by_id(&self, id: ID) -> Cart {
        Cart::of(id.0)
    }

    #[graphql(entity)]
    async fn find_product_by_id(&self, id: ID) -> super::types::Product {
        super::types::Product { id }
    }
}
