//! The plan as versioned JSON (`plan.json`), for tools and reviews.

use serde::{Deserialize, Serialize};

use crate::blueprint::{Address, Blueprint, OutputRef, Phase, StepSpec, Target};
use crate::ids::{AccountId, Region, StackName};
use crate::spec::StackSpec;

/// The version of the plan JSON's schema. Bumped on any incompatible change.
pub const PLAN_SCHEMA_VERSION: u32 = 1;

/// `plan.json`: every step of the stack with its desired state.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct PlanJson {
    /// Always [`PLAN_SCHEMA_VERSION`].
    pub schema_version: u32,
    /// The stack.
    pub stack: StackName,
    /// The region.
    pub region: Region,
    /// Account A (the cluster's).
    pub cluster_account: AccountId,
    /// Account B (the file system's).
    pub storage_account: AccountId,
    /// Steps in an order `apply` may follow.
    pub steps: Vec<PlanJsonStep>,
    /// Addresses in the order `destroy` removes them.
    pub destroy_order: Vec<Address>,
}

/// What applying a step will do.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "kebab-case")]
pub enum StepAction {
    /// Create (or adopt) the resource.
    Create,
    /// Read only.
    Read,
}

/// One step of `plan.json`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct PlanJsonStep {
    /// Stable address.
    pub address: Address,
    /// Where it acts.
    pub target: Target,
    /// Its phase.
    pub phase: Phase,
    /// What it will do.
    pub action: StepAction,
    /// Steps it waits for.
    pub depends_on: Vec<Address>,
    /// One line.
    pub description: String,
    /// Inputs produced by other steps.
    pub known_after_apply: Vec<OutputRef>,
    /// The desired state.
    pub spec: StepSpec,
}

impl PlanJson {
    /// The plan of a blueprint that has not been applied.
    pub fn new(spec: &StackSpec, blueprint: &Blueprint) -> Self {
        PlanJson {
            schema_version: PLAN_SCHEMA_VERSION,
            stack: spec.name.clone(),
            region: spec.region.clone(),
            cluster_account: spec.cluster.account_id.clone(),
            storage_account: spec.storage.account_id.clone(),
            steps: blueprint
                .steps
                .iter()
                .map(|s| PlanJsonStep {
                    address: s.address.clone(),
                    target: s.target,
                    phase: s.phase,
                    action: if s.spec.read_only() {
                        StepAction::Read
                    } else {
                        StepAction::Create
                    },
                    depends_on: s.depends_on.clone(),
                    description: s.description.clone(),
                    known_after_apply: super::inputs_known_after_apply(&s.spec),
                    spec: s.spec.clone(),
                })
                .collect(),
            destroy_order: blueprint
                .destroy_order()
                .map(|s| s.address.clone())
                .collect(),
        }
    }

    /// The JSON schema of this document.
    pub fn schema() -> serde_json::Value {
        serde_json::to_value(schemars::schema_for!(PlanJson)).unwrap_or_default()
    }
}
