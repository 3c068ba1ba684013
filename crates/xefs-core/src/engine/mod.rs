//! The engine: runs a bound plan's steps — `plan` observes, `apply` ensures, `destroy`
//! removes — concurrently where the DAG allows, with retries, bounded waits, events,
//! cancellation, and a journal entry around every mutating call.
//!
//! It knows nothing of AWS or Kubernetes: providers bind blueprint steps to [`Step`]
//! implementations ([`BoundStep`]) and the engine drives them.
//!
//! [`Step`]: crate::step::Step

mod apply;
mod bound;
mod destroy;
mod error;
mod events;
mod options;
mod plan;
mod provider;
mod rate_limit;
mod report;
mod retry;
mod run;
mod scheduler;
#[cfg(test)]
pub(crate) mod testing;

#[cfg(test)]
mod crash_tests;
#[cfg(test)]
mod tests;
#[cfg(test)]
mod timing_tests;

pub use bound::{BoundPlan, BoundStep};
pub use destroy::DestroyOptions;
pub use error::{EngineError, Skipped, StepFailure};
pub use events::{Event, EventSink};
pub use options::{EngineOptions, RetryPolicy};
pub use plan::{Action, Plan, PlannedChange};
pub use provider::Provider;
pub use rate_limit::{RateLimit, RateLimits, RateLimitsBuilder};
pub use report::{ApplyReport, DestroyReport, RemovedStep, StepReport};
pub use scheduler::current_step;

use tokio::sync::mpsc::UnboundedSender;
use tokio_util::sync::CancellationToken;

use crate::blueprint::Address;
use crate::step::{Inputs, StepContext, StepError};

/// Runs bound plans against a stack's state.
///
/// ```no_run
/// # async fn demo(steps: Vec<xefs_core::engine::BoundStep>) -> Result<(), Box<dyn std::error::Error>> {
/// use xefs_core::engine::{BoundPlan, Engine, EngineOptions};
/// use xefs_core::ids::StackName;
/// use xefs_core::state::{StackState, StateDir};
///
/// let plan = BoundPlan::new(steps)?;
/// let mut state = StackState::open(StateDir::DEFAULT_ROOT.as_ref(), &StackName::parse("prod-efs")?)?;
/// let (tx, _progress) = tokio::sync::mpsc::unbounded_channel();
/// let engine = Engine::new(EngineOptions::default()).with_events(tx);
/// if engine.plan(&plan, &state).await?.has_changes() {
///     let report = engine.apply(&plan, &mut state).await?;
///     assert!(report.is_success(), "{:?}", report.failures);
/// }
/// # Ok(()) }
/// ```
#[derive(Debug, Clone)]
pub struct Engine {
    options: EngineOptions,
    events: EventSink,
    cancel: CancellationToken,
    rate_limits: RateLimits,
}

impl Engine {
    /// An engine with these options, no events, its own cancellation token and no rate limits.
    pub fn new(options: EngineOptions) -> Self {
        Self {
            options,
            events: EventSink::none(),
            cancel: CancellationToken::new(),
            rate_limits: RateLimits::unlimited(),
        }
    }

    /// Sends progress events to `tx`.
    #[must_use]
    pub fn with_events(mut self, tx: UnboundedSender<Event>) -> Self {
        self.events = EventSink::new(tx);
        self
    }

    /// Stops starting new steps once `token` is cancelled (wire Ctrl-C to it); in-flight calls
    /// finish and are journaled.
    #[must_use]
    pub fn with_cancel(mut self, token: CancellationToken) -> Self {
        self.cancel = token;
        self
    }

    /// Shares these rate limits with every step (and with other engines of the process).
    #[must_use]
    pub fn with_rate_limits(mut self, rate_limits: RateLimits) -> Self {
        self.rate_limits = rate_limits;
        self
    }

    /// The options.
    pub fn options(&self) -> &EngineOptions {
        &self.options
    }

    /// The cancellation token.
    pub fn cancel_token(&self) -> &CancellationToken {
        &self.cancel
    }

    /// Logs, announces and records a step that failed for good (retries exhausted or a
    /// permanent error), the same way for apply and destroy.
    fn record_failure(
        &self,
        failures: &mut Vec<StepFailure>,
        address: Address,
        attempts: u32,
        error: StepError,
    ) {
        tracing::error!(%address, %error, attempts, "step failed");
        self.events.emit(Event::Failed {
            address: address.clone(),
            error: error.clone(),
        });
        failures.push(StepFailure {
            address,
            attempts,
            error,
        });
    }

    fn context(&self, address: &Address, inputs: Inputs) -> StepContext {
        StepContext::new(address.clone(), inputs)
            .with_cancel(self.cancel.clone())
            .with_events(self.events.clone())
            .with_rate_limits(self.rate_limits.clone())
            .with_wait_policy(self.options.wait)
    }
}
