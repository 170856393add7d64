use chrono::{DateTime, Utc};
use sqlx::{PgConnection, PgExecutor};
use uuid::Uuid;

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct ReservationRow {
    pub status: String,
    pub reason: Option<String>,
    pub expires_at: DateTime<Utc>,
}

#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct ReservedItem {
    pub product_id: String,
    pub warehouse_id: Uuid,
    pub quantity: i32,
}

/// Claims the order id. `false` if a reservation for it already exists (or
/// is being made by a concurrent caller, whom this waits for).
#[tracing::instrument(skip_all, fields(otel.kind = "client", db.system.name = "postgresql"))]
pub async fn claim(
    conn: &mut PgConnection,
    order_id: &str,
    expires_at: DateTime<Utc>,
) -> sqlx::Result<bool> {
    let inserted = sqlx::query(
        "INSERT INTO reservations (order_id, status, expires_at) VALUES ($1, 'RESERVED', $2) ON CONFLICT DO NOTHING",
    )
    .bind(order_id)
    .bind(expires_at)
    .execute(conn)
    .await?;
    Ok(inserted.rows_affected() == 1)
}

#[tracing::instrument(skip_all, fields(otel.kind = "client", db.system.name = "postgresql"))]
pub async fn find(db: impl PgExecutor<'_>, order_id: &str) -> sqlx::Result<Option<ReservationRow>> {
    sqlx::query_as("SELECT status, reason, expires_at FROM reservations WHERE order_id = $1")
        .bind(order_id)
        .fetch_optional(db)
        .await
}

#[tracing::instrument(skip_all, fields(otel.kind = "client", db.system.name = "postgresql"))]
pub async fn lock(conn: &mut PgConnection, order_id: &str) -> sqlx::Result<Option<ReservationRow>> {
    sqlx::query_as(
        "SELECT status, reason, expires_at FROM reservations WHERE order_id = $1 FOR UPDATE",
    )
    .bind(order_id)
    .fetch_optional(conn)
    .await
}

#[tracing::instrument(skip_all, fields(otel.kind = "client", db.system.name = "postgresql"))]
pub async fn set_status(
    conn: &mut PgConnection,
    order_id: &str,
    status: &str,
    reason: Option<&str>,
) -> sqlx::Result<()> {
    sqlx::query(
        "UPDATE reservations SET status = $2, reason = $3, updated_at = now() WHERE order_id = $1",
    )
    .bind(order_id)
    .bind(status)
    .bind(reason)
    .execute(conn)
    .await?;
    Ok(())
}

#[tracing::instrument(skip_all, fields(otel.kind = "client", db.system.name = "postgresql"))]
pub async fn add_item(
    conn: &mut PgConnection,
    order_id: &str,
    item: &ReservedItem,
) -> sqlx::Result<()> {
    sqlx::query("INSERT INTO reservation_items (order_id, product_id, warehouse_id, quantity) VALUES ($1, $2, $3, $4)")
        .bind(order_id)
        .bind(&item.product_id)
        .bind(item.warehouse_id)
        .bind(item.quantity)
        .execute(conn)
        .await?;
    Ok(())
}

#[tracing::instrument(skip_all, fields(otel.kind = "client", db.system.name = "postgresql"))]
pub async fn items(db: impl PgExecutor<'_>, order_id: &str) -> sqlx::Result<Vec<ReservedItem>> {
    sqlx::query_as("SELECT product_id, warehouse_id, quantity FROM reservation_items WHERE order_id = $1 ORDER BY product_id, warehouse_id")
        .bind(order_id)
        .fetch_all(db)
        .await
}

/// Orders whose hold has run out; locked and skipped by concurrent sweepers.
#[tracing::instrument(skip_all, fields(otel.kind = "client", db.system.name = "postgresql"))]
pub async fn expired(conn: &mut PgConnection, limit: i64) -> sqlx::Result<Vec<String>> {
    sqlx::query_scalar(
        "SELECT order_id FROM reservations WHERE status = 'RESERVED' AND expires_at < now()
         ORDER BY expires_at LIMIT $1 FOR UPDATE SKIP LOCKED",
    )
    .bind(limit)
    .fetch_all(conn)
    .await
}
