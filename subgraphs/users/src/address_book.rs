//! Adding, changing and removing addresses while keeping exactly one default.

use kit::{AppError, AppResult};
use sqlx::PgPool;
use uuid::Uuid;

use crate::{
    domain::NewAddress,
    repository::{addresses, addresses::AddressRow},
};

fn not_found() -> AppError {
    AppError::not_found("address not found")
}

/// The first address is the default; `isDefault: true` moves the default.
pub async fn add(pool: &PgPool, user_id: Uuid, address: &NewAddress) -> AppResult<AddressRow> {
    let mut tx = pool.begin().await?;
    let existing = addresses::lock_user(&mut tx, user_id).await?;
    let make_default = existing.is_empty() || address.is_default == Some(true);
    if make_default {
        addresses::clear_default(&mut tx, user_id).await?;
    }
    let row = addresses::insert(&mut tx, user_id, address, make_default).await?;
    tx.commit().await?;
    Ok(row)
}

/// `isDefault: false` on the default hands the role to the newest other
/// address; with no other address it stays the default.
pub async fn update(
    pool: &PgPool,
    user_id: Uuid,
    id: Uuid,
    address: &NewAddress,
) -> AppResult<AddressRow> {
    let mut tx = pool.begin().await?;
    let existing = addresses::lock_user(&mut tx, user_id).await?;
    let current = existing.iter().find(|a| a.id == id).ok_or_else(not_found)?;
    let successor = existing.iter().find(|a| a.id != id).map(|a| a.id);
    let is_default = match (address.is_default, current.is_default) {
        (Some(true), false) => {
            addresses::clear_default(&mut tx, user_id).await?;
            true
        }
        (Some(false), true) if successor.is_some() => false,
        (_, was_default) => was_default,
    };
    let row = addresses::update(&mut tx, id, address, is_default).await?;
    if current.is_default
        && !is_default
        && let Some(successor) = successor
    {
        addresses::set_default(&mut tx, successor).await?;
    }
    tx.commit().await?;
    Ok(row)
}

/// Removing the default promotes the newest remaining address.
pub async fn remove(pool: &PgPool, user_id: Uuid, id: Uuid) -> AppResult<()> {
    let mut tx = pool.begin().await?;
    let existing = addresses::lock_user(&mut tx, user_id).await?;
    let current = existing.iter().find(|a| a.id == id).ok_or_else(not_found)?;
    addresses::delete(&mut tx, id).await?;
    if current.is_default
        && let Some(successor) = existing.iter().find(|a| a.id != id)
    {
        addresses::set_default(&mut tx, successor.id).await?;
    }
    tx.commit().await?;
    Ok(())
}
