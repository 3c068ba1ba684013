use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::blueprint::{PolicyTemplate, Value};
use crate::ids::{AccountId, Arn, IamName};

/// A customer-managed policy. Outputs `policy_arn`. Updates create a new default version and
/// prune the oldest non-default one at IAM's five-version limit.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct IamPolicy {
    /// The account the policy lives in.
    pub account: AccountId,
    /// Policy name.
    pub name: IamName,
    /// Its ARN (derived from the name).
    pub arn: Arn,
    /// The document.
    pub document: PolicyTemplate,
    /// Tags.
    pub tags: BTreeMap<String, String>,
}

/// An IAM role. Outputs `role_arn`. A drifted trust policy is updated in place.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct IamRole {
    /// The account the role lives in.
    pub account: AccountId,
    /// Role name.
    pub name: IamName,
    /// Its ARN (derived from the name).
    pub arn: Arn,
    /// Who may assume it.
    pub trust: PolicyTemplate,
    /// Role description.
    pub description: String,
    /// Tags.
    pub tags: BTreeMap<String, String>,
}

/// A managed policy attached to a role.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct IamRolePolicyAttachment {
    /// The account of both.
    pub account: AccountId,
    /// The role.
    pub role: IamName,
    /// The policy.
    pub policy: Arn,
}

/// A policy granting EFS client access on B's file system, attached to A's worker-node roles,
/// so the controller's delete-time mount (OpenShift sets `delete-access-point-root-dir=true`)
/// is allowed. Skipped, with a note in the plan, when no node role can be known.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct EfsClientAccess {
    /// Account A.
    pub account: AccountId,
    /// The policy's name.
    pub policy_name: IamName,
    /// Its ARN.
    pub policy_arn: Arn,
    /// The document.
    pub document: PolicyTemplate,
    /// The node roles to attach it to.
    pub node_role_arns: Value<Vec<Arn>>,
    /// Tags.
    pub tags: BTreeMap<String, String>,
}
