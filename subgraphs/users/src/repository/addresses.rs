//! Addresses. The "exactly one default" rule: a partial unique index allows
//! at most one; these functions, always called in one transaction per
//! change, make sure a user with addresses never has none.

use sqlx::{PgConnection, PgExecutor};
use uuid::Uuid;

use crate::domain::NewAddress;

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct AddressRow {
    pub id: Uuid,
    pub user_id: Uuid,
    pub name: String,
    pub line1: String,
    pub line2: Option<String>,
    pub city: String,
    pub region: Option<String>,
    pub postal_code: String,
    pub country: String,
    pub phone: Option<String>,
    pub is_default: bool,
}

const COLUMNS: &str =
    "id, user_id, name, line1, line2, city, region, postal_code, country, phone, is_default";

/// Every address of these users, default first, then oldest first.
#[tracing::instrument(skip_all, fields(otel.kind = "client", db.system.name = "postgresql"))]
pub async fn for_users(
    db: impl PgExecutor<'_>,
    user_ids: &[Uuid],
) -> sqlx::Result<Vec<AddressRow>> {
    sqlx::query_as(&format!(
        "SELECT {COLUMNS} FROM addresses WHERE user_id = ANY($1)
         ORDER BY user_id, is_default DESC, created_at, id"
    ))
    .bind(user_ids)
    .fetch_all(db)
    .await
}

/// Locks the user's address rows for the rest of the transaction, so two
/// concurrent changes to the default serialise.
#[tracing::instrument(skip_all, fields(otel.kind = "client", db.system.name = "postgresql"))]
pub async fn lock_user(conn: &mut PgConnection, user_id: Uuid) -> sqlx::Result<Vec<AddressRow>> {
    sqlx::query_as(&format!(
        "SELECT {COLUMNS} FROM addresses WHERE user_id = $1 ORDER BY created_at DESC, id DESC FOR UPDATE"
    ))
    .bind(user_id)
    .fetch_all(conn)
    .await
}

#[tracing::instrument(skip_all, fields(otel.kind = "client", db.system.name = "postgresql"))]
pub async fn clear_default(conn: &mut PgConnection, user_id: Uuid) -> sqlx::Result<()> {
    sqlx::query("UPDATE addresses SET is_default = false WHERE user_id = $1 AND is_default")
        .bind(user_id)
        .execute(conn)
        .await?;
    Ok(())
}

#[tracing::instrument(skip_all, fields(otel.kind = "client", db.system.name = "postgresql"))]
pub async fn set_default(conn: &mut PgConnection, id: Uuid) -> sqlx::Result<()> {
    sqlx::query("UPDATE addresses SET is_default = true WHERE id = $1")
        .bind(id)
        .execute(conn)
        .await?;
    Ok(())
}

#[tracing::instrument(skip_all, fields(otel.kind = "client", db.system.name = "postgresql"))]
pub async fn insert(
    conn: &mut PgConnection,
    user_id: Uuid,
    address: &NewAddress,
    is_default: bool,
) -> sqlx::Result<AddressRow> {
    let sql = format!(
        "INSERT INTO addresses (name, line1, line2, city, region, postal_code, country, phone, is_default, id, user_id)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11) RETURNING {COLUMNS}"
    );
    bind_address(sqlx::query_as(&sql), address, is_default)
        .bind(Uuid::now_v7())
        .bind(user_id)
        .fetch_one(conn)
        .await
}

#[tracing::instrument(skip_all, fields(otel.kind = "client", db.system.name = "postgresql"))]
pub async fn update(
    conn: &mut PgConnection,
    id: Uuid,
    address: &NewAddress,
    is_default: bool,
) -> sqlx::Result<AddressRow> {
    let sql = format!(
        "UPDATE addresses SET name = $1, line1 = $2, line2 = $3, city = $4, region = $5,
             postal_code = $6, country = $7, phone = $8, is_default = $9
         WHERE id = $10 RETURNING {COLUMNS}"
    );
    bind_address(sqlx::query_as(&sql), address, is_default).bind(id).fetch_one(conn).await
}

type AddressQuery<'q> =
    sqlx::query::QueryAs<'q, sqlx::Postgres, AddressRow, sqlx::postgres::PgArguments>;

/// Binds the address columns as $1..$9, in the order both statements use.
fn bind_address<'q>(
    query: AddressQuery<'q>,
    address: &'q NewAddress,
    is_default: bool,
) -> AddressQuery<'q> {
    query
        .bind(&address.name)
        .bind(&address.line1)
        .bind(&address.line2)
        .bind(&address.city)
        .bind(&address.region)
        .bind(&address.postal_code)
        .bind(&address.country)
        .bind(&address.phone)
        .bind(is_default)
}

#[tracing::instrument(skip_all, fields(otel.kind = "client", db.system.name = "postgresql"))]
pub async fn delete(conn: &mut PgConnection, id: Uuid) -> sqlx::Result<()> {
    sqlx::query("DELETE FROM addresses WHERE id = $1").bind(id).execute(conn).await?;
    Ok(())
}
