//! The [`Step`] trait that providers implement, and the types its calls exchange.
//!
//! A step is one resource (or one read-only check) of the blueprint. The engine calls
//! `observe` to see what is there, `ensure` to make it so, and `remove` to undo it; it never
//! knows whether the resource lives in AWS or in Kubernetes.

mod context;
mod error;
mod memo;
mod observation;
mod outputs;

pub use context::{StepContext, WaitPolicy};
pub use error::{ErrorContext, StepError, StepErrorKind};
pub use memo::RunMemo;
pub use observation::{Change, Ensured, FieldDiff, Observation};
pub use outputs::{Inputs, StepOutputs};

/// One resource or check of a stack, bound by a provider to its API.
///
/// Contract (the engine relies on it for resume and exact undo):
/// * `observe` never mutates, and finds the resource by something stable (a tag, a name, a
///   creation token), so a resource created by a run that crashed is found again.
/// * `ensure` is idempotent: called on a resource that already matches, it changes nothing.
/// * `remove` is idempotent: "not found" is success.
/// * Outputs hold no secrets: they are journaled in plain text.
#[async_trait::async_trait]
pub trait Step: Send + Sync {
    /// One line for plans and progress bars (e.g. "EFS file system `prod-efs` in account B").
    fn describe(&self) -> String;

    /// False for read-only steps (discovery, preflight): they write no intent records, show as
    /// "read" in plans, and have nothing to remove.
    fn mutates(&self) -> bool {
        true
    }

    /// A rough guess of how long `ensure` takes (mount targets: minutes; IAM: seconds). The
    /// engine starts the steps with the longest expected chain ahead of them first, which
    /// matters when the concurrency limit binds; it is never used as a timeout.
    fn expected_duration(&self) -> std::time::Duration {
        std::time::Duration::from_secs(1)
    }

    /// Whether the step can already tell, from the outputs of those dependencies that exist,
    /// that it will not apply to this stack ([`Observation::NotApplicable`]). Plans ask it
    /// about steps they cannot observe yet because another dependency does not exist, so the
    /// reason shows before the first apply.
    fn not_applicable(&self, _available: &Inputs) -> Option<String> {
        None
    }

    /// Reads the live resource: absent, present, or drifted with a field-level diff.
    async fn observe(&self, ctx: &StepContext) -> Result<Observation, StepError>;

    /// Creates or updates the resource to match the spec, or does nothing; returns its outputs.
    /// It gets `observe`'s result so it need not read again.
    async fn ensure(&self, ctx: &StepContext, observed: &Observation)
    -> Result<Ensured, StepError>;

    /// Deletes the resource described by the outputs recorded when it was ensured; "not
    /// found" is success.
    async fn remove(&self, ctx: &StepContext, recorded: &StepOutputs) -> Result<(), StepError>;

    /// Refuses a removal up front, read-only (a file system holding data): the engine asks
    /// every step before a destroy removes anything, because a refusal met only when the
    /// step's turn comes would leave the stack half torn down (its mount targets gone, say).
    /// `remove` must still check again: the world may change in between.
    async fn check_remove(
        &self,
        _ctx: &StepContext,
        _recorded: &StepOutputs,
    ) -> Result<(), StepError> {
        Ok(())
    }
}
