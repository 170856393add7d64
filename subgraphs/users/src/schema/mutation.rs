use async_graphql::{Context, ID, Object, Result};
use kit::{
    AppError,
    auth::{AdminOnly, ContextAuthExt, Role, SignedIn},
    error::parse_uuid,
    telemetry::TraceParent,
};
use sqlx::PgPool;

use super::{
    inputs::{AddressInput, RegisterInput, UpdateProfileInput},
    types::{Address, AuthPayload, User},
};
use crate::{accounts::Accounts, address_book, domain::parse_name, repository::users};

pub struct Mutation;

#[Object]
impl Mutation {
    async fn register(&self, ctx: &Context<'_>, input: RegisterInput) -> Result<AuthPayload> {
        let session = accounts(ctx)
            .register(&input.email, &input.password, &input.name, ctx.data_opt::<TraceParent>())
            .await?;
        Ok(session.into())
    }

    async fn login(
        &self,
        ctx: &Context<'_>,
        email: String,
        password: String,
    ) -> Result<AuthPayload> {
        Ok(accounts(ctx).login(&email, &password).await?.into())
    }

    /// Exchanges a refresh token for a new pair. Each refresh token works once.
    async fn refresh_token(&self, ctx: &Context<'_>, refresh_token: String) -> Result<AuthPayload> {
        Ok(accounts(ctx).refresh(&refresh_token).await?.into())
    }

    /// Ends the session the refresh token belongs to. Access tokens already
    /// issued stay valid until they expire (at most 15 minutes).
    async fn logout(&self, ctx: &Context<'_>, refresh_token: String) -> Result<bool> {
        Ok(accounts(ctx).logout(&refresh_token).await?)
    }

    #[graphql(guard = "SignedIn", directive = kit::directives::authenticated::apply())]
    async fn update_profile(&self, ctx: &Context<'_>, input: UpdateProfileInput) -> Result<User> {
        let viewer = ctx.viewer()?;
        let pool = ctx.data_unchecked::<PgPool>();
        let row = match input.name {
            Some(name) => users::update_name(pool, viewer.user_id, &parse_name(&name)?).await,
            None => users::find_by_id(pool, viewer.user_id).await,
        }
        .map_err(AppError::from)?
        .ok_or_else(|| AppError::unauthenticated("account no longer exists"))?;
        Ok(User::from(row))
    }

    /// Also signs out every session of the account.
    #[graphql(guard = "SignedIn", directive = kit::directives::authenticated::apply())]
    async fn change_password(
        &self,
        ctx: &Context<'_>,
        current_password: String,
        new_password: String,
    ) -> Result<bool> {
        let viewer = ctx.viewer()?;
        accounts(ctx).change_password(viewer.user_id, &current_password, &new_password).await?;
        Ok(true)
    }

    /// True whether or not the email has an account.
    async fn request_password_reset(&self, ctx: &Context<'_>, email: String) -> Result<bool> {
        accounts(ctx).request_password_reset(&email, ctx.data_opt::<TraceParent>()).await?;
        Ok(true)
    }

    async fn reset_password(
        &self,
        ctx: &Context<'_>,
        token: String,
        new_password: String,
    ) -> Result<bool> {
        accounts(ctx).reset_password(&token, &new_password).await?;
        Ok(true)
    }

    #[graphql(guard = "SignedIn", directive = kit::directives::authenticated::apply())]
    async fn add_address(&self, ctx: &Context<'_>, input: AddressInput) -> Result<Address> {
        let viewer = ctx.viewer()?;
        let pool = ctx.data_unchecked::<PgPool>();
        Ok(address_book::add(pool, viewer.user_id, &input.parse()?).await?.into())
    }

    #[graphql(guard = "SignedIn", directive = kit::directives::authenticated::apply())]
    async fn update_address(
        &self,
        ctx: &Context<'_>,
        id: ID,
        input: AddressInput,
    ) -> Result<Address> {
        let viewer = ctx.viewer()?;
        let id = parse_uuid(&id, "address")?;
        let pool = ctx.data_unchecked::<PgPool>();
        Ok(address_book::update(pool, viewer.user_id, id, &input.parse()?).await?.into())
    }

    #[graphql(guard = "SignedIn", directive = kit::directives::authenticated::apply())]
    async fn remove_address(&self, ctx: &Context<'_>, id: ID) -> Result<bool> {
        let viewer = ctx.viewer()?;
        let id = parse_uuid(&id, "address")?;
        address_book::remove(ctx.data_unchecked::<PgPool>(), viewer.user_id, id).await?;
        Ok(true)
    }

    /// Admin. Takes effect in the user's next access token. The last admin
    /// cannot be demoted.
    #[graphql(guard = "AdminOnly", directive = kit::directives::policy::apply(kit::directives::admins()))]
    async fn set_user_role(&self, ctx: &Context<'_>, user_id: ID, role: Role) -> Result<User> {
        let user_id = parse_uuid(&user_id, "user")?;
        let pool = ctx.data_unchecked::<PgPool>();
        let mut tx = pool.begin().await.map_err(AppError::from)?;
        let admins = users::lock_admin_ids(&mut tx).await.map_err(AppError::from)?;
        if role == Role::Customer && admins == [user_id] {
            return Err(AppError::conflict("cannot demote the last admin").into());
        }
        let row = users::set_role(&mut *tx, user_id, role)
            .await
            .map_err(AppError::from)?
            .ok_or_else(|| AppError::not_found("user not found"))?;
        tx.commit().await.map_err(AppError::from)?;
        Ok(User::from(row))
    }
}

fn accounts<'a>(ctx: &'a Context<'_>) -> &'a Accounts {
    ctx.data_unchecked::<Accounts>()
}
