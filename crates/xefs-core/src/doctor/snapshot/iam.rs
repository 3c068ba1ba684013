//! Facts about the IAM documents of both accounts and B's file system.

use serde::{Deserialize, Serialize};

use crate::iam::PolicyDocument;
use crate::ids::{Arn, FileSystemId};

/// The two roles of the chain, and the principals that mount.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct IamFacts {
    /// The namespace the CSI driver's service accounts run in (`operator.namespace`).
    pub namespace: String,
    /// A's CSI role, assumed with the service accounts' OIDC tokens.
    pub csi_role: RoleFacts,
    /// B's cross-account role, assumed by A's CSI role.
    pub cross_account_role: RoleFacts,
    /// A's worker-node roles: the principals of the driver's IAM mounts, which the
    /// file-system policy must admit. Empty when unknown.
    pub node_roles: Vec<Arn>,
}

/// One role: its expected ARN, and its documents when it exists.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RoleFacts {
    /// The role's ARN as the spec names it.
    pub arn: Arn,
    /// Its trust and attached policies; `None` when the role does not exist.
    pub found: Option<RoleDocuments>,
}

/// A role's documents.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RoleDocuments {
    /// The trust policy (`AssumeRolePolicyDocument`).
    pub trust: PolicyDocument,
    /// The managed policies attached to it, each at its default version.
    pub policies: Vec<AttachedPolicy>,
}

/// A managed policy attached to a role.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AttachedPolicy {
    /// The policy's ARN.
    pub arn: Arn,
    /// Its default version's document.
    pub document: PolicyDocument,
}

/// B's file system.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FileSystemFacts {
    /// The file system.
    pub id: FileSystemId,
    /// Its ARN, the resource of the driver's calls and of the file-system policy.
    pub arn: Arn,
    /// Its lifecycle state as EFS names it (`available`, `creating`…).
    pub life_cycle: String,
    /// Its file-system policy; `None` when it has none.
    pub policy: Option<PolicyDocument>,
    /// Whether the spec asks for a file-system policy (`efs.file_system_policy`).
    pub policy_expected: bool,
}

impl RoleDocuments {
    /// The attached policies as one document: identity policies combine as the union of
    /// their statements.
    pub fn combined_policy(&self) -> PolicyDocument {
        PolicyDocument::new(
            self.policies
                .iter()
                .flat_map(|p| p.document.statements.iter().cloned())
                .collect(),
        )
    }
}
