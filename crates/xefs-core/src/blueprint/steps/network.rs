use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::blueprint::{OutputRef, Value};
use crate::ids::{AccountId, Ipv4Cidr, PeeringId, Region, VpcId};

/// The peering request from A's VPC to B's. Outputs `peering_id`. Found again by its tag
/// and VPC pair, so a crash after the request never makes a second peering.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct PeeringRequest {
    /// A's VPC.
    pub requester_vpc: VpcId,
    /// B's VPC.
    pub accepter_vpc: VpcId,
    /// Account B.
    pub accepter_account: AccountId,
    /// B's region.
    pub accepter_region: Region,
    /// Tags.
    pub tags: BTreeMap<String, String>,
}

/// B accepts the request, with B's credentials, and the peering is waited for until `active`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct PeeringAccept {
    /// The peering.
    pub peering: Value<PeeringId>,
}

/// `AllowDnsResolutionFromRemoteVpc` on the accepter side. Off unless asked: it does not make
/// EFS names resolvable across accounts, and the OpenShift driver mounts by IP.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct PeeringDnsResolution {
    /// The peering.
    pub peering: Value<PeeringId>,
}

/// A route to the peer CIDR through the peering, in every route table of a set. An identical
/// route is success; a route for the same CIDR to another target is a conflict.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct PeerRoutes {
    /// The account of the route tables.
    pub account: AccountId,
    /// The route tables (discovered: explicit associations, else the VPC's main table).
    pub route_tables: OutputRef,
    /// The peer VPC's CIDR.
    pub destination: Ipv4Cidr,
    /// The peering.
    pub peering: Value<PeeringId>,
}

/// A security group in B's VPC admitting NFS (TCP 2049) from A's CIDR, for the mount targets.
/// (The guide opens 2049 on A's nodes instead, which does nothing: groups are stateful.)
/// Outputs `security_group_id`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct MountTargetSecurityGroup {
    /// B's VPC.
    pub vpc_id: VpcId,
    /// Group name.
    pub name: String,
    /// Group description.
    pub description: String,
    /// The CIDR allowed in (A's VPC).
    pub nfs_source: Ipv4Cidr,
    /// Tags.
    pub tags: BTreeMap<String, String>,
}
