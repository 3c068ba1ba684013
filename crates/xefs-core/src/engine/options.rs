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
}

impl Default for RetryPolicy {
    /// 6 attempts, 1 s doubling to 30 s, jittered: rides out IAM propagation (seconds to a
    /// minute) and throttling bursts without hiding a real outage for long.
    fn default() -> Self {
        Self {
            max_attempts: 6,
            min_delay: Duration::from_secs(1),
            max_delay: Duration::from_secs(30),
            jitter: true,
        }
    }
}

impl RetryPolicy {
    /// The delays between attempts, as `backon` computes them.
    pub(crate) fn delays(&self) -> impl Iterator<Item = Duration> + Send + use<> {
        let builder = ExponentialBuilder::default()
            .with_min_delay(self.min_delay)
            .with_max_delay(self.max_delay)
            .with_max_times(self.max_attempts.saturating_sub(1) as usize);
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
