//! What checkout reads from other subgraphs, over their GraphQL APIs: the
//! cart and the address book as the customer (with their own token), prices
//! and names from the catalog, availability from inventory.

use std::{collections::HashMap, time::Duration};

use kit::{AppError, AppResult};
use serde_json::{Value, json};

use crate::config::OrdersConfig;

#[derive(Clone)]
pub struct Upstream {
    http: reqwest::Client,
    cart: String,
    catalog: String,
    inventory: String,
    users: String,
    shipping: String,
}

/// A shipping quote: the rate's id and its cost.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ShippingQuote {
    pub id: String,
    pub amount: i64,
    pub currency: String,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PricedProduct {
    pub name: String,
    pub amount: i64,
    pub currency: String,
}

fn unavailable(service: &str, detail: impl std::fmt::Display) -> AppError {
    tracing::error!(service, error = %detail, "checkout could not reach a subgraph");
    AppError::unavailable(format!("checkout is temporarily unavailable ({service}); please retry"))
}

impl Upstream {
    pub fn new(config: &OrdersConfig) -> Self {
        Self {
            http: reqwest::Client::builder()
                .timeout(Duration::from_secs(5))
                .build()
                .unwrap_or_default(),
            cart: config.cart_url.clone(),
            catalog: config.catalog_url.clone(),
            inventory: config.inventory_url.clone(),
            users: config.users_url.clone(),
            shipping: config.shipping_url.clone(),
        }
    }

    async fn call(
        &self,
        service: &str,
        url: &str,
        query: &str,
        variables: Value,
        authorization: Option<&str>,
    ) -> AppResult<Value> {
        let mut request =
            self.http.post(url).json(&json!({ "query": query, "variables": variables }));
        if let Some(header) = authorization {
            request = request.header("authorization", header);
        }
        let response: Value = request
            .send()
            .await
            .map_err(|e| unavailable(service, e))?
            .json()
            .await
            .map_err(|e| unavailable(service, e))?;
        if let Some(errors) = response.get("errors") {
            return Err(unavailable(service, errors));
        }
        Ok(response["data"].clone())
    }

    /// (product id, quantity) of the customer's cart.
    pub async fn cart(&self, authorization: &str) -> AppResult<Vec<(String, i32)>> {
        let data = self
            .call(
                "cart",
                &self.cart,
                "{ cart { items { product { id } quantity } } }",
                json!({}),
                Some(authorization),
            )
            .await?;
        Ok(data["cart"]["items"]
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(|i| {
                Some((
                    i["product"]["id"].as_str()?.to_owned(),
                    i32::try_from(i["quantity"].as_i64()?).ok()?,
                ))
            })
            .collect())
    }

    pub async fn clear_cart(&self, authorization: &str) -> AppResult<()> {
        self.call(
            "cart",
            &self.cart,
            "mutation { clearCart { itemCount } }",
            json!({}),
            Some(authorization),
        )
        .await
        .map(drop)
    }

    pub async fn prices(&self, products: &[String]) -> AppResult<HashMap<String, PricedProduct>> {
        let data = self
            .entities("catalog", &self.catalog, products, "id name price { amount currency }")
            .await?;
        Ok(data
            .into_iter()
            .filter_map(|e| {
                let priced = PricedProduct {
                    name: e["name"].as_str()?.to_owned(),
                    amount: e["price"]["amount"].as_i64()?,
                    currency: e["price"]["currency"].as_str()?.to_owned(),
                };
                Some((e["id"].as_str()?.to_owned(), priced))
            })
            .collect())
    }

    pub async fn availability(&self, products: &[String]) -> AppResult<HashMap<String, i64>> {
        let data =
            self.entities("inventory", &self.inventory, products, "id availableQuantity").await?;
        Ok(data
            .into_iter()
            .filter_map(|e| Some((e["id"].as_str()?.to_owned(), e["availableQuantity"].as_i64()?)))
            .collect())
    }

    /// The customer's saved address with this id, if it is theirs.
    pub async fn address(&self, authorization: &str, id: &str) -> AppResult<Option<Value>> {
        let data = self
            .call(
                "users",
                &self.users,
                "{ me { addresses { id name line1 line2 city region postalCode country phone } } }",
                json!({}),
                Some(authorization),
            )
            .await?;
        Ok(data["me"]["addresses"]
            .as_array()
            .into_iter()
            .flatten()
            .find(|a| a["id"] == id)
            .cloned())
    }

    /// Every rate for these items to this address, cheapest first.
    pub async fn shipping_quotes(
        &self,
        country: &str,
        postal_code: &str,
        lines: &[(String, i32)],
    ) -> AppResult<Vec<ShippingQuote>> {
        let items: Vec<_> =
            lines.iter().map(|(p, q)| json!({ "productId": p, "quantity": q })).collect();
        let data = self
            .call(
                "shipping",
                &self.shipping,
                "query($c: String!, $p: String!, $i: [RateItemInput!]!) { shippingRates(country: $c, postalCode: $p, items: $i) { id cost { amount currency } } }",
                json!({ "c": country, "p": postal_code, "i": items }),
                None,
            )
            .await?;
        Ok(data["shippingRates"]
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(|r| {
                Some(ShippingQuote {
                    id: r["id"].as_str()?.to_owned(),
                    amount: r["cost"]["amount"].as_i64()?,
                    currency: r["cost"]["currency"].as_str()?.to_owned(),
                })
            })
            .collect())
    }

    async fn entities(
        &self,
        service: &str,
        url: &str,
        ids: &[String],
        fields: &str,
    ) -> AppResult<Vec<Value>> {
        let representations: Vec<_> =
            ids.iter().map(|id| json!({ "__typename": "Product", "id": id })).collect();
        let query = format!(
            "query($r: [_Any!]!) {{ _entities(representations: $r) {{ ... on Product {{ {fields} }} }} }}"
        );
        let data = self.call(service, url, &query, json!({ "r": representations }), None).await?;
        Ok(data["_entities"]
            .as_array()
            .cloned()
            .unwrap_or_default()
            .into_iter()
            .filter(|e| !e.is_null())
            .collect())
    }
}
