//! The orders subgraph's GraphQL surface.

mod loaders;
mod mutation;
mod query;
mod subscription;
mod types;

use std::sync::Arc;

use async_graphql::{Schema, dataloader::DataLoader};
use kit::{events::LiveFeed, http::RequestData};
use sqlx::PgPool;

pub use mutation::Mutation;
pub use query::Query;
pub use subscription::{LIVE_EVENTS, Subscription};

use crate::checkout::Checkout;

pub type OrdersSchema = Schema<Query, Mutation, Subscription>;

/// Without services, the schema is only good for printing its SDL.
pub fn build_schema(services: Option<(Checkout, LiveFeed)>) -> OrdersSchema {
    let builder = kit::http::configure_schema(Schema::build(Query, Mutation, Subscription));
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

pub fn request_data(pool: PgPool) -> RequestData {
    Arc::new(move |request| {
        request
            .data(DataLoader::new(loaders::OrderLoader(pool.clone()), tokio::spawn))
            .data(DataLoader::new(loaders::ItemsLoader(pool.clone()), tokio::spawn))
            .data(DataLoader::new(loaders::HistoryLoader(pool.clone()), tokio::spawn))
    })
}
