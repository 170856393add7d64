use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::telemetry::TraceParent;

/// The message every event travels in (see the API contract).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Envelope {
    /// Unique per event; consumers deduplicate on it.
    pub id: Uuid,
    /// The routing key, e.g. `user.registered`.
    #[serde(rename = "type")]
    pub event_type: String,
    pub occurred_at: DateTime<Utc>,
    /// The service that emitted it.
    pub source: String,
    /// The id of the aggregate it concerns.
    pub subject: String,
    pub data: serde_json::Value,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub traceparent: Option<String>,
}

/// The AMQP header that carries the publish's trace context, as the W3C
/// propagation for messaging systems does.
pub const TRACEPARENT_HEADER: &str = "traceparent";

impl Envelope {
    pub fn new(
        source: &str,
        event_type: &str,
        subject: impl ToString,
        data: serde_json::Value,
        trace: Option<&TraceParent>,
    ) -> Self {
        Self {
            id: Uuid::now_v7(),
            event_type: event_type.to_owned(),
            occurred_at: Utc::now(),
            source: source.to_owned(),
            subject: subject.to_string(),
            data,
            // The context of the work that emitted it (already its own
            // span's, see `telemetry::start`): the publish and the
            // consumers' spans follow from it.
            traceparent: trace.map(ToString::to_string),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn serialises_with_the_contract_field_names() {
        let trace = TraceParent::new_root();
        let envelope = Envelope::new(
            "users",
            "user.registered",
            "u1",
            serde_json::json!({"email": "a@b.co"}),
            Some(&trace),
        );
        let json = serde_json::to_value(&envelope).expect("serialises");
        for field in ["id", "type", "occurredAt", "source", "subject", "data", "traceparent"] {
            assert!(json.get(field).is_some(), "missing {field}: {json}");
        }
        assert_eq!(json["type"], "user.registered");
        let traceparent = json["traceparent"].as_str().expect("string");
        assert!(traceparent.contains(&trace.trace_id_hex()));
        let back: Envelope = serde_json::from_value(json).expect("deserialises");
        assert_eq!(back, envelope);
    }
}
