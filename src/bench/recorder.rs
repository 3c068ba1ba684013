//! A stack's events, each stamped with the (paused) clock's time when it was sent.

use std::sync::{Arc, Mutex, PoisonError};

use tokio::sync::mpsc::{UnboundedSender, unbounded_channel};
use tokio::task::JoinHandle;
use tokio::time::Instant;
use xefs_core::engine::Event;

/// Events received so far, with their times.
pub(super) struct Recorder {
    events: Arc<Mutex<Vec<(Instant, Event)>>>,
    task: JoinHandle<()>,
}

impl Recorder {
    /// A recorder and the sender to give the stack ([`crate::Stack::with_events`]).
    ///
    /// Stamps every event when it is received: on a paused current-thread runtime the clock
    /// moves only when every task waits, so the receiver runs before time passes.
    pub(super) fn new() -> (Self, UnboundedSender<Event>) {
        let (tx, mut rx) = unbounded_channel();
        let events: Arc<Mutex<Vec<(Instant, Event)>>> = Arc::default();
        let sink = Arc::clone(&events);
        let task = tokio::spawn(async move {
            while let Some(e) = rx.recv().await {
                sink.lock()
                    .unwrap_or_else(PoisonError::into_inner)
                    .push((Instant::now(), e));
            }
        });
        (Self { events, task }, tx)
    }

    /// The events so far, then none.
    pub(super) fn take(&self) -> Vec<(Instant, Event)> {
        std::mem::take(&mut *self.events.lock().unwrap_or_else(PoisonError::into_inner))
    }

    /// Waits for the stack's senders to be gone.
    pub(super) async fn finish(self) {
        let _ = self.task.await;
    }
}
