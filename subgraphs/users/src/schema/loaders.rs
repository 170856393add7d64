use std::collections::HashMap;

use async_graphql::dataloader::Loader;
use kit::AppError;
use sqlx::PgPool;
use uuid::Uuid;

use crate::repository::{
    addresses::{self, AddressRow},
    users::{self, UserRow},
};

/// Users by id: N lookups in one request become one `id = ANY($1)` query.
pub struct UserLoader(pub PgPool);

impl Loader<Uuid> for UserLoader {
    type Value = UserRow;
    type Error = AppError;

    async fn load(&self, ids: &[Uuid]) -> Result<HashMap<Uuid, UserRow>, AppError> {
        let rows = users::find_by_ids(&self.0, ids).await?;
        Ok(rows.into_iter().map(|row| (row.id, row)).collect())
    }
}

/// Each user's addresses, batched the same way.
pub struct AddressLoader(pub PgPool);

impl Loader<Uuid> for AddressLoader {
    type Value = Vec<AddressRow>;
    type Error = AppError;

    async fn load(&self, user_ids: &[Uuid]) -> Result<HashMap<Uuid, Vec<AddressRow>>, AppError> {
        let rows = addresses::for_users(&self.0, user_ids).await?;
        Ok(kit::loaders::group_by(user_ids, rows, |row| row.user_id))
    }
}
