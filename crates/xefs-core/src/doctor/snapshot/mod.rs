//! Plain, serializable facts doctor reads from both accounts and the cluster.
//!
//! They mirror what the describe calls return, reduced to what the checks read, so the
//! analysis stays free of I/O and tests can build snapshots by hand. Providers fill them in
//! (`xefs_aws::doctor` and `xefs_k8s::doctor`); anything they could not read is `None` or a
//! `found: false`, never an error, so one unreadable resource does not hide the other checks.

mod accounts;
mod cluster;
mod iam;
mod network;

use serde::{Deserialize, Serialize};

pub use accounts::{AccountFacts, IdentityFact, OidcFacts, VpcFact};
pub use cluster::{ClusterFacts, SecretFacts, StorageClassFacts};
pub use iam::{AttachedPolicy, FileSystemFacts, IamFacts, RoleDocuments, RoleFacts};
pub use network::{
    AclEntry, IngressState, MountTargetState, NetworkAclState, NetworkSnapshot, PeeringState,
    RouteState, RouteTableState, RouteTargetState, SecurityGroupState, SubnetState, VpcSide,
    WorkerPlacement,
};

use crate::ids::SubnetId;

/// Everything `xefs doctor` looks at, before or after `apply`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DoctorSnapshot {
    /// Account A (the cluster's): whose credentials answered, and its VPC.
    pub cluster_account: AccountFacts,
    /// Account B (the storage account): whose credentials answered, and its VPC.
    pub storage_account: AccountFacts,
    /// Both VPCs' routing and filtering, the peering, the workers and the mount targets;
    /// `None` when either account or VPC could not be read (their findings say why).
    pub network: Option<NetworkSnapshot>,
    /// The subnets of B's VPC the spec reserves for mount targets (`storage.subnets`); empty
    /// when xefs may pick any subnet of B's VPC.
    pub storage_subnets: Vec<SubnetId>,
    /// A's IAM OIDC provider for the cluster; `None` when its issuer is unknown (the spec does
    /// not name it and the cluster was not read).
    pub oidc: Option<OidcFacts>,
    /// The roles and policies of both accounts.
    pub iam: IamFacts,
    /// B's file system; `None` when it does not exist (yet).
    pub file_system: Option<FileSystemFacts>,
    /// The cluster's objects; `None` when doctor ran with `--phase aws`.
    pub cluster: Option<ClusterFacts>,
}

impl DoctorSnapshot {
    /// Whether any resource xefs creates exists yet. Before the first apply, the checks of
    /// what apply creates are skipped rather than failed, so doctor works as a preflight.
    pub fn applied(&self) -> bool {
        self.iam.csi_role.found.is_some()
            || self.iam.cross_account_role.found.is_some()
            || self.file_system.is_some()
            || self.network.as_ref().is_some_and(|n| n.peering.is_some())
            || self.cluster.as_ref().is_some_and(ClusterFacts::any_found)
    }
}
