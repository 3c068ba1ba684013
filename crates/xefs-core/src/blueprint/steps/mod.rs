//! What each step of the procedure must make true: one struct per kind of step, holding the
//! desired values. Providers bind each to an implementation of [`crate::step::Step`].

mod aws_iam;
mod discovery;
mod efs;
mod network;
mod openshift;

pub use aws_iam::*;
pub use discovery::*;
pub use efs::*;
pub use network::*;
pub use openshift::*;

use serde::{Deserialize, Serialize};

/// The desired state of one step.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(tag = "kind", rename_all = "kebab-case")]
pub enum StepSpec {
    /// Read the cluster's OIDC issuer and worker nodes.
    DiscoverCluster(DiscoverCluster),
    /// Read A's worker subnets, their zones, route tables and node roles.
    DiscoverClusterAccount(DiscoverClusterAccount),
    /// Read B's subnets per zone id and their route tables.
    DiscoverStorageAccount(DiscoverStorageAccount),
    /// Check identities, CIDRs, the OIDC provider and zone coverage before any write.
    Preflight(Preflight),
    /// A customer-managed IAM policy.
    IamPolicy(IamPolicy),
    /// An IAM role with its trust policy.
    IamRole(IamRole),
    /// A managed policy attached to a role.
    IamRolePolicyAttachment(IamRolePolicyAttachment),
    /// A policy granting EFS client access, attached to the worker nodes' roles.
    EfsClientAccess(EfsClientAccess),
    /// The peering request from A's VPC.
    PeeringRequest(PeeringRequest),
    /// B accepts the peering and it becomes active.
    PeeringAccept(PeeringAccept),
    /// The optional DNS resolution option of the peering.
    PeeringDnsResolution(PeeringDnsResolution),
    /// Routes to the peer VPC in a set of route tables.
    PeerRoutes(PeerRoutes),
    /// The mount targets' security group and its NFS rule.
    MountTargetSecurityGroup(MountTargetSecurityGroup),
    /// The EFS file system.
    FileSystem(FileSystem),
    /// One mount target per worker zone id.
    MountTargets(MountTargets),
    /// The file-system policy.
    FileSystemPolicy(FileSystemPolicy),
    /// The operator's cloud credentials Secret.
    CloudCredentialsSecret(CloudCredentialsSecret),
    /// The OLM OperatorGroup (reused when the namespace has one).
    OperatorGroup(OperatorGroup),
    /// The OLM Subscription, and the operator Deployment becoming available.
    Subscription(Subscription),
    /// The `ClusterCSIDriver`, and the controller and node DaemonSet becoming ready.
    ClusterCsiDriver(ClusterCsiDriver),
    /// The Secret naming B's role for the provisioner.
    CrossAccountSecret(CrossAccountSecret),
    /// The Role and RoleBinding that let the controller read that one Secret.
    SecretReaderRbac(SecretReaderRbac),
    /// The StorageClass.
    StorageClass(StorageClass),
    /// The end-to-end write/read check.
    Verify(Verify),
}

impl StepSpec {
    /// Whether the step only reads (discovery, preflight, verify's cleanup aside).
    pub fn read_only(&self) -> bool {
        matches!(
            self,
            StepSpec::DiscoverCluster(_)
                | StepSpec::DiscoverClusterAccount(_)
                | StepSpec::DiscoverStorageAccount(_)
                | StepSpec::Preflight(_)
        )
    }
}
