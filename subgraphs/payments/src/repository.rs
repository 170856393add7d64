use chrono::{DateTime, Utc};
use sqlx::{PgConnection, PgExecutor};
use uuid::Uuid;

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct PaymentRow {
    pub id: Uuid,
    pub order_id: Uuid,
    pub customer_id: Uuid,
    pub amount: i64,
    pub currency: String,
    pub status: String,
    pub provider: String,
    pub payment_token: String,
    pub provider_reference: Option<String>,
    pub attempts: i32,
    pub failure_reason: Option<String>,
    pub refunded: i64,
    /// The PaymentIntent's client secret while the customer must act.
    pub client_secret: Option<String>,
    /// The saved method it is paid with, if any.
    pub payment_method_id: Option<Uuid>,
    /// The provider's customer that saved method belongs to.
    pub provider_customer_id: Option<String>,
    pub created_at: DateTime<Utc>,
}

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct RefundRow {
    pub id: Uuid,
    pub payment_id: Uuid,
    pub amount: i64,
    pub reason: Option<String>,
    pub created_at: DateTime<Utc>,
}

const COLUMNS: &str = "id, order_id, customer_id, amount, currency, status, provider, payment_token, provider_reference, attempts, failure_reason, refunded, client_secret, payment_method_id, provider_customer_id, created_at";

/// What an order pays with: a one-time token, or a saved method (its
/// provider id as the token, and the provider's customer it belongs to).
/// An empty token: a saved method that is not the customer's or is gone.
#[derive(Debug, Clone, Default)]
pub struct Means {
    pub token: String,
    pub method: Option<Uuid>,
    pub provider_customer: Option<String>,
}

/// Records the payment an order will need. A second call for the same
/// order does nothing.
#[tracing::instrument(skip_all, fields(otel.kind = "client", db.system.name = "postgresql"))]
pub async fn create(
    conn: &mut PgConnection,
    order_id: Uuid,
    customer_id: Uuid,
    amount: i64,
    currency: &str,
    provider: &str,
    means: &Means,
) -> sqlx::Result<()> {
    sqlx::query(
        "INSERT INTO payments (id, order_id, customer_id, amount, currency, status, provider, payment_token,
                               payment_method_id, provider_customer_id)
         VALUES ($1, $2, $3, $4, $5, 'PENDING', $6, $7, $8, $9) ON CONFLICT (order_id) DO NOTHING",
    )
    .bind(Uuid::now_v7())
    .bind(order_id)
    .bind(customer_id)
    .bind(amount)
    .bind(currency)
    .bind(provider)
    .bind(&means.token)
    .bind(means.method)
    .bind(&means.provider_customer)
    .execute(conn)
    .await?;
    Ok(())
}

/// Serialises the handling of one order's saga events across instances
/// until the transaction ends, so that `order.created` and
/// `inventory.reserved` handled at the same moment each see the other's
/// work (the row or the early reservation) and exactly one of them charges.
pub async fn lock_order_events(conn: &mut PgConnection, order_id: Uuid) -> sqlx::Result<()> {
    sqlx::query("SELECT pg_advisory_xact_lock(hashtextextended($1::text, 4006))")
        .bind(order_id)
        .execute(conn)
        .await?;
    Ok(())
}

/// Remembers that the order's stock was reserved before its payment was
/// recorded. Idempotent.
pub async fn remember_early_reservation(
    conn: &mut PgConnection,
    order_id: Uuid,
    traceparent: Option<&str>,
) -> sqlx::Result<()> {
    sqlx::query(
        "INSERT INTO early_reservations (order_id, traceparent) VALUES ($1, $2) ON CONFLICT DO NOTHING",
    )
    .bind(order_id)
    .bind(traceparent)
    .execute(conn)
    .await?;
    Ok(())
}

/// Takes the order's early reservation, if there was one: its traceparent
/// (`Some(None)` when it had none).
pub async fn take_early_reservation(
    conn: &mut PgConnection,
    order_id: Uuid,
) -> sqlx::Result<Option<Option<String>>> {
    sqlx::query_scalar("DELETE FROM early_reservations WHERE order_id = $1 RETURNING traceparent")
        .bind(order_id)
        .fetch_optional(conn)
        .await
}

/// The order's payment, locked: concurrent consumers of the same event
/// queue here, and the second finds it no longer PENDING.
#[tracing::instrument(skip_all, fields(otel.kind = "client", db.system.name = "postgresql"))]
pub async fn lock_by_order(
    conn: &mut PgConnection,
    order_id: Uuid,
) -> sqlx::Result<Option<PaymentRow>> {
    sqlx::query_as(&format!("SELECT {COLUMNS} FROM payments WHERE order_id = $1 FOR UPDATE"))
        .bind(order_id)
        .fetch_optional(conn)
        .await
}

/// The payment the provider knows as `reference`, locked.
#[tracing::instrument(skip_all, fields(otel.kind = "client", db.system.name = "postgresql"))]
pub async fn lock_by_reference(
    conn: &mut PgConnection,
    reference: &str,
) -> sqlx::Result<Option<PaymentRow>> {
    sqlx::query_as(&format!(
        "SELECT {COLUMNS} FROM payments WHERE provider_reference = $1 FOR UPDATE"
    ))
    .bind(reference)
    .fetch_optional(conn)
    .await
}

#[tracing::instrument(skip_all, fields(otel.kind = "client", db.system.name = "postgresql"))]
pub async fn lock(conn: &mut PgConnection, id: Uuid) -> sqlx::Result<Option<PaymentRow>> {
    sqlx::query_as(&format!("SELECT {COLUMNS} FROM payments WHERE id = $1 FOR UPDATE"))
        .bind(id)
        .fetch_optional(conn)
        .await
}

#[tracing::instrument(skip_all, fields(otel.kind = "client", db.system.name = "postgresql"))]
pub async fn by_orders(db: impl PgExecutor<'_>, orders: &[Uuid]) -> sqlx::Result<Vec<PaymentRow>> {
    sqlx::query_as(&format!("SELECT {COLUMNS} FROM payments WHERE order_id = ANY($1)"))
        .bind(orders)
        .fetch_all(db)
        .await
}

#[tracing::instrument(skip_all, fields(otel.kind = "client", db.system.name = "postgresql"))]
pub async fn by_ids(db: impl PgExecutor<'_>, ids: &[Uuid]) -> sqlx::Result<Vec<PaymentRow>> {
    sqlx::query_as(&format!("SELECT {COLUMNS} FROM payments WHERE id = ANY($1)"))
        .bind(ids)
        .fetch_all(db)
        .await
}

#[tracing::instrument(skip_all, fields(otel.kind = "client", db.system.name = "postgresql"))]
pub async fn settle(
    conn: &mut PgConnection,
    id: Uuid,
    status: &str,
    reference: Option<&str>,
    failure: Option<&str>,
    attempts: i32,
) -> sqlx::Result<PaymentRow> {
    sqlx::query_as(&format!(
        "UPDATE payments SET status = $2, provider_reference = $3, failure_reason = $4, attempts = attempts + $5,
                client_secret = NULL, updated_at = now()
         WHERE id = $1 RETURNING {COLUMNS}"
    ))
    .bind(id)
    .bind(status)
    .bind(reference)
    .bind(failure)
    .bind(attempts)
    .fetch_one(conn)
    .await
}

/// Parks a payment until its customer acts (3-D Secure).
#[tracing::instrument(skip_all, fields(otel.kind = "client", db.system.name = "postgresql"))]
pub async fn require_action(
    conn: &mut PgConnection,
    id: Uuid,
    reference: &str,
    client_secret: &str,
    attempts: i32,
) -> sqlx::Result<PaymentRow> {
    sqlx::query_as(&format!(
        "UPDATE payments SET status = 'ACTION_REQUIRED', provider_reference = $2, client_secret = $3,
                attempts = attempts + $4, updated_at = now()
         WHERE id = $1 RETURNING {COLUMNS}"
    ))
    .bind(id)
    .bind(reference)
    .bind(client_secret)
    .bind(attempts)
    .fetch_one(conn)
    .await
}

/// Notes a Stripe event as applied: `false` when it already was.
#[tracing::instrument(skip_all, fields(otel.kind = "client", db.system.name = "postgresql"))]
pub async fn first_delivery(
    conn: &mut PgConnection,
    event_id: &str,
    event_type: &str,
) -> sqlx::Result<bool> {
    let inserted = sqlx::query(
        "INSERT INTO stripe_events (event_id, event_type) VALUES ($1, $2) ON CONFLICT DO NOTHING",
    )
    .bind(event_id)
    .bind(event_type)
    .execute(conn)
    .await?;
    Ok(inserted.rows_affected() == 1)
}

#[tracing::instrument(skip_all, fields(otel.kind = "client", db.system.name = "postgresql"))]
pub async fn add_refund(
    conn: &mut PgConnection,
    payment: Uuid,
    amount: i64,
    reason: Option<&str>,
    reference: &str,
    idempotency_key: &str,
) -> sqlx::Result<PaymentRow> {
    sqlx::query(
        "INSERT INTO refunds (id, payment_id, amount, reason, provider_reference, idempotency_key) VALUES ($1, $2, $3, $4, $5, $6)",
    )
    .bind(Uuid::now_v7())
    .bind(payment)
    .bind(amount)
    .bind(reason)
    .bind(reference)
    .bind(idempotency_key)
    .execute(&mut *conn)
    .await?;
    sqlx::query_as(&format!(
        "UPDATE payments SET refunded = refunded + $2,
             status = CASE WHEN refunded + $2 >= amount THEN 'REFUNDED' ELSE 'PARTIALLY_REFUNDED' END,
             updated_at = now()
         WHERE id = $1 RETURNING {COLUMNS}"
    ))
    .bind(payment)
    .bind(amount)
    .fetch_one(conn)
    .await
}

#[tracing::instrument(skip_all, fields(otel.kind = "client", db.system.name = "postgresql"))]
pub async fn refund_by_key(
    db: impl PgExecutor<'_>,
    payment: Uuid,
    key: &str,
) -> sqlx::Result<Option<RefundRow>> {
    sqlx::query_as("SELECT id, payment_id, amount, reason, created_at FROM refunds WHERE payment_id = $1 AND idempotency_key = $2")
        .bind(payment)
        .bind(key)
        .fetch_optional(db)
        .await
}

#[tracing::instrument(skip_all, fields(otel.kind = "client", db.system.name = "postgresql"))]
pub async fn refunds_of(
    db: impl PgExecutor<'_>,
    payments: &[Uuid],
) -> sqlx::Result<Vec<RefundRow>> {
    sqlx::query_as("SELECT id, payment_id, amount, reason, created_at FROM refunds WHERE payment_id = ANY($1) ORDER BY created_at, id")
        .bind(payments)
        .fetch_all(db)
        .await
}
