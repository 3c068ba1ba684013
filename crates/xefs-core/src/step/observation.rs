//! What `observe` finds and what `ensure` did.

use serde::{Deserialize, Serialize};

use super::StepOutputs;

/// One field whose live value differs from the desired one, for plans ("~ policy: … → …").
///
/// Values are rendered by the step: never put a secret in them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct FieldDiff {
    /// The field's name as the user knows it (e.g. `throughput_mode`).
    pub field: String,
    /// The live value.
    pub current: String,
    /// The value the spec asks for.
    pub desired: String,
}

impl FieldDiff {
    /// A diff of one field.
    pub fn new(
        field: impl Into<String>,
        current: impl Into<String>,
        desired: impl Into<String>,
    ) -> Self {
        Self {
            field: field.into(),
            current: current.into(),
            desired: desired.into(),
        }
    }
}

/// What a read-only `observe` found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Observation {
    /// Nothing there: `ensure` will create it.
    Absent,
    /// There and as desired; its outputs are what dependents need.
    Present(StepOutputs),
    /// There but different from the spec: `ensure` will update it.
    Drifted {
        /// The live resource's outputs.
        outputs: StepOutputs,
        /// What differs, field by field.
        diff: Vec<FieldDiff>,
    },
    /// The step does not apply to this stack as things stand (e.g. EFS client access when no
    /// worker-node role can be known): the plan shows the reason and `apply` skips it, without
    /// failing. It has no outputs and nothing to remove.
    NotApplicable {
        /// Why, in words for the plan.
        reason: String,
    },
}

impl Observation {
    /// A resource that exists: present when nothing differs from the spec, drifted otherwise.
    ///
    /// ```
    /// use xefs_core::step::{FieldDiff, Observation, StepOutputs};
    ///
    /// assert!(matches!(Observation::found(StepOutputs::new(), vec![]), Observation::Present(_)));
    /// let drift = vec![FieldDiff::new("ready", "creating", "available")];
    /// assert!(matches!(Observation::found(StepOutputs::new(), drift), Observation::Drifted { .. }));
    /// ```
    pub fn found(outputs: StepOutputs, diff: Vec<FieldDiff>) -> Self {
        if diff.is_empty() {
            Observation::Present(outputs)
        } else {
            Observation::Drifted { outputs, diff }
        }
    }

    /// The live resource's outputs, unless it is absent.
    pub fn outputs(&self) -> Option<&StepOutputs> {
        match self {
            Observation::Absent | Observation::NotApplicable { .. } => None,
            Observation::Present(outputs) | Observation::Drifted { outputs, .. } => Some(outputs),
        }
    }

    /// True when nothing was found.
    pub fn is_absent(&self) -> bool {
        matches!(self, Observation::Absent)
    }
}

/// What an `ensure` call changed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "kebab-case")]
pub enum Change {
    /// The resource did not exist and now does.
    Created,
    /// The resource existed and was changed to match the spec.
    Updated,
    /// Nothing needed doing.
    Unchanged,
    /// A read-only step (discovery, preflight) ran; nothing was mutated.
    Read,
    /// The step did not apply to this stack ([`Observation::NotApplicable`]); nothing was done.
    NotApplicable,
}

/// The result of a successful `ensure`: what changed and the resource's outputs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Ensured {
    /// What the call changed.
    pub change: Change,
    /// The resource's outputs after the call.
    pub outputs: StepOutputs,
}

impl Ensured {
    /// The resource was created.
    pub fn created(outputs: StepOutputs) -> Self {
        Self {
            change: Change::Created,
            outputs,
        }
    }

    /// The resource was updated.
    pub fn updated(outputs: StepOutputs) -> Self {
        Self {
            change: Change::Updated,
            outputs,
        }
    }

    /// Nothing needed doing.
    pub fn unchanged(outputs: StepOutputs) -> Self {
        Self {
            change: Change::Unchanged,
            outputs,
        }
    }

    /// A read-only step ran.
    pub fn read(outputs: StepOutputs) -> Self {
        Self {
            change: Change::Read,
            outputs,
        }
    }
}
