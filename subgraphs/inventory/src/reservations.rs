//! Reservations hold stock for an order: all items or none, across
//! warehouses, idempotent per order id. They are committed (stock leaves),
//! released, or expire.
//!
//! Other services never call these directly: inventory reacts to
//! `order.created` and `order.status_changed` events (see `consumers.rs`),
//! so there is no endpoint a customer could reach.

use std::{collections::BTreeMap, time::Duration};

use chrono::{DateTime, SubsecRound, Utc};
use kit::{AppError, AppResult, events::outbox, telemetry::TraceParent};
use sqlx::PgConnection;
use tokio_util::sync::CancellationToken;

use crate::{
    events,
    repository::{
        reservations::{self, ReservationRow, ReservedItem},
        stock,
    },
    stock::Stock,
};

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    Reserved { items: Vec<ReservedItem>, expires_at: DateTime<Utc> },
    Failed { reason: String },
    Committed,
    Released,
}

#[derive(Clone)]
pub struct Reservations {
    pub stock: Stock,
    pub ttl: Duration,
}

pub const OUT_OF_STOCK: &str = "out of stock";

impl Reservations {
    /// Reserves `requested` (product, quantity) for `order_id`, or records
    /// why it could not. Runs in the caller's transaction.
    pub async fn reserve(
        &self,
        conn: &mut PgConnection,
        order_id: &str,
        requested: &[(String, i32)],
        trace: Option<&TraceParent>,
    ) -> AppResult<Outcome> {
        let mut wanted: BTreeMap<String, i32> = BTreeMap::new();
        for (product, quantity) in requested {
            if *quantity <= 0 {
                return Err(AppError::bad_input("quantities must be positive"));
            }
            *wanted.entry(product.clone()).or_default() += quantity;
        }
        if wanted.is_empty() {
            return Err(AppError::bad_input("a reservation needs at least one item"));
        }
        // PostgreSQL keeps microseconds; so does what we hand out.
        let expires_at = (Utc::now() + self.ttl).trunc_subsecs(6);
        if !reservations::claim(conn, order_id, expires_at).await? {
            return self.outcome_of(conn, order_id).await;
        }
        let products: Vec<String> = wanted.keys().cloned().collect();
        let before = self.stock.totals_in(conn, &products).await?;
        let rows = stock::lock(conn, &products).await?;
        let mut allocation = Vec::new();
        let mut shortages = Vec::new();
        for (product, quantity) in &wanted {
            let mut candidates: Vec<_> =
                rows.iter().filter(|r| &r.product_id == product && r.available() > 0).collect();
            // Fewest splits: the fullest warehouses first.
            candidates.sort_by_key(|r| std::cmp::Reverse(r.available()));
            let available: i32 = candidates.iter().map(|r| r.available()).sum();
            if available < *quantity {
                shortages.push((product.clone(), *quantity, available));
                continue;
            }
            let mut left = *quantity;
            for row in candidates {
                let take = left.min(row.available());
                allocation.push(ReservedItem {
                    product_id: product.clone(),
                    warehouse_id: row.warehouse_id,
                    quantity: take,
                });
                left -= take;
                if left == 0 {
                    break;
                }
            }
        }
        if !shortages.is_empty() {
            reservations::set_status(conn, order_id, "FAILED", Some(OUT_OF_STOCK)).await?;
            outbox::enqueue(
                conn,
                &events::reservation_failed(order_id, OUT_OF_STOCK, &shortages, trace),
            )
            .await?;
            return Ok(Outcome::Failed { reason: OUT_OF_STOCK.into() });
        }
        for item in &allocation {
            stock::change_reserved(conn, &item.product_id, item.warehouse_id, item.quantity)
                .await?;
            reservations::add_item(conn, order_id, item).await?;
        }
        outbox::enqueue(conn, &events::reserved(order_id, &allocation, expires_at, trace)).await?;
        self.stock.note_low_stock(conn, &before, trace).await?;
        Ok(Outcome::Reserved { items: allocation, expires_at })
    }

    /// Stock leaves on-hand for good (the order was paid).
    pub async fn commit(&self, conn: &mut PgConnection, order_id: &str) -> AppResult<Outcome> {
        let row = self.locked(conn, order_id).await?;
        match row.status.as_str() {
            "COMMITTED" => return Ok(Outcome::Committed),
            "RESERVED" => {}
            other => {
                return Err(AppError::conflict(format!(
                    "reservation is {other} and cannot be committed"
                )));
            }
        }
        for item in reservations::items(&mut *conn, order_id).await? {
            stock::ship(conn, &item.product_id, item.warehouse_id, item.quantity).await?;
            stock::record(
                conn,
                &item.product_id,
                item.warehouse_id,
                -item.quantity,
                &format!("order {order_id}"),
                "orders",
            )
            .await?;
        }
        reservations::set_status(conn, order_id, "COMMITTED", None).await?;
        Ok(Outcome::Committed)
    }

    /// Gives reserved stock back (cancelled, payment failed, expired).
    pub async fn release(
        &self,
        conn: &mut PgConnection,
        order_id: &str,
        reason: &str,
        trace: Option<&TraceParent>,
    ) -> AppResult<Outcome> {
        let row = self.locked(conn, order_id).await?;
        match row.status.as_str() {
            "RELEASED" => return Ok(Outcome::Released),
            "FAILED" => return Ok(Outcome::Failed { reason: row.reason.unwrap_or_default() }),
            "RESERVED" => {}
            other => {
                return Err(AppError::conflict(format!(
                    "reservation is {other} and cannot be released"
                )));
            }
        }
        let items = reservations::items(&mut *conn, order_id).await?;
        for item in &items {
            stock::change_reserved(conn, &item.product_id, item.warehouse_id, -item.quantity)
                .await?;
        }
        reservations::set_status(conn, order_id, "RELEASED", Some(reason)).await?;
        outbox::enqueue(conn, &events::released(order_id, reason, &items, trace)).await?;
        Ok(Outcome::Released)
    }

    /// Releases reservations whose hold ran out. Returns how many.
    pub async fn sweep_expired(&self) -> AppResult<usize> {
        let mut tx = self.stock.pool.begin().await?;
        let expired = reservations::expired(&mut tx, 100).await?;
        let mut products = Vec::new();
        for order_id in &expired {
            products.extend(
                reservations::items(&mut *tx, order_id).await?.into_iter().map(|i| i.product_id),
            );
            self.release(&mut tx, order_id, "expired", None).await?;
        }
        tx.commit().await?;
        self.stock.forget(&products).await;
        Ok(expired.len())
    }

    pub async fn run_sweeper(self, interval: Duration, shutdown: CancellationToken) {
        loop {
            tokio::select! {
                () = shutdown.cancelled() => return,
                () = tokio::time::sleep(interval) => {}
            }
            match self.sweep_expired().await {
                Ok(0) => {}
                Ok(n) => tracing::info!(released = n, "released expired reservations"),
                Err(e) => tracing::warn!(error = ?e, "reservation sweep failed"),
            }
        }
    }

    async fn locked(&self, conn: &mut PgConnection, order_id: &str) -> AppResult<ReservationRow> {
        reservations::lock(conn, order_id)
            .await?
            .ok_or_else(|| AppError::not_found("no reservation for this order"))
    }

    async fn outcome_of(&self, conn: &mut PgConnection, order_id: &str) -> AppResult<Outcome> {
        let row = reservations::find(&mut *conn, order_id)
            .await?
            .ok_or_else(|| AppError::not_found("no reservation"))?;
        Ok(match row.status.as_str() {
            "RESERVED" => Outcome::Reserved {
                items: reservations::items(&mut *conn, order_id).await?,
                expires_at: row.expires_at,
            },
            "FAILED" => Outcome::Failed { reason: row.reason.unwrap_or_default() },
            "COMMITTED" => Outcome::Committed,
            _ => Outcome::Released,
        })
    }
}
