//! The events this service emits, all through the outbox.

use kit::{events::Envelope, telemetry::TraceParent};
use serde_json::json;

use crate::repository::users::UserRow;

pub const SOURCE: &str = "users";
pub const USER_REGISTERED: &str = "user.registered";
pub const PASSWORD_RESET_REQUESTED: &str = "user.password_reset_requested";

pub fn user_registered(user: &UserRow, trace: Option<&TraceParent>) -> Envelope {
    Envelope::new(
        SOURCE,
        USER_REGISTERED,
        user.id,
        json!({ "userId": user.id, "email": user.email, "name": user.name }),
        trace,
    )
}

/// Carries the reset token itself: the notifications service has to put it
/// in the email, and this event is the only way it can learn it.
pub fn password_reset_requested(
    user: &UserRow,
    token: &str,
    expires_at: chrono::DateTime<chrono::Utc>,
    trace: Option<&TraceParent>,
) -> Envelope {
    Envelope::new(
        SOURCE,
        PASSWORD_RESET_REQUESTED,
        user.id,
        json!({
            "userId": user.id,
            "email": user.email,
            "name": user.name,
            "token": token,
            "expiresAt": expires_at,
        }),
        trace,
    )
}
