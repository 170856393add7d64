//! The users subgraph's GraphQL surface. Resolvers check auth, parse input,
//! call `accounts`/`address_book`/the repository, and map the result.

mod inputs;
mod loaders;
mod mutation;
mod query;
mod types;

use std::sync::Arc;

use async_graphql::{EmptySubscription, Schema, dataloader::DataLoader};
use kit::http::RequestData;
use sqlx::PgPool;

pub use loaders::{AddressLoader, UserLoader};
pub use mutation::Mutation;
pub use query::Query;

use crate::accounts::Accounts;

pub type UsersSchema = Schema<Query, Mutation, EmptySubscription>;

pub fn build_schema(accounts: Accounts, pool: PgPool) -> UsersSchema {
    kit::http::configure_schema(Schema::build(Query, Mutation, EmptySubscription))
        .data(accounts)
        .data(pool)
        .finish()
}

/// Fresh DataLoaders per request: batching within a request, and no cache
/// that outlives it.
pub fn request_data(pool: PgPool) -> RequestData {
    Arc::new(move |request| {
        request
            .data(DataLoader::new(UserLoader(pool.clone()), tokio::spawn))
            .data(DataLoader::new(AddressLoader(pool.clone()), tokio::spawn))
    })
}
