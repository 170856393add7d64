//! The payments side of the saga: `order.created` records what to charge,
//! `inventory.reserved` charges it (whichever of the two arrives last), and
//! an order cancelled after it was paid is refunded in full.

use kit::{
    AppError,
    error::ErrorCode,
    events::{Envelope, EventHandler},
    telemetry::TraceParent,
};
use sqlx::PgConnection;
use uuid::Uuid;

use crate::{methods, payments::Payments, repository};

pub const LISTENS_TO: &[&str] = &["order.created", "inventory.reserved", "order.status_changed"];

pub struct PaymentEvents(pub Payments);

fn uuid(value: &serde_json::Value) -> anyhow::Result<Uuid> {
    value
        .as_str()
        .and_then(|s| Uuid::parse_str(s).ok())
        .ok_or_else(|| anyhow::anyhow!("expected a uuid, got {value}"))
}

impl EventHandler for PaymentEvents {
    async fn handle(&self, tx: &mut PgConnection, event: &Envelope) -> anyhow::Result<()> {
        let data = &event.data;
        let trace = event.traceparent.as_deref().and_then(TraceParent::parse);
        let result = match event.event_type.as_str() {
            "order.created" => {
                let amount =
                    data["total"]["amount"].as_i64().ok_or_else(|| anyhow::anyhow!("no total"))?;
                let currency = data["total"]["currency"].as_str().unwrap_or("USD");
                let order = uuid(&data["orderId"])?;
                let customer = uuid(&data["customerId"])?;
                let means = match data["paymentMethodId"].as_str() {
                    Some(method) => methods::means(tx, customer, method).await?,
                    None => repository::Means {
                        token: data["paymentToken"].as_str().unwrap_or_default().to_owned(),
                        ..Default::default()
                    },
                };
                let provider = self.0.provider.name();
                repository::lock_order_events(tx, order).await?;
                repository::create(tx, order, customer, amount, currency, provider, &means).await?;
                // The stock may already be reserved: then charge now.
                match repository::take_early_reservation(tx, order).await? {
                    Some(reserved) => {
                        let trace = reserved.as_deref().and_then(TraceParent::parse);
                        self.0.charge(tx, order, trace.as_ref()).await.map(drop)
                    }
                    None => Ok(()),
                }
            }
            "inventory.reserved" => {
                let order = uuid(&data["orderId"])?;
                repository::lock_order_events(tx, order).await?;
                if repository::lock_by_order(tx, order).await?.is_some() {
                    self.0.charge(tx, order, trace.as_ref()).await.map(drop)
                } else {
                    // It overtook order.created, which will charge.
                    let traceparent = event.traceparent.as_deref();
                    repository::remember_early_reservation(tx, order, traceparent).await?;
                    Ok(())
                }
            }
            // Cancelled while the customer had still to confirm: the charge
            // is cancelled at the provider (`Payments::give_up`).
            "order.status_changed"
                if data["status"] == "CANCELLED"
                    && data["previousStatus"] == "PAYMENT_ACTION_REQUIRED" =>
            {
                let order = uuid(&data["orderId"])?;
                match repository::lock_by_order(tx, order).await? {
                    Some(payment) if payment.status == "ACTION_REQUIRED" => {
                        self.0.give_up(tx, &payment, trace.as_ref()).await
                    }
                    _ => Ok(()),
                }
            }
            "order.status_changed"
                if data["status"] == "CANCELLED" && data["previousStatus"] == "PAID" =>
            {
                let order = uuid(&data["orderId"])?;
                match repository::lock_by_order(tx, order).await? {
                    Some(payment) => self
                        .0
                        .refund(
                            tx,
                            payment.id,
                            None,
                            Some("order cancelled"),
                            &format!("cancel-{order}"),
                            trace.as_ref(),
                        )
                        .await
                        .map(drop),
                    None => Ok(()),
                }
            }
            _ => Ok(()),
        };
        match result {
            Ok(()) => Ok(()),
            // The provider may answer later: let the consumer retry.
            Err(AppError::Client { code: ErrorCode::Unavailable, message }) => {
                Err(anyhow::anyhow!(message))
            }
            Err(AppError::Client { code, message }) => {
                tracing::warn!(event = %event.event_type, code = code.as_str(), %message, "payment event not applied");
                Ok(())
            }
            Err(AppError::Internal(e)) => Err(anyhow::anyhow!("{e:#}")),
        }
    }
}
