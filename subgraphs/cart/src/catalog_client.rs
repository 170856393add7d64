//! Prices and existence come from the catalog, never from the client: the
//! cart asks the catalog subgraph's `_entities` for the products it holds,
//! once per request (batched by a DataLoader).

use std::{collections::HashMap, time::Duration};

use kit::{AppError, AppResult, money::Money};
use serde::Deserialize;
use serde_json::json;

#[derive(Debug, Clone, Deserialize, PartialEq, Eq)]
pub struct CatalogProduct {
    pub id: String,
    pub name: String,
    pub price: Money,
}

#[derive(Clone)]
pub struct CatalogClient {
    http: reqwest::Client,
    url: String,
}

const QUERY: &str = "query($r: [_Any!]!) { _entities(representations: $r) { ... on Product { id name price { amount currency } } } }";

impl CatalogClient {
    pub fn new(url: impl Into<String>) -> Self {
        let http =
            reqwest::Client::builder().timeout(Duration::from_secs(5)).build().unwrap_or_default();
        Self { http, url: url.into() }
    }

    /// The products that exist, by id; unknown or deleted ids are absent.
    pub async fn products(&self, ids: &[String]) -> AppResult<HashMap<String, CatalogProduct>> {
        if ids.is_empty() {
            return Ok(HashMap::new());
        }
        let representations: Vec<_> =
            ids.iter().map(|id| json!({ "__typename": "Product", "id": id })).collect();
        let unavailable = |e: &dyn std::fmt::Display| {
            tracing::error!(error = %e, url = %self.url, "catalog lookup failed");
            AppError::unavailable("prices are temporarily unavailable; please retry")
        };
        let response: serde_json::Value = self
            .http
            .post(&self.url)
            .json(&json!({ "query": QUERY, "variables": { "r": representations } }))
            .send()
            .await
            .map_err(|e| unavailable(&e))?
            .json()
            .await
            .map_err(|e| unavailable(&e))?;
        let entities =
            response["data"]["_entities"].as_array().ok_or_else(|| unavailable(&response))?;
        Ok(entities
            .iter()
            .filter_map(|e| serde_json::from_value::<CatalogProduct>(e.clone()).ok())
            .map(|p| (p.id.clone(), p))
            .collect())
    }
}
