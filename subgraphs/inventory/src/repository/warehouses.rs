use sqlx::PgExecutor;
use uuid::Uuid;

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct WarehouseRow {
    pub id: Uuid,
    pub code: String,
    pub name: String,
    pub country: String,
}

#[tracing::instrument(skip_all, fields(otel.kind = "client", db.system.name = "postgresql"))]
pub async fn insert(
    db: impl PgExecutor<'_>,
    id: Uuid,
    code: &str,
    name: &str,
    country: &str,
) -> sqlx::Result<WarehouseRow> {
    sqlx::query_as("INSERT INTO warehouses (id, code, name, country) VALUES ($1, $2, $3, $4) RETURNING id, code, name, country")
        .bind(id)
        .bind(code)
        .bind(name)
        .bind(country)
        .fetch_one(db)
        .await
}

#[tracing::instrument(skip_all, fields(otel.kind = "client", db.system.name = "postgresql"))]
pub async fn all(db: impl PgExecutor<'_>) -> sqlx::Result<Vec<WarehouseRow>> {
    sqlx::query_as("SELECT id, code, name, country FROM warehouses ORDER BY code")
        .fetch_all(db)
        .await
}

#[tracing::instrument(skip_all, fields(otel.kind = "client", db.system.name = "postgresql"))]
pub async fn by_ids(db: impl PgExecutor<'_>, ids: &[Uuid]) -> sqlx::Result<Vec<WarehouseRow>> {
    sqlx::query_as("SELECT id, code, name, country FROM warehouses WHERE id = ANY($1)")
        .bind(ids)
        .fetch_all(db)
        .await
}
