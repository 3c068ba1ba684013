//! What the engine hands a step on every call: its inputs, the cancellation token, the event
//! sink, the shared rate limits, and a bounded wait helper.

use std::future::Future;
use std::time::Duration;

use backon::{BackoffBuilder, ExponentialBuilder};
use tokio::time::Instant;
use tokio_util::sync::CancellationToken;

use super::{Inputs, StepError};
use crate::blueprint::Address;
use crate::engine::{Event, EventSink, RateLimits};

/// How [`StepContext::wait_until`] spaces its polls: exponential from `initial` to `max`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct WaitPolicy {
    /// The delay after the first unsuccessful poll.
    pub initial: Duration,
    /// The longest delay between two polls.
    pub max: Duration,
    /// The growth factor between delays.
    pub factor: f32,
}

impl Default for WaitPolicy {
    /// 1 s, doubling up to 15 s: quick for IAM propagation, gentle for mount targets that
    /// take minutes.
    fn default() -> Self {
        Self {
            initial: Duration::from_secs(1),
            max: Duration::from_secs(15),
            factor: 2.0,
        }
    }
}

/// The engine's side of a step call.
///
/// Providers use it to read dependencies' outputs, to respect the process-wide rate limits,
/// and to wait (bounded, cancellable, reported) for a resource to settle.
#[derive(Debug, Clone)]
pub struct StepContext {
    address: Address,
    inputs: Inputs,
    cancel: CancellationToken,
    events: EventSink,
    rate_limits: RateLimits,
    wait: WaitPolicy,
}

impl StepContext {
    /// A context for `address` with the given inputs, no events, a fresh token and no rate
    /// limits: what a provider's unit test needs. The engine adds the rest.
    pub fn new(address: Address, inputs: Inputs) -> Self {
        Self {
            address,
            inputs,
            cancel: CancellationToken::new(),
            events: EventSink::none(),
            rate_limits: RateLimits::unlimited(),
            wait: WaitPolicy::default(),
        }
    }

    /// Uses this cancellation token.
    #[must_use]
    pub fn with_cancel(mut self, cancel: CancellationToken) -> Self {
        self.cancel = cancel;
        self
    }

    /// Sends `Waiting` events to this sink.
    #[must_use]
    pub fn with_events(mut self, events: EventSink) -> Self {
        self.events = events;
        self
    }

    /// Shares these rate limits.
    #[must_use]
    pub fn with_rate_limits(mut self, rate_limits: RateLimits) -> Self {
        self.rate_limits = rate_limits;
        self
    }

    /// Spaces waits' polls this way.
    #[must_use]
    pub fn with_wait_policy(mut self, wait: WaitPolicy) -> Self {
        self.wait = wait;
        self
    }

    /// The address of the step being run.
    pub fn address(&self) -> &Address {
        &self.address
    }

    /// The outputs of the step's dependencies.
    pub fn inputs(&self) -> &Inputs {
        &self.inputs
    }

    /// The run's cancellation token: long calls may stop early when it fires.
    pub fn cancel_token(&self) -> &CancellationToken {
        &self.cancel
    }

    /// True once the run has been cancelled.
    pub fn is_cancelled(&self) -> bool {
        self.cancel.is_cancelled()
    }

    /// The process-wide rate limits; call `acquire` before each API call.
    pub fn rate_limits(&self) -> &RateLimits {
        &self.rate_limits
    }

    /// Reports a wait that the step runs itself (e.g. a Kubernetes watch), so progress shows it.
    pub fn report_waiting(&self, what: &str, elapsed: Duration, timeout: Duration) {
        tracing::info!(address = %self.address, what, ?elapsed, ?timeout, "waiting");
        self.events.emit(Event::Waiting {
            address: self.address.clone(),
            what: what.to_owned(),
            elapsed,
            timeout,
        });
    }

    /// Polls until `poll` returns `Some`, for at most `timeout`.
    ///
    /// Between polls it sleeps with exponential backoff ([`WaitPolicy`]) and emits a
    /// `Waiting { what, elapsed, timeout }` event. A retryable error from `poll` counts as "not
    /// yet" (eventual consistency right after a create); a permanent one ends the wait. When the
    /// time is up it fails with a permanent error `timed out after Ns waiting for {what}`
    /// (retrying the step would only double the wait); when the run is cancelled it fails with
    /// a cancelled error.
    pub async fn wait_until<T, F, Fut>(
        &self,
        what: &str,
        timeout: Duration,
        mut poll: F,
    ) -> Result<T, StepError>
    where
        F: FnMut() -> Fut,
        Fut: Future<Output = Result<Option<T>, StepError>>,
    {
        let start = Instant::now();
        let mut delays = ExponentialBuilder::default()
            .with_min_delay(self.wait.initial)
            .with_max_delay(self.wait.max)
            .with_factor(self.wait.factor)
            .without_max_times()
            .build();
        let mut last_error = None;
        loop {
            match poll().await {
                Ok(Some(value)) => return Ok(value),
                Ok(None) => {}
                Err(e) if e.is_retryable() => last_error = Some(e),
                Err(e) => return Err(e),
            }
            let elapsed = start.elapsed();
            if elapsed >= timeout {
                let mut message = format!(
                    "timed out after {}s waiting for {what}",
                    timeout.as_secs_f64().round()
                );
                if let Some(e) = last_error {
                    message.push_str(&format!(" (last error: {e})"));
                }
                return Err(StepError::permanent(message));
            }
            let delay = delays
                .next()
                .unwrap_or(self.wait.max)
                .min(timeout - elapsed);
            self.report_waiting(what, elapsed, timeout);
            tokio::select! {
                () = tokio::time::sleep(delay) => {}
                () = self.cancel.cancelled() => {
                    return Err(StepError::cancelled(format!("cancelled while waiting for {what}")));
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;
    use std::sync::atomic::{AtomicU32, Ordering};

    use super::*;

    fn ctx() -> Result<StepContext, crate::blueprint::AddressError> {
        Ok(StepContext::new(
            Address::parse("storage.efs.mount-targets")?,
            Inputs::new(),
        ))
    }

    #[tokio::test(start_paused = true)]
    async fn wait_until_succeeds_after_polls_and_reports_waiting()
    -> Result<(), Box<dyn std::error::Error>> {
        let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel();
        let ctx = ctx()?.with_events(EventSink::new(tx));
        let polls = Arc::new(AtomicU32::new(0));
        let start = Instant::now();
        let value = ctx
            .wait_until(
                "mount targets to become available",
                Duration::from_secs(60),
                || {
                    let polls = polls.clone();
                    async move {
                        let n = polls.fetch_add(1, Ordering::SeqCst);
                        Ok((n >= 3).then_some(n))
                    }
                },
            )
            .await?;
        assert_eq!(value, 3);
        // 1 + 2 + 4 seconds of backoff before the fourth poll.
        assert_eq!(start.elapsed(), Duration::from_secs(7));
        let mut waiting = 0;
        while let Ok(event) = rx.try_recv() {
            assert!(matches!(event, Event::Waiting { .. }));
            waiting += 1;
        }
        assert_eq!(waiting, 3);
        Ok(())
    }

    #[tokio::test(start_paused = true)]
    async fn wait_until_times_out_with_a_clear_message() -> Result<(), Box<dyn std::error::Error>> {
        let ctx = ctx()?;
        let start = Instant::now();
        let err = ctx
            .wait_until(
                "peering pcx-1 to become active",
                Duration::from_secs(30),
                || async { Err::<Option<()>, _>(StepError::retryable("not found yet")) },
            )
            .await
            .err()
            .ok_or("expected a timeout")?;
        assert_eq!(start.elapsed(), Duration::from_secs(30));
        assert!(!err.is_retryable());
        assert_eq!(
            err.message(),
            "timed out after 30s waiting for peering pcx-1 to become active (last error: not found yet)"
        );
        Ok(())
    }

    #[tokio::test(start_paused = true)]
    async fn wait_until_stops_when_cancelled() -> Result<(), Box<dyn std::error::Error>> {
        let cancel = CancellationToken::new();
        let ctx = ctx()?.with_cancel(cancel.clone());
        let canceller = tokio::spawn(async move {
            tokio::time::sleep(Duration::from_secs(5)).await;
            cancel.cancel();
        });
        let err = ctx
            .wait_until("the operator", Duration::from_secs(600), || async {
                Ok::<Option<()>, StepError>(None)
            })
            .await
            .err()
            .ok_or("expected cancellation")?;
        canceller.await?;
        assert!(err.is_cancelled());
        Ok(())
    }

    #[tokio::test]
    async fn permanent_poll_error_ends_the_wait() -> Result<(), Box<dyn std::error::Error>> {
        let err = ctx()?
            .wait_until("x", Duration::from_secs(600), || async {
                Err::<Option<()>, _>(StepError::permanent("gone"))
            })
            .await
            .err()
            .ok_or("expected an error")?;
        assert_eq!(err.message(), "gone");
        Ok(())
    }
}
