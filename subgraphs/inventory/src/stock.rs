//! Stock levels: admin adjustments with a ledger, and availability reads
//! with a Redis hot path.

use std::{collections::HashMap, time::Duration};

use kit::{AppError, AppResult, cache::Cache, events::outbox, telemetry::TraceParent};
use sqlx::{PgConnection, PgPool};
use uuid::Uuid;

use crate::{
    events,
    repository::{stock, stock::StockRow},
};

/// Availability is cached briefly and dropped on every change; a missed
/// invalidation (Redis down) heals within the TTL.
const AVAILABILITY_TTL: Duration = Duration::from_secs(5);

#[derive(Clone)]
pub struct Stock {
    pub pool: PgPool,
    pub cache: Cache,
    pub low_stock_threshold: i32,
}

/// (on hand, reserved) over all warehouses.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Availability {
    pub on_hand: i64,
    pub reserved: i64,
}

impl Availability {
    pub fn available(&self) -> i64 {
        self.on_hand - self.reserved
    }
}

fn key(product: &str) -> String {
    format!("availability:{product}")
}

impl Stock {
    pub async fn adjust(
        &self,
        product: &str,
        warehouse: Uuid,
        delta: i32,
        reason: &str,
        actor: &str,
        trace: Option<&TraceParent>,
    ) -> AppResult<StockRow> {
        let product = product.trim();
        if product.is_empty() {
            return Err(AppError::bad_input("productId must not be empty"));
        }
        let reason = reason.trim();
        if reason.is_empty() || reason.chars().count() > 500 {
            return Err(AppError::bad_input("reason must be 1-500 characters"));
        }
        if delta == 0 {
            return Err(AppError::bad_input("delta must not be zero"));
        }
        let mut tx = self.pool.begin().await?;
        let before = self.totals_in(&mut tx, &[product.to_owned()]).await?;
        let row = match stock::adjust(&mut tx, product, warehouse, delta).await {
            Ok(row) => row,
            Err(sqlx::Error::Database(e)) if e.is_check_violation() => {
                return Err(AppError::bad_input(
                    "on hand cannot drop below zero or below what is reserved",
                ));
            }
            Err(sqlx::Error::Database(e)) if e.is_foreign_key_violation() => {
                return Err(AppError::not_found("warehouse not found"));
            }
            Err(e) => return Err(e.into()),
        };
        stock::record(&mut tx, product, warehouse, delta, reason, actor).await?;
        self.note_low_stock(&mut tx, &before, trace).await?;
        tx.commit().await?;
        self.forget(&[product.to_owned()]).await;
        Ok(row)
    }

    /// Emits `inventory.low_stock` for products that crossed the threshold
    /// downwards in this transaction (`before` is their state at its start).
    pub async fn note_low_stock(
        &self,
        conn: &mut PgConnection,
        before: &HashMap<String, Availability>,
        trace: Option<&TraceParent>,
    ) -> AppResult<()> {
        let products: Vec<String> = before.keys().cloned().collect();
        let after = self.totals_in(conn, &products).await?;
        let threshold = i64::from(self.low_stock_threshold);
        for (product, now) in &after {
            let was = before.get(product).copied().unwrap_or_default();
            if now.available() <= threshold && was.available() > threshold {
                outbox::enqueue(
                    conn,
                    &events::low_stock(product, now.available(), self.low_stock_threshold, trace),
                )
                .await?;
            }
        }
        Ok(())
    }

    pub async fn totals_in(
        &self,
        conn: &mut PgConnection,
        products: &[String],
    ) -> sqlx::Result<HashMap<String, Availability>> {
        let mut out: HashMap<String, Availability> =
            products.iter().map(|p| (p.clone(), Availability::default())).collect();
        for (product, on_hand, reserved) in stock::totals(&mut *conn, products).await? {
            out.insert(product, Availability { on_hand, reserved });
        }
        Ok(out)
    }

    /// Availability of many products: Redis first, one SQL query for misses.
    pub async fn availability(
        &self,
        products: &[String],
    ) -> AppResult<HashMap<String, Availability>> {
        let keys: Vec<String> = products.iter().map(|p| key(p)).collect();
        let cached = self.cache.get_many(&keys).await.unwrap_or_else(|| vec![None; products.len()]);
        let mut out = HashMap::new();
        let mut misses = Vec::new();
        for (product, value) in products.iter().zip(cached) {
            match value.as_deref().and_then(parse) {
                Some(availability) => {
                    out.insert(product.clone(), availability);
                }
                None => misses.push(product.clone()),
            }
        }
        kit::metrics::metrics().cache_lookups("inventory.availability", out.len(), misses.len());
        if !misses.is_empty() {
            let mut conn = self.pool.acquire().await?;
            for (product, availability) in self.totals_in(&mut conn, &misses).await? {
                let value = format!("{},{}", availability.on_hand, availability.reserved);
                self.cache.set(&key(&product), &value, AVAILABILITY_TTL).await;
                out.insert(product, availability);
            }
        }
        Ok(out)
    }

    /// Drops cached availability after a change has committed.
    pub async fn forget(&self, products: &[String]) {
        for product in products {
            self.cache.delete(&key(product)).await;
        }
    }
}

fn parse(value: &str) -> Option<Availability> {
    let (on_hand, reserved) = value.split_once(',')?;
    Some(Availability { on_hand: on_hand.parse().ok()?, reserved: reserved.parse().ok()? })
}
