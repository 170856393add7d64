//! Status changes, from admins, customers and the saga alike: each one is
//! checked against the state machine, written to the history, and announced
//! as `order.status_changed` in the same transaction.

use std::time::Duration;

use chrono::Utc;
use kit::{AppError, AppResult, events::outbox, telemetry::TraceParent};
use sqlx::{PgConnection, PgPool};
use tokio_util::sync::CancellationToken;
use uuid::Uuid;

use crate::{
    events,
    repository::{self, OrderRow},
    status::OrderStatus,
};

/// Moves an order to `to`. Moving to the status it already has is a no-op
/// (events may arrive twice); anything else illegal is CONFLICT.
pub async fn transition(
    conn: &mut PgConnection,
    order_id: Uuid,
    to: OrderStatus,
    reason: Option<&str>,
    trace: Option<&TraceParent>,
) -> AppResult<OrderRow> {
    let order = repository::lock(conn, order_id)
        .await?
        .ok_or_else(|| AppError::not_found("order not found"))?;
    let from = OrderStatus::parse(&order.status)
        .ok_or_else(|| AppError::internal(anyhow::anyhow!("unknown status {}", order.status)))?;
    if from == to {
        return Ok(order);
    }
    if !from.can_move(to) {
        return Err(AppError::conflict(format!(
            "an order that is {} cannot become {}",
            from.as_str(),
            to.as_str()
        )));
    }
    let updated = repository::set_status(conn, order_id, to.as_str(), reason).await?;
    outbox::enqueue(conn, &events::status_changed(&updated, from.as_str(), reason, trace)).await?;
    Ok(updated)
}

/// In its own transaction.
pub async fn transition_now(
    pool: &PgPool,
    order_id: Uuid,
    to: OrderStatus,
    reason: Option<&str>,
    trace: Option<&TraceParent>,
) -> AppResult<OrderRow> {
    let mut tx = pool.begin().await?;
    let order = transition(&mut tx, order_id, to, reason, trace).await?;
    tx.commit().await?;
    Ok(order)
}

/// Orders stuck in PENDING past `timeout` (their reservation has expired,
/// or a step was lost) end CANCELLED instead of waiting forever.
pub async fn cancel_stale(pool: &PgPool, timeout: Duration) -> AppResult<usize> {
    let cutoff = Utc::now() - timeout;
    let mut tx = pool.begin().await?;
    let stale = repository::stale_pending(&mut tx, cutoff, 100).await?;
    for id in &stale {
        transition(&mut tx, *id, OrderStatus::Cancelled, Some("checkout timed out"), None).await?;
    }
    tx.commit().await?;
    Ok(stale.len())
}

pub async fn run_sweeper(
    pool: PgPool,
    timeout: Duration,
    interval: Duration,
    shutdown: CancellationToken,
) {
    loop {
        tokio::select! {
            () = shutdown.cancelled() => return,
            () = tokio::time::sleep(interval) => {}
        }
        match cancel_stale(&pool, timeout).await {
            Ok(0) => {}
            Ok(n) => tracing::info!(cancelled = n, "cancelled stale pending orders"),
            Err(e) => tracing::warn!(error = ?e, "stale order sweep failed"),
        }
    }
}
