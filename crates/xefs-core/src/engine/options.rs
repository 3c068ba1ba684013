//! How the engine paces itself: concurrency, retries and waits.

use std::time::Duration;

use backon::{BackoffBuilder, ExponentialBuilder};

use crate::step::WaitPolicy;

/// How retryable errors are retried: jittered exponential backoff, bounded.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct RetryPolicy {
    /// Attempts in all, the first included; 1 disables retries.
    pub max_attempts: u32,
    /// The delay before the first retry.
    pub min_delay: Duration,
    /// The longest delay between two attempts (before jitter).
    pub max_delay: Duration,
    /// Adds a random part (up to the delay again) so that many steps throttled together do
    /// not retry in lockstep.
    pub jitter: bool,
    /// How long one step call may spend backing off from throttling
    /// ([`StepError::is_throttled`](crate::step::StepError::is_throttled)). Throttled attempts
    /// do not count against `max_attempts`: under a fleet's load they are the service pacing
    /// its callers, not a failure, and only a budget of time ends them.
    pub throttle_budget: Duration,
}

impl Default for RetryPolicy {
    /// 6 attempts, 1 s doubling to 30 s, jittered: rides out IAM propagation (seconds to a
    /// minute) and 5xx bursts without hiding a real outage for long; throttling is retried
    /// for up to 10 minutes of backoff.
    fn default() -> Self {
        Self {
            max_attempts: 6,
            min_delay: Duration::from_secs(1),
            max_delay: Duration::from_secs(30),
            jitter: true,
            throttle_budget: Duration::from_secs(600),
        }
    }
}

impl RetryPolicy {
    /// The delays between attempts, as `backon` computes them.
    pub(crate) fn delays(&self) -> impl Iterator<Item = Duration> + Send + use<> {
        self.curve(Some(self.max_attempts.saturating_sub(1) as usize))
    }

    /// The delays between throttled attempts: the same curve without a count (the budget
    /// ends it).
    pub(crate) fn throttle_delays(&self) -> impl Iterator<Item = Duration> + Send + use<> {
        self.curve(None)
    }

    fn curve(&self, times: Option<usize>) -> impl Iterator<Item = Duration> + Send + use<> {
        let builder = ExponentialBuilder::default()
            .with_min_delay(self.min_delay)
            .with_max_delay(self.max_delay);
        let builder = match times {
            Some(n) => builder.with_max_times(n),
            None => builder.without_max_times(),
        };
        if self.jitter {
            builder.with_jitter().build()
        } else {
            builder.build()
        }
    }
}

/// Options of an [`Engine`](super::Engine).
#[derive(Debug, Clone, PartialEq)]
pub struct EngineOptions {
    /// How many step calls may run at once (at least 1).
    pub concurrency: usize,
    /// Retries of retryable errors.
    pub retry: RetryPolicy,
    /// How steps' bounded waits space their polls.
    pub wait: WaitPolicy,
}

impl Default for EngineOptions {
    /// 8 concurrent steps: more than the blueprint's widest layer, well under API limits.
    fn default() -> Self {
        Self {
            concurrency: 8,
            retry: RetryPolicy::default(),
            wait: WaitPolicy::default(),
        }
    }
}
