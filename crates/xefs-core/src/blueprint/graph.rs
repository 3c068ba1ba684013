//! The blueprint as a DAG: its steps, their order, and selections by phase.

use serde::{Deserialize, Serialize};

use super::{Address, StepSpec, Target};
use crate::ids::StackName;

/// Which part of the procedure a step belongs to (`--phase`).
#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    PartialOrd,
    Ord,
    Hash,
    Serialize,
    Deserialize,
    schemars::JsonSchema,
)]
#[serde(rename_all = "kebab-case")]
pub enum Phase {
    /// Everything in AWS accounts A and B.
    Aws,
    /// Everything on the OpenShift cluster.
    Cluster,
    /// The end-to-end check.
    Verify,
}

impl Phase {
    /// The phase's name as `--phase` takes it.
    pub fn as_str(self) -> &'static str {
        match self {
            Phase::Aws => "aws",
            Phase::Cluster => "cluster",
            Phase::Verify => "verify",
        }
    }
}

/// One step of the blueprint.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct BlueprintStep {
    /// Stable address.
    pub address: Address,
    /// Where it acts.
    pub target: Target,
    /// Its phase.
    pub phase: Phase,
    /// Steps that must be done first.
    pub depends_on: Vec<Address>,
    /// One line for plans.
    pub description: String,
    /// The desired state.
    pub spec: StepSpec,
}

/// The DAG of every step of one stack, in a topological order.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct Blueprint {
    /// The stack.
    pub stack: StackName,
    /// Steps, each after all of its dependencies.
    pub steps: Vec<BlueprintStep>,
}

impl Blueprint {
    /// The step at an address.
    pub fn step(&self, address: &Address) -> Option<&BlueprintStep> {
        self.steps.iter().find(|s| &s.address == address)
    }

    /// The order `apply` may follow (each step after its dependencies).
    pub fn apply_order(&self) -> impl Iterator<Item = &BlueprintStep> {
        self.steps.iter()
    }

    /// The order `destroy` follows: each step after every step that depends on it.
    pub fn destroy_order(&self) -> impl Iterator<Item = &BlueprintStep> {
        self.steps.iter().rev().filter(|s| !s.spec.read_only())
    }

    /// The steps of the given phases plus every step they depend on (discovery and
    /// preflight are pulled in so a phase can run on its own).
    pub fn select(&self, phases: &[Phase]) -> Blueprint {
        let mut keep: Vec<bool> = self
            .steps
            .iter()
            .map(|s| phases.contains(&s.phase))
            .collect();
        // Walk backwards: a step's dependencies always come before it.
        for i in (0..self.steps.len()).rev() {
            if keep[i] {
                for dep in &self.steps[i].depends_on {
                    if let Some(j) = self.steps.iter().position(|s| &s.address == dep) {
                        keep[j] = true;
                    }
                }
            }
        }
        Blueprint {
            stack: self.stack.clone(),
            steps: self
                .steps
                .iter()
                .zip(keep)
                .filter(|(_, k)| *k)
                .map(|(s, _)| s.clone())
                .collect(),
        }
    }
}
