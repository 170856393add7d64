//! The inventory subgraph's GraphQL surface.

mod loaders;
mod mutation;
mod query;
mod types;

use std::sync::Arc;

use async_graphql::{EmptySubscription, Schema, dataloader::DataLoader};
use kit::http::RequestData;

pub use mutation::Mutation;
pub use query::Query;

use crate::stock::Stock;

pub type InventorySchema = Schema<Query, Mutation, EmptySubscription>;

pub fn build_schema(stock: Option<Stock>) -> InventorySchema {
    let builder = kit::http::configure_schema(Schema::build(Query, Mutation, EmptySubscription));
    match stock {
        Some(stock) => builder.data(stock).finish(),
        None => builder.finish(),
    }
}

pub fn request_data(stock: Stock) -> RequestData {
    Arc::new(move |request| {
        request
            .data(DataLoader::new(loaders::AvailabilityLoader(stock.clone()), tokio::spawn))
            .data(DataLoader::new(loaders::StockLevelsLoader(stock.pool.clone()), tokio::spawn))
            .data(DataLoader::new(loaders::WarehouseLoader(stock.pool.clone()), tokio::spawn))
    })
}
