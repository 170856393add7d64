use async_graphql::{Context, ID, Object, Result, dataloader::DataLoader};
use chrono::{DateTime, Utc};
use kit::{
    AppError,
    auth::{AdminOnly, ContextAuthExt},
    error::parse_uuid,
    pagination::PageRequest,
};
use sqlx::PgPool;
use uuid::Uuid;

use super::{
    UserLoader,
    types::{User, UserConnection},
};
use crate::repository::users;

pub struct Query;

#[Object]
impl Query {
    /// The signed-in user; null when anonymous.
    async fn me(&self, ctx: &Context<'_>) -> Result<Option<User>> {
        let Some(viewer) = ctx.viewer_opt()? else { return Ok(None) };
        load_user(ctx, viewer.user_id).await
    }

    /// Admin: one user by id.
    #[graphql(guard = "AdminOnly", directive = kit::directives::policy::apply(kit::directives::admins()))]
    async fn user(&self, ctx: &Context<'_>, id: ID) -> Result<Option<User>> {
        load_user(ctx, parse_uuid(&id, "user")?).await
    }

    /// Admin: every user, oldest first.
    #[graphql(guard = "AdminOnly", directive = kit::directives::policy::apply(kit::directives::admins()), directive = kit::directives::list_size::apply(kit::directives::page_size(), kit::directives::paged_by_first(), kit::directives::connection_edges(), Some(false)))]
    async fn users(
        &self,
        ctx: &Context<'_>,
        first: Option<i32>,
        after: Option<String>,
    ) -> Result<UserConnection> {
        let page = PageRequest::parse(first, after)?;
        let after = page.after.as_deref().map(parse_user_cursor).transpose()?;
        let pool = ctx.data_unchecked::<PgPool>();
        let rows = users::page(pool, after, page.fetch_limit()).await.map_err(AppError::from)?;
        let total = users::count(pool).await.map_err(AppError::from)?;
        let rows = rows.into_iter().map(User::from).collect();
        Ok(UserConnection::new(rows, &page, total, |u| {
            format!("{}|{}", u.row.created_at.to_rfc3339(), u.row.id)
        }))
    }

    /// Federation: resolves `User` representations from other subgraphs.
    /// Batched through the DataLoader, so N representations cost one query.
    #[graphql(entity)]
    async fn find_user_by_id(&self, ctx: &Context<'_>, id: ID) -> Result<Option<User>> {
        match Uuid::parse_str(&id) {
            Ok(id) => load_user(ctx, id).await,
            Err(_) => Ok(None),
        }
    }
}

async fn load_user(ctx: &Context<'_>, id: Uuid) -> Result<Option<User>> {
    let loader = ctx.data_unchecked::<DataLoader<UserLoader>>();
    Ok(loader.load_one(id).await?.map(User::from))
}

fn parse_user_cursor(cursor: &str) -> Result<(DateTime<Utc>, Uuid), AppError> {
    let invalid = || AppError::bad_input("invalid `after` cursor");
    let (time, id) = cursor.split_once('|').ok_or_else(invalid)?;
    let time = DateTime::parse_from_rfc3339(time).map_err(|_| invalid())?.with_timezone(&Utc);
    Ok((time, Uuid::parse_str(id).map_err(|_| invalid())?))
}
