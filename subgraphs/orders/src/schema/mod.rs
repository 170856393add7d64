//! The orders subgraph's GraphQL surface.

mod loaders;
mod mutation;
mod query;
mod types;

use std::sync::Arc;

use async_graphql::{EmptySubscription, Schema, dataloader::DataLoader};
use kit::http::RequestData;
use sqlx::PgPool;

pub use mutation::Mutation;
pub use query::Query;

use crate::checkout::Checkout;

pub type OrdersSchema = Schema<Query, Mutation, EmptySubscription>;

pub fn build_schema(checkout: Option<Checkout>) -> OrdersSchema {
    let builder = kit::http::configure_schema(Schema::build(Query, Mutation, EmptySubscription));
    match checkout {
        Some(checkout) => builder.data(checkout.pool.clone()).data(checkout).finish(),
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
