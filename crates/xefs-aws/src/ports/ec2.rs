use xefs_core::ids::{
    AccountId, AzId, InstanceId, Ipv4Cidr, PeeringId, Region, RouteTableId, SecurityGroupId,
    SubnetId, VpcId,
};

use super::Tags;
use crate::AwsResult;

/// A VPC.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Vpc {
    /// Its id.
    pub id: VpcId,
    /// The account that owns it.
    pub owner: AccountId,
    /// Its primary IPv4 CIDR block.
    pub cidr: Ipv4Cidr,
    /// Every associated IPv4 CIDR block (the primary one included).
    pub cidrs: Vec<Ipv4Cidr>,
}

/// A subnet, with its zone's name *and* id (names differ between accounts, ids do not).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Subnet {
    /// Its id.
    pub id: SubnetId,
    /// Its VPC.
    pub vpc_id: VpcId,
    /// Zone name, e.g. `us-east-1a` (account-specific).
    pub az_name: String,
    /// Zone id, e.g. `use1-az4` (the same in every account).
    pub az_id: AzId,
    /// Its IPv4 CIDR block.
    pub cidr: Ipv4Cidr,
}

/// An EC2 instance, as far as discovery needs it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Instance {
    /// Its id.
    pub id: InstanceId,
    /// Its subnet (absent for a terminated instance).
    pub subnet_id: Option<SubnetId>,
    /// Its VPC.
    pub vpc_id: Option<VpcId>,
    /// The ARN of its instance profile, whose roles the node uses.
    pub instance_profile_arn: Option<String>,
}

/// Where a route sends traffic.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RouteTarget {
    /// A VPC peering connection.
    Peering(PeeringId),
    /// Anything else (gateway, NAT, instance, interface…), as AWS names it.
    Other(String),
}

impl std::fmt::Display for RouteTarget {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            RouteTarget::Peering(p) => p.fmt(f),
            RouteTarget::Other(o) => f.write_str(o),
        }
    }
}

/// One IPv4 route of a route table.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Route {
    /// Destination CIDR.
    pub destination: Ipv4Cidr,
    /// Target.
    pub target: RouteTarget,
    /// `blackhole` when the target is gone (e.g. a deleted peering).
    pub blackhole: bool,
}

/// A route table with its subnet associations.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RouteTable {
    /// Its id.
    pub id: RouteTableId,
    /// Its VPC.
    pub vpc_id: VpcId,
    /// True for the VPC's main table, which serves every subnet without an explicit association.
    pub main: bool,
    /// Subnets explicitly associated with it.
    pub subnets: Vec<SubnetId>,
    /// Its IPv4 routes.
    pub routes: Vec<Route>,
}

/// The lifecycle state of a peering connection.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PeeringStatus {
    /// `initiating-request`.
    Initiating,
    /// `pending-acceptance`: the accepter has not accepted yet.
    PendingAcceptance,
    /// `provisioning`: accepted, not yet active.
    Provisioning,
    /// `active`.
    Active,
    /// `deleting`, `deleted`, `rejected`, `failed` or `expired`: gone for good.
    Gone(String),
    /// A state this version of xefs does not know.
    Other(String),
}

impl PeeringStatus {
    /// The state as AWS names it (`active`, `pending-acceptance`, `deleted`…).
    pub fn as_str(&self) -> &str {
        match self {
            PeeringStatus::Initiating => "initiating-request",
            PeeringStatus::PendingAcceptance => "pending-acceptance",
            PeeringStatus::Provisioning => "provisioning",
            PeeringStatus::Active => "active",
            PeeringStatus::Gone(state) | PeeringStatus::Other(state) => state,
        }
    }
}

/// A VPC peering connection.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Peering {
    /// Its id.
    pub id: PeeringId,
    /// The requester's VPC.
    pub requester_vpc: VpcId,
    /// The requester's account.
    pub requester_owner: AccountId,
    /// The accepter's VPC.
    pub accepter_vpc: VpcId,
    /// The accepter's account.
    pub accepter_owner: AccountId,
    /// Its state.
    pub status: PeeringStatus,
    /// `AllowDnsResolutionFromRemoteVpc` on the accepter side.
    pub accepter_allows_remote_dns: bool,
    /// Its tags, as the calling account sees them.
    pub tags: Tags,
}

/// What `CreateVpcPeeringConnection` needs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewPeering {
    /// The requester's VPC (in the calling account).
    pub requester_vpc: VpcId,
    /// The accepter's VPC.
    pub accepter_vpc: VpcId,
    /// The accepter's account.
    pub accepter_owner: AccountId,
    /// The accepter's region.
    pub accepter_region: Region,
    /// Tags.
    pub tags: Tags,
}

/// One rule of a security group, inbound or outbound (the list holding it says which), reduced
/// to a protocol, a port range and IPv4 CIDRs: references to other groups and IPv6 ranges are
/// not xefs's business.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SecurityGroupRule {
    /// `tcp`, `udp`, `-1`…
    pub protocol: String,
    /// First port (the ICMP type for ICMP); `None` or `-1` for all.
    pub from_port: Option<i32>,
    /// Last port (the ICMP code for ICMP); `None` or `-1` for all.
    pub to_port: Option<i32>,
    /// The peer CIDRs: sources of an inbound rule, destinations of an outbound one.
    pub cidrs: Vec<Ipv4Cidr>,
}

/// A security group.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SecurityGroup {
    /// Its id.
    pub id: SecurityGroupId,
    /// Its name.
    pub name: String,
    /// Its VPC.
    pub vpc_id: VpcId,
    /// Its inbound rules.
    pub ingress: Vec<SecurityGroupRule>,
    /// Its outbound rules.
    pub egress: Vec<SecurityGroupRule>,
    /// Its tags.
    pub tags: Tags,
}

/// A network ACL: stateless filtering at the subnet boundary, so NFS needs a rule each way.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NetworkAcl {
    /// Its id (`acl-…`).
    pub id: String,
    /// Its VPC.
    pub vpc_id: VpcId,
    /// Whether it is the VPC's default ACL, which filters every subnet without an explicit
    /// association.
    pub default: bool,
    /// Subnets explicitly associated with it.
    pub subnets: Vec<SubnetId>,
    /// Its IPv4 entries, as AWS lists them (IPv6 entries are left out).
    pub entries: Vec<NetworkAclEntry>,
}

/// One IPv4 entry of a network ACL. The final `32767` deny-all is an ordinary entry here.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NetworkAclEntry {
    /// Evaluated in increasing order; the first match decides.
    pub rule_number: u16,
    /// Outbound (true) or inbound (false).
    pub egress: bool,
    /// The protocol number as AWS gives it: `6` (TCP), `17` (UDP), `-1` (all)…
    pub protocol: String,
    /// First and last port; `None` for all ports (or a protocol without ports).
    pub port_range: Option<(u16, u16)>,
    /// The peer block.
    pub cidr: Ipv4Cidr,
    /// `allow` (true) or `deny` (false).
    pub allow: bool,
}

/// What `CreateSecurityGroup` needs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewSecurityGroup {
    /// Its VPC.
    pub vpc_id: VpcId,
    /// Its name.
    pub name: String,
    /// Its description.
    pub description: String,
    /// Tags.
    pub tags: Tags,
}

/// EC2 in one account.
#[cfg_attr(any(test, feature = "mock"), mockall::automock)]
#[async_trait::async_trait]
pub trait Ec2: Send + Sync {
    /// `DescribeVpcs` for one VPC; `None` when it does not exist.
    async fn describe_vpc(&self, id: &VpcId) -> AwsResult<Option<Vpc>>;
    /// `DescribeSubnets` by id; a missing id is an error naming it.
    async fn describe_subnets(&self, ids: &[SubnetId]) -> AwsResult<Vec<Subnet>>;
    /// `DescribeSubnets` of a VPC, every page.
    async fn subnets_in_vpc(&self, vpc: &VpcId) -> AwsResult<Vec<Subnet>>;
    /// `DescribeInstances` by id, every page.
    async fn describe_instances(&self, ids: &[InstanceId]) -> AwsResult<Vec<Instance>>;
    /// `DescribeRouteTables` of a VPC, every page.
    async fn route_tables_in_vpc(&self, vpc: &VpcId) -> AwsResult<Vec<RouteTable>>;
    /// `DescribeNetworkAcls` of a VPC, every page.
    async fn network_acls_in_vpc(&self, vpc: &VpcId) -> AwsResult<Vec<NetworkAcl>>;
    /// `DescribeRouteTables` by id.
    async fn describe_route_tables(&self, ids: &[RouteTableId]) -> AwsResult<Vec<RouteTable>>;
    /// `CreateRoute` to a peering.
    async fn create_route(
        &self,
        table: &RouteTableId,
        destination: &Ipv4Cidr,
        peering: &PeeringId,
    ) -> AwsResult<()>;
    /// `DeleteRoute`; success when there is no such route.
    async fn delete_route(&self, table: &RouteTableId, destination: &Ipv4Cidr) -> AwsResult<()>;

    /// `DescribeVpcPeeringConnections` between two VPCs, in any state.
    async fn peerings_between(
        &self,
        requester: &VpcId,
        accepter: &VpcId,
    ) -> AwsResult<Vec<Peering>>;
    /// `DescribeVpcPeeringConnections` for one id; `None` when it does not exist.
    async fn describe_peering(&self, id: &PeeringId) -> AwsResult<Option<Peering>>;
    /// `CreateVpcPeeringConnection`, tagged at creation.
    async fn create_peering(&self, peering: &NewPeering) -> AwsResult<Peering>;
    /// `AcceptVpcPeeringConnection` (with the accepter's credentials).
    async fn accept_peering(&self, id: &PeeringId) -> AwsResult<()>;
    /// `ModifyVpcPeeringConnectionOptions`: the accepter side's `AllowDnsResolutionFromRemoteVpc`.
    async fn set_accepter_remote_dns(&self, id: &PeeringId, allow: bool) -> AwsResult<()>;
    /// `DeleteVpcPeeringConnection`; success when it is already gone.
    async fn delete_peering(&self, id: &PeeringId) -> AwsResult<()>;

    /// `DescribeSecurityGroups` by VPC and group name; `None` when there is none.
    async fn find_security_group(
        &self,
        vpc: &VpcId,
        name: &str,
    ) -> AwsResult<Option<SecurityGroup>>;
    /// `DescribeSecurityGroups` by id; `None` when it does not exist.
    async fn describe_security_group(
        &self,
        id: &SecurityGroupId,
    ) -> AwsResult<Option<SecurityGroup>>;
    /// `CreateSecurityGroup`, tagged at creation.
    async fn create_security_group(&self, group: &NewSecurityGroup) -> AwsResult<SecurityGroupId>;
    /// `AuthorizeSecurityGroupIngress` for one TCP port from one CIDR; success when the rule
    /// already exists.
    async fn allow_tcp_ingress(
        &self,
        group: &SecurityGroupId,
        port: i32,
        source: &Ipv4Cidr,
        description: &str,
    ) -> AwsResult<()>;
    /// `DeleteSecurityGroup`; success when it is already gone.
    async fn delete_security_group(&self, id: &SecurityGroupId) -> AwsResult<()>;
}
