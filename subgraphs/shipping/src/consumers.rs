//! A paid order gets a shipment.

use kit::{
    events::{Envelope, EventHandler},
    telemetry::TraceParent,
};
use sqlx::PgConnection;
use uuid::Uuid;

pub const LISTENS_TO: &[&str] = &["order.status_changed"];

pub struct PaidOrders;

impl EventHandler for PaidOrders {
    async fn handle(&self, tx: &mut PgConnection, event: &Envelope) -> anyhow::Result<()> {
        if event.data["status"] != "PAID" {
            return Ok(());
        }
        let id = |field: &str| {
            event.data[field]
                .as_str()
                .and_then(|s| Uuid::parse_str(s).ok())
                .ok_or_else(|| anyhow::anyhow!("no {field}"))
        };
        let trace = event.traceparent.as_deref().and_then(TraceParent::parse);
        crate::shipments::create(tx, id("orderId")?, id("customerId")?, trace.as_ref())
            .await
            .map_err(|e| anyhow::anyhow!("{e:?}"))?;
        Ok(())
    }
}
