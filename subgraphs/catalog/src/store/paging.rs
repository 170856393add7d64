//! Keyset pagination over products. A cursor holds the sort value and id of
//! the last row seen, so pages stay stable when products are inserted.

use kit::{AppError, pagination};
use mongodb::bson::{Bson, Document, doc};
use serde_json::{Value, json};

use super::documents::ProductDoc;

#[derive(Debug, Clone, Copy, PartialEq, Eq, async_graphql::Enum)]
pub enum ProductSort {
    Newest,
    PriceAsc,
    PriceDesc,
    Rating,
    Name,
}

impl ProductSort {
    fn field(self) -> &'static str {
        match self {
            Self::Newest => "createdAtMs",
            Self::PriceAsc | Self::PriceDesc => "price.amount",
            Self::Rating => "ratingKey",
            Self::Name => "nameKey",
        }
    }

    fn ascending(self) -> bool {
        matches!(self, Self::PriceAsc | Self::Name)
    }

    pub fn sort(self) -> Document {
        let direction = if self.ascending() { 1 } else { -1 };
        doc! { self.field(): direction, "_id": direction }
    }

    pub fn cursor(self, product: &ProductDoc) -> String {
        let value = match self {
            Self::Newest => json!(product.created_at_ms),
            Self::PriceAsc | Self::PriceDesc => json!(product.price.amount),
            Self::Rating => json!(product.rating_key),
            Self::Name => json!(product.name_key),
        };
        json!({ "v": value, "id": product.id }).to_string()
    }

    /// Rows strictly after the (decoded) cursor in this order.
    pub fn after(self, cursor: &str) -> Result<Document, AppError> {
        let invalid = || AppError::bad_input("invalid `after` cursor");
        let parsed: Value = serde_json::from_str(cursor).map_err(|_| invalid())?;
        let id = parsed["id"].as_str().ok_or_else(invalid)?.to_owned();
        let value = match (self, &parsed["v"]) {
            (Self::Name, Value::String(s)) => Bson::String(s.clone()),
            (Self::Rating, v) => Bson::Double(v.as_f64().ok_or_else(invalid)?),
            (_, v) => Bson::Int64(v.as_i64().ok_or_else(invalid)?),
        };
        let op = if self.ascending() { "$gt" } else { "$lt" };
        let field = self.field();
        Ok(doc! { "$or": [
            { field: { op: value.clone() } },
            { field: value, "_id": { op: id } },
        ] })
    }
}

/// Decodes `after` for `sort`.
pub fn after_filter(
    sort: ProductSort,
    page: &pagination::PageRequest,
) -> Result<Option<Document>, AppError> {
    page.after.as_deref().map(|c| sort.after(c)).transpose()
}
