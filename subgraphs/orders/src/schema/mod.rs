//! The orders subgraph's GraphQL surface.

mod loaders;
mod mutation;
mod promotions;
mod query;
mod subscription;
mod types;

use std::sync::Arc;

use async_graphql::{MergedObject, Schema, dataloader::DataLoader};
use kit::{events::LiveFeed, http::RequestData};

pub use subscription::{LIVE_EVENTS, Subscription};

use self::promotions::{
    CartDiscountMutation, PromotionAdminMutation, PromotionAdminQuery, PromotionQuery,
    loaders as promotion_loaders,
};
use crate::checkout::Checkout;

#[derive(MergedObject, Default)]
pub struct Query(query::OrderQuery, PromotionQuery, PromotionAdminQuery);

#[derive(MergedObject, Default)]
pub struct Mutation(mutation::OrderMutation, CartDiscountMutation, PromotionAdminMutation);

pub type OrdersSchema = Schema<Query, Mutation, Subscription>;

/// Without services, the schema is only good for printing its SDL.
pub fn build_schema(services: Option<(Checkout, LiveFeed)>) -> OrdersSchema {
    let builder = kit::http::configure_schema(Schema::build(
        Query::default(),
        Mutation::default(),
        Subscription,
    ));
    match services {
        Some((checkout, feed)) => builder
            .data(checkout.pool.clone())
            .data(checkout)
            .data(feed)
            .data(kit::events::live::SharedLoads::<subscription::Snapshot>::default())
            .finish(),
        None => builder.finish(),
    }
}

pub fn request_data(checkout: Checkout) -> RequestData {
    Arc::new(move |request| {
        let pool = &checkout.pool;
        request
            .data(DataLoader::new(loaders::OrderLoader(pool.clone()), tokio::spawn))
            .data(DataLoader::new(loaders::ItemsLoader(pool.clone()), tokio::spawn))
            .data(DataLoader::new(loaders::HistoryLoader(pool.clone()), tokio::spawn))
            .data(DataLoader::new(promotion_loaders::PromotionLoader(pool.clone()), tokio::spawn))
            .data(DataLoader::new(promotion_loaders::AppliedLoader(pool.clone()), tokio::spawn))
            .data(DataLoader::new(
                promotion_loaders::CatalogLoader(checkout.upstream.clone()),
                tokio::spawn,
            ))
            .data(DataLoader::new(
                promotion_loaders::SalesLoader(checkout.promotions.clone()),
                tokio::spawn,
            ))
    })
}
