//! Per-account, per-service rate limits shared by every step of every stack in a process.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::Duration;

use tokio::time::Instant;

tokio::task_local! {
    /// The remaining chain of the step whose calls these are (see [`RateLimits::prioritized`]).
    static CHAIN: Duration;
    /// Set while a step polls a resource that is settling (see [`RateLimits::polling`]).
    static POLLING: ();
}

/// How much later than a call a poll is served: the longest gap between two polls
/// ([`WaitPolicy`](crate::step::WaitPolicy)'s default).
const POLL_DEFERRAL: Duration = Duration::from_secs(15);

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
    state: Mutex<State>,
    arrivals: AtomicU64,
}

#[derive(Debug, Default)]
struct State {
    /// The origin of deadlines: the first call's time (on the runtime's clock, which tests
    /// pause).
    epoch: Option<Instant>,
    buckets: HashMap<(String, &'static str), Bucket>,
}

#[derive(Debug)]
struct Bucket {
    tokens: f64,
    last: Instant,
    /// Calls waiting for a token, the next to serve first.
    waiting: BTreeSet<Waiter>,
}

/// A waiting call's place: its deadline (milliseconds since the epoch, may be negative), then
/// its arrival order.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
struct Waiter {
    deadline: i64,
    arrival: u64,
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
            state: Mutex::default(),
            arrivals: AtomicU64::new(0),
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

    /// Runs `f` (a step's call) with its calls ranked by `chain`, the step's expected
    /// remaining chain through the plan; the engine does this for every step.
    ///
    /// When calls wait for a bucket's tokens, the one with the earliest *deadline* — arrival
    /// time minus chain — is served first: a call at the head of a long chain (discovery, the
    /// file system, before the mount targets' minute and a half) goes ahead of one that ends a
    /// short chain, unless that one has waited longer than the difference. That is
    /// critical-path scheduling across every stack sharing the limits, and what keeps a
    /// fleet's time near its bound; no call waits forever.
    pub async fn prioritized<F: std::future::Future>(chain: Duration, f: F) -> F::Output {
        CHAIN.scope(chain, f).await
    }

    /// Runs `f` with its calls as polls, as [`StepContext::wait_until`] runs them: their
    /// deadline is 15 s later than a call's. A poll only learns sooner that something settled,
    /// while the calls beside it make things: under a fleet's load, polls that take turns
    /// ahead of creates delay every stack.
    ///
    /// [`StepContext::wait_until`]: crate::step::StepContext::wait_until
    pub async fn polling<F: std::future::Future>(f: F) -> F::Output {
        POLLING.scope((), f).await
    }

    /// Whether the current call is a poll (made inside [`RateLimits::polling`]): for fakes
    /// and logs that count polls apart.
    pub fn is_polling() -> bool {
        POLLING.try_with(|()| ()).is_ok()
    }

    /// Waits until a call to `service` in `account` is allowed, then takes a token.
    ///
    /// Waiting calls are served earliest deadline first (see [`RateLimits::prioritized`];
    /// outside the engine a call's deadline is its arrival, so they are served in order).
    /// Dropping the future while it waits gives up its place.
    pub async fn acquire(&self, account: &str, service: &'static str) {
        let Some(limit) = self.limit(service) else {
            return;
        };
        let chain = CHAIN.try_with(|c| *c).unwrap_or_default();
        let deferral = if Self::is_polling() {
            POLL_DEFERRAL
        } else {
            Duration::ZERO
        };
        let key = (account.to_owned(), service);
        let me = {
            let mut state = self.state();
            let now = Instant::now();
            let epoch = *state.epoch.get_or_insert(now);
            let millis = |d: Duration| i64::try_from(d.as_millis()).unwrap_or(i64::MAX);
            let me = Waiter {
                deadline: millis(now.duration_since(epoch))
                    .saturating_add(millis(deferral))
                    .saturating_sub(millis(chain)),
                arrival: self.0.arrivals.fetch_add(1, Ordering::Relaxed),
            };
            bucket(&mut state, &key, limit, now).waiting.insert(me);
            me
        };
        let mut place = Place {
            limits: self,
            key: &key,
            me: Some(me),
        };
        loop {
            let wait = {
                let mut state = self.state();
                let bucket = bucket(&mut state, &key, limit, Instant::now());
                let first = bucket.waiting.first() == Some(&me);
                if first && bucket.tokens >= 1.0 {
                    bucket.tokens -= 1.0;
                    bucket.waiting.remove(&me);
                    place.me = None;
                    return;
                }
                // Until the next token; the call ahead takes it if there is one.
                Duration::from_secs_f64((1.0 - bucket.tokens).max(0.0) / limit.per_second)
            };
            tracing::debug!(account, service, ?wait, "rate limited");
            // At least a millisecond: a bucket a rounding error short of a token must see time
            // pass, or a paused clock never refills it.
            tokio::time::sleep(wait.max(Duration::from_millis(1))).await;
        }
    }

    /// The limit of `service`, if it has a usable one.
    fn limit(&self, service: &'static str) -> Option<RateLimit> {
        let limit = self.0.limits.get(service).copied().or(self.0.default)?;
        (limit.per_second.is_finite() && limit.per_second > 0.0).then_some(limit)
    }

    fn state(&self) -> MutexGuard<'_, State> {
        self.0.state.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

/// The refilled bucket of `key`.
fn bucket<'a>(
    state: &'a mut State,
    key: &(String, &'static str),
    limit: RateLimit,
    now: Instant,
) -> &'a mut Bucket {
    let burst = f64::from(limit.burst.max(1));
    let bucket = state.buckets.entry(key.clone()).or_insert(Bucket {
        tokens: burst,
        last: now,
        waiting: BTreeSet::new(),
    });
    let refill = now.duration_since(bucket.last).as_secs_f64() * limit.per_second;
    bucket.tokens = (bucket.tokens + refill).min(burst);
    bucket.last = now;
    bucket
}

/// A waiting call's place in its bucket's queue, given up if the call is dropped.
struct Place<'a> {
    limits: &'a RateLimits,
    key: &'a (String, &'static str),
    me: Option<Waiter>,
}

impl Drop for Place<'_> {
    fn drop(&mut self) {
        if let Some(me) = self.me.take()
            && let Some(bucket) = self.limits.state().buckets.get_mut(self.key)
        {
            bucket.waiting.remove(&me);
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

    /// Starts `acquire` in a task that reports when it got its token.
    fn call(limits: &RateLimits, chain: u64, poll: bool) -> tokio::task::JoinHandle<Duration> {
        let limits = limits.clone();
        let start = Instant::now();
        tokio::spawn(RateLimits::prioritized(
            Duration::from_secs(chain),
            async move {
                if poll {
                    RateLimits::polling(limits.acquire("b", "efs")).await;
                } else {
                    limits.acquire("b", "efs").await;
                }
                start.elapsed()
            },
        ))
    }

    #[tokio::test(start_paused = true)]
    async fn the_longest_chain_is_served_first_and_polls_last() {
        let limits = RateLimits::builder()
            .service("efs", RateLimit::new(1.0, 1))
            .build();
        // The burst's token goes at once; then one a second, by deadline.
        let first = call(&limits, 0, false);
        let poll = call(&limits, 100, true);
        let short = call(&limits, 10, false);
        let long = call(&limits, 100, false);
        let got = |h: tokio::task::JoinHandle<Duration>| async move { h.await.unwrap().as_secs() };
        assert_eq!(got(first).await, 0);
        assert_eq!(got(long).await, 1);
        // The poll's deadline (100 s of chain, 15 s of deferral) is still ahead of a
        // 10-second chain's.
        assert_eq!(got(poll).await, 2);
        assert_eq!(got(short).await, 3);
    }

    #[tokio::test(start_paused = true)]
    async fn a_waiting_call_is_served_once_it_has_waited_out_the_difference() {
        let limits = RateLimits::builder()
            .service("efs", RateLimit::new(1.0, 1))
            .build();
        let short = call(&limits, 0, false);
        let starved = call(&limits, 0, false);
        // Endless demand from a 5-second-longer chain, one call a second.
        let busy = limits.clone();
        let demand = tokio::spawn(RateLimits::prioritized(
            Duration::from_secs(5),
            async move {
                loop {
                    busy.acquire("b", "efs").await;
                }
            },
        ));
        assert_eq!(short.await.unwrap(), Duration::ZERO);
        let waited = starved.await.unwrap();
        demand.abort();
        assert!(
            (Duration::from_secs(4)..=Duration::from_secs(7)).contains(&waited),
            "{waited:?}"
        );
    }

    #[tokio::test(start_paused = true)]
    async fn a_dropped_call_gives_up_its_place() {
        let limits = RateLimits::builder()
            .service("efs", RateLimit::new(1.0, 1))
            .build();
        limits.acquire("b", "efs").await;
        let start = Instant::now();
        let dropped = tokio::time::timeout(
            Duration::from_millis(100),
            RateLimits::prioritized(Duration::from_secs(60), limits.acquire("b", "efs")),
        )
        .await;
        assert!(dropped.is_err());
        limits.acquire("b", "efs").await;
        assert_eq!(start.elapsed(), Duration::from_secs(1));
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
