use sqlx::{PgConnection, PgExecutor};
use uuid::Uuid;

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct StockRow {
    pub product_id: String,
    pub warehouse_id: Uuid,
    pub on_hand: i32,
    pub reserved: i32,
}

impl StockRow {
    pub fn available(&self) -> i32 {
        self.on_hand - self.reserved
    }
}

const COLUMNS: &str = "product_id, warehouse_id, on_hand, reserved";

/// Per product: (on hand, reserved) summed over warehouses, in one query.
#[tracing::instrument(skip_all, fields(otel.kind = "client", db.system.name = "postgresql"))]
pub async fn totals(
    db: impl PgExecutor<'_>,
    products: &[String],
) -> sqlx::Result<Vec<(String, i64, i64)>> {
    sqlx::query_as(
        "SELECT product_id, sum(on_hand)::bigint, sum(reserved)::bigint FROM stock_levels
         WHERE product_id = ANY($1) GROUP BY product_id",
    )
    .bind(products)
    .fetch_all(db)
    .await
}

#[tracing::instrument(skip_all, fields(otel.kind = "client", db.system.name = "postgresql"))]
pub async fn for_products(
    db: impl PgExecutor<'_>,
    products: &[String],
) -> sqlx::Result<Vec<StockRow>> {
    sqlx::query_as(&format!("SELECT {COLUMNS} FROM stock_levels WHERE product_id = ANY($1) ORDER BY product_id, warehouse_id"))
        .bind(products)
        .fetch_all(db)
        .await
}

/// Locks the stock rows of these products in a fixed order (product, then
/// warehouse): concurrent reservations queue behind each other instead of
/// deadlocking.
#[tracing::instrument(skip_all, fields(otel.kind = "client", db.system.name = "postgresql"))]
pub async fn lock(conn: &mut PgConnection, products: &[String]) -> sqlx::Result<Vec<StockRow>> {
    sqlx::query_as(&format!(
        "SELECT {COLUMNS} FROM stock_levels WHERE product_id = ANY($1)
         ORDER BY product_id, warehouse_id FOR UPDATE"
    ))
    .bind(products)
    .fetch_all(conn)
    .await
}

#[tracing::instrument(skip_all, fields(otel.kind = "client", db.system.name = "postgresql"))]
pub async fn low(db: impl PgExecutor<'_>, threshold: i32) -> sqlx::Result<Vec<StockRow>> {
    sqlx::query_as(&format!(
        "SELECT {COLUMNS} FROM stock_levels WHERE on_hand - reserved <= $1 ORDER BY on_hand - reserved, product_id"
    ))
    .bind(threshold)
    .fetch_all(db)
    .await
}

/// Adds `delta` to on hand, creating the row on first use. Fails on the
/// table's checks if on hand would drop below zero or below what is reserved.
#[tracing::instrument(skip_all, fields(otel.kind = "client", db.system.name = "postgresql"))]
pub async fn adjust(
    conn: &mut PgConnection,
    product: &str,
    warehouse: Uuid,
    delta: i32,
) -> sqlx::Result<StockRow> {
    sqlx::query("INSERT INTO stock_levels (product_id, warehouse_id) VALUES ($1, $2) ON CONFLICT DO NOTHING")
        .bind(product)
        .bind(warehouse)
        .execute(&mut *conn)
        .await?;
    sqlx::query_as(&format!(
        "UPDATE stock_levels SET on_hand = on_hand + $3, updated_at = now()
         WHERE product_id = $1 AND warehouse_id = $2 RETURNING {COLUMNS}"
    ))
    .bind(product)
    .bind(warehouse)
    .bind(delta)
    .fetch_one(conn)
    .await
}

/// Moves `quantity` into (positive) or out of (negative) `reserved`.
#[tracing::instrument(skip_all, fields(otel.kind = "client", db.system.name = "postgresql"))]
pub async fn change_reserved(
    conn: &mut PgConnection,
    product: &str,
    warehouse: Uuid,
    quantity: i32,
) -> sqlx::Result<()> {
    sqlx::query("UPDATE stock_levels SET reserved = reserved + $3, updated_at = now() WHERE product_id = $1 AND warehouse_id = $2")
        .bind(product)
        .bind(warehouse)
        .bind(quantity)
        .execute(conn)
        .await?;
    Ok(())
}

/// Reserved stock leaves the building: on hand and reserved both drop.
#[tracing::instrument(skip_all, fields(otel.kind = "client", db.system.name = "postgresql"))]
pub async fn ship(
    conn: &mut PgConnection,
    product: &str,
    warehouse: Uuid,
    quantity: i32,
) -> sqlx::Result<()> {
    sqlx::query(
        "UPDATE stock_levels SET on_hand = on_hand - $3, reserved = reserved - $3, updated_at = now()
         WHERE product_id = $1 AND warehouse_id = $2",
    )
    .bind(product)
    .bind(warehouse)
    .bind(quantity)
    .execute(conn)
    .await?;
    Ok(())
}

#[tracing::instrument(skip_all, fields(otel.kind = "client", db.system.name = "postgresql"))]
pub async fn record(
    conn: &mut PgConnection,
    product: &str,
    warehouse: Uuid,
    delta: i32,
    reason: &str,
    actor: &str,
) -> sqlx::Result<()> {
    sqlx::query("INSERT INTO stock_ledger (product_id, warehouse_id, delta, reason, actor) VALUES ($1, $2, $3, $4, $5)")
        .bind(product)
        .bind(warehouse)
        .bind(delta)
        .bind(reason)
        .bind(actor)
        .execute(conn)
        .await?;
    Ok(())
}
