//! Per-account, per-service rate limits shared by every step of every stack in a process.

use std::collections::{BTreeMap, HashMap};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use tokio::time::Instant;

/// A token bucket's shape: a sustained rate and a burst.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct RateLimit {
    /// Calls per second, sustained.
    pub per_second: f64,
    /// Calls allowed at once after a quiet period (at least 1).
    pub burst: u32,
}

impl RateLimit {
    /// `per_second` calls a second with bursts of `burst`.
    pub fn new(per_second: f64, burst: u32) -> Self {
        Self { per_second, burst }
    }
}

/// Token buckets keyed by (account, service), cheap to clone and share.
///
/// AWS throttles per account and per API, not per stack: a platform tool running many stacks
/// in one process must share one `RateLimits` between all its engines (and providers), or the
/// stacks throttle each other into retries. Services without a configured limit are not
/// limited.
///
/// ```
/// use xefs_core::engine::{RateLimit, RateLimits};
///
/// let limits = RateLimits::builder()
///     .service("iam", RateLimit::new(5.0, 10))
///     .service("ec2", RateLimit::new(20.0, 50))
///     .build();
/// # async fn call_iam(limits: &RateLimits) {
/// // In a provider, before each IAM call in account A:
/// limits.acquire("111111111111", "iam").await;
/// # }
/// ```
#[derive(Debug, Clone, Default)]
pub struct RateLimits(Arc<Inner>);

#[derive(Debug, Default)]
struct Inner {
    limits: BTreeMap<&'static str, RateLimit>,
    default: Option<RateLimit>,
    buckets: Mutex<HashMap<(String, &'static str), Bucket>>,
}

#[derive(Debug)]
struct Bucket {
    tokens: f64,
    last: Instant,
}

/// Configures a [`RateLimits`] before it is shared.
#[derive(Debug, Default)]
pub struct RateLimitsBuilder {
    limits: BTreeMap<&'static str, RateLimit>,
    default: Option<RateLimit>,
}

impl RateLimitsBuilder {
    /// Limits calls to `service` (per account).
    #[must_use]
    pub fn service(mut self, service: &'static str, limit: RateLimit) -> Self {
        self.limits.insert(service, limit);
        self
    }

    /// Limits every service without its own limit.
    #[must_use]
    pub fn default_limit(mut self, limit: RateLimit) -> Self {
        self.default = Some(limit);
        self
    }

    /// The shareable limits.
    pub fn build(self) -> RateLimits {
        RateLimits(Arc::new(Inner {
            limits: self.limits,
            default: self.default,
            buckets: Mutex::default(),
        }))
    }
}

impl RateLimits {
    /// No limits at all.
    pub fn unlimited() -> Self {
        Self::default()
    }

    /// Starts configuring limits.
    pub fn builder() -> RateLimitsBuilder {
        RateLimitsBuilder::default()
    }

    /// Waits until a call to `service` in `account` is allowed, then takes a token.
    ///
    /// Tokens are reserved first-come first-served, so waiters are served in order. Dropping
    /// the future while it waits gives up the call but not the token.
    pub async fn acquire(&self, account: &str, service: &'static str) {
        let wait = self.reserve(account, service);
        if !wait.is_zero() {
            tracing::debug!(account, service, ?wait, "rate limited");
            tokio::time::sleep(wait).await;
        }
    }

    fn reserve(&self, account: &str, service: &'static str) -> Duration {
        let Some(limit) = self.0.limits.get(service).copied().or(self.0.default) else {
            return Duration::ZERO;
        };
        if !(limit.per_second.is_finite() && limit.per_second > 0.0) {
            return Duration::ZERO;
        }
        let burst = f64::from(limit.burst.max(1));
        let now = Instant::now();
        let mut buckets = self
            .0
            .buckets
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        let bucket = buckets
            .entry((account.to_owned(), service))
            .or_insert(Bucket {
                tokens: burst,
                last: now,
            });
        let refill = now.duration_since(bucket.last).as_secs_f64() * limit.per_second;
        bucket.tokens = (bucket.tokens + refill).min(burst) - 1.0;
        bucket.last = now;
        if bucket.tokens >= 0.0 {
            Duration::ZERO
        } else {
            Duration::from_secs_f64(-bucket.tokens / limit.per_second)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test(start_paused = true)]
    async fn bursts_then_paces_per_account_and_service() {
        let limits = RateLimits::builder()
            .service("iam", RateLimit::new(2.0, 2))
            .build();
        let start = Instant::now();
        let mut tasks = Vec::new();
        for _ in 0..10 {
            let limits = limits.clone();
            tasks.push(tokio::spawn(async move {
                limits.acquire("111111111111", "iam").await;
            }));
        }
        // Another account and an unlimited service are not held up.
        limits.acquire("222222222222", "iam").await;
        limits.acquire("111111111111", "sts").await;
        assert_eq!(start.elapsed(), Duration::ZERO);
        for task in tasks {
            assert!(task.await.is_ok());
        }
        // 2 at once, then 8 more at 2 a second.
        assert_eq!(start.elapsed(), Duration::from_secs(4));
    }

    #[tokio::test(start_paused = true)]
    async fn shared_between_clones() {
        let limits = RateLimits::builder()
            .default_limit(RateLimit::new(1.0, 1))
            .build();
        let other_stack = limits.clone();
        let start = Instant::now();
        limits.acquire("a", "efs").await;
        other_stack.acquire("a", "efs").await;
        assert_eq!(start.elapsed(), Duration::from_secs(1));
    }
}
