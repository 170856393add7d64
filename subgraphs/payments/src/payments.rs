//! Charging and refunding, exactly once.
//!
//! Three guards stack up: one payment row per order (unique constraint);
//! the row is locked and must still be PENDING when a charge starts, so a
//! duplicate or concurrent `inventory.reserved` finds nothing to do; and the
//! provider call carries the payment id as its idempotency key, so a retry
//! after a crash gets the first answer instead of a second charge.

use std::time::Duration;

use kit::{AppError, AppResult, events::outbox, telemetry::TraceParent};
use rand::Rng;
use sqlx::{PgConnection, PgPool};
use uuid::Uuid;

use crate::{
    events,
    provider::{Cancelled, Charge, Charged, Provider, ProviderError},
    repository::{self, PaymentRow},
};

#[derive(Clone)]
pub struct Payments {
    pub pool: PgPool,
    pub provider: Provider,
    pub max_attempts: u32,
    pub retry_base: Duration,
}

impl Payments {
    /// Charges the order's payment if it is still PENDING; emits
    /// `payment.succeeded`, `payment.failed`, or `payment.action_required`
    /// when the customer must confirm (then a webhook settles it). Runs in the caller's
    /// transaction (the event consumer's).
    pub async fn charge(
        &self,
        conn: &mut PgConnection,
        order_id: Uuid,
        trace: Option<&TraceParent>,
    ) -> AppResult<Option<PaymentRow>> {
        let Some(payment) = repository::lock_by_order(conn, order_id).await? else {
            return Err(AppError::not_found("no payment recorded for this order"));
        };
        if payment.status != "PENDING" {
            return Ok(None);
        }
        let key = format!("charge-{}", payment.id);
        let charge = Charge {
            amount: payment.amount,
            currency: &payment.currency,
            token: &payment.payment_token,
            customer: payment.provider_customer_id.as_deref(),
            idempotency_key: &key,
        };
        let (result, attempts) = if payment.payment_token.is_empty() {
            let reason = "the saved payment method is not available";
            (Err(ProviderError::Declined(reason.into())), 0)
        } else {
            self.with_retries(&charge).await
        };
        let settled = match result {
            Ok(Charged::ActionRequired { reference, client_secret }) => {
                let waiting = repository::require_action(
                    conn,
                    payment.id,
                    &reference,
                    &client_secret,
                    attempts,
                )
                .await?;
                outbox::enqueue(conn, &events::action_required(&waiting, trace)).await?;
                waiting
            }
            Ok(Charged::Succeeded(reference)) => {
                let paid = repository::settle(
                    conn,
                    payment.id,
                    "SUCCEEDED",
                    Some(&reference),
                    None,
                    attempts,
                )
                .await?;
                outbox::enqueue(conn, &events::succeeded(&paid, trace)).await?;
                paid
            }
            Err(ProviderError::Declined(reason)) | Err(ProviderError::Transient(reason)) => {
                let failed =
                    repository::settle(conn, payment.id, "FAILED", None, Some(&reason), attempts)
                        .await?;
                outbox::enqueue(conn, &events::failed(&failed, &reason, trace)).await?;
                failed
            }
        };
        tracing::info!(order = %order_id, status = %settled.status, attempts, "payment settled");
        Ok(Some(settled))
    }

    /// Gives up a payment that waits for its customer (the order was
    /// cancelled): the charge is cancelled at the provider, so it can no
    /// longer be confirmed. If the customer confirmed first, the money is
    /// given back in full. A confirmation that still arrives by webhook is
    /// refunded too (`webhooks`).
    pub async fn give_up(
        &self,
        conn: &mut PgConnection,
        payment: &PaymentRow,
        trace: Option<&TraceParent>,
    ) -> AppResult<()> {
        let reference = payment.provider_reference.clone().unwrap_or_default();
        let cancelled = match self.provider.cancel(&reference).await {
            Ok(cancelled) => cancelled,
            // The provider no longer knows it as cancellable: nothing to take back.
            Err(ProviderError::Declined(_)) => Cancelled::Cancelled,
            Err(ProviderError::Transient(reason)) => {
                tracing::warn!(%reason, "cancelling a waiting charge failed; will retry");
                return Err(AppError::unavailable("the payment provider could not cancel now"));
            }
        };
        let reason = "the order was cancelled before the payment was confirmed";
        match cancelled {
            Cancelled::Cancelled => {
                repository::settle(conn, payment.id, "FAILED", Some(&reference), Some(reason), 0)
                    .await?;
            }
            Cancelled::AlreadySucceeded => {
                self.refund_late_confirmation(conn, payment, trace).await?
            }
        }
        Ok(())
    }

    /// The customer confirmed a payment given up with its order: the money
    /// was taken, so it is recorded and given back in full, once (the
    /// refund's idempotency key is the payment's).
    pub async fn refund_late_confirmation(
        &self,
        conn: &mut PgConnection,
        payment: &PaymentRow,
        trace: Option<&TraceParent>,
    ) -> AppResult<()> {
        tracing::warn!(payment = %payment.id, "confirmed after its order was cancelled; refunding");
        let reference = payment.provider_reference.as_deref();
        repository::settle(conn, payment.id, "SUCCEEDED", reference, None, 0).await?;
        let key = format!("late-confirmation-{}", payment.id);
        let reason = Some("confirmed after the order was cancelled");
        self.refund(conn, payment.id, None, reason, &key, trace).await?;
        Ok(())
    }

    /// Calls the provider, retrying transient failures with exponential
    /// backoff and jitter. Returns the last answer and how many calls it took.
    async fn with_retries(&self, charge: &Charge<'_>) -> (Result<Charged, ProviderError>, i32) {
        let mut attempt = 0;
        loop {
            attempt += 1;
            match self.provider.charge(charge).await {
                Err(ProviderError::Transient(reason)) if attempt < self.max_attempts => {
                    let base = self.retry_base.as_millis() as u64 * 2u64.pow(attempt - 1);
                    let jitter = rand::thread_rng().gen_range(0..=base / 2);
                    tracing::warn!(attempt, %reason, "transient payment failure; retrying");
                    tokio::time::sleep(Duration::from_millis(base + jitter)).await;
                }
                other => return (other, attempt as i32),
            }
        }
    }

    /// Refunds `amount` (all that is left when `None`). The same
    /// `idempotency_key` refunds once.
    pub async fn refund(
        &self,
        conn: &mut PgConnection,
        payment_id: Uuid,
        amount: Option<i64>,
        reason: Option<&str>,
        idempotency_key: &str,
        trace: Option<&TraceParent>,
    ) -> AppResult<PaymentRow> {
        let payment = repository::lock(conn, payment_id)
            .await?
            .ok_or_else(|| AppError::not_found("payment not found"))?;
        if repository::refund_by_key(&mut *conn, payment_id, idempotency_key).await?.is_some() {
            return Ok(payment);
        }
        if !matches!(payment.status.as_str(), "SUCCEEDED" | "PARTIALLY_REFUNDED") {
            return Err(AppError::conflict(format!(
                "a {} payment cannot be refunded",
                payment.status.to_lowercase()
            )));
        }
        let left = payment.amount - payment.refunded;
        let amount = amount.unwrap_or(left);
        if amount <= 0 {
            return Err(AppError::bad_input("the refund amount must be positive"));
        }
        if amount > left {
            return Err(AppError::bad_input(format!("at most {left} can still be refunded")));
        }
        let reference = payment.provider_reference.clone().unwrap_or_default();
        let refund_reference = self
            .provider
            .refund(&reference, amount, &format!("refund-{payment_id}-{idempotency_key}"))
            .await
            .map_err(|e| {
                tracing::error!(error = %e, "refund failed at the provider");
                AppError::unavailable("the payment provider could not refund now; please retry")
            })?;
        let updated = repository::add_refund(
            conn,
            payment_id,
            amount,
            reason,
            &refund_reference,
            idempotency_key,
        )
        .await?;
        outbox::enqueue(conn, &events::refunded(&updated, amount, reason, trace)).await?;
        Ok(updated)
    }

    pub async fn refund_now(
        &self,
        payment_id: Uuid,
        amount: Option<i64>,
        reason: Option<&str>,
        idempotency_key: &str,
        trace: Option<&TraceParent>,
    ) -> AppResult<PaymentRow> {
        let mut tx = self.pool.begin().await?;
        let payment =
            self.refund(&mut tx, payment_id, amount, reason, idempotency_key, trace).await?;
        tx.commit().await?;
        Ok(payment)
    }
}
