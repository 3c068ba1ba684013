//! Retrying a step's attempts on retryable errors, with events.

use std::time::Duration;

use tokio_util::sync::CancellationToken;

use super::{Event, EventSink, RetryPolicy};
use crate::blueprint::Address;
use crate::state::StateError;
use crate::step::StepError;

/// Why an attempt stopped: the step failed (maybe retryable), or the journal did (never
/// retried: the engine stops at once).
#[derive(Debug)]
pub(crate) enum AttemptError {
    Step(StepError),
    State(StateError),
}

impl From<StepError> for AttemptError {
    fn from(e: StepError) -> Self {
        Self::Step(e)
    }
}

impl From<StateError> for AttemptError {
    fn from(e: StateError) -> Self {
        Self::State(e)
    }
}

/// Counts one step's attempts and sleeps the backoff between them.
pub(crate) struct Retry<'a> {
    delays: Box<dyn Iterator<Item = Duration> + Send>,
    throttle_delays: Box<dyn Iterator<Item = Duration> + Send>,
    /// Backoff left for throttled attempts.
    throttle_budget: Duration,
    attempts: u32,
    address: &'a Address,
    events: &'a EventSink,
    cancel: &'a CancellationToken,
}

impl<'a> Retry<'a> {
    pub(crate) fn new(
        policy: &RetryPolicy,
        address: &'a Address,
        events: &'a EventSink,
        cancel: &'a CancellationToken,
    ) -> Self {
        Self {
            delays: Box::new(policy.delays()),
            throttle_delays: Box::new(policy.throttle_delays()),
            throttle_budget: policy.throttle_budget,
            attempts: 0,
            address,
            events,
            cancel,
        }
    }

    /// Attempts started so far.
    pub(crate) fn attempts(&self) -> u32 {
        self.attempts
    }

    /// Marks the start of an attempt.
    pub(crate) fn start_attempt(&mut self) {
        self.attempts += 1;
    }

    /// After a failed attempt: sleeps the backoff and returns `Ok` if the error is retryable
    /// and attempts remain (for throttling: if the throttle budget does); otherwise returns the
    /// error to report. Cancellation during the backoff ends the retries.
    pub(crate) async fn after_failure(&mut self, error: StepError) -> Result<(), StepError> {
        if !error.is_retryable() {
            return Err(error);
        }
        let throttled = error.is_throttled().then(|| {
            self.throttle_delays
                .next()
                .filter(|d| *d <= self.throttle_budget)
        });
        let delay = match throttled {
            Some(Some(delay)) => {
                self.throttle_budget -= delay;
                delay
            }
            Some(None) => return Err(error),
            None => match self.delays.next() {
                Some(delay) => delay,
                None => return Err(error),
            },
        };
        if self.cancel.is_cancelled() {
            return Err(StepError::cancelled(format!(
                "cancelled instead of retrying: {error}"
            )));
        }
        tracing::warn!(attempt = self.attempts, ?delay, %error, "retrying");
        self.events.emit(Event::Retrying {
            address: self.address.clone(),
            attempt: self.attempts,
            delay,
            error: error.clone(),
        });
        tokio::select! {
            () = tokio::time::sleep(delay) => Ok(()),
            () = self.cancel.cancelled() => Err(StepError::cancelled(format!(
                "cancelled instead of retrying: {error}"
            ))),
        }
    }
}
