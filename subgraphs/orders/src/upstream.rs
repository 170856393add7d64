//! What checkout reads from other subgraphs, over their GraphQL APIs: the
//! cart and the address book as the customer (with their own token), prices
//! and names from the catalog, availability from inventory, shipping
//! quotes, and whether a saved payment method is the customer's.

use std::collections::HashMap;

use kit::{
    AppResult,
    graphql_client::{GraphqlClient, id_key},
};
use serde_json::{Value, json};
use uuid::Uuid;

use crate::{config::OrdersConfig, promotions::pricing::Product};

#[derive(Clone)]
pub struct Upstream {
    cart: GraphqlClient,
    catalog: GraphqlClient,
    inventory: GraphqlClient,
    users: GraphqlClient,
    shipping: GraphqlClient,
    payments: GraphqlClient,
}

/// A shipping quote: the rate's id and its cost.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ShippingQuote {
    pub id: String,
    pub amount: i64,
    pub currency: String,
}

/// The shapes read from the upstream responses.
mod wire {
    use serde::Deserialize;
    use serde_json::Value;

    #[derive(Deserialize)]
    pub struct Money {
        pub amount: i64,
        pub currency: String,
    }

    #[derive(Deserialize)]
    #[serde(rename_all = "camelCase")]
    pub struct PaymentMethodsData {
        pub payment_methods: Vec<PaymentMethod>,
    }
    #[derive(Deserialize)]
    pub struct PaymentMethod {
        pub id: String,
    }

    #[derive(Deserialize)]
    pub struct Entities<T> {
        #[serde(rename = "_entities")]
        pub entities: Vec<Option<T>>,
    }
    #[derive(Deserialize)]
    pub struct UserCart {
        pub cart: Cart,
    }
    #[derive(Deserialize)]
    pub struct Cart {
        pub items: Vec<CartItem>,
    }
    #[derive(Deserialize)]
    pub struct CartItem {
        pub product: ProductId,
        pub quantity: i32,
    }
    #[derive(Deserialize)]
    pub struct ProductId {
        pub id: String,
    }

    #[derive(Deserialize)]
    pub struct Priced {
        pub id: String,
        pub name: String,
        pub price: Money,
        pub tags: Vec<String>,
        pub category: Option<Category>,
    }
    #[derive(Deserialize)]
    pub struct Category {
        pub id: String,
        pub parent: Option<Box<Category>>,
    }

    #[derive(Deserialize)]
    #[serde(rename_all = "camelCase")]
    pub struct Available {
        pub id: String,
        pub available_quantity: i64,
    }

    #[derive(Deserialize)]
    pub struct MeData {
        pub me: Option<Me>,
    }
    #[derive(Deserialize)]
    pub struct Me {
        pub addresses: Vec<Value>,
    }

    #[derive(Deserialize)]
    #[serde(rename_all = "camelCase")]
    pub struct RatesData {
        pub shipping_rates: Vec<Rate>,
    }
    #[derive(Deserialize)]
    pub struct Rate {
        pub id: String,
        pub cost: Money,
    }
}

impl Upstream {
    pub fn new(config: &OrdersConfig) -> Self {
        let caller = &config.service;
        Self {
            cart: GraphqlClient::new("cart", &config.cart_url, caller),
            catalog: GraphqlClient::new("catalog", &config.catalog_url, caller),
            inventory: GraphqlClient::new("inventory", &config.inventory_url, caller),
            users: GraphqlClient::new("users", &config.users_url, caller),
            shipping: GraphqlClient::new("shipping", &config.shipping_url, caller),
            payments: GraphqlClient::new("payments", &config.payments_url, caller),
        }
    }

    /// (product id, quantity) of `customer`'s cart, asked as the caller:
    /// the cart subgraph lets only the owner or an admin see it.
    pub async fn cart_of(
        &self,
        authorization: &str,
        customer: Uuid,
    ) -> AppResult<Vec<(String, i32)>> {
        let data: wire::Entities<wire::UserCart> = self
            .cart
            .query(
                "query($r: [_Any!]!) { _entities(representations: $r) { ... on User { cart { items { product { id } quantity } } } } }",
                json!({ "r": [{ "__typename": "User", "id": customer }] }),
                Some(authorization),
            )
            .await?;
        let cart = data.entities.into_iter().flatten().next();
        Ok(cart
            .map(|c| c.cart.items.into_iter().map(|i| (i.product.id, i.quantity)).collect())
            .unwrap_or_default())
    }

    pub async fn clear_cart(&self, authorization: &str) -> AppResult<()> {
        self.cart
            .query::<Value>("mutation { clearCart { itemCount } }", json!({}), Some(authorization))
            .await
            .map(drop)
    }

    /// Products as pricing needs them (name, list price, categories from
    /// their own up, tags); unknown or deleted ids are absent.
    pub async fn products(&self, products: &[String]) -> AppResult<HashMap<String, Product>> {
        let found = self
            .catalog
            .entities::<wire::Priced>(
                "Product",
                products.iter().map(|id| id_key(id)),
                // Categories nest; a sale on a category covers the three
                // levels below it.
                "id name price { amount currency } tags category { id parent { id parent { id parent { id } } } }",
            )
            .await?;
        Ok(found
            .into_iter()
            .flatten()
            .map(|p| {
                let mut categories = Vec::new();
                let mut next = p.category.map(Box::new);
                while let Some(category) = next {
                    categories.push(category.id);
                    next = category.parent;
                }
                let product = Product {
                    id: p.id.clone(),
                    name: p.name,
                    price: p.price.amount,
                    currency: p.price.currency,
                    categories,
                    tags: p.tags,
                };
                (p.id, product)
            })
            .collect())
    }

    pub async fn availability(&self, products: &[String]) -> AppResult<HashMap<String, i64>> {
        let found = self
            .inventory
            .entities::<wire::Available>(
                "Product",
                products.iter().map(|id| id_key(id)),
                "id availableQuantity",
            )
            .await?;
        Ok(found.into_iter().flatten().map(|p| (p.id, p.available_quantity)).collect())
    }

    /// The customer's saved address with this id, if it is theirs.
    pub async fn address(&self, authorization: &str, id: &str) -> AppResult<Option<Value>> {
        let data: wire::MeData = self
            .users
            .query(
                "{ me { addresses { id name line1 line2 city region postalCode country phone } } }",
                json!({}),
                Some(authorization),
            )
            .await?;
        Ok(data.me.into_iter().flat_map(|me| me.addresses).find(|a| a["id"] == id))
    }

    /// Whether saved payment method `id` is the customer's (asked with
    /// their own token).
    pub async fn owns_payment_method(&self, authorization: &str, id: &str) -> AppResult<bool> {
        let data: wire::PaymentMethodsData = self
            .payments
            .query("{ paymentMethods { id } }", json!({}), Some(authorization))
            .await?;
        Ok(data.payment_methods.iter().any(|m| m.id == id))
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
        let data: wire::RatesData = self
            .shipping
            .query(
                "query($c: String!, $p: String!, $i: [RateItemInput!]!) { shippingRates(country: $c, postalCode: $p, items: $i) { id cost { amount currency } } }",
                json!({ "c": country, "p": postal_code, "i": items }),
                None,
            )
            .await?;
        Ok(data
            .shipping_rates
            .into_iter()
            .map(|r| ShippingQuote { id: r.id, amount: r.cost.amount, currency: r.cost.currency })
            .collect())
    }
}
