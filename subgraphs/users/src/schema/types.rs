use async_graphql::{Context, ID, Object, Result, SimpleObject, dataloader::DataLoader};
use chrono::{DateTime, Utc};
use kit::auth::{ContextAuthExt, Role};

use super::AddressLoader;
use crate::{
    accounts::Session,
    repository::{addresses::AddressRow, users::UserRow},
};

/// A customer or admin account. `email` and `addresses` are private to the
/// account's owner and admins; the rest is public, so that other subgraphs
/// can show, say, a review's author.
pub struct User {
    pub row: UserRow,
    /// Set when the caller just proved to be this user (register, login,
    /// refresh): the request carries no token yet, but may see its own data.
    proven_owner: bool,
}

impl From<UserRow> for User {
    fn from(row: UserRow) -> Self {
        Self { row, proven_owner: false }
    }
}

#[Object]
impl User {
    async fn id(&self) -> ID {
        ID(self.row.id.to_string())
    }

    async fn email(&self, ctx: &Context<'_>) -> Result<&str> {
        self.ensure_owner_or_admin(ctx)?;
        Ok(&self.row.email)
    }

    async fn name(&self) -> &str {
        &self.row.name
    }

    async fn role(&self) -> Role {
        self.row.role
    }

    /// Default first, then oldest first.
    async fn addresses(&self, ctx: &Context<'_>) -> Result<Vec<Address>> {
        self.ensure_owner_or_admin(ctx)?;
        let rows = ctx.data_unchecked::<DataLoader<AddressLoader>>().load_one(self.row.id).await?;
        Ok(rows.unwrap_or_default().into_iter().map(Address::from).collect())
    }

    async fn created_at(&self) -> DateTime<Utc> {
        self.row.created_at
    }

    async fn updated_at(&self) -> DateTime<Utc> {
        self.row.updated_at
    }
}

impl User {
    fn ensure_owner_or_admin(&self, ctx: &Context<'_>) -> Result<(), kit::AppError> {
        if self.proven_owner {
            return Ok(());
        }
        let viewer = ctx.viewer()?;
        if viewer.user_id == self.row.id || viewer.is_admin() {
            Ok(())
        } else {
            Err(kit::AppError::forbidden("only the account owner or an admin can see this"))
        }
    }
}

#[derive(SimpleObject)]
pub struct Address {
    pub id: ID,
    pub name: String,
    pub line1: String,
    pub line2: Option<String>,
    pub city: String,
    pub region: Option<String>,
    pub postal_code: String,
    /// ISO 3166-1 alpha-2.
    pub country: String,
    pub phone: Option<String>,
    pub is_default: bool,
}

impl From<AddressRow> for Address {
    fn from(row: AddressRow) -> Self {
        Self {
            id: ID(row.id.to_string()),
            name: row.name,
            line1: row.line1,
            line2: row.line2,
            city: row.city,
            region: row.region,
            postal_code: row.postal_code,
            country: row.country,
            phone: row.phone,
            is_default: row.is_default,
        }
    }
}

#[derive(SimpleObject)]
pub struct AuthPayload {
    /// RS256 JWT; send as `Authorization: Bearer <accessToken>`.
    pub access_token: String,
    /// Opaque; single use. Exchange it with `refreshToken` for a new pair.
    pub refresh_token: String,
    /// When the access token expires.
    pub expires_at: DateTime<Utc>,
    pub user: User,
}

impl From<Session> for AuthPayload {
    fn from(session: Session) -> Self {
        Self {
            access_token: session.access_token,
            refresh_token: session.refresh_token,
            expires_at: session.expires_at,
            user: User { row: session.user, proven_owner: true },
        }
    }
}

kit::connection_types!(UserConnection, UserEdge, User);
