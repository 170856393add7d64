//! SQL for orders. Functions take a connection so callers decide the
//! transaction.

use chrono::{DateTime, Utc};
use serde_json::Value;
use sqlx::{PgConnection, PgExecutor};
use uuid::Uuid;

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct OrderRow {
    pub id: Uuid,
    pub number: String,
    pub customer_id: Uuid,
    pub status: String,
    pub currency: String,
    pub subtotal: i64,
    pub shipping_cost: i64,
    pub total: i64,
    pub discount: i64,
    pub discount_code: Option<String>,
    pub shipping_address: Value,
    pub placed_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct ItemRow {
    pub order_id: Uuid,
    pub product_id: String,
    pub product_name: String,
    pub quantity: i32,
    pub unit_price: i64,
    /// The catalog's price at checkout, before any sale (unknown for orders
    /// placed before promotions).
    pub list_price: Option<i64>,
}

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct HistoryRow {
    pub order_id: Uuid,
    pub status: String,
    pub reason: Option<String>,
    pub at: DateTime<Utc>,
}

const COLUMNS: &str = "id, number, customer_id, status, currency, subtotal, shipping_cost, total, discount, discount_code, shipping_address, placed_at, updated_at";

pub struct NewOrder<'a> {
    pub id: Uuid,
    pub customer_id: Uuid,
    pub currency: &'a str,
    pub subtotal: i64,
    pub shipping_cost: i64,
    /// Taken off by promotions: the code's share of the merchandise and,
    /// for free shipping, the shipping cost (sale prices are already in
    /// the subtotal).
    pub discount: i64,
    pub discount_code: Option<&'a str>,
    pub shipping_address: &'a Value,
    pub idempotency_key: &'a str,
}

/// Inserts a PENDING order; `None` when this customer already used the
/// idempotency key (the existing order is the answer).
#[tracing::instrument(skip_all, fields(otel.kind = "client", db.system.name = "postgresql"))]
pub async fn insert(
    conn: &mut PgConnection,
    order: &NewOrder<'_>,
) -> sqlx::Result<Option<OrderRow>> {
    sqlx::query_as(&format!(
        "INSERT INTO orders (id, number, customer_id, status, currency, subtotal, shipping_cost, total, discount, discount_code, shipping_address, idempotency_key)
         VALUES ($1, 'SG-' || lpad(nextval('order_numbers')::text, 6, '0'), $2, 'PENDING', $3, $4, $5, $4 + $5 - $6, $6, $7, $8, $9)
         ON CONFLICT (customer_id, idempotency_key) DO NOTHING
         RETURNING {COLUMNS}"
    ))
    .bind(order.id)
    .bind(order.customer_id)
    .bind(order.currency)
    .bind(order.subtotal)
    .bind(order.shipping_cost)
    .bind(order.discount)
    .bind(order.discount_code)
    .bind(order.shipping_address)
    .bind(order.idempotency_key)
    .fetch_optional(conn)
    .await
}

#[tracing::instrument(skip_all, fields(otel.kind = "client", db.system.name = "postgresql"))]
pub async fn insert_item(
    conn: &mut PgConnection,
    order_id: Uuid,
    position: i32,
    item: &ItemRow,
) -> sqlx::Result<()> {
    sqlx::query("INSERT INTO order_items (order_id, position, product_id, product_name, quantity, unit_price, list_price) VALUES ($1, $2, $3, $4, $5, $6, $7)")
        .bind(order_id)
        .bind(position)
        .bind(&item.product_id)
        .bind(&item.product_name)
        .bind(item.quantity)
        .bind(item.unit_price)
        .bind(item.list_price)
        .execute(conn)
        .await?;
    Ok(())
}

#[tracing::instrument(skip_all, fields(otel.kind = "client", db.system.name = "postgresql"))]
pub async fn by_idempotency_key(
    db: impl PgExecutor<'_>,
    customer: Uuid,
    key: &str,
) -> sqlx::Result<Option<OrderRow>> {
    sqlx::query_as(&format!(
        "SELECT {COLUMNS} FROM orders WHERE customer_id = $1 AND idempotency_key = $2"
    ))
    .bind(customer)
    .bind(key)
    .fetch_optional(db)
    .await
}

#[tracing::instrument(skip_all, fields(otel.kind = "client", db.system.name = "postgresql"))]
pub async fn by_ids(db: impl PgExecutor<'_>, ids: &[Uuid]) -> sqlx::Result<Vec<OrderRow>> {
    sqlx::query_as(&format!("SELECT {COLUMNS} FROM orders WHERE id = ANY($1)"))
        .bind(ids)
        .fetch_all(db)
        .await
}

#[tracing::instrument(skip_all, fields(otel.kind = "client", db.system.name = "postgresql"))]
pub async fn lock(conn: &mut PgConnection, id: Uuid) -> sqlx::Result<Option<OrderRow>> {
    sqlx::query_as(&format!("SELECT {COLUMNS} FROM orders WHERE id = $1 FOR UPDATE"))
        .bind(id)
        .fetch_optional(conn)
        .await
}

#[tracing::instrument(skip_all, fields(otel.kind = "client", db.system.name = "postgresql"))]
pub async fn set_status(
    conn: &mut PgConnection,
    id: Uuid,
    status: &str,
    reason: Option<&str>,
) -> sqlx::Result<OrderRow> {
    sqlx::query("INSERT INTO order_status_history (order_id, status, reason) VALUES ($1, $2, $3)")
        .bind(id)
        .bind(status)
        .bind(reason)
        .execute(&mut *conn)
        .await?;
    sqlx::query_as(&format!(
        "UPDATE orders SET status = $2, updated_at = now() WHERE id = $1 RETURNING {COLUMNS}"
    ))
    .bind(id)
    .bind(status)
    .fetch_one(conn)
    .await
}

#[tracing::instrument(skip_all, fields(otel.kind = "client", db.system.name = "postgresql"))]
pub async fn items_of(db: impl PgExecutor<'_>, orders: &[Uuid]) -> sqlx::Result<Vec<ItemRow>> {
    sqlx::query_as("SELECT order_id, product_id, product_name, quantity, unit_price, list_price FROM order_items WHERE order_id = ANY($1) ORDER BY order_id, position")
        .bind(orders)
        .fetch_all(db)
        .await
}

#[tracing::instrument(skip_all, fields(otel.kind = "client", db.system.name = "postgresql"))]
pub async fn history_of(db: impl PgExecutor<'_>, orders: &[Uuid]) -> sqlx::Result<Vec<HistoryRow>> {
    sqlx::query_as("SELECT order_id, status, reason, at FROM order_status_history WHERE order_id = ANY($1) ORDER BY order_id, id")
        .bind(orders)
        .fetch_all(db)
        .await
}

/// Newest first, keyset by (placed_at, id); `customer` or `status` narrow.
#[tracing::instrument(skip_all, fields(otel.kind = "client", db.system.name = "postgresql"))]
pub async fn page(
    db: impl PgExecutor<'_>,
    customer: Option<Uuid>,
    status: Option<&str>,
    after: Option<(DateTime<Utc>, Uuid)>,
    limit: i64,
) -> sqlx::Result<Vec<OrderRow>> {
    let (after_time, after_id) = after.unzip();
    sqlx::query_as(&format!(
        "SELECT {COLUMNS} FROM orders
         WHERE ($1::uuid IS NULL OR customer_id = $1) AND ($2::text IS NULL OR status = $2)
           AND ($3::timestamptz IS NULL OR (placed_at, id) < ($3, $4))
         ORDER BY placed_at DESC, id DESC LIMIT $5"
    ))
    .bind(customer)
    .bind(status)
    .bind(after_time)
    .bind(after_id)
    .bind(limit)
    .fetch_all(db)
    .await
}

#[tracing::instrument(skip_all, fields(otel.kind = "client", db.system.name = "postgresql"))]
pub async fn count(
    db: impl PgExecutor<'_>,
    customer: Option<Uuid>,
    status: Option<&str>,
) -> sqlx::Result<i64> {
    sqlx::query_scalar("SELECT count(*) FROM orders WHERE ($1::uuid IS NULL OR customer_id = $1) AND ($2::text IS NULL OR status = $2)")
        .bind(customer)
        .bind(status)
        .fetch_one(db)
        .await
}

/// PENDING orders placed before the cutoff, locked for the sweeper.
#[tracing::instrument(skip_all, fields(otel.kind = "client", db.system.name = "postgresql"))]
pub async fn stale_pending(
    conn: &mut PgConnection,
    older_than: DateTime<Utc>,
    limit: i64,
) -> sqlx::Result<Vec<Uuid>> {
    sqlx::query_scalar("SELECT id FROM orders WHERE status = 'PENDING' AND placed_at < $1 ORDER BY placed_at LIMIT $2 FOR UPDATE SKIP LOCKED")
        .bind(older_than)
        .bind(limit)
        .fetch_all(conn)
        .await
}
