//! WebSocket buffer sizes for GraphQL messages.
//!
//! tungstenite reserves a 128 KiB read buffer per connection and gathers up
//! to 128 KiB of writes before flushing. GraphQL over WebSocket messages are
//! a few hundred bytes to a few kilobytes, and a server holds thousands of
//! mostly idle connections, so those defaults were most of what each
//! subscription cost. A larger message still arrives whole: the read buffer
//! is where socket reads land, not a limit on a message's size.

use axum::extract::ws::WebSocketUpgrade;

/// Bytes read from the socket at a time.
pub const READ_BUFFER_BYTES: usize = 4 * 1024;
/// Write each message out at once instead of gathering writes.
pub const WRITE_BUFFER_BYTES: usize = 0;

/// An incoming upgrade with these sizes and `max_message_bytes` as the
/// largest message accepted.
pub fn sized(upgrade: WebSocketUpgrade, max_message_bytes: usize) -> WebSocketUpgrade {
    upgrade
        .read_buffer_size(READ_BUFFER_BYTES)
        .write_buffer_size(WRITE_BUFFER_BYTES)
        .max_message_size(max_message_bytes)
}
