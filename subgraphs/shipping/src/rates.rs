//! Rate quotes: zone (domestic or international) and weight based, one
//! price per carrier service, from the `shipping_rates` table.

use std::collections::HashMap;

use kit::{
    AppResult,
    graphql_client::{GraphqlClient, id_key},
};
use serde::Deserialize;
use sqlx::PgExecutor;
use uuid::Uuid;

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct RateRow {
    pub id: Uuid,
    pub carrier: String,
    pub service: String,
    pub zone: String,
    pub base_cost: i64,
    pub per_kg_cost: i64,
    pub currency: String,
    pub estimated_days: i32,
}

impl RateRow {
    /// Base plus the per-kilogram price for every started kilogram.
    pub fn cost_for(&self, grams: i64) -> i64 {
        let kilograms = (grams.max(0) + 999) / 1000;
        self.base_cost + self.per_kg_cost * kilograms
    }
}

pub fn zone(origin: &str, country: &str) -> &'static str {
    if country.eq_ignore_ascii_case(origin) { "DOMESTIC" } else { "INTERNATIONAL" }
}

#[tracing::instrument(skip_all, fields(otel.kind = "client", db.system.name = "postgresql"))]
pub async fn for_zone(db: impl PgExecutor<'_>, zone: &str) -> sqlx::Result<Vec<RateRow>> {
    sqlx::query_as("SELECT id, carrier, service, zone, base_cost, per_kg_cost, currency, estimated_days FROM shipping_rates WHERE zone = $1 ORDER BY base_cost, id")
        .bind(zone)
        .fetch_all(db)
        .await
}

/// Default rates, inserted when missing.
#[tracing::instrument(skip_all, fields(otel.kind = "client", db.system.name = "postgresql"))]
pub async fn seed(db: &sqlx::PgPool) -> sqlx::Result<()> {
    let defaults: &[(u128, &str, &str, &str, i64, i64, i32)] = &[
        (1, "SANDBOX", "Standard", "DOMESTIC", 499, 100, 5),
        (2, "UPS", "Express", "DOMESTIC", 1299, 150, 2),
        (3, "FEDEX", "Overnight", "DOMESTIC", 2499, 200, 1),
        (4, "SANDBOX", "International", "INTERNATIONAL", 1499, 300, 10),
        (5, "DHL", "Express Worldwide", "INTERNATIONAL", 3499, 400, 4),
    ];
    for &(n, carrier, service, zone, base, per_kg, days) in defaults {
        sqlx::query(
            "INSERT INTO shipping_rates (id, carrier, service, zone, base_cost, per_kg_cost, currency, estimated_days)
             VALUES ($1, $2, $3, $4, $5, $6, 'USD', $7) ON CONFLICT DO NOTHING",
        )
        .bind(Uuid::from_u128(0x5e0d_4000_0000_4000_8000_0000_0000_0000 + n))
        .bind(carrier)
        .bind(service)
        .bind(zone)
        .bind(base)
        .bind(per_kg)
        .bind(days)
        .execute(db)
        .await?;
    }
    Ok(())
}

/// Product weights from the catalog, in one `_entities` call.
#[derive(Clone)]
pub struct Weights(GraphqlClient);

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Weighed {
    id: String,
    weight_grams: i64,
}

impl Weights {
    pub fn new(url: impl Into<String>, caller: &kit::config::ServiceConfig) -> Self {
        Self(GraphqlClient::new("catalog", url, caller))
    }

    /// Grams per product id; unknown products are absent.
    pub async fn of(&self, products: &[String]) -> AppResult<HashMap<String, i64>> {
        let found = self
            .0
            .entities::<Weighed>("Product", products.iter().map(|id| id_key(id)), "id weightGrams")
            .await?;
        Ok(found.into_iter().flatten().map(|p| (p.id, p.weight_grams)).collect())
    }
}
