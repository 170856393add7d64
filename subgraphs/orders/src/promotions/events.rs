//! `promotion.*` events, and giving a code's use back when its order is
//! cancelled or fails.

use kit::events::{Envelope, EventHandler, outbox};
use serde_json::{Value, json};
use sqlx::PgConnection;
use uuid::Uuid;

use super::repository::{self, CodeRow, PromotionRow};
use crate::events::SOURCE;

pub const PROMOTION_CREATED: &str = "promotion.created";
pub const PROMOTION_UPDATED: &str = "promotion.updated";
pub const PROMOTION_DELETED: &str = "promotion.deleted";
pub const CODE_CREATED: &str = "promotion.code_created";
pub const CODE_UPDATED: &str = "promotion.code_updated";
pub const CODE_DELETED: &str = "promotion.code_deleted";
pub const CODE_REDEEMED: &str = "promotion.code_redeemed";
pub const CODE_RELEASED: &str = "promotion.code_released";

pub fn promotion(event_type: &str, row: &PromotionRow) -> Envelope {
    Envelope::new(
        SOURCE,
        event_type,
        row.id,
        json!({
            "promotionId": row.id,
            "name": row.name,
            "rewardType": row.reward_type,
            "rewardValue": row.reward_value,
            "currency": row.currency,
            "productIds": row.product_ids,
            "categoryIds": row.category_ids,
            "tags": row.tags,
            "startsAt": row.starts_at,
            "endsAt": row.ends_at,
            "enabled": row.enabled,
        }),
        None,
    )
}

pub fn promotion_deleted(id: Uuid) -> Envelope {
    Envelope::new(SOURCE, PROMOTION_DELETED, id, json!({ "promotionId": id }), None)
}

pub fn code(event_type: &str, row: &CodeRow) -> Envelope {
    Envelope::new(
        SOURCE,
        event_type,
        row.id,
        json!({
            "codeId": row.id,
            "code": row.code,
            "rewardType": row.reward_type,
            "rewardValue": row.reward_value,
            "currency": row.currency,
            "usageLimit": row.usage_limit,
            "timesUsed": row.times_used,
            "startsAt": row.starts_at,
            "endsAt": row.ends_at,
            "enabled": row.enabled,
        }),
        None,
    )
}

pub fn code_deleted(id: Uuid) -> Envelope {
    Envelope::new(SOURCE, CODE_DELETED, id, json!({ "codeId": id }), None)
}

/// A use counted (at checkout) or given back (the order was cancelled or
/// failed).
pub fn code_use(event_type: &str, code: Uuid, text: &str, order: Uuid, data: Value) -> Envelope {
    let mut body = json!({ "codeId": code, "code": text, "orderId": order });
    if let (Some(body), Value::Object(extra)) = (body.as_object_mut(), data) {
        body.extend(extra);
    }
    Envelope::new(SOURCE, event_type, code, body, None)
}

pub const LISTENS_TO: &[&str] = &["order.status_changed"];

/// An order that ends without being paid for (CANCELLED, PAYMENT_FAILED)
/// gives its code's use back. The kit's consumer applies each event once;
/// the redemption's `released_at` makes a second release a no-op anyway.
pub struct GiveBackCodes;

impl EventHandler for GiveBackCodes {
    async fn handle(&self, tx: &mut PgConnection, event: &Envelope) -> anyhow::Result<()> {
        if !matches!(event.data["status"].as_str(), Some("CANCELLED" | "PAYMENT_FAILED")) {
            return Ok(());
        }
        let Some(order) = event.data["orderId"].as_str().and_then(|id| Uuid::parse_str(id).ok())
        else {
            anyhow::bail!("order.status_changed without a valid orderId");
        };
        if let Some((code, text)) = repository::release(tx, order).await? {
            let reason = json!({ "reason": event.data["status"] });
            outbox::enqueue(tx, &code_use(CODE_RELEASED, code, &text, order, reason)).await?;
        }
        Ok(())
    }
}
