//! The catalog subgraph's GraphQL surface.

mod inputs;
mod loaders;
mod mutation;
mod query;
mod types;

use std::sync::Arc;

use async_graphql::{EmptySubscription, Schema, dataloader::DataLoader};
use kit::http::RequestData;

pub use mutation::Mutation;
pub use query::Query;

use crate::catalog::Catalog;

pub type CatalogSchema = Schema<Query, Mutation, EmptySubscription>;

pub fn build_schema(catalog: Option<Catalog>) -> CatalogSchema {
    let builder = kit::http::configure_schema(Schema::build(Query, Mutation, EmptySubscription));
    match catalog {
        Some(catalog) => builder.data(catalog).finish(),
        None => builder.finish(),
    }
}

/// Fresh DataLoaders per request.
pub fn request_data(catalog: Catalog) -> RequestData {
    Arc::new(move |request| {
        request
            .data(DataLoader::new(loaders::ProductLoader(catalog.clone()), tokio::spawn))
            .data(DataLoader::new(loaders::CategoryLoader(catalog.clone()), tokio::spawn))
            .data(DataLoader::new(loaders::ChildrenLoader(catalog.clone()), tokio::spawn))
            .data(DataLoader::new(loaders::ReviewLoader(catalog.clone()), tokio::spawn))
            .data(DataLoader::new(loaders::ReviewsOfLoader(catalog.clone()), tokio::spawn))
    })
}
