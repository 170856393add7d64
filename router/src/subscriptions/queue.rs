//! One operation's events on their way to its client, bounded in results
//! and in bytes: a client that stops reading holds at most `buffer`
//! results and `buffer_bytes` of them (one result larger than that still
//! goes through an empty queue).

use std::{
    sync::{
        Arc,
        atomic::{AtomicUsize, Ordering},
    },
    task::{Context, Poll},
};

use tokio::sync::mpsc;

use super::Event;

/// Slots kept for the closing messages (an error and completion).
const RESERVED: usize = 2;

pub struct EventSender {
    events: mpsc::Sender<Event>,
    queued_bytes: Arc<AtomicUsize>,
    max_bytes: usize,
}

pub struct EventReceiver {
    events: mpsc::Receiver<Event>,
    queued_bytes: Arc<AtomicUsize>,
}

/// A queue for `buffer` results and `max_bytes` of them.
pub fn channel(buffer: usize, max_bytes: usize) -> (EventSender, EventReceiver) {
    let (sender, receiver) = mpsc::channel(buffer.max(1) + RESERVED);
    let queued_bytes = Arc::new(AtomicUsize::new(0));
    (
        EventSender { events: sender, queued_bytes: queued_bytes.clone(), max_bytes },
        EventReceiver { events: receiver, queued_bytes },
    )
}

impl EventSender {
    /// Queues `event`; waits only if the closing slots are taken too.
    pub async fn send(&self, event: Event) {
        self.queued_bytes.fetch_add(event.bytes(), Ordering::AcqRel);
        let _ = self.events.send(event).await;
    }

    /// Whether a result of `bytes` fits while keeping room for the
    /// closing messages.
    pub fn has_room(&self, bytes: usize) -> bool {
        let queued = self.queued_bytes.load(Ordering::Acquire);
        self.events.capacity() > RESERVED && (queued == 0 || queued + bytes <= self.max_bytes)
    }

    /// Resolves when the client has gone away.
    pub async fn closed(&self) {
        self.events.closed().await;
    }
}

impl EventReceiver {
    pub fn poll_recv(&mut self, cx: &mut Context<'_>) -> Poll<Option<Event>> {
        let polled = self.events.poll_recv(cx);
        if let Poll::Ready(Some(event)) = &polled {
            self.queued_bytes.fetch_sub(event.bytes(), Ordering::AcqRel);
        }
        polled
    }
}
