//! What `apply` and `destroy` report: every step's fate, every failure.

use std::time::Duration;

use super::{BoundPlan, Skipped, StepFailure};
use crate::blueprint::Address;
use crate::step::{Change, StepOutputs};

/// How one step of an apply went.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StepReport {
    /// The step.
    pub address: Address,
    /// What changed.
    pub change: Change,
    /// The resource existed before xefs and was taken over in this run; `destroy` leaves it.
    pub adopted: bool,
    /// The resource was created by an earlier run that stopped before journaling it.
    pub recovered: bool,
    /// Attempts made (retries included).
    pub attempts: u32,
    /// Wall time, retries and waits included.
    pub duration: Duration,
    /// The step's outputs (ids, ARNs; for the verify check, how long each wait took).
    pub outputs: StepOutputs,
}

/// Everything an apply did and did not do. Step failures are here, all of them, not errors.
#[derive(Debug, Clone, PartialEq, Eq)]
#[must_use = "an apply can fail step by step: check `is_success`"]
pub struct ApplyReport {
    /// Completed steps, in dependency order.
    pub steps: Vec<StepReport>,
    /// Every failed step.
    pub failures: Vec<StepFailure>,
    /// Steps not run (a dependency failed, another step failed, or cancellation).
    pub skipped: Vec<Skipped>,
    /// The run was cancelled: in-flight steps finished, nothing new started.
    pub cancelled: bool,
    /// Wall time of the whole apply.
    pub duration: Duration,
}

impl ApplyReport {
    /// True when every step completed.
    pub fn is_success(&self) -> bool {
        self.failures.is_empty() && self.skipped.is_empty() && !self.cancelled
    }

    /// How many steps had this change.
    pub fn count(&self, change: Change) -> usize {
        self.steps.iter().filter(|s| s.change == change).count()
    }

    /// Steps whose resource was created.
    pub fn created(&self) -> usize {
        self.count(Change::Created)
    }

    /// Steps whose resource was updated.
    pub fn updated(&self) -> usize {
        self.count(Change::Updated)
    }

    /// Steps with nothing to do.
    pub fn unchanged(&self) -> usize {
        self.count(Change::Unchanged)
    }

    /// Read-only steps that ran.
    pub fn read(&self) -> usize {
        self.count(Change::Read)
    }

    /// Steps that did not apply to this stack ([`Change::NotApplicable`]).
    pub fn not_applicable(&self) -> usize {
        self.count(Change::NotApplicable)
    }

    /// Pre-existing resources taken over.
    pub fn adopted(&self) -> usize {
        self.steps.iter().filter(|s| s.adopted).count()
    }
}

/// A removed step.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RemovedStep {
    /// The step.
    pub address: Address,
    /// Attempts made (retries included).
    pub attempts: u32,
    /// Wall time.
    pub duration: Duration,
    /// True when the resource was already gone (a create that never happened, or removed by
    /// someone else): recorded as removed without a call.
    pub already_gone: bool,
}

/// Everything a destroy did and did not do.
#[derive(Debug, Clone, PartialEq, Eq)]
#[must_use = "a destroy can fail step by step: check `is_success`"]
pub struct DestroyReport {
    /// Removed steps, dependents first.
    pub removed: Vec<RemovedStep>,
    /// Adopted resources left in place.
    pub kept: Vec<Address>,
    /// Every failed removal.
    pub failures: Vec<StepFailure>,
    /// Removals not attempted (a dependent's removal failed, or cancellation).
    pub skipped: Vec<Skipped>,
    /// Owned resources with no step in this plan: not removed.
    pub orphaned: Vec<Address>,
    /// The run was cancelled.
    pub cancelled: bool,
    /// Wall time.
    pub duration: Duration,
}

impl DestroyReport {
    /// True when everything that should go is gone.
    pub fn is_success(&self) -> bool {
        self.failures.is_empty()
            && self.skipped.is_empty()
            && self.orphaned.is_empty()
            && !self.cancelled
    }
}

/// Sorts report entries into the plan's dependency order.
pub(crate) fn sort_by_plan<T>(plan: &BoundPlan, items: &mut [T], address: impl Fn(&T) -> &Address) {
    items.sort_by_key(|item| plan.rank_of(address(item)));
}
