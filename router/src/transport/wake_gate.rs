//! Polling a source again only when it has woken the task.
//!
//! A WebSocket connection's task waits on several sources at once (the
//! client's socket, its operations' events, the shutdown signal, timers),
//! and `select!` polls every one of them each time the task runs. With a
//! crowd on one order, the task runs once per event, so each event paid
//! for polling the socket's read side (a lock in tokio's I/O driver) and
//! the timers, all of which had nothing to say: perf put that at about a
//! tenth of the router's time per delivery. A gate gives its source a
//! waker of its own that records the wake-up before passing it on to the
//! task, so the task polls that source only after it has spoken.

use std::{
    sync::{
        Arc,
        atomic::{AtomicBool, Ordering},
    },
    task::{Context, Poll, Wake, Waker},
};

use futures::task::AtomicWaker;

pub struct WakeGate {
    flag: Arc<Flag>,
    /// Handed to the source in place of the task's waker.
    waker: Waker,
}

struct Flag {
    woken: AtomicBool,
    task: AtomicWaker,
}

impl Wake for Flag {
    fn wake(self: Arc<Self>) {
        self.wake_by_ref();
    }

    fn wake_by_ref(self: &Arc<Self>) {
        self.woken.store(true, Ordering::Release);
        self.task.wake();
    }
}

impl WakeGate {
    /// A gate that lets the first poll through.
    pub fn new() -> Self {
        let flag = Arc::new(Flag { woken: AtomicBool::new(true), task: AtomicWaker::new() });
        let waker = Waker::from(flag.clone());
        Self { flag, waker }
    }

    /// Lets the next poll through, for a source changed by the task itself
    /// (a timer reset).
    pub fn open(&self) {
        self.flag.woken.store(true, Ordering::Release);
    }

    /// Runs `poll` with the gate's waker if the source has woken the task
    /// since it last answered `Pending`; `Pending` otherwise.
    pub fn poll<T>(
        &self,
        cx: &mut Context<'_>,
        poll: impl FnOnce(&mut Context<'_>) -> Poll<T>,
    ) -> Poll<T> {
        // The task's waker is registered before the flag is read, so a
        // wake-up that comes after the read still wakes the task.
        self.flag.task.register(cx.waker());
        if !self.flag.woken.swap(false, Ordering::AcqRel) {
            return Poll::Pending;
        }
        let answer = poll(&mut Context::from_waker(&self.waker));
        if answer.is_ready() {
            // A source that answered may have more without waking anyone.
            self.open();
        }
        answer
    }
}

#[cfg(test)]
mod tests {
    use std::{future::poll_fn, time::Duration};

    use super::*;

    #[tokio::test]
    async fn a_source_is_polled_again_only_after_it_wakes_the_task() {
        let gate = WakeGate::new();
        let (sender, mut receiver) = tokio::sync::mpsc::unbounded_channel::<u32>();
        let mut polls = 0;
        {
            let mut poll_gated = |cx: &mut Context<'_>| {
                gate.poll(cx, |cx| {
                    polls += 1;
                    receiver.poll_recv(cx)
                })
            };
            // The first poll goes through and registers the gate's waker.
            let waker = futures::task::noop_waker();
            let mut cx = Context::from_waker(&waker);
            for _ in 0..3 {
                assert!(poll_gated(&mut cx).is_pending());
            }
        }
        assert_eq!(polls, 1, "polled while nothing had woken it");

        let sent = tokio::spawn(async move {
            tokio::time::sleep(Duration::from_millis(20)).await;
            sender.send(7).expect("send");
            sender
        });
        let mut polls = 0;
        let received = poll_fn(|cx| {
            gate.poll(cx, |cx| {
                polls += 1;
                receiver.poll_recv(cx)
            })
        })
        .await;
        assert_eq!(received, Some(7));
        assert_eq!(polls, 1, "the wake-up reached the task and let the poll through");
        drop(sent.await.expect("sender"));
    }
}
