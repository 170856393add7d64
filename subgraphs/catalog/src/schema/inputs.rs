use async_graphql::{ID, InputObject};
use kit::money::MoneyInput;

use crate::catalog::{NewProduct, ProductChanges, ProductQuery};

#[derive(InputObject)]
pub struct ProductInput {
    pub sku: String,
    pub name: String,
    pub description: String,
    pub price: MoneyInput,
    pub weight_grams: i32,
    pub category_id: Option<ID>,
    pub tags: Option<Vec<String>>,
    pub images: Option<Vec<String>>,
}

impl From<ProductInput> for NewProduct {
    fn from(input: ProductInput) -> Self {
        Self {
            sku: input.sku,
            name: input.name,
            description: input.description,
            price: input.price,
            weight_grams: input.weight_grams,
            category_id: input.category_id.map(|id| id.0),
            tags: input.tags.unwrap_or_default(),
            images: input.images.unwrap_or_default(),
        }
    }
}

#[derive(InputObject)]
pub struct ProductUpdateInput {
    pub name: Option<String>,
    pub description: Option<String>,
    pub price: Option<MoneyInput>,
    pub weight_grams: Option<i32>,
    pub category_id: Option<ID>,
    pub tags: Option<Vec<String>>,
    pub images: Option<Vec<String>>,
}

impl From<ProductUpdateInput> for ProductChanges {
    fn from(input: ProductUpdateInput) -> Self {
        Self {
            name: input.name,
            description: input.description,
            price: input.price,
            weight_grams: input.weight_grams,
            category_id: input.category_id.map(|id| id.0),
            tags: input.tags,
            images: input.images,
        }
    }
}

#[derive(InputObject)]
pub struct CategoryInput {
    pub name: String,
    pub parent_id: Option<ID>,
}

#[derive(InputObject)]
pub struct ReviewInput {
    pub rating: i32,
    pub title: String,
    pub body: String,
}

#[derive(InputObject, Default)]
pub struct ProductFilter {
    /// Matches words (and word prefixes) of the name, SKU and tags, case- and
    /// accent-insensitively.
    pub search: Option<String>,
    /// The category or any of its descendants.
    pub category_id: Option<ID>,
    /// Products carrying every one of these tags.
    pub tags: Option<Vec<String>>,
    /// Minor units, inclusive.
    pub min_price: Option<i64>,
    /// Minor units, inclusive.
    pub max_price: Option<i64>,
}

impl From<ProductFilter> for ProductQuery {
    fn from(filter: ProductFilter) -> Self {
        Self {
            search: filter.search,
            category_id: filter.category_id.map(|id| id.0),
            tags: filter.tags.unwrap_or_default(),
            min_price: filter.min_price,
            max_price: filter.max_price,
        }
    }
}
