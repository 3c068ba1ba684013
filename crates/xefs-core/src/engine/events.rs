//! Progress events, for progress bars and embedders.

use std::time::Duration;

use tokio::sync::mpsc::UnboundedSender;

use crate::blueprint::Address;
use crate::step::{Change, StepError};

/// Something that happened to a step during `plan`, `apply` or `destroy`.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub enum Event {
    /// The step's first call is starting.
    Started {
        /// The step.
        address: Address,
    },
    /// The step is waiting for a resource to settle.
    Waiting {
        /// The step.
        address: Address,
        /// What it waits for (e.g. "mount target fsmt-1 to become available").
        what: String,
        /// How long it has waited so far.
        elapsed: Duration,
        /// How long it will wait at most.
        timeout: Duration,
    },
    /// A call failed with a retryable error; the step tries again after `delay`.
    Retrying {
        /// The step.
        address: Address,
        /// The attempt that failed (1 for the first).
        attempt: u32,
        /// The backoff before the next attempt.
        delay: Duration,
        /// The error.
        error: StepError,
    },
    /// A pre-existing resource was taken as is; `destroy` will leave it alone.
    Adopted {
        /// The step.
        address: Address,
    },
    /// The step was observed (during `plan`).
    Observed {
        /// The step.
        address: Address,
        /// How long it took, retries included.
        duration: Duration,
    },
    /// The step completed (during `apply`).
    Done {
        /// The step.
        address: Address,
        /// What changed.
        change: Change,
        /// How long it took, retries and waits included.
        duration: Duration,
    },
    /// The step failed for good.
    Failed {
        /// The step.
        address: Address,
        /// The last error.
        error: StepError,
    },
    /// Something the user should know that does not stop the run (a resource of another
    /// phase deleted outside xefs since it was applied).
    Warning {
        /// The step.
        address: Address,
        /// What happened and what to do.
        message: String,
    },
    /// The step was not run.
    Skipped {
        /// The step.
        address: Address,
        /// Why.
        reason: String,
    },
    /// The step's resource was removed (during `destroy`).
    Removed {
        /// The step.
        address: Address,
        /// How long it took.
        duration: Duration,
    },
}

/// Where events go: an unbounded channel (so a slow consumer never slows the engine), or
/// nowhere.
#[derive(Debug, Clone, Default)]
pub struct EventSink(Option<UnboundedSender<Event>>);

impl EventSink {
    /// Events go to `tx`.
    pub fn new(tx: UnboundedSender<Event>) -> Self {
        Self(Some(tx))
    }

    /// Events are dropped.
    pub fn none() -> Self {
        Self(None)
    }

    /// Sends an event; a closed receiver is not an error (the embedder stopped listening).
    pub fn emit(&self, event: Event) {
        if let Some(tx) = &self.0 {
            let _ = tx.send(event);
        }
    }
}
