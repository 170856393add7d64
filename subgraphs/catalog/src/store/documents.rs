//! How catalog data is stored. Timestamps are milliseconds since the epoch,
//! which sort and compare the same on MongoDB and on SecantusDB.

use chrono::{DateTime, TimeZone, Utc};
use kit::money::Money;
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ProductDoc {
    #[serde(rename = "_id")]
    pub id: String,
    pub sku: String,
    pub slug: String,
    pub name: String,
    /// `name` folded, for sorting by name.
    pub name_key: String,
    pub description: String,
    pub price: Money,
    /// Image URLs typed in by an admin (the deprecated `images` shape).
    pub images: Vec<String>,
    /// Uploaded images, in upload order.
    #[serde(default)]
    pub media: Vec<MediaDoc>,
    pub category_id: Option<String>,
    pub tags: Vec<String>,
    pub weight_grams: i32,
    pub rating_sum: i64,
    pub review_count: i32,
    pub average_rating: Option<f64>,
    /// `average_rating`, or -1 when unrated, for sorting by rating.
    pub rating_key: f64,
    pub search_terms: Vec<String>,
    pub created_at_ms: i64,
    pub updated_at_ms: i64,
    #[serde(default)]
    pub deleted: bool,
    /// Events written with the change they describe, in the same atomic
    /// single-document write; the relay publishes and removes them.
    #[serde(default)]
    pub pending_events: Vec<PendingEvent>,
}

/// An uploaded image: its original file (stored under `id`) and variants.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct MediaDoc {
    pub id: String,
    pub alt: Option<String>,
    pub width: i32,
    pub height: i32,
    pub content_type: String,
    pub variants: Vec<VariantDoc>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct VariantDoc {
    /// The stored file's id.
    pub id: String,
    pub width: i32,
    pub height: i32,
    pub content_type: String,
}

/// An event waiting in its aggregate's document (see `events.rs`).
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PendingEvent {
    pub id: String,
    /// The serialized envelope.
    pub envelope: String,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CategoryDoc {
    #[serde(rename = "_id")]
    pub id: String,
    pub slug: String,
    pub name: String,
    pub parent_id: Option<String>,
    /// Every ancestor id, root first: descendant queries are one `$in`.
    pub ancestors: Vec<String>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ReviewDoc {
    #[serde(rename = "_id")]
    pub id: String,
    pub product_id: String,
    pub author_id: String,
    pub rating: i32,
    pub title: String,
    pub body: String,
    pub created_at_ms: i64,
}

pub fn now_ms() -> i64 {
    Utc::now().timestamp_millis()
}

pub fn to_datetime(ms: i64) -> DateTime<Utc> {
    Utc.timestamp_millis_opt(ms).single().unwrap_or_default()
}
