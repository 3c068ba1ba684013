//! Why the engine could not run, and how one step failed.

use std::fmt;

use crate::blueprint::Address;
use crate::state::StateError;
use crate::step::StepError;

/// A step that failed, with how many attempts were made.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StepFailure {
    /// The step.
    pub address: Address,
    /// Attempts made (retries included) before giving up.
    pub attempts: u32,
    /// The last error.
    pub error: StepError,
}

impl fmt::Display for StepFailure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "`{}` failed", self.address)?;
        if self.attempts > 1 {
            write!(f, " after {} attempts", self.attempts)?;
        }
        write!(f, ": {}", self.error)
    }
}

/// A step the engine did not run, and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Skipped {
    /// The step.
    pub address: Address,
    /// Why (a dependency failed, the run was cancelled, another step failed).
    pub reason: String,
}

/// Why an engine operation could not run or complete. Individual step failures during
/// `apply` and `destroy` are not errors: they are in the report, all of them.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum EngineError {
    /// Two steps share an address.
    #[error("step `{address}` appears twice in the plan")]
    DuplicateStep {
        /// The repeated address.
        address: Address,
    },
    /// A step depends on an address that is not in the plan.
    #[error("step `{step}` depends on `{dependency}`, which is not in the plan")]
    UnknownDependency {
        /// The step.
        step: Address,
        /// The missing dependency.
        dependency: Address,
    },
    /// The dependencies form a cycle.
    #[error("the steps depend on each other in a cycle: {}", cycle_text(cycle))]
    Cycle {
        /// The steps of the cycle, in dependency order, the first repeated at the end.
        cycle: Vec<Address>,
    },
    /// No provider can run these steps (e.g. cluster steps without cluster access).
    #[error(
        "no provider can run {}: {}",
        if unbound.len() == 1 { "this step" } else { "these steps" },
        unbound.iter().map(|(a, t)| format!("`{a}` ({})", t.label())).collect::<Vec<_>>().join(", ")
    )]
    Unbound {
        /// Each step with where it acts.
        unbound: Vec<(Address, crate::blueprint::Target)>,
    },
    /// Some steps could not be observed; every failure is listed.
    #[error("could not observe {} step(s): {}", failures.len(), list(failures))]
    PlanFailed {
        /// Every failure.
        failures: Vec<StepFailure>,
    },
    /// The run was cancelled before the plan was complete.
    #[error("cancelled")]
    Cancelled,
    /// The state journal could not be written: the engine stopped at once, as after a crash;
    /// the next run resumes from the journal.
    #[error(transparent)]
    State(#[from] StateError),
}

fn cycle_text(cycle: &[Address]) -> String {
    cycle
        .iter()
        .map(Address::as_str)
        .collect::<Vec<_>>()
        .join(" → ")
}

fn list(failures: &[StepFailure]) -> String {
    failures
        .iter()
        .map(ToString::to_string)
        .collect::<Vec<_>>()
        .join("; ")
}
