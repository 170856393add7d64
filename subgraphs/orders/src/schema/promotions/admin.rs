//! Admin CRUD for sales and discount codes. Every change is announced as a
//! `promotion.*` event in the transaction that makes it.

use async_graphql::{Context, ID, InputObject, Object, Result};
use chrono::{DateTime, Utc};
use kit::{
    AppError, AppResult,
    auth::AdminOnly,
    error::parse_uuid,
    events::outbox,
    money::{Money, MoneyInput},
    pagination::PageRequest,
};
use sqlx::PgPool;
use uuid::Uuid;

use super::types::{DiscountCode, Promotion, RewardType};
use crate::promotions::{
    events, normalize_code,
    repository::{self, CodeFields, PromotionFields, Table},
};
use crate::schema::types::{cursor, parse_cursor};

kit::connection_types!(PromotionConnection, PromotionEdge, Promotion);
kit::connection_types!(DiscountCodeConnection, DiscountCodeEdge, DiscountCode);

/// A sale. Updates replace every field.
#[derive(InputObject)]
pub struct PromotionInput {
    pub name: String,
    pub description: Option<String>,
    /// PERCENTAGE or FIXED_AMOUNT.
    pub reward_type: RewardType,
    /// For PERCENTAGE: 1-100.
    pub percentage: Option<i32>,
    /// For FIXED_AMOUNT: taken off each unit priced in its currency.
    pub amount: Option<MoneyInput>,
    /// What is on sale (any match); all empty means everything.
    #[graphql(default)]
    pub product_ids: Vec<ID>,
    #[graphql(default)]
    pub category_ids: Vec<ID>,
    #[graphql(default)]
    pub tags: Vec<String>,
    pub starts_at: Option<DateTime<Utc>>,
    pub ends_at: Option<DateTime<Utc>>,
    #[graphql(default = true)]
    pub enabled: bool,
}

/// A discount code. Updates replace every field but the use count.
#[derive(InputObject)]
pub struct DiscountCodeInput {
    /// 1-40 letters, digits, `-` or `_`; stored upper-case.
    pub code: String,
    pub description: Option<String>,
    pub reward_type: RewardType,
    /// For PERCENTAGE: 1-100.
    pub percentage: Option<i32>,
    /// For FIXED_AMOUNT: taken off the order's merchandise.
    pub amount: Option<MoneyInput>,
    /// The merchandise subtotal (after sale prices) an order needs.
    pub minimum_subtotal: Option<MoneyInput>,
    /// Orders that may use it, in all; unlimited when null.
    pub usage_limit: Option<i32>,
    /// Orders each customer may use it on; unlimited when null.
    pub usage_limit_per_customer: Option<i32>,
    /// When false, items already on sale do not count toward the code.
    #[graphql(default = true)]
    pub applies_to_sale_items: bool,
    pub starts_at: Option<DateTime<Utc>>,
    pub ends_at: Option<DateTime<Utc>>,
    #[graphql(default = true)]
    pub enabled: bool,
}

/// (reward type, value, currency) from the reward fields.
fn reward(
    reward_type: RewardType,
    percentage: Option<i32>,
    amount: Option<&MoneyInput>,
) -> AppResult<(&'static str, i64, Option<String>)> {
    match (reward_type, percentage, amount) {
        (RewardType::Percentage, Some(p), None) if (1..=100).contains(&p) => {
            Ok((reward_type.as_str(), i64::from(p), None))
        }
        (RewardType::Percentage, ..) => {
            Err(AppError::bad_input("PERCENTAGE takes `percentage` (1-100) and no `amount`"))
        }
        (RewardType::FixedAmount, None, Some(amount)) => {
            let money = Money::parse(amount)?;
            if money.amount == 0 {
                return Err(AppError::bad_input("`amount` must be more than zero"));
            }
            Ok((reward_type.as_str(), money.amount, Some(money.currency)))
        }
        (RewardType::FixedAmount, ..) => {
            Err(AppError::bad_input("FIXED_AMOUNT takes `amount` and no `percentage`"))
        }
        (RewardType::FreeShipping, None, None) => Ok((reward_type.as_str(), 0, None)),
        (RewardType::FreeShipping, ..) => {
            Err(AppError::bad_input("FREE_SHIPPING takes neither `percentage` nor `amount`"))
        }
    }
}

fn text(field: &str, value: &str, max: usize) -> AppResult<String> {
    let value = value.trim();
    if value.is_empty() || value.chars().count() > max {
        return Err(AppError::bad_input(format!("`{field}` must be 1-{max} characters")));
    }
    Ok(value.to_owned())
}

fn description(value: Option<&str>) -> AppResult<Option<String>> {
    value.map(str::trim).filter(|d| !d.is_empty()).map(|d| text("description", d, 2000)).transpose()
}

fn window(starts: Option<DateTime<Utc>>, ends: Option<DateTime<Utc>>) -> AppResult<()> {
    if let (Some(s), Some(e)) = (starts, ends)
        && s >= e
    {
        return Err(AppError::bad_input("`startsAt` must come before `endsAt`"));
    }
    Ok(())
}

fn positive(field: &str, value: Option<i32>) -> AppResult<Option<i32>> {
    match value {
        Some(v) if v <= 0 => Err(AppError::bad_input(format!("`{field}` must be positive"))),
        v => Ok(v),
    }
}

/// A validated `PromotionInput`, owning what `PromotionFields` borrows.
struct Sale {
    name: String,
    description: Option<String>,
    reward: (&'static str, i64, Option<String>),
    product_ids: Vec<String>,
    category_ids: Vec<String>,
    tags: Vec<String>,
}

impl Sale {
    fn parse(input: &PromotionInput) -> AppResult<Self> {
        if input.reward_type == RewardType::FreeShipping {
            return Err(AppError::bad_input("a sale is PERCENTAGE or FIXED_AMOUNT"));
        }
        window(input.starts_at, input.ends_at)?;
        let ids = |ids: &[ID]| ids.iter().map(|id| id.trim().to_owned()).collect::<Vec<_>>();
        let targets = input.product_ids.len() + input.category_ids.len() + input.tags.len();
        if targets > 1000 {
            return Err(AppError::bad_input(
                "a sale names at most 1000 products, categories and tags",
            ));
        }
        Ok(Self {
            name: text("name", &input.name, 200)?,
            description: description(input.description.as_deref())?,
            reward: reward(input.reward_type, input.percentage, input.amount.as_ref())?,
            product_ids: ids(&input.product_ids),
            category_ids: ids(&input.category_ids),
            tags: input.tags.iter().map(|t| t.trim().to_owned()).collect(),
        })
    }

    fn fields<'a>(&'a self, input: &PromotionInput) -> PromotionFields<'a> {
        PromotionFields {
            name: &self.name,
            description: self.description.as_deref(),
            reward_type: self.reward.0,
            reward_value: self.reward.1,
            currency: self.reward.2.as_deref(),
            product_ids: &self.product_ids,
            category_ids: &self.category_ids,
            tags: &self.tags,
            starts_at: input.starts_at,
            ends_at: input.ends_at,
            enabled: input.enabled,
        }
    }
}

/// A validated `DiscountCodeInput`, owning what `CodeFields` borrows.
struct Code {
    code: String,
    description: Option<String>,
    reward: (&'static str, i64, Option<String>),
    minimum: Option<i64>,
}

impl Code {
    fn parse(input: &DiscountCodeInput) -> AppResult<Self> {
        window(input.starts_at, input.ends_at)?;
        positive("usageLimit", input.usage_limit)?;
        positive("usageLimitPerCustomer", input.usage_limit_per_customer)?;
        let mut reward = reward(input.reward_type, input.percentage, input.amount.as_ref())?;
        let minimum = input.minimum_subtotal.as_ref().map(Money::parse).transpose()?;
        if let Some(minimum) = &minimum {
            if minimum.amount == 0 {
                return Err(AppError::bad_input("`minimumSubtotal` must be more than zero"));
            }
            match &reward.2 {
                Some(currency) if *currency != minimum.currency => {
                    return Err(AppError::bad_input(
                        "`minimumSubtotal` must be in the currency of `amount`",
                    ));
                }
                _ => reward.2 = Some(minimum.currency.clone()),
            }
        }
        Ok(Self {
            code: normalize_code(&input.code)?,
            description: description(input.description.as_deref())?,
            reward,
            minimum: minimum.map(|m| m.amount),
        })
    }

    fn fields<'a>(&'a self, input: &DiscountCodeInput) -> CodeFields<'a> {
        CodeFields {
            code: &self.code,
            description: self.description.as_deref(),
            reward_type: self.reward.0,
            reward_value: self.reward.1,
            currency: self.reward.2.as_deref(),
            minimum_subtotal: self.minimum,
            usage_limit: input.usage_limit,
            usage_limit_per_customer: input.usage_limit_per_customer,
            applies_to_sale_items: input.applies_to_sale_items,
            starts_at: input.starts_at,
            ends_at: input.ends_at,
            enabled: input.enabled,
        }
    }
}

fn pool<'a>(ctx: &'a Context<'_>) -> &'a PgPool {
    ctx.data_unchecked::<PgPool>()
}

#[derive(Default)]
pub struct PromotionAdminQuery;

#[Object]
impl PromotionAdminQuery {
    /// Admin: every sale, newest first.
    #[graphql(guard = "AdminOnly", directive = kit::directives::policy::apply(kit::directives::admins()), directive = kit::directives::list_size::apply(kit::directives::page_size(), kit::directives::paged_by_first(), kit::directives::connection_edges(), Some(false)))]
    async fn promotions(
        &self,
        ctx: &Context<'_>,
        first: Option<i32>,
        after: Option<String>,
    ) -> Result<PromotionConnection> {
        let page = PageRequest::parse(first, after)?;
        let after = page.after.as_deref().map(parse_cursor).transpose()?;
        let rows = repository::promotion_page(pool(ctx), after, page.fetch_limit())
            .await
            .map_err(AppError::from)?;
        let total =
            repository::count(pool(ctx), Table::Promotions).await.map_err(AppError::from)?;
        let rows = rows.into_iter().map(Promotion).collect();
        Ok(PromotionConnection::new(rows, &page, total, |p| cursor(p.0.created_at, p.0.id)))
    }

    /// Admin: one sale, running or not.
    #[graphql(guard = "AdminOnly", directive = kit::directives::policy::apply(kit::directives::admins()))]
    async fn promotion(&self, ctx: &Context<'_>, id: ID) -> Result<Option<Promotion>> {
        let Ok(id) = Uuid::parse_str(&id) else { return Ok(None) };
        let rows = repository::promotions_by_ids(pool(ctx), &[id]).await.map_err(AppError::from)?;
        Ok(rows.into_iter().next().map(Promotion))
    }

    /// Admin: every discount code, newest first.
    #[graphql(guard = "AdminOnly", directive = kit::directives::policy::apply(kit::directives::admins()), directive = kit::directives::list_size::apply(kit::directives::page_size(), kit::directives::paged_by_first(), kit::directives::connection_edges(), Some(false)))]
    async fn discount_codes(
        &self,
        ctx: &Context<'_>,
        first: Option<i32>,
        after: Option<String>,
    ) -> Result<DiscountCodeConnection> {
        let page = PageRequest::parse(first, after)?;
        let after = page.after.as_deref().map(parse_cursor).transpose()?;
        let rows = repository::code_page(pool(ctx), after, page.fetch_limit())
            .await
            .map_err(AppError::from)?;
        let total =
            repository::count(pool(ctx), Table::DiscountCodes).await.map_err(AppError::from)?;
        let rows = rows.into_iter().map(DiscountCode).collect();
        Ok(DiscountCodeConnection::new(rows, &page, total, |c| cursor(c.0.created_at, c.0.id)))
    }

    /// Admin: a code by its text (any case).
    #[graphql(guard = "AdminOnly", directive = kit::directives::policy::apply(kit::directives::admins()))]
    async fn discount_code(&self, ctx: &Context<'_>, code: String) -> Result<Option<DiscountCode>> {
        let code = normalize_code(&code)?;
        let row = repository::code_by_code(pool(ctx), &code).await.map_err(AppError::from)?;
        Ok(row.map(DiscountCode))
    }
}

#[derive(Default)]
pub struct PromotionAdminMutation;

#[Object]
impl PromotionAdminMutation {
    /// Admin: a new sale.
    #[graphql(guard = "AdminOnly", directive = kit::directives::policy::apply(kit::directives::admins()))]
    async fn create_promotion(
        &self,
        ctx: &Context<'_>,
        input: PromotionInput,
    ) -> Result<Promotion> {
        let sale = Sale::parse(&input)?;
        let mut tx = pool(ctx).begin().await.map_err(AppError::from)?;
        let row = repository::insert_promotion(&mut tx, Uuid::now_v7(), &sale.fields(&input))
            .await
            .map_err(AppError::from)?;
        outbox::enqueue(&mut tx, &events::promotion(events::PROMOTION_CREATED, &row))
            .await
            .map_err(AppError::from)?;
        tx.commit().await.map_err(AppError::from)?;
        Ok(Promotion(row))
    }

    /// Admin: replaces a sale. Orders already placed keep their prices.
    #[graphql(guard = "AdminOnly", directive = kit::directives::policy::apply(kit::directives::admins()))]
    async fn update_promotion(
        &self,
        ctx: &Context<'_>,
        id: ID,
        input: PromotionInput,
    ) -> Result<Promotion> {
        let id = parse_uuid(&id, "promotion")?;
        let sale = Sale::parse(&input)?;
        let mut tx = pool(ctx).begin().await.map_err(AppError::from)?;
        let row = repository::update_promotion(&mut tx, id, &sale.fields(&input))
            .await
            .map_err(AppError::from)?
            .ok_or_else(|| AppError::not_found("promotion not found"))?;
        outbox::enqueue(&mut tx, &events::promotion(events::PROMOTION_UPDATED, &row))
            .await
            .map_err(AppError::from)?;
        tx.commit().await.map_err(AppError::from)?;
        Ok(Promotion(row))
    }

    /// Admin: ends and forgets a sale; placed orders keep its name.
    #[graphql(guard = "AdminOnly", directive = kit::directives::policy::apply(kit::directives::admins()))]
    async fn delete_promotion(&self, ctx: &Context<'_>, id: ID) -> Result<bool> {
        let id = parse_uuid(&id, "promotion")?;
        let mut tx = pool(ctx).begin().await.map_err(AppError::from)?;
        if !repository::delete_promotion(&mut tx, id).await.map_err(AppError::from)? {
            return Err(AppError::not_found("promotion not found").into());
        }
        outbox::enqueue(&mut tx, &events::promotion_deleted(id)).await.map_err(AppError::from)?;
        tx.commit().await.map_err(AppError::from)?;
        Ok(true)
    }

    /// Admin: a new discount code; CONFLICT if the code exists.
    #[graphql(guard = "AdminOnly", directive = kit::directives::policy::apply(kit::directives::admins()))]
    async fn create_discount_code(
        &self,
        ctx: &Context<'_>,
        input: DiscountCodeInput,
    ) -> Result<DiscountCode> {
        let code = Code::parse(&input)?;
        let mut tx = pool(ctx).begin().await.map_err(AppError::from)?;
        let row = repository::insert_code(&mut tx, Uuid::now_v7(), &code.fields(&input))
            .await
            .map_err(AppError::from)?
            .ok_or_else(|| AppError::conflict(format!("code {} exists", code.code)))?;
        outbox::enqueue(&mut tx, &events::code(events::CODE_CREATED, &row))
            .await
            .map_err(AppError::from)?;
        tx.commit().await.map_err(AppError::from)?;
        Ok(DiscountCode(row))
    }

    /// Admin: replaces a code's terms; its use count stays. A usage limit
    /// below the uses already made is BAD_USER_INPUT.
    #[graphql(guard = "AdminOnly", directive = kit::directives::policy::apply(kit::directives::admins()))]
    async fn update_discount_code(
        &self,
        ctx: &Context<'_>,
        id: ID,
        input: DiscountCodeInput,
    ) -> Result<DiscountCode> {
        let id = parse_uuid(&id, "discount code")?;
        let code = Code::parse(&input)?;
        let mut tx = pool(ctx).begin().await.map_err(AppError::from)?;
        let updated = repository::update_code(&mut tx, id, &code.fields(&input)).await;
        let row = match updated {
            Ok(Some(row)) => row,
            Ok(None) => return Err(AppError::not_found("discount code not found").into()),
            Err(e) => return Err(constraint_error(e, &code.code).into()),
        };
        outbox::enqueue(&mut tx, &events::code(events::CODE_UPDATED, &row))
            .await
            .map_err(AppError::from)?;
        tx.commit().await.map_err(AppError::from)?;
        Ok(DiscountCode(row))
    }

    /// Admin: deletes a code no order has used. A used code is kept for
    /// the orders' history: disable it instead (CONFLICT).
    #[graphql(guard = "AdminOnly", directive = kit::directives::policy::apply(kit::directives::admins()))]
    async fn delete_discount_code(&self, ctx: &Context<'_>, id: ID) -> Result<bool> {
        let id = parse_uuid(&id, "discount code")?;
        let mut tx = pool(ctx).begin().await.map_err(AppError::from)?;
        if !repository::delete_unused_code(&mut tx, id).await.map_err(AppError::from)? {
            let exists = repository::code_by_id(&mut *tx, id).await.map_err(AppError::from)?;
            return Err(match exists {
                Some(_) => AppError::conflict("the code has been used; disable it instead"),
                None => AppError::not_found("discount code not found"),
            }
            .into());
        }
        outbox::enqueue(&mut tx, &events::code_deleted(id)).await.map_err(AppError::from)?;
        tx.commit().await.map_err(AppError::from)?;
        Ok(true)
    }
}

/// The code's text taken, or its limit below its uses, are the client's
/// to fix; anything else is ours.
fn constraint_error(error: sqlx::Error, code: &str) -> AppError {
    if let sqlx::Error::Database(db) = &error {
        if db.is_unique_violation() {
            return AppError::conflict(format!("code {code} exists"));
        }
        if db.is_check_violation() {
            return AppError::bad_input("`usageLimit` is below the uses already made");
        }
    }
    AppError::from(error)
}
