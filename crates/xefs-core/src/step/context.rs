//! What the engine hands a step on every call: its inputs, the cancellation token, the event
//! sink, the shared rate limits, and a bounded wait helper.

use std::future::Future;
use std::time::Duration;

use backon::{BackoffBuilder, ExponentialBuilder};
use tokio::time::Instant;
use tokio_util::sync::CancellationToken;

use super::{Inputs, StepError, StepOutputs};
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
    recorded: Option<StepOutputs>,
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
            recorded: None,
        }
    }

    /// Gives the step the outputs the journal recorded when it last applied it.
    #[must_use]
    pub fn with_recorded(mut self, recorded: Option<StepOutputs>) -> Self {
        self.recorded = recorded;
        self
    }

    /// The step's own outputs as an earlier apply recorded them (`None` before the first, or
    /// once removed): a hint that can save a read, never a substitute for one.
    pub fn recorded(&self) -> Option<&StepOutputs> {
        self.recorded.as_ref()
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
    /// Polls take their turn under the rate limits after other calls
    /// ([`RateLimits::polling`]). Between polls it sleeps with exponential backoff
    /// ([`WaitPolicy`]) and emits a
    /// `Waiting { what, elapsed, timeout }` event. A retryable error from `poll` counts as "not
    /// yet" (eventual consistency right after a create); a permanent one ends the wait. When the
    /// time is up it fails with a permanent error `timed out after Ns waiting for {what}`
    /// (retrying the step would only double the wait); when the run is cancelled it fails with
    /// a cancelled error.
    pub async fn wait_until<T, F, Fut>(
        &self,
        what: &str,
        timeout: Duration,
        poll: F,
    ) -> Result<T, StepError>
    where
        F: FnMut() -> Fut,
        Fut: Future<Output = Result<Option<T>, StepError>>,
    {
        self.wait_until_expecting(what, Duration::ZERO, timeout, poll)
            .await
    }

    /// [`StepContext::wait_until`] for something just started that typically takes `typical`
    /// to settle (a mount target: a minute and a half). One poll after [`WaitPolicy::initial`]
    /// (an emulator, or something nearly done, settles at once), the next at two thirds of
    /// `typical`, then one every twelfth of it (within [`WaitPolicy`]'s bounds), backing off
    /// from there once `typical` has passed: six polls for a mount target instead of ten, at
    /// most 7.5 s late. That matters when a fleet's polls share one rate limit.
    pub async fn wait_until_expecting<T, F, Fut>(
        &self,
        what: &str,
        typical: Duration,
        timeout: Duration,
        mut poll: F,
    ) -> Result<T, StepError>
    where
        F: FnMut() -> Fut,
        Fut: Future<Output = Result<Option<T>, StepError>>,
    {
        let start = Instant::now();
        // Within the typical time, a poll every twelfth of it; past it, back off from there.
        let step = self.wait.initial.max(typical / 12).min(self.wait.max);
        let mut delays = ExponentialBuilder::default()
            .with_min_delay(if typical.is_zero() {
                self.wait.initial
            } else {
                step
            })
            .with_max_delay(self.wait.max)
            .with_factor(self.wait.factor)
            .without_max_times()
            .build();
        // One early check (what settles at once: an emulator, a resource nearly done), then
        // nothing until two thirds of the typical time.
        let mut early = (!typical.is_zero()).then_some(typical * 2 / 3);
        if early.is_some() {
            self.pause(
                what,
                Duration::ZERO,
                timeout,
                self.wait.initial.min(timeout),
            )
            .await?;
        }
        let mut last_error = None;
        loop {
            match RateLimits::polling(poll()).await {
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
            let delay = match early.take() {
                Some(until) if until > elapsed => until - elapsed,
                _ if elapsed < typical => step,
                _ => delays.next().unwrap_or(self.wait.max),
            }
            .min(timeout - elapsed);
            self.pause(what, elapsed, timeout, delay).await?;
        }
    }

    /// Sleeps `delay` between polls, reporting the wait; fails if the run is cancelled.
    async fn pause(
        &self,
        what: &str,
        elapsed: Duration,
        timeout: Duration,
        delay: Duration,
    ) -> Result<(), StepError> {
        self.report_waiting(what, elapsed, timeout);
        tokio::select! {
            () = tokio::time::sleep(delay) => Ok(()),
            () = self.cancel.cancelled() => {
                Err(StepError::cancelled(format!("cancelled while waiting for {what}")))
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
    async fn a_wait_expecting_polls_early_once_then_from_two_thirds_of_the_typical_time()
    -> Result<(), Box<dyn std::error::Error>> {
        let ctx = ctx()?;
        let start = Instant::now();
        let polled_at = Arc::new(std::sync::Mutex::new(Vec::new()));
        let seen = polled_at.clone();
        ctx.wait_until_expecting(
            "mount targets",
            Duration::from_secs(90),
            Duration::from_secs(600),
            || {
                let seen = seen.clone();
                async move {
                    let mut seen = seen
                        .lock()
                        .map_err(|e| StepError::permanent(e.to_string()))?;
                    seen.push(start.elapsed().as_secs_f64());
                    Ok((seen.len() == 8).then_some(()))
                }
            },
        )
        .await?;
        // 1 s, then 60 s (two thirds of 90), then every 7.5 s (a twelfth) until 90 s, then
        // backing off from 7.5 s.
        assert_eq!(
            *polled_at.lock().map_err(|e| e.to_string())?,
            [1.0, 60.0, 67.5, 75.0, 82.5, 90.0, 97.5, 112.5]
        );
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
