use serde::{Deserialize, Serialize};

use crate::blueprint::{OutputRef, Value};
use crate::ids::{AccountId, Arn, AzId, Ipv4Cidr, OidcProvider, SubnetId, VpcId};

/// Reads `Authentication/cluster` and the worker nodes. Outputs `oidc_provider` and
/// `worker_instance_ids`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct DiscoverCluster {
    /// Read the OIDC issuer (the spec does not name it).
    pub oidc_provider: bool,
    /// Read the worker nodes' instance ids (the spec names no worker subnets).
    pub worker_instances: bool,
    /// Label that selects worker nodes.
    pub worker_selector: String,
}

/// Reads account A's side of the network. Outputs `worker_subnets`, `worker_az_ids`,
/// `cluster_route_tables` and `node_role_arns`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct DiscoverClusterAccount {
    /// The cluster's VPC.
    pub vpc_id: VpcId,
    /// Worker subnets from the spec, or the instances whose subnets to read.
    pub workers: WorkerSource,
    /// Node roles from the spec; read from the instances' profiles when empty.
    pub node_role_arns: Vec<Arn>,
}

/// Where the worker subnets come from.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum WorkerSource {
    /// Named in the spec.
    Subnets(Vec<SubnetId>),
    /// The subnets of these instances (the cluster's worker nodes).
    Instances(OutputRef),
}

/// Reads account B's side: one subnet of B's VPC per worker zone id. Outputs
/// `mount_target_subnets` and `storage_route_tables`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct DiscoverStorageAccount {
    /// B's VPC.
    pub vpc_id: VpcId,
    /// Subnets named in the spec; otherwise chosen per worker zone id.
    pub subnets: Vec<SubnetId>,
    /// The zone ids the workers run in.
    pub worker_az_ids: OutputRef,
    /// With One Zone storage, the only zone for a mount target.
    pub one_zone_az_id: Option<AzId>,
}

/// Checks before the first write, in both accounts.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct Preflight {
    /// Account A's expected id.
    pub cluster_account: AccountId,
    /// Account B's expected id.
    pub storage_account: AccountId,
    /// A's VPC and the CIDR the spec says it has.
    pub cluster_vpc: (VpcId, Ipv4Cidr),
    /// B's VPC and the CIDR the spec says it has.
    pub storage_vpc: (VpcId, Ipv4Cidr),
    /// The OIDC provider that must be registered in A's IAM.
    pub oidc_provider: Value<OidcProvider>,
    /// Zone ids the workers run in, each of which B's VPC must cover.
    pub worker_az_ids: OutputRef,
    /// B's chosen subnets, one per worker zone id.
    pub mount_target_subnets: OutputRef,
}
