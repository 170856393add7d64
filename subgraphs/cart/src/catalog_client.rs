//! Prices and existence come from the catalog, never from the client: the
//! cart asks the catalog subgraph's `_entities` for the products it holds,
//! once per request (batched by a DataLoader).

use std::collections::HashMap;

use kit::{
    AppResult,
    graphql_client::{GraphqlClient, id_key},
    money::Money,
};
use serde::Deserialize;

#[derive(Debug, Clone, Deserialize, PartialEq, Eq)]
pub struct CatalogProduct {
    pub id: String,
    pub name: String,
    pub price: Money,
}

#[derive(Clone)]
pub struct CatalogClient(GraphqlClient);

impl CatalogClient {
    pub fn new(url: impl Into<String>, caller: &kit::config::ServiceConfig) -> Self {
        Self(GraphqlClient::new("catalog", url, caller))
    }

    /// The products that exist, by id; unknown or deleted ids are absent.
    pub async fn products(&self, ids: &[String]) -> AppResult<HashMap<String, CatalogProduct>> {
        let found = self
            .0
            .entities::<CatalogProduct>(
                "Product",
                ids.iter().map(|id| id_key(id)),
                "id name price { amount currency }",
            )
            .await?;
        Ok(found.into_iter().flatten().map(|p| (p.id.clone(), p)).collect())
    }
}
