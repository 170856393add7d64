//! `POST /webhooks/stripe`: Stripe's asynchronous outcomes. A card that
//! needed 3-D Secure is settled here once the customer has acted; a refund
//! made in Stripe's dashboard is recorded here.
//!
//! Every request must carry a valid `Stripe-Signature` (`signature`): one
//! that does not is answered 400 and changes nothing. Each event is applied
//! once, by Stripe's event id, in the same transaction as its effect, so a
//! redelivery (Stripe retries anything but 2xx) or a replay within the
//! signature's tolerance is answered 200 and ignored. Events about
//! payments we do not know, or already settled, are acknowledged too, or
//! Stripe would keep retrying them.

pub mod signature;

use axum::{
    Json, Router,
    body::Bytes,
    extract::State,
    http::{HeaderMap, StatusCode},
    response::{IntoResponse, Response},
    routing::post,
};
use kit::{AppError, events::outbox};
use serde::Deserialize;
use serde_json::{Value, json};
use sqlx::PgConnection;

use crate::{
    events,
    payments::Payments,
    repository::{self, PaymentRow},
};

pub const PATH: &str = "/webhooks/stripe";

/// Stripe's default tolerance for a signature's timestamp.
pub const DEFAULT_TOLERANCE_SECS: i64 = 300;

#[derive(Clone)]
pub struct StripeWebhooks {
    /// Refunds a confirmation that came too late.
    pub payments: Payments,
    /// The endpoint's signing secrets (`whsec_…`); two while rolling one.
    pub secrets: Vec<String>,
    pub tolerance_secs: i64,
}

impl StripeWebhooks {
    /// The route; none without a secret, since nothing could be verified.
    pub fn routes(self) -> Router {
        if self.secrets.is_empty() {
            return Router::new();
        }
        Router::new().route(PATH, post(receive)).with_state(self)
    }
}

#[derive(Deserialize)]
struct StripeEvent {
    id: String,
    #[serde(rename = "type")]
    kind: String,
    data: EventData,
}

#[derive(Deserialize)]
struct EventData {
    object: Value,
}

async fn receive(
    State(webhooks): State<StripeWebhooks>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let header = headers.get("stripe-signature").and_then(|v| v.to_str().ok());
    let now = chrono::Utc::now().timestamp();
    if let Err(e) =
        signature::verify(header, &body, &webhooks.secrets, now, webhooks.tolerance_secs)
    {
        tracing::warn!(error = %e, "Stripe webhook refused");
        return refused("invalid signature");
    }
    let Ok(event) = serde_json::from_slice::<StripeEvent>(&body) else {
        return refused("not a Stripe event");
    };
    match apply(&webhooks.payments, &event).await {
        Ok(applied) => Json(json!({ "received": true, "applied": applied })).into_response(),
        Err(e) => {
            // 500: Stripe retries later, and the event id was not recorded.
            tracing::error!(error = ?e, event = %event.id, kind = %event.kind, "Stripe webhook failed");
            (StatusCode::INTERNAL_SERVER_ERROR, Json(json!({ "error": "try again later" })))
                .into_response()
        }
    }
}

fn refused(reason: &str) -> Response {
    (StatusCode::BAD_REQUEST, Json(json!({ "error": reason }))).into_response()
}

/// Applies `event` once: `false` when it was seen before or changes nothing.
async fn apply(payments: &Payments, event: &StripeEvent) -> Result<bool, AppError> {
    let mut tx = payments.pool.begin().await?;
    if !repository::first_delivery(&mut tx, &event.id, &event.kind).await? {
        tracing::info!(event = %event.id, kind = %event.kind, "Stripe event seen before; ignored");
        return Ok(false);
    }
    let object = &event.data.object;
    // The PaymentIntent the event is about: a charge names its intent.
    let reference = match event.kind.as_str() {
        "payment_intent.succeeded"
        | "payment_intent.payment_failed"
        | "payment_intent.requires_action" => object["id"].as_str(),
        "charge.refunded" => object["payment_intent"].as_str(),
        _ => None,
    };
    let payment = match reference {
        Some(reference) => repository::lock_by_reference(&mut tx, reference).await?,
        None => None,
    };
    let changed = match payment {
        None => {
            if let Some(reference) = reference {
                tracing::warn!(reference, "Stripe event for a payment we do not know");
            }
            false
        }
        // Given up with its order while the customer was confirming.
        Some(payment) if event.kind == "payment_intent.succeeded" && payment.status == "FAILED" => {
            payments.refund_late_confirmation(&mut tx, &payment, None).await?;
            true
        }
        Some(payment) => match event.kind.as_str() {
            "payment_intent.succeeded" => {
                settle(&mut tx, &payment, object, Outcome::Succeeded).await?
            }
            "payment_intent.payment_failed" => {
                settle(&mut tx, &payment, object, Outcome::Failed).await?
            }
            "payment_intent.requires_action" => require_action(&mut tx, &payment, object).await?,
            "charge.refunded" => refunded(&mut tx, &payment, &event.id, object).await?,
            _ => false,
        },
    };
    tx.commit().await?;
    Ok(changed)
}

enum Outcome {
    Succeeded,
    Failed,
}

/// A PaymentIntent's final outcome, for a payment still waiting for it.
async fn settle(
    conn: &mut PgConnection,
    payment: &PaymentRow,
    intent: &Value,
    outcome: Outcome,
) -> sqlx::Result<bool> {
    if !matches!(payment.status.as_str(), "PENDING" | "ACTION_REQUIRED") {
        return Ok(false);
    }
    let reference = payment.provider_reference.as_deref();
    let envelope = match outcome {
        Outcome::Succeeded => {
            let paid =
                repository::settle(conn, payment.id, "SUCCEEDED", reference, None, 0).await?;
            events::succeeded(&paid, None)
        }
        Outcome::Failed => {
            let reason = intent["last_payment_error"]["message"]
                .as_str()
                .unwrap_or("the customer could not confirm the payment");
            let failed =
                repository::settle(conn, payment.id, "FAILED", reference, Some(reason), 0).await?;
            events::failed(&failed, reason, None)
        }
    };
    outbox::enqueue(conn, &envelope).await?;
    Ok(true)
}

/// Stripe's own word that a PENDING payment needs the customer (normally
/// the charge's answer said so already).
async fn require_action(
    conn: &mut PgConnection,
    payment: &PaymentRow,
    intent: &Value,
) -> sqlx::Result<bool> {
    let (Some(reference), Some(client_secret)) =
        (intent["id"].as_str(), intent["client_secret"].as_str())
    else {
        return Ok(false);
    };
    if payment.status != "PENDING" {
        return Ok(false);
    }
    let waiting = repository::require_action(conn, payment.id, reference, client_secret, 0).await?;
    outbox::enqueue(conn, &events::action_required(&waiting, None)).await?;
    Ok(true)
}

/// A refund Stripe reports: only what our own refunds have not recorded
/// (a refund made in Stripe's dashboard) is added.
async fn refunded(
    conn: &mut PgConnection,
    payment: &PaymentRow,
    event_id: &str,
    charge: &Value,
) -> sqlx::Result<bool> {
    let Some(total_refunded) = charge["amount_refunded"].as_i64() else { return Ok(false) };
    let missing = total_refunded.min(payment.amount) - payment.refunded;
    if missing <= 0 {
        return Ok(false);
    }
    let refund_reference = charge["refunds"]["data"][0]["id"]
        .as_str()
        .or_else(|| charge["id"].as_str())
        .or(payment.provider_reference.as_deref())
        .unwrap_or_default();
    let reason = Some("refunded in Stripe");
    let key = format!("stripe-{event_id}");
    let updated =
        repository::add_refund(conn, payment.id, missing, reason, refund_reference, &key).await?;
    outbox::enqueue(conn, &events::refunded(&updated, missing, reason, None)).await?;
    Ok(true)
}
