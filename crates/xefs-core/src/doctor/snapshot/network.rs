//! Plain, serializable types holding the network facts doctor needs from both accounts.
//!
//! They mirror what EC2 and EFS describe calls return, reduced to what the path check reads, so
//! the analysis stays free of I/O and tests can build snapshots by hand. Providers fill them in.

use serde::{Deserialize, Serialize};

use crate::ids::{
    AccountId, AzId, FileSystemId, Ipv4Cidr, MountTargetId, PeeringId, RouteTableId,
    SecurityGroupId, SubnetId, VpcId,
};

/// Everything the network path check looks at, from both accounts.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct NetworkSnapshot {
    /// Account A's side: the cluster's VPC.
    pub cluster: VpcSide,
    /// Account B's side: the VPC that should hold the mount targets.
    pub storage: VpcSide,
    /// The peering joining the two VPCs, if one was found.
    pub peering: Option<PeeringState>,
    /// Where the worker nodes run: the sources of NFS traffic.
    pub workers: Vec<WorkerPlacement>,
    /// The file system's mount targets: the destinations of NFS traffic.
    pub mount_targets: Vec<MountTargetState>,
}

/// One VPC with the routing and filtering that applies to its subnets.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct VpcSide {
    /// The account owning the VPC; findings name it so the user knows which credentials to use.
    pub account: AccountId,
    /// The VPC.
    pub vpc: VpcId,
    /// Its primary IPv4 CIDR block, the one routes and rules refer to.
    pub cidr: Ipv4Cidr,
    /// Its subnets.
    pub subnets: Vec<SubnetState>,
    /// Its route tables with their associations.
    pub route_tables: Vec<RouteTableState>,
    /// Its security groups.
    pub security_groups: Vec<SecurityGroupState>,
    /// Its network ACLs.
    pub network_acls: Vec<NetworkAclState>,
}

/// A subnet; the AZ *id* (not name) is what lines up across accounts.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SubnetState {
    /// The subnet.
    pub id: SubnetId,
    /// Its zone id, e.g. `use1-az4`.
    pub az_id: AzId,
    /// Its IPv4 CIDR block.
    pub cidr: Ipv4Cidr,
}

/// A route table; a subnet without an explicit association uses the VPC's main table.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RouteTableState {
    /// The route table.
    pub id: RouteTableId,
    /// Whether it is the VPC's main table (the fallback for unassociated subnets).
    pub main: bool,
    /// Subnets explicitly associated with it.
    pub subnets: Vec<SubnetId>,
    /// Its IPv4 routes.
    pub routes: Vec<RouteState>,
}

/// One IPv4 route.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RouteState {
    /// Destination block; the longest matching one wins.
    pub destination: Ipv4Cidr,
    /// Where matching traffic goes.
    pub target: RouteTargetState,
    /// Whether AWS reports the route as `blackhole` (its target, e.g. a peering, is gone).
    pub blackhole: bool,
}

/// Where a route sends traffic; only peerings matter to the path check.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum RouteTargetState {
    /// A VPC peering connection.
    Peering(PeeringId),
    /// Anything else (`local`, `igw-…`, `nat-…`, `tgw-…`…), as AWS names it.
    Other(String),
}

/// A security group and its rules.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SecurityGroupState {
    /// The group.
    pub id: SecurityGroupId,
    /// Its VPC.
    pub vpc: VpcId,
    /// Inbound rules; the mount target's must admit TCP 2049 from the workers.
    pub ingress: Vec<IngressState>,
    /// Outbound rules (security groups are stateful, so replies need none).
    pub egress: Vec<IngressState>,
}

/// One security-group rule reduced to a protocol, a port range and IPv4 CIDRs.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct IngressState {
    /// `tcp`, `udp`, `icmp` or `-1` (all traffic), as AWS names it.
    pub protocol: String,
    /// First port; `None` for all ports.
    pub from_port: Option<u16>,
    /// Last port; `None` for all ports.
    pub to_port: Option<u16>,
    /// The peer CIDR blocks.
    pub cidrs: Vec<Ipv4Cidr>,
}

/// A network ACL; stateless, so both directions need a rule.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct NetworkAclState {
    /// The ACL id (`acl-…`).
    pub id: String,
    /// Subnets explicitly associated with it.
    pub subnets: Vec<SubnetId>,
    /// Whether it is the VPC's default ACL (the fallback for unassociated subnets).
    pub default: bool,
    /// Its entries, in any order; they are evaluated by rule number.
    pub entries: Vec<AclEntry>,
}

/// One network ACL entry.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AclEntry {
    /// Lower numbers are evaluated first; the first match decides.
    pub rule_number: u16,
    /// Whether it filters outbound (true) or inbound (false) traffic.
    pub egress: bool,
    /// `6`/`tcp`, `17`/`udp` or `-1` (all), as AWS names it.
    pub protocol: String,
    /// Port range; `None` for all ports.
    pub port_range: Option<(u16, u16)>,
    /// The peer block.
    pub cidr: Ipv4Cidr,
    /// Allow (true) or deny (false).
    pub allow: bool,
}

/// The peering connection and its lifecycle state.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PeeringState {
    /// The peering.
    pub id: PeeringId,
    /// The requester's VPC.
    pub requester_vpc: VpcId,
    /// The accepter's VPC.
    pub accepter_vpc: VpcId,
    /// Its state as AWS names it (`active`, `pending-acceptance`, `deleted`…).
    pub status: String,
}

/// Where one group of worker nodes runs.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct WorkerPlacement {
    /// The worker subnet (in A's VPC).
    pub subnet: SubnetId,
    /// Its zone id, which picks the mount target.
    pub az_id: AzId,
}

/// One mount target of the file system.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MountTargetState {
    /// The mount target.
    pub id: MountTargetId,
    /// Its file system; named in the fixes that recreate a mount target.
    pub file_system: FileSystemId,
    /// Its subnet.
    pub subnet: SubnetId,
    /// Its zone id.
    pub az_id: AzId,
    /// Its VPC; must be B's peered VPC.
    pub vpc: VpcId,
    /// Its security groups (they filter NFS traffic, not the workers' groups).
    pub security_groups: Vec<SecurityGroupId>,
    /// Its lifecycle state (`available`, `creating`…).
    pub state: String,
}
