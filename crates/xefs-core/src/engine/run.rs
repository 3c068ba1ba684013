//! The outcome of one step's task, shared by apply and destroy.

use std::time::Duration;

use tokio::task::JoinError;

use super::EngineError;
use crate::state::StateError;
use crate::step::StepError;

/// What a step's task came back with: its result, how many attempts it took, how long.
pub(crate) struct Run<T> {
    pub(super) result: Result<T, StepError>,
    pub(super) attempts: u32,
    pub(super) duration: Duration,
}

impl<T> Run<T> {
    /// Unwraps a finished task. A journal error stops the engine (as a crash would); a task
    /// that panicked or was aborted becomes a permanent failure of its step alone.
    pub(super) fn from_task(
        output: Result<Result<Run<T>, StateError>, JoinError>,
    ) -> Result<Run<T>, EngineError> {
        match output {
            Ok(Ok(run)) => Ok(run),
            Ok(Err(state_error)) => Err(state_error.into()),
            Err(join_error) => Ok(Run {
                result: Err(StepError::permanent(format!(
                    "the step's task died: {join_error}"
                ))),
                attempts: 1,
                duration: Duration::ZERO,
            }),
        }
    }
}
