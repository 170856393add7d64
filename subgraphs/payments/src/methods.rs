//! Saved payment methods. A customer saves a card once (the provider keeps
//! it, attached to the provider's customer record for them) and pays later
//! orders with it. We keep the provider's references and what a customer
//! needs to tell cards apart: brand, last four digits, expiry. One method
//! per customer is the default; the first one saved is.

use chrono::{DateTime, Utc};
use kit::{AppError, AppResult};
use sqlx::{PgConnection, PgExecutor};
use uuid::Uuid;

use crate::{payments::Payments, provider::ProviderError, repository::Means};

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct PaymentMethodRow {
    pub id: Uuid,
    pub customer_id: Uuid,
    pub provider_method_id: String,
    pub brand: String,
    pub last4: String,
    pub exp_month: i32,
    pub exp_year: i32,
    pub is_default: bool,
    pub created_at: DateTime<Utc>,
}

const COLUMNS: &str = "id, customer_id, provider_method_id, brand, last4, exp_month, exp_year, is_default, created_at";

impl Payments {
    /// Saves the card behind `token` for `customer`. Saving the same card
    /// again returns the saved one.
    pub async fn save_method(
        &self,
        customer: Uuid,
        token: &str,
        make_default: bool,
    ) -> AppResult<PaymentMethodRow> {
        let token = token.trim();
        if token.is_empty() || token.len() > 200 {
            return Err(AppError::bad_input("token must be 1-200 characters"));
        }
        let provider_customer = self.provider_customer(customer).await?;
        let card =
            self.provider.save_card(&provider_customer, token).await.map_err(|e| match e {
                ProviderError::Declined(reason) => {
                    AppError::bad_input(format!("the card could not be saved: {reason}"))
                }
                ProviderError::Transient(reason) => {
                    tracing::error!(%reason, "saving a card failed at the provider");
                    AppError::unavailable(
                        "the payment provider could not save the card now; please retry",
                    )
                }
            })?;
        let mut tx = self.pool.begin().await?;
        let saved: PaymentMethodRow = sqlx::query_as(&format!(
            "INSERT INTO payment_methods (id, customer_id, provider, provider_method_id, brand, last4, exp_month, exp_year)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8)
             ON CONFLICT ON CONSTRAINT payment_methods_once
             DO UPDATE SET exp_month = excluded.exp_month, exp_year = excluded.exp_year
             RETURNING {COLUMNS}"
        ))
        .bind(Uuid::now_v7())
        .bind(customer)
        .bind(self.provider.name())
        .bind(&card.method)
        .bind(&card.brand)
        .bind(&card.last4)
        .bind(card.exp_month)
        .bind(card.exp_year)
        .fetch_one(&mut *tx)
        .await?;
        lock_customer(&mut tx, customer).await?;
        let has_default = default_of(&mut *tx, customer).await?.is_some();
        let saved = if make_default || !has_default {
            make_default_in(&mut tx, customer, saved.id).await?
        } else {
            saved
        };
        tx.commit().await?;
        Ok(saved)
    }

    /// Forgets a saved method, at the provider too. The newest remaining
    /// one becomes the default if this one was.
    pub async fn remove_method(&self, id: Uuid, allowed: impl Fn(Uuid) -> bool) -> AppResult<()> {
        let mut tx = self.pool.begin().await?;
        let method = lock_method(&mut tx, id, &allowed).await?;
        self.provider.remove_card(&method.provider_method_id).await.map_err(|e| {
            tracing::error!(error = %e, "removing a card failed at the provider");
            AppError::unavailable(
                "the payment provider could not remove the card now; please retry",
            )
        })?;
        sqlx::query("DELETE FROM payment_methods WHERE id = $1").bind(id).execute(&mut *tx).await?;
        if method.is_default {
            let newest: Option<Uuid> = sqlx::query_scalar(
                "SELECT id FROM payment_methods WHERE customer_id = $1 ORDER BY created_at DESC LIMIT 1",
            )
            .bind(method.customer_id)
            .fetch_optional(&mut *tx)
            .await?;
            if let Some(newest) = newest {
                make_default_in(&mut tx, method.customer_id, newest).await?;
            }
        }
        tx.commit().await?;
        Ok(())
    }

    pub async fn set_default_method(
        &self,
        id: Uuid,
        allowed: impl Fn(Uuid) -> bool,
    ) -> AppResult<PaymentMethodRow> {
        let mut tx = self.pool.begin().await?;
        let method = lock_method(&mut tx, id, &allowed).await?;
        let updated = make_default_in(&mut tx, method.customer_id, id).await?;
        tx.commit().await?;
        Ok(updated)
    }

    /// The provider's customer record for `customer`, created on first use
    /// (the idempotency key makes two instances creating it at once get the
    /// same one).
    async fn provider_customer(&self, customer: Uuid) -> AppResult<String> {
        let provider = self.provider.name();
        if let Some(known) = provider_customer_of(&self.pool, customer, provider).await? {
            return Ok(known);
        }
        let created =
            self.provider.create_customer(&format!("customer-{customer}")).await.map_err(|e| {
                tracing::error!(error = %e, "creating the provider's customer failed");
                AppError::unavailable("the payment provider is unavailable; please retry")
            })?;
        sqlx::query(
            "INSERT INTO provider_customers (customer_id, provider, provider_customer_id) VALUES ($1, $2, $3)
             ON CONFLICT DO NOTHING",
        )
        .bind(customer)
        .bind(provider)
        .bind(&created)
        .execute(&self.pool)
        .await?;
        Ok(provider_customer_of(&self.pool, customer, provider).await?.unwrap_or(created))
    }
}

/// `customer`'s saved methods, the default first, then the newest.
pub async fn of_customer(
    db: impl PgExecutor<'_>,
    customer: Uuid,
) -> sqlx::Result<Vec<PaymentMethodRow>> {
    sqlx::query_as(&format!(
        "SELECT {COLUMNS} FROM payment_methods WHERE customer_id = $1 ORDER BY is_default DESC, created_at DESC"
    ))
    .bind(customer)
    .fetch_all(db)
    .await
}

/// What an order paying with saved method `id` charges: nothing usable
/// (an empty token, which fails the payment) unless it is `customer`'s.
pub async fn means(conn: &mut PgConnection, customer: Uuid, id: &str) -> sqlx::Result<Means> {
    let Ok(id) = Uuid::parse_str(id) else { return Ok(Means::default()) };
    let found: Option<(String, Option<String>)> = sqlx::query_as(
        "SELECT m.provider_method_id, c.provider_customer_id FROM payment_methods m
         LEFT JOIN provider_customers c ON c.customer_id = m.customer_id AND c.provider = m.provider
         WHERE m.id = $1 AND m.customer_id = $2",
    )
    .bind(id)
    .bind(customer)
    .fetch_optional(conn)
    .await?;
    Ok(match found {
        Some((token, provider_customer)) => Means { token, method: Some(id), provider_customer },
        None => Means { method: Some(id), ..Means::default() },
    })
}

async fn provider_customer_of(
    db: impl PgExecutor<'_>,
    customer: Uuid,
    provider: &str,
) -> sqlx::Result<Option<String>> {
    sqlx::query_scalar(
        "SELECT provider_customer_id FROM provider_customers WHERE customer_id = $1 AND provider = $2",
    )
    .bind(customer)
    .bind(provider)
    .fetch_optional(db)
    .await
}

/// Serialises default changes for one customer.
async fn lock_customer(conn: &mut PgConnection, customer: Uuid) -> sqlx::Result<()> {
    sqlx::query("SELECT pg_advisory_xact_lock(hashtextextended($1::text, 4106))")
        .bind(customer)
        .execute(conn)
        .await?;
    Ok(())
}

async fn default_of(db: impl PgExecutor<'_>, customer: Uuid) -> sqlx::Result<Option<Uuid>> {
    sqlx::query_scalar("SELECT id FROM payment_methods WHERE customer_id = $1 AND is_default")
        .bind(customer)
        .fetch_optional(db)
        .await
}

async fn make_default_in(
    conn: &mut PgConnection,
    customer: Uuid,
    id: Uuid,
) -> sqlx::Result<PaymentMethodRow> {
    lock_customer(conn, customer).await?;
    sqlx::query(
        "UPDATE payment_methods SET is_default = false WHERE customer_id = $1 AND is_default",
    )
    .bind(customer)
    .execute(&mut *conn)
    .await?;
    sqlx::query_as(&format!(
        "UPDATE payment_methods SET is_default = true WHERE id = $1 RETURNING {COLUMNS}"
    ))
    .bind(id)
    .fetch_one(conn)
    .await
}

/// The method `id`, locked, if `allowed` lets the caller touch its owner's
/// methods; NOT_FOUND otherwise (another customer's method does not exist
/// for them).
async fn lock_method(
    conn: &mut PgConnection,
    id: Uuid,
    allowed: impl Fn(Uuid) -> bool,
) -> AppResult<PaymentMethodRow> {
    let method: Option<PaymentMethodRow> =
        sqlx::query_as(&format!("SELECT {COLUMNS} FROM payment_methods WHERE id = $1 FOR UPDATE"))
            .bind(id)
            .fetch_optional(conn)
            .await?;
    method
        .filter(|m| allowed(m.customer_id))
        .ok_or_else(|| AppError::not_found("payment method not found"))
}
