//! Promotions and discount codes as the API shows them.

use async_graphql::{Context, Enum, ID, Object, Result, dataloader::DataLoader};
use chrono::{DateTime, Utc};
use kit::money::Money;

use super::loaders::PromotionLoader;
use crate::promotions::repository::{AppliedRow, CodeRow, PromotionRow};

#[derive(Enum, Clone, Copy, PartialEq, Eq, Debug)]
pub enum RewardType {
    /// `percentage` off.
    Percentage,
    /// `amount` off.
    FixedAmount,
    /// The shipping cost off (discount codes only).
    FreeShipping,
}

impl RewardType {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Percentage => "PERCENTAGE",
            Self::FixedAmount => "FIXED_AMOUNT",
            Self::FreeShipping => "FREE_SHIPPING",
        }
    }

    fn parse(s: &str) -> Self {
        match s {
            "PERCENTAGE" => Self::Percentage,
            "FIXED_AMOUNT" => Self::FixedAmount,
            _ => Self::FreeShipping,
        }
    }
}

fn percentage(reward_type: &str, value: i64) -> Option<i32> {
    (reward_type == "PERCENTAGE").then(|| i32::try_from(value).unwrap_or(100))
}

fn amount(reward_type: &str, value: i64, currency: Option<&String>) -> Option<Money> {
    (reward_type == "FIXED_AMOUNT")
        .then(|| Money { amount: value, currency: currency.cloned().unwrap_or_default() })
}

fn in_window(starts: Option<DateTime<Utc>>, ends: Option<DateTime<Utc>>) -> bool {
    let now = Utc::now();
    starts.is_none_or(|t| t <= now) && ends.is_none_or(|t| now < t)
}

/// A sale: a price reduction that applies by itself to the products it
/// covers, within its window.
pub struct Promotion(pub PromotionRow);

#[Object]
impl Promotion {
    async fn id(&self) -> ID {
        ID(self.0.id.to_string())
    }
    async fn name(&self) -> &str {
        &self.0.name
    }
    async fn description(&self) -> Option<&str> {
        self.0.description.as_deref()
    }
    async fn reward_type(&self) -> RewardType {
        RewardType::parse(&self.0.reward_type)
    }
    /// For PERCENTAGE: 1-100.
    async fn percentage(&self) -> Option<i32> {
        percentage(&self.0.reward_type, self.0.reward_value)
    }
    /// For FIXED_AMOUNT: taken off each unit (prices in other currencies
    /// are left alone).
    async fn amount(&self) -> Option<Money> {
        amount(&self.0.reward_type, self.0.reward_value, self.0.currency.as_ref())
    }
    /// What is on sale: these products, the products in these categories
    /// (and the three levels below them), and products with these tags.
    /// All three empty: everything.
    async fn product_ids(&self) -> Vec<ID> {
        self.0.product_ids.iter().cloned().map(ID).collect()
    }
    async fn category_ids(&self) -> Vec<ID> {
        self.0.category_ids.iter().cloned().map(ID).collect()
    }
    async fn tags(&self) -> &[String] {
        &self.0.tags
    }
    async fn starts_at(&self) -> Option<DateTime<Utc>> {
        self.0.starts_at
    }
    async fn ends_at(&self) -> Option<DateTime<Utc>> {
        self.0.ends_at
    }
    async fn enabled(&self) -> bool {
        self.0.enabled
    }
    /// Enabled and within its window now.
    async fn is_active(&self) -> bool {
        self.0.enabled && in_window(self.0.starts_at, self.0.ends_at)
    }
    async fn created_at(&self) -> DateTime<Utc> {
        self.0.created_at
    }
    async fn updated_at(&self) -> DateTime<Utc> {
        self.0.updated_at
    }
}

/// A code customers type in at the cart. At most one per order.
pub struct DiscountCode(pub CodeRow);

#[Object]
impl DiscountCode {
    async fn id(&self) -> ID {
        ID(self.0.id.to_string())
    }
    /// Upper-case; customers may type it in any case.
    async fn code(&self) -> &str {
        &self.0.code
    }
    async fn description(&self) -> Option<&str> {
        self.0.description.as_deref()
    }
    async fn reward_type(&self) -> RewardType {
        RewardType::parse(&self.0.reward_type)
    }
    async fn percentage(&self) -> Option<i32> {
        percentage(&self.0.reward_type, self.0.reward_value)
    }
    /// For FIXED_AMOUNT: taken off the order's merchandise.
    async fn amount(&self) -> Option<Money> {
        amount(&self.0.reward_type, self.0.reward_value, self.0.currency.as_ref())
    }
    /// The merchandise subtotal, after sale prices, an order needs.
    async fn minimum_subtotal(&self) -> Option<Money> {
        self.0
            .minimum_subtotal
            .map(|amount| Money { amount, currency: self.0.currency.clone().unwrap_or_default() })
    }
    /// Orders that may use it, in all.
    async fn usage_limit(&self) -> Option<i32> {
        self.0.usage_limit
    }
    async fn usage_limit_per_customer(&self) -> Option<i32> {
        self.0.usage_limit_per_customer
    }
    /// Orders holding a use now: placed, and not cancelled or failed.
    async fn times_used(&self) -> i32 {
        self.0.times_used
    }
    /// When false, items already on sale do not count toward the code.
    async fn applies_to_sale_items(&self) -> bool {
        self.0.applies_to_sale_items
    }
    async fn starts_at(&self) -> Option<DateTime<Utc>> {
        self.0.starts_at
    }
    async fn ends_at(&self) -> Option<DateTime<Utc>> {
        self.0.ends_at
    }
    async fn enabled(&self) -> bool {
        self.0.enabled
    }
    async fn created_at(&self) -> DateTime<Utc> {
        self.0.created_at
    }
    async fn updated_at(&self) -> DateTime<Utc> {
        self.0.updated_at
    }
}

#[derive(Enum, Clone, Copy, PartialEq, Eq)]
pub enum AppliedPromotionKind {
    /// A sale price.
    Sale,
    DiscountCode,
}

/// What one promotion took off a cart or an order.
pub struct AppliedPromotion {
    pub row: AppliedRow,
    pub currency: String,
}

#[Object]
impl AppliedPromotion {
    async fn kind(&self) -> AppliedPromotionKind {
        if self.row.kind == "SALE" {
            AppliedPromotionKind::Sale
        } else {
            AppliedPromotionKind::DiscountCode
        }
    }
    /// The sale's name, or the code.
    async fn name(&self) -> &str {
        &self.row.name
    }
    async fn amount(&self) -> Money {
        Money { amount: self.row.amount, currency: self.currency.clone() }
    }
    /// The sale, while it exists (null for a code).
    async fn promotion(&self, ctx: &Context<'_>) -> Result<Option<Promotion>> {
        if self.row.kind != "SALE" {
            return Ok(None);
        }
        let loader = ctx.data_unchecked::<DataLoader<PromotionLoader>>();
        Ok(loader.load_one(self.row.source_id).await?.map(Promotion))
    }
}
