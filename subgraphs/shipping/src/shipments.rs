//! Shipments: created when an order is paid, moved by the carrier (or an
//! admin) one legal step at a time, each step recorded as a tracking event
//! and announced as `shipment.updated` through the outbox.

use chrono::{DateTime, Duration as ChronoDuration, Utc};
use kit::{
    AppError, AppResult,
    events::{Envelope, outbox},
    telemetry::TraceParent,
};
use rand::Rng;
use serde_json::json;
use sqlx::{PgConnection, PgExecutor, PgPool};
use uuid::Uuid;

use crate::status::ShipmentStatus;

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct ShipmentRow {
    pub id: Uuid,
    pub order_id: Uuid,
    pub customer_id: Uuid,
    pub carrier: String,
    pub tracking_number: String,
    pub status: String,
    pub estimated_delivery: Option<DateTime<Utc>>,
}

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct EventRow {
    pub shipment_id: Uuid,
    pub status: String,
    pub location: Option<String>,
    pub description: String,
    pub at: DateTime<Utc>,
}

const COLUMNS: &str =
    "id, order_id, customer_id, carrier, tracking_number, status, estimated_delivery";
pub const SOURCE: &str = "shipping";

fn tracking_number() -> String {
    let mut rng = rand::thread_rng();
    let digits: String = (0..12).map(|_| char::from(b'0' + rng.gen_range(0..10))).collect();
    format!("SGX{digits}")
}

/// Creates the order's shipment (once: a second call finds it).
#[tracing::instrument(skip_all, fields(otel.kind = "client", db.system.name = "postgresql"))]
pub async fn create(
    conn: &mut PgConnection,
    order_id: Uuid,
    customer_id: Uuid,
    trace: Option<&TraceParent>,
) -> AppResult<Option<ShipmentRow>> {
    let eta = Utc::now() + ChronoDuration::days(5);
    let created: Option<ShipmentRow> = sqlx::query_as(&format!(
        "INSERT INTO shipments (id, order_id, customer_id, carrier, tracking_number, status, estimated_delivery)
         VALUES ($1, $2, $3, 'SANDBOX', $4, 'LABEL_CREATED', $5) ON CONFLICT (order_id) DO NOTHING RETURNING {COLUMNS}"
    ))
    .bind(Uuid::now_v7())
    .bind(order_id)
    .bind(customer_id)
    .bind(tracking_number())
    .bind(eta)
    .fetch_optional(&mut *conn)
    .await?;
    let Some(shipment) = created else { return Ok(None) };
    record(conn, &shipment, None, "Shipping label created").await?;
    outbox::enqueue(conn, &event("shipment.created", &shipment, trace)).await?;
    outbox::enqueue(conn, &event("shipment.updated", &shipment, trace)).await?;
    Ok(Some(shipment))
}

/// Moves a shipment to `to` if that is a legal step.
#[tracing::instrument(skip_all, fields(otel.kind = "client", db.system.name = "postgresql"))]
pub async fn advance(
    conn: &mut PgConnection,
    id: Uuid,
    to: ShipmentStatus,
    location: Option<&str>,
    trace: Option<&TraceParent>,
) -> AppResult<ShipmentRow> {
    let current: ShipmentRow =
        sqlx::query_as(&format!("SELECT {COLUMNS} FROM shipments WHERE id = $1 FOR UPDATE"))
            .bind(id)
            .fetch_optional(&mut *conn)
            .await?
            .ok_or_else(|| AppError::not_found("shipment not found"))?;
    let from = ShipmentStatus::parse(&current.status)
        .ok_or_else(|| AppError::internal(anyhow::anyhow!("bad status")))?;
    if !from.can_move(to) {
        return Err(AppError::conflict(format!(
            "a shipment that is {} cannot become {}",
            from.as_str(),
            to.as_str()
        )));
    }
    let updated: ShipmentRow = sqlx::query_as(&format!(
        "UPDATE shipments SET status = $2, updated_at = now() WHERE id = $1 RETURNING {COLUMNS}"
    ))
    .bind(id)
    .bind(to.as_str())
    .fetch_one(&mut *conn)
    .await?;
    record(conn, &updated, location, describe(to)).await?;
    outbox::enqueue(conn, &event("shipment.updated", &updated, trace)).await?;
    Ok(updated)
}

fn describe(status: ShipmentStatus) -> &'static str {
    match status {
        ShipmentStatus::LabelCreated => "Shipping label created",
        ShipmentStatus::PickedUp => "Picked up by the carrier",
        ShipmentStatus::InTransit => "In transit",
        ShipmentStatus::OutForDelivery => "Out for delivery",
        ShipmentStatus::Delivered => "Delivered",
        ShipmentStatus::Exception => "Delivery exception",
    }
}

#[tracing::instrument(skip_all, fields(otel.kind = "client", db.system.name = "postgresql"))]
async fn record(
    conn: &mut PgConnection,
    shipment: &ShipmentRow,
    location: Option<&str>,
    description: &str,
) -> sqlx::Result<()> {
    sqlx::query("INSERT INTO tracking_events (shipment_id, status, location, description) VALUES ($1, $2, $3, $4)")
        .bind(shipment.id)
        .bind(&shipment.status)
        .bind(location)
        .bind(description)
        .execute(conn)
        .await?;
    Ok(())
}

fn event(event_type: &str, shipment: &ShipmentRow, trace: Option<&TraceParent>) -> Envelope {
    Envelope::new(
        SOURCE,
        event_type,
        shipment.id,
        json!({
            "shipmentId": shipment.id,
            "orderId": shipment.order_id,
            "customerId": shipment.customer_id,
            "status": shipment.status,
            "trackingNumber": shipment.tracking_number,
            "carrier": shipment.carrier,
        }),
        trace,
    )
}

#[tracing::instrument(skip_all, fields(otel.kind = "client", db.system.name = "postgresql"))]
pub async fn by_orders(db: impl PgExecutor<'_>, orders: &[Uuid]) -> sqlx::Result<Vec<ShipmentRow>> {
    sqlx::query_as(&format!("SELECT {COLUMNS} FROM shipments WHERE order_id = ANY($1)"))
        .bind(orders)
        .fetch_all(db)
        .await
}

#[tracing::instrument(skip_all, fields(otel.kind = "client", db.system.name = "postgresql"))]
pub async fn by_ids(db: impl PgExecutor<'_>, ids: &[Uuid]) -> sqlx::Result<Vec<ShipmentRow>> {
    sqlx::query_as(&format!("SELECT {COLUMNS} FROM shipments WHERE id = ANY($1)"))
        .bind(ids)
        .fetch_all(db)
        .await
}

#[tracing::instrument(skip_all, fields(otel.kind = "client", db.system.name = "postgresql"))]
pub async fn by_tracking_number(
    db: impl PgExecutor<'_>,
    number: &str,
) -> sqlx::Result<Option<ShipmentRow>> {
    sqlx::query_as(&format!("SELECT {COLUMNS} FROM shipments WHERE tracking_number = $1"))
        .bind(number)
        .fetch_optional(db)
        .await
}

#[tracing::instrument(skip_all, fields(otel.kind = "client", db.system.name = "postgresql"))]
pub async fn events_of(db: impl PgExecutor<'_>, shipments: &[Uuid]) -> sqlx::Result<Vec<EventRow>> {
    sqlx::query_as("SELECT shipment_id, status, location, description, at FROM tracking_events WHERE shipment_id = ANY($1) ORDER BY shipment_id, id")
        .bind(shipments)
        .fetch_all(db)
        .await
}

/// The advisory lock taken for the length of one carrier step: with several shipping
/// instances, one moves the parcels each step, as one carrier would.
pub const CARRIER_LOCK: i64 = 0x5348_4950_4341_5252; // "SHIPCARR"

/// The sandbox carrier: every `step`, each parcel still on its way moves
/// one step along its journey.
pub async fn run_sandbox_carrier(
    pool: PgPool,
    step: std::time::Duration,
    shutdown: tokio_util::sync::CancellationToken,
) {
    const HUBS: [&str; 4] = ["Origin depot", "Regional hub", "Local depot", "Destination"];
    loop {
        tokio::select! {
            () = shutdown.cancelled() => return,
            () = tokio::time::sleep(step) => {}
        }
        // Held until this step's moves are done (the transaction ends
        // when `turn` drops); another instance's step finds it taken and
        // waits for the next.
        let mut turn = match pool.begin().await {
            Ok(turn) => turn,
            Err(e) => {
                tracing::warn!(error = %e, "sandbox carrier could not reach the database");
                continue;
            }
        };
        let mine: bool = sqlx::query_scalar("SELECT pg_try_advisory_xact_lock($1)")
            .bind(CARRIER_LOCK)
            .fetch_one(&mut *turn)
            .await
            .unwrap_or(false);
        if !mine {
            continue;
        }
        let moving: Vec<(Uuid, String)> = match sqlx::query_as(
            "SELECT id, status FROM shipments WHERE status NOT IN ('DELIVERED', 'EXCEPTION') AND carrier = 'SANDBOX' ORDER BY updated_at LIMIT 100",
        )
        .fetch_all(&pool)
        .await
        {
            Ok(rows) => rows,
            Err(e) => {
                tracing::warn!(error = %e, "sandbox carrier could not read shipments");
                continue;
            }
        };
        for (id, status) in moving {
            let Some(next) = ShipmentStatus::parse(&status).and_then(ShipmentStatus::next) else {
                continue;
            };
            let hub = HUBS[(next as usize).min(HUBS.len()) - 1];
            let result = async {
                let mut tx = pool.begin().await?;
                advance(&mut tx, id, next, Some(hub), None).await?;
                tx.commit().await?;
                Ok::<_, AppError>(())
            }
            .await;
            if let Err(e) = result {
                tracing::warn!(shipment = %id, error = ?e, "sandbox carrier step failed");
            }
        }
        // Ends the step: the lock goes with the transaction.
        let _ = turn.rollback().await;
    }
}
