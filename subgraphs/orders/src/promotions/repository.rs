//! SQL for promotions, discount codes and their uses.

use chrono::{DateTime, Utc};
use sqlx::{PgConnection, PgExecutor};
use uuid::Uuid;

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct PromotionRow {
    pub id: Uuid,
    pub name: String,
    pub description: Option<String>,
    pub reward_type: String,
    pub reward_value: i64,
    pub currency: Option<String>,
    pub product_ids: Vec<String>,
    pub category_ids: Vec<String>,
    pub tags: Vec<String>,
    pub starts_at: Option<DateTime<Utc>>,
    pub ends_at: Option<DateTime<Utc>>,
    pub enabled: bool,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct CodeRow {
    pub id: Uuid,
    pub code: String,
    pub description: Option<String>,
    pub reward_type: String,
    pub reward_value: i64,
    pub currency: Option<String>,
    pub minimum_subtotal: Option<i64>,
    pub usage_limit: Option<i32>,
    pub usage_limit_per_customer: Option<i32>,
    pub applies_to_sale_items: bool,
    pub starts_at: Option<DateTime<Utc>>,
    pub ends_at: Option<DateTime<Utc>>,
    pub enabled: bool,
    pub times_used: i32,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

/// What was taken off an order, as recorded at checkout.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct AppliedRow {
    pub order_id: Uuid,
    pub kind: String,
    pub source_id: Uuid,
    pub name: String,
    pub amount: i64,
}

const PROMOTION_COLUMNS: &str = "id, name, description, reward_type, reward_value, currency, product_ids, category_ids, tags, starts_at, ends_at, enabled, created_at, updated_at";
const CODE_COLUMNS: &str = "id, code, description, reward_type, reward_value, currency, minimum_subtotal, usage_limit, usage_limit_per_customer, applies_to_sale_items, starts_at, ends_at, enabled, times_used, created_at, updated_at";

/// A promotion as written by an admin (every field; updates replace).
pub struct PromotionFields<'a> {
    pub name: &'a str,
    pub description: Option<&'a str>,
    pub reward_type: &'a str,
    pub reward_value: i64,
    pub currency: Option<&'a str>,
    pub product_ids: &'a [String],
    pub category_ids: &'a [String],
    pub tags: &'a [String],
    pub starts_at: Option<DateTime<Utc>>,
    pub ends_at: Option<DateTime<Utc>>,
    pub enabled: bool,
}

/// A discount code as written by an admin (every field; updates replace).
pub struct CodeFields<'a> {
    pub code: &'a str,
    pub description: Option<&'a str>,
    pub reward_type: &'a str,
    pub reward_value: i64,
    pub currency: Option<&'a str>,
    pub minimum_subtotal: Option<i64>,
    pub usage_limit: Option<i32>,
    pub usage_limit_per_customer: Option<i32>,
    pub applies_to_sale_items: bool,
    pub starts_at: Option<DateTime<Utc>>,
    pub ends_at: Option<DateTime<Utc>>,
    pub enabled: bool,
}

/// Enabled sales whose window holds `now`.
#[tracing::instrument(skip_all, fields(otel.kind = "client", db.system.name = "postgresql"))]
pub async fn active_sales(
    db: impl PgExecutor<'_>,
    now: DateTime<Utc>,
) -> sqlx::Result<Vec<PromotionRow>> {
    sqlx::query_as(&format!(
        "SELECT {PROMOTION_COLUMNS} FROM promotions
         WHERE enabled AND (starts_at IS NULL OR starts_at <= $1) AND (ends_at IS NULL OR ends_at > $1)"
    ))
    .bind(now)
    .fetch_all(db)
    .await
}

#[tracing::instrument(skip_all, fields(otel.kind = "client", db.system.name = "postgresql"))]
pub async fn promotions_by_ids(
    db: impl PgExecutor<'_>,
    ids: &[Uuid],
) -> sqlx::Result<Vec<PromotionRow>> {
    sqlx::query_as(&format!("SELECT {PROMOTION_COLUMNS} FROM promotions WHERE id = ANY($1)"))
        .bind(ids)
        .fetch_all(db)
        .await
}

/// Newest first, after the (created_at, id) cursor.
#[tracing::instrument(skip_all, fields(otel.kind = "client", db.system.name = "postgresql"))]
pub async fn promotion_page(
    db: impl PgExecutor<'_>,
    after: Option<(DateTime<Utc>, Uuid)>,
    limit: i64,
) -> sqlx::Result<Vec<PromotionRow>> {
    sqlx::query_as(&format!(
        "SELECT {PROMOTION_COLUMNS} FROM promotions
         WHERE $1::timestamptz IS NULL OR (created_at, id) < ($1, $2)
         ORDER BY created_at DESC, id DESC LIMIT $3"
    ))
    .bind(after.map(|a| a.0))
    .bind(after.map(|a| a.1))
    .bind(limit)
    .fetch_all(db)
    .await
}

#[tracing::instrument(skip_all, fields(otel.kind = "client", db.system.name = "postgresql"))]
pub async fn count(db: impl PgExecutor<'_>, table: Table) -> sqlx::Result<i64> {
    let sql = match table {
        Table::Promotions => "SELECT count(*) FROM promotions",
        Table::DiscountCodes => "SELECT count(*) FROM discount_codes",
    };
    sqlx::query_scalar(sql).fetch_one(db).await
}

#[derive(Clone, Copy)]
pub enum Table {
    Promotions,
    DiscountCodes,
}

#[tracing::instrument(skip_all, fields(otel.kind = "client", db.system.name = "postgresql"))]
pub async fn insert_promotion(
    conn: &mut PgConnection,
    id: Uuid,
    fields: &PromotionFields<'_>,
) -> sqlx::Result<PromotionRow> {
    sqlx::query_as(&format!(
        "INSERT INTO promotions (id, name, description, reward_type, reward_value, currency, product_ids, category_ids, tags, starts_at, ends_at, enabled)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12) RETURNING {PROMOTION_COLUMNS}"
    ))
    .bind(id)
    .bind(fields.name)
    .bind(fields.description)
    .bind(fields.reward_type)
    .bind(fields.reward_value)
    .bind(fields.currency)
    .bind(fields.product_ids)
    .bind(fields.category_ids)
    .bind(fields.tags)
    .bind(fields.starts_at)
    .bind(fields.ends_at)
    .bind(fields.enabled)
    .fetch_one(conn)
    .await
}

#[tracing::instrument(skip_all, fields(otel.kind = "client", db.system.name = "postgresql"))]
pub async fn update_promotion(
    conn: &mut PgConnection,
    id: Uuid,
    fields: &PromotionFields<'_>,
) -> sqlx::Result<Option<PromotionRow>> {
    sqlx::query_as(&format!(
        "UPDATE promotions SET name = $2, description = $3, reward_type = $4, reward_value = $5, currency = $6,
             product_ids = $7, category_ids = $8, tags = $9, starts_at = $10, ends_at = $11, enabled = $12, updated_at = now()
         WHERE id = $1 RETURNING {PROMOTION_COLUMNS}"
    ))
    .bind(id)
    .bind(fields.name)
    .bind(fields.description)
    .bind(fields.reward_type)
    .bind(fields.reward_value)
    .bind(fields.currency)
    .bind(fields.product_ids)
    .bind(fields.category_ids)
    .bind(fields.tags)
    .bind(fields.starts_at)
    .bind(fields.ends_at)
    .bind(fields.enabled)
    .fetch_optional(conn)
    .await
}

#[tracing::instrument(skip_all, fields(otel.kind = "client", db.system.name = "postgresql"))]
pub async fn delete_promotion(conn: &mut PgConnection, id: Uuid) -> sqlx::Result<bool> {
    let done = sqlx::query("DELETE FROM promotions WHERE id = $1").bind(id).execute(conn).await?;
    Ok(done.rows_affected() == 1)
}

#[tracing::instrument(skip_all, fields(otel.kind = "client", db.system.name = "postgresql"))]
pub async fn code_by_code(db: impl PgExecutor<'_>, code: &str) -> sqlx::Result<Option<CodeRow>> {
    sqlx::query_as(&format!("SELECT {CODE_COLUMNS} FROM discount_codes WHERE code = $1"))
        .bind(code)
        .fetch_optional(db)
        .await
}

#[tracing::instrument(skip_all, fields(otel.kind = "client", db.system.name = "postgresql"))]
pub async fn code_by_id(db: impl PgExecutor<'_>, id: Uuid) -> sqlx::Result<Option<CodeRow>> {
    sqlx::query_as(&format!("SELECT {CODE_COLUMNS} FROM discount_codes WHERE id = $1"))
        .bind(id)
        .fetch_optional(db)
        .await
}

/// Newest first, after the (created_at, id) cursor.
#[tracing::instrument(skip_all, fields(otel.kind = "client", db.system.name = "postgresql"))]
pub async fn code_page(
    db: impl PgExecutor<'_>,
    after: Option<(DateTime<Utc>, Uuid)>,
    limit: i64,
) -> sqlx::Result<Vec<CodeRow>> {
    sqlx::query_as(&format!(
        "SELECT {CODE_COLUMNS} FROM discount_codes
         WHERE $1::timestamptz IS NULL OR (created_at, id) < ($1, $2)
         ORDER BY created_at DESC, id DESC LIMIT $3"
    ))
    .bind(after.map(|a| a.0))
    .bind(after.map(|a| a.1))
    .bind(limit)
    .fetch_all(db)
    .await
}

/// `None` when another code already has this text.
#[tracing::instrument(skip_all, fields(otel.kind = "client", db.system.name = "postgresql"))]
pub async fn insert_code(
    conn: &mut PgConnection,
    id: Uuid,
    fields: &CodeFields<'_>,
) -> sqlx::Result<Option<CodeRow>> {
    sqlx::query_as(&format!(
        "INSERT INTO discount_codes (id, code, description, reward_type, reward_value, currency, minimum_subtotal,
             usage_limit, usage_limit_per_customer, applies_to_sale_items, starts_at, ends_at, enabled)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)
         ON CONFLICT (code) DO NOTHING RETURNING {CODE_COLUMNS}"
    ))
    .bind(id)
    .bind(fields.code)
    .bind(fields.description)
    .bind(fields.reward_type)
    .bind(fields.reward_value)
    .bind(fields.currency)
    .bind(fields.minimum_subtotal)
    .bind(fields.usage_limit)
    .bind(fields.usage_limit_per_customer)
    .bind(fields.applies_to_sale_items)
    .bind(fields.starts_at)
    .bind(fields.ends_at)
    .bind(fields.enabled)
    .fetch_optional(conn)
    .await
}

/// Replaces every field but the use count. A usage limit below the uses
/// already made breaks a CHECK, which the caller reports.
#[tracing::instrument(skip_all, fields(otel.kind = "client", db.system.name = "postgresql"))]
pub async fn update_code(
    conn: &mut PgConnection,
    id: Uuid,
    fields: &CodeFields<'_>,
) -> sqlx::Result<Option<CodeRow>> {
    sqlx::query_as(&format!(
        "UPDATE discount_codes SET code = $2, description = $3, reward_type = $4, reward_value = $5, currency = $6,
             minimum_subtotal = $7, usage_limit = $8, usage_limit_per_customer = $9, applies_to_sale_items = $10,
             starts_at = $11, ends_at = $12, enabled = $13, updated_at = now()
         WHERE id = $1 RETURNING {CODE_COLUMNS}"
    ))
    .bind(id)
    .bind(fields.code)
    .bind(fields.description)
    .bind(fields.reward_type)
    .bind(fields.reward_value)
    .bind(fields.currency)
    .bind(fields.minimum_subtotal)
    .bind(fields.usage_limit)
    .bind(fields.usage_limit_per_customer)
    .bind(fields.applies_to_sale_items)
    .bind(fields.starts_at)
    .bind(fields.ends_at)
    .bind(fields.enabled)
    .fetch_optional(conn)
    .await
}

/// Deletes a code no order has used; `false` if it was used or is gone.
#[tracing::instrument(skip_all, fields(otel.kind = "client", db.system.name = "postgresql"))]
pub async fn delete_unused_code(conn: &mut PgConnection, id: Uuid) -> sqlx::Result<bool> {
    let done = sqlx::query(
        "DELETE FROM discount_codes WHERE id = $1
         AND NOT EXISTS (SELECT 1 FROM discount_code_redemptions WHERE code_id = $1)",
    )
    .bind(id)
    .execute(conn)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// The code, locked until the transaction ends: every use of one code is
/// counted one after another, so its limits hold under any concurrency.
#[tracing::instrument(skip_all, fields(otel.kind = "client", db.system.name = "postgresql"))]
pub async fn lock_code(conn: &mut PgConnection, id: Uuid) -> sqlx::Result<Option<CodeRow>> {
    sqlx::query_as(&format!("SELECT {CODE_COLUMNS} FROM discount_codes WHERE id = $1 FOR UPDATE"))
        .bind(id)
        .fetch_optional(conn)
        .await
}

/// Uses of a code a customer holds now.
#[tracing::instrument(skip_all, fields(otel.kind = "client", db.system.name = "postgresql"))]
pub async fn customer_uses(
    db: impl PgExecutor<'_>,
    code: Uuid,
    customer: Uuid,
) -> sqlx::Result<i64> {
    sqlx::query_scalar(
        "SELECT count(*) FROM discount_code_redemptions
         WHERE code_id = $1 AND customer_id = $2 AND released_at IS NULL",
    )
    .bind(code)
    .bind(customer)
    .fetch_one(db)
    .await
}

/// Counts one use of a (locked) code by an order.
#[tracing::instrument(skip_all, fields(otel.kind = "client", db.system.name = "postgresql"))]
pub async fn redeem(
    conn: &mut PgConnection,
    code: Uuid,
    order: Uuid,
    customer: Uuid,
    amount: i64,
) -> sqlx::Result<()> {
    sqlx::query(
        "INSERT INTO discount_code_redemptions (order_id, code_id, customer_id, amount) VALUES ($1, $2, $3, $4)",
    )
    .bind(order)
    .bind(code)
    .bind(customer)
    .bind(amount)
    .execute(&mut *conn)
    .await?;
    sqlx::query("UPDATE discount_codes SET times_used = times_used + 1 WHERE id = $1")
        .bind(code)
        .execute(conn)
        .await?;
    Ok(())
}

/// Gives an order's use of its code back, once; the code's id and text if
/// there was a use to give back.
#[tracing::instrument(skip_all, fields(otel.kind = "client", db.system.name = "postgresql"))]
pub async fn release(conn: &mut PgConnection, order: Uuid) -> sqlx::Result<Option<(Uuid, String)>> {
    let released: Option<Uuid> = sqlx::query_scalar(
        "UPDATE discount_code_redemptions SET released_at = now()
         WHERE order_id = $1 AND released_at IS NULL RETURNING code_id",
    )
    .bind(order)
    .fetch_optional(&mut *conn)
    .await?;
    let Some(code) = released else { return Ok(None) };
    let text: String = sqlx::query_scalar(
        "UPDATE discount_codes SET times_used = times_used - 1 WHERE id = $1 RETURNING code",
    )
    .bind(code)
    .fetch_one(conn)
    .await?;
    Ok(Some((code, text)))
}

#[tracing::instrument(skip_all, fields(otel.kind = "client", db.system.name = "postgresql"))]
pub async fn record_applied(
    conn: &mut PgConnection,
    order: Uuid,
    applied: &[(String, Uuid, String, i64)],
) -> sqlx::Result<()> {
    for (position, (kind, source, name, amount)) in applied.iter().enumerate() {
        sqlx::query(
            "INSERT INTO order_promotions (order_id, position, kind, source_id, name, amount) VALUES ($1, $2, $3, $4, $5, $6)",
        )
        .bind(order)
        .bind(position as i32)
        .bind(kind)
        .bind(source)
        .bind(name)
        .bind(amount)
        .execute(&mut *conn)
        .await?;
    }
    Ok(())
}

#[tracing::instrument(skip_all, fields(otel.kind = "client", db.system.name = "postgresql"))]
pub async fn applied_to(db: impl PgExecutor<'_>, orders: &[Uuid]) -> sqlx::Result<Vec<AppliedRow>> {
    sqlx::query_as(
        "SELECT order_id, kind, source_id, name, amount FROM order_promotions
         WHERE order_id = ANY($1) ORDER BY order_id, position",
    )
    .bind(orders)
    .fetch_all(db)
    .await
}

/// The code a customer has applied to their cart, if any.
#[tracing::instrument(skip_all, fields(otel.kind = "client", db.system.name = "postgresql"))]
pub async fn cart_code(db: impl PgExecutor<'_>, customer: Uuid) -> sqlx::Result<Option<String>> {
    sqlx::query_scalar("SELECT code FROM cart_discount_codes WHERE customer_id = $1")
        .bind(customer)
        .fetch_optional(db)
        .await
}

#[tracing::instrument(skip_all, fields(otel.kind = "client", db.system.name = "postgresql"))]
pub async fn set_cart_code(
    db: impl PgExecutor<'_>,
    customer: Uuid,
    code: Option<&str>,
) -> sqlx::Result<()> {
    match code {
        Some(code) => sqlx::query(
            "INSERT INTO cart_discount_codes (customer_id, code) VALUES ($1, $2)
             ON CONFLICT (customer_id) DO UPDATE SET code = EXCLUDED.code, applied_at = now()",
        )
        .bind(customer)
        .bind(code),
        None => {
            sqlx::query("DELETE FROM cart_discount_codes WHERE customer_id = $1").bind(customer)
        }
    }
    .execute(db)
    .await?;
    Ok(())
}
