use async_graphql::{Context, ID, InputObject, Object, Result};
use kit::{
    AppError,
    auth::{AdminOnly, ContextAuthExt},
    error::parse_uuid,
    telemetry::TraceParent,
};
use uuid::Uuid;

use super::types::{StockLevel, Warehouse};
use crate::{repository::warehouses, stock::Stock};

#[derive(InputObject)]
pub struct WarehouseInput {
    pub code: String,
    pub name: String,
    /// ISO 3166-1 alpha-2.
    pub country: String,
}

pub struct Mutation;

#[Object]
impl Mutation {
    #[graphql(guard = "AdminOnly", directive = kit::directives::policy::apply(kit::directives::admins()))]
    async fn create_warehouse(
        &self,
        ctx: &Context<'_>,
        input: WarehouseInput,
    ) -> Result<Warehouse> {
        let code = input.code.trim().to_ascii_uppercase();
        if code.is_empty()
            || code.len() > 16
            || !code.chars().all(|c| c.is_ascii_alphanumeric() || c == '-')
        {
            return Err(AppError::bad_input("code must be 1-16 letters, digits or `-`").into());
        }
        let name = input.name.trim();
        if name.is_empty() || name.chars().count() > 200 {
            return Err(AppError::bad_input("name must be 1-200 characters").into());
        }
        let country = input.country.trim().to_ascii_uppercase();
        if country.len() != 2 || !country.chars().all(|c| c.is_ascii_uppercase()) {
            return Err(AppError::bad_input("country must be an ISO 3166-1 alpha-2 code").into());
        }
        let pool = &ctx.data_unchecked::<Stock>().pool;
        let row = warehouses::insert(pool, Uuid::now_v7(), &code, name, &country)
            .await
            .map_err(AppError::from)?;
        Ok(Warehouse(row))
    }

    /// Admin: adds `delta` (negative to remove) to on-hand stock, with a
    /// ledger entry naming the admin and the reason.
    #[graphql(guard = "AdminOnly", directive = kit::directives::policy::apply(kit::directives::admins()))]
    async fn adjust_stock(
        &self,
        ctx: &Context<'_>,
        product_id: ID,
        warehouse_id: ID,
        delta: i32,
        reason: String,
    ) -> Result<StockLevel> {
        let actor = ctx.viewer()?.user_id.to_string();
        let warehouse = parse_uuid(&warehouse_id, "warehouse")?;
        let stock = ctx.data_unchecked::<Stock>();
        let row = stock
            .adjust(&product_id, warehouse, delta, &reason, &actor, ctx.data_opt::<TraceParent>())
            .await?;
        Ok(StockLevel(row))
    }
}
