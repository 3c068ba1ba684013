//! The simulated world, as plain serde data: every account's IAM, and its EC2 and EFS resources
//! per region, the peerings between them, the id counter, and every timestamp as a [`SimTime`]
//! (never a `tokio::time::Instant`), so that [`FakeAws::save`](super::FakeAws::save) can write
//! it and a later process can carry on with it.
//!
//! States that end on their own (a file system `creating`, a mount target `deleting`, a
//! peering `provisioning`…) are stored with the time they end; [`World::settle`] moves them on
//! before every call, so time passing is nothing but the clock moving.

use std::collections::{BTreeMap, BTreeSet};

use serde::{Deserialize, Serialize};
use xefs_core::ids::{
    AccountId, AzId, FileSystemId, InstanceId, Ipv4Cidr, MountTargetId, PeeringId, RouteTableId,
    SecurityGroupId, SubnetId, VpcId,
};
use xefs_core::sim::SimTime;
use xefs_core::spec::{PerformanceMode, ThroughputMode};

use crate::ports::Tags;

/// How long a deleted or failed peering stays visible, as in EC2.
pub(crate) const GONE_PEERING_VISIBLE_MS: u64 = 2 * 60 * 60 * 1000;

/// Everything the fake holds.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub(crate) struct World {
    /// The last id handed out; ids are derived from it, so a saved world goes on with fresh
    /// ones.
    pub(crate) next_id: u64,
    /// Each account's resources.
    pub(crate) accounts: BTreeMap<AccountId, AccountWorld>,
    /// Peerings, which belong to two accounts at once.
    pub(crate) peerings: BTreeMap<PeeringId, PeeringRec>,
}

/// One account: IAM is global, the rest is regional.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub(crate) struct AccountWorld {
    pub(crate) iam: IamWorld,
    /// By region name.
    pub(crate) regions: BTreeMap<String, RegionWorld>,
}

/// An account's IAM.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub(crate) struct IamWorld {
    /// By role name (unique in an account, whatever the path).
    pub(crate) roles: BTreeMap<String, RoleRec>,
    /// By policy ARN.
    pub(crate) policies: BTreeMap<String, PolicyRec>,
    /// By instance profile name.
    pub(crate) instance_profiles: BTreeMap<String, ProfileRec>,
    /// By provider ARN.
    pub(crate) oidc_providers: BTreeMap<String, OidcRec>,
}

/// An IAM role.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub(crate) struct RoleRec {
    pub(crate) name: String,
    pub(crate) arn: String,
    /// The trust policy, compact JSON.
    pub(crate) trust: String,
    pub(crate) description: Option<String>,
    pub(crate) tags: Tags,
    /// ARNs of the attached managed policies, in attachment order.
    pub(crate) attached: Vec<String>,
    pub(crate) created_at: SimTime,
    /// From when IAM accepts the role as a principal in policies (propagation).
    pub(crate) usable_at: SimTime,
}

/// A customer-managed policy.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub(crate) struct PolicyRec {
    pub(crate) name: String,
    pub(crate) arn: String,
    pub(crate) versions: Vec<PolicyVersionRec>,
    pub(crate) default_version: String,
    /// The number of the next version (`v<n>`), never reused.
    pub(crate) next_version: u32,
    pub(crate) tags: Tags,
}

/// One version of a managed policy.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub(crate) struct PolicyVersionRec {
    pub(crate) id: String,
    /// Compact JSON.
    pub(crate) document: String,
    pub(crate) created_at: SimTime,
}

/// An instance profile.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub(crate) struct ProfileRec {
    pub(crate) name: String,
    pub(crate) arn: String,
    /// Role names.
    pub(crate) roles: Vec<String>,
}

/// An IAM OIDC provider.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub(crate) struct OidcRec {
    pub(crate) arn: String,
    /// The issuer URL.
    pub(crate) url: String,
}

/// An account's resources in one region.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub(crate) struct RegionWorld {
    pub(crate) vpcs: BTreeMap<VpcId, VpcRec>,
    pub(crate) subnets: BTreeMap<SubnetId, SubnetRec>,
    pub(crate) route_tables: BTreeMap<RouteTableId, RouteTableRec>,
    /// By `acl-…` id.
    pub(crate) network_acls: BTreeMap<String, AclRec>,
    pub(crate) security_groups: BTreeMap<SecurityGroupId, GroupRec>,
    pub(crate) instances: BTreeMap<InstanceId, InstanceRec>,
    pub(crate) file_systems: BTreeMap<FileSystemId, FileSystemRec>,
    pub(crate) mount_targets: BTreeMap<MountTargetId, MountTargetRec>,
}

/// A VPC.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub(crate) struct VpcRec {
    pub(crate) id: VpcId,
    pub(crate) cidr: Ipv4Cidr,
}

/// A subnet.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub(crate) struct SubnetRec {
    pub(crate) id: SubnetId,
    pub(crate) vpc: VpcId,
    pub(crate) az_id: AzId,
    pub(crate) az_name: String,
    pub(crate) cidr: Ipv4Cidr,
    /// The next host address to hand out (AWS reserves the first four).
    pub(crate) next_host: u32,
}

/// A route table.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub(crate) struct RouteTableRec {
    pub(crate) id: RouteTableId,
    pub(crate) vpc: VpcId,
    pub(crate) main: bool,
    pub(crate) subnets: Vec<SubnetId>,
    pub(crate) routes: Vec<RouteRec>,
}

/// One route.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub(crate) struct RouteRec {
    pub(crate) destination: Ipv4Cidr,
    pub(crate) target: RouteTargetRec,
}

/// Where a route goes.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub(crate) enum RouteTargetRec {
    /// The VPC's own CIDR.
    Local,
    /// A peering; a blackhole unless it is active.
    Peering(PeeringId),
    /// A gateway or anything else, by id (for worlds that tests break on purpose).
    Other(String),
}

/// A network ACL.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub(crate) struct AclRec {
    pub(crate) id: String,
    pub(crate) vpc: VpcId,
    pub(crate) default: bool,
    pub(crate) subnets: Vec<SubnetId>,
    pub(crate) entries: Vec<AclEntryRec>,
}

/// One ACL entry.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub(crate) struct AclEntryRec {
    pub(crate) rule_number: u16,
    pub(crate) egress: bool,
    pub(crate) protocol: String,
    pub(crate) port_range: Option<(u16, u16)>,
    pub(crate) cidr: Ipv4Cidr,
    pub(crate) allow: bool,
}

/// A security group.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub(crate) struct GroupRec {
    pub(crate) id: SecurityGroupId,
    pub(crate) name: String,
    pub(crate) description: String,
    pub(crate) vpc: VpcId,
    pub(crate) ingress: Vec<RuleRec>,
    pub(crate) egress: Vec<RuleRec>,
    pub(crate) tags: Tags,
}

/// One rule of a security group, for one peer.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub(crate) struct RuleRec {
    pub(crate) protocol: String,
    pub(crate) from_port: Option<i32>,
    pub(crate) to_port: Option<i32>,
    pub(crate) peer: RulePeer,
    pub(crate) description: Option<String>,
}

/// The other end of a rule.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub(crate) enum RulePeer {
    /// An IPv4 block.
    Cidr(Ipv4Cidr),
    /// Members of a security group (the default group admits itself).
    Group(SecurityGroupId),
}

/// An EC2 instance.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub(crate) struct InstanceRec {
    pub(crate) id: InstanceId,
    pub(crate) subnet: SubnetId,
    pub(crate) vpc: VpcId,
    pub(crate) instance_profile_arn: Option<String>,
}

/// A file system's or mount target's state, with when a passing one ends.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) enum Life {
    Creating {
        until: SimTime,
    },
    Available,
    Updating {
        until: SimTime,
    },
    /// Removed from the world at `until`.
    Deleting {
        until: SimTime,
    },
}

impl Life {
    /// The state after `now`: a passing state whose time is up moves on (`None`: gone).
    fn settled(self, now: SimTime) -> Option<Life> {
        match self {
            Life::Creating { until } | Life::Updating { until } if until <= now => {
                Some(Life::Available)
            }
            Life::Deleting { until } if until <= now => None,
            other => Some(other),
        }
    }

    /// As EFS names it.
    pub(crate) fn name(self) -> &'static str {
        match self {
            Life::Creating { .. } => "creating",
            Life::Available => "available",
            Life::Updating { .. } => "updating",
            Life::Deleting { .. } => "deleting",
        }
    }
}

/// An EFS file system.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub(crate) struct FileSystemRec {
    pub(crate) id: FileSystemId,
    pub(crate) creation_token: String,
    pub(crate) life: Life,
    pub(crate) performance_mode: PerformanceMode,
    pub(crate) throughput_mode: ThroughputMode,
    pub(crate) provisioned_throughput_mibps: Option<f64>,
    pub(crate) encrypted: bool,
    pub(crate) kms_key_id: Option<String>,
    pub(crate) one_zone_az_id: Option<AzId>,
    pub(crate) size_bytes: u64,
    pub(crate) tags: Tags,
    /// The file-system policy, compact JSON.
    pub(crate) policy: Option<String>,
}

/// An EFS mount target.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub(crate) struct MountTargetRec {
    pub(crate) id: MountTargetId,
    pub(crate) file_system: FileSystemId,
    pub(crate) subnet: SubnetId,
    pub(crate) vpc: VpcId,
    pub(crate) az_id: AzId,
    pub(crate) ip_address: String,
    pub(crate) security_groups: Vec<SecurityGroupId>,
    pub(crate) life: Life,
}

/// One side of a peering.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct PeeringSide {
    pub(crate) account: AccountId,
    pub(crate) region: String,
    pub(crate) vpc: VpcId,
}

/// A peering's state, with when a passing one ends.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) enum PeeringLife {
    PendingAcceptance,
    Provisioning {
        until: SimTime,
    },
    Active,
    Deleting {
        until: SimTime,
    },
    /// Visible (as `deleted`) until `visible_until`.
    Deleted {
        visible_until: SimTime,
    },
    /// Refused at creation (overlapping CIDRs, no such accepter VPC, a peering already
    /// joining the VPCs); visible until `visible_until`.
    Failed {
        reason: String,
        visible_until: SimTime,
    },
}

impl PeeringLife {
    /// As EC2 names it.
    pub(crate) fn name(&self) -> &'static str {
        match self {
            PeeringLife::PendingAcceptance => "pending-acceptance",
            PeeringLife::Provisioning { .. } => "provisioning",
            PeeringLife::Active => "active",
            PeeringLife::Deleting { .. } => "deleting",
            PeeringLife::Deleted { .. } => "deleted",
            PeeringLife::Failed { .. } => "failed",
        }
    }

    /// Whether it can never become active again.
    pub(crate) fn is_gone(&self) -> bool {
        matches!(
            self,
            PeeringLife::Deleting { .. } | PeeringLife::Deleted { .. } | PeeringLife::Failed { .. }
        )
    }
}

/// A VPC peering connection.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub(crate) struct PeeringRec {
    pub(crate) id: PeeringId,
    pub(crate) requester: PeeringSide,
    pub(crate) accepter: PeeringSide,
    pub(crate) life: PeeringLife,
    /// When the accepter's account starts to see the request.
    pub(crate) visible_to_accepter_at: SimTime,
    pub(crate) accepter_allows_remote_dns: bool,
    /// Tags are per account: each side sees only its own.
    pub(crate) tags: BTreeMap<AccountId, Tags>,
}

impl PeeringRec {
    /// Whether `account` in `region` sees this peering at `now`.
    pub(crate) fn visible_to(&self, account: &AccountId, region: &str, now: SimTime) -> bool {
        let requester = &self.requester.account == account && self.requester.region == region;
        let accepter = &self.accepter.account == account
            && self.accepter.region == region
            && now >= self.visible_to_accepter_at
            // A request that failed at creation never reaches the accepter.
            && !matches!(self.life, PeeringLife::Failed { .. });
        requester || accepter
    }

    /// Whether it joins these two VPCs, either way round.
    pub(crate) fn joins(&self, a: &VpcId, b: &VpcId) -> bool {
        (&self.requester.vpc == a && &self.accepter.vpc == b)
            || (&self.requester.vpc == b && &self.accepter.vpc == a)
    }
}

/// The kinds of ids the world hands out, each with its AWS prefix.
#[derive(Debug, Clone, Copy)]
pub(crate) enum IdKind {
    Subnet,
    RouteTable,
    NetworkAcl,
    SecurityGroup,
    Instance,
    Peering,
    FileSystem,
    MountTarget,
    /// IAM's role and policy ids (`AROA…`, `ANPA…`) are not in the ports; this is for the
    /// generated OIDC issuer of a seeded world.
    Issuer,
}

impl IdKind {
    fn prefix(self) -> &'static str {
        match self {
            IdKind::Subnet => "subnet",
            IdKind::RouteTable => "rtb",
            IdKind::NetworkAcl => "acl",
            IdKind::SecurityGroup => "sg",
            IdKind::Instance => "i",
            IdKind::Peering => "pcx",
            IdKind::FileSystem => "fs",
            IdKind::MountTarget => "fsmt",
            IdKind::Issuer => "oidc",
        }
    }
}

/// A bijective mix of a counter (SplitMix64's finaliser): ids look random like AWS's, yet a
/// world built the same way gets the same ids.
fn mix(mut x: u64) -> u64 {
    x = x.wrapping_add(0x9e37_79b9_7f4a_7c15);
    x = (x ^ (x >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    x = (x ^ (x >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    x ^ (x >> 31)
}

impl World {
    /// A fresh id of `kind`: its prefix and 17 hex digits, like AWS's long ids.
    pub(crate) fn new_id(&mut self, kind: IdKind) -> String {
        self.next_id += 1;
        format!("{}-{:017x}", kind.prefix(), mix(self.next_id))
    }

    /// The account's resources, created empty on first use.
    pub(crate) fn account_mut(&mut self, account: &AccountId) -> &mut AccountWorld {
        self.accounts.entry(account.clone()).or_default()
    }

    /// The account's resources in `region`, created empty on first use.
    pub(crate) fn region_mut(&mut self, account: &AccountId, region: &str) -> &mut RegionWorld {
        self.account_mut(account)
            .regions
            .entry(region.to_owned())
            .or_default()
    }

    /// The account's resources in `region`, if it has any.
    pub(crate) fn region(&self, account: &AccountId, region: &str) -> Option<&RegionWorld> {
        self.accounts.get(account)?.regions.get(region)
    }

    /// The account's IAM, if the world knows the account.
    pub(crate) fn iam(&self, account: &AccountId) -> Option<&IamWorld> {
        self.accounts.get(account).map(|a| &a.iam)
    }

    /// Moves every passing state on to where it is at `now`, and drops what is gone for good.
    pub(crate) fn settle(&mut self, now: SimTime) {
        for account in self.accounts.values_mut() {
            for region in account.regions.values_mut() {
                region
                    .file_systems
                    .retain(|_, fs| match fs.life.settled(now) {
                        Some(life) => {
                            fs.life = life;
                            true
                        }
                        None => false,
                    });
                region
                    .mount_targets
                    .retain(|_, mt| match mt.life.settled(now) {
                        Some(life) => {
                            mt.life = life;
                            true
                        }
                        None => false,
                    });
            }
        }
        let mut expired = BTreeSet::new();
        for p in self.peerings.values_mut() {
            p.life = match &p.life {
                PeeringLife::Provisioning { until } if *until <= now => PeeringLife::Active,
                PeeringLife::Deleting { until } if *until <= now => PeeringLife::Deleted {
                    visible_until: until
                        .after(std::time::Duration::from_millis(GONE_PEERING_VISIBLE_MS)),
                },
                other => other.clone(),
            };
            if let PeeringLife::Deleted { visible_until }
            | PeeringLife::Failed { visible_until, .. } = &p.life
                && *visible_until <= now
            {
                expired.insert(p.id.clone());
            }
        }
        self.peerings.retain(|id, _| !expired.contains(id));
    }
}

/// The civil date of a [`SimTime`], as RFC 3339 in UTC: the world's time zero is
/// 2025-01-01T00:00:00Z, so policy versions carry plausible creation dates.
pub(crate) fn rfc3339(t: SimTime) -> String {
    const EPOCH_DAYS: i64 = 20_089; // 2025-01-01 in days since 1970-01-01
    let ms = t.as_millis();
    let secs = ms / 1000;
    let days = EPOCH_DAYS + i64::try_from(secs / 86_400).unwrap_or(0);
    let rem = secs % 86_400;
    // Howard Hinnant's civil_from_days.
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    format!(
        "{year:04}-{month:02}-{day:02}T{:02}:{:02}:{:02}Z",
        rem / 3600,
        rem % 3600 / 60,
        rem % 60
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_look_like_aws_and_are_reproducible() {
        let mut a = World::default();
        let mut b = World::default();
        let ids: Vec<String> = (0..3).map(|_| a.new_id(IdKind::Subnet)).collect();
        assert_eq!(
            ids,
            (0..3).map(|_| b.new_id(IdKind::Subnet)).collect::<Vec<_>>()
        );
        for id in &ids {
            assert!(SubnetId::parse(id).is_ok(), "{id}");
        }
        assert_ne!(ids[0], ids[1]);
        assert!(FileSystemId::parse(&a.new_id(IdKind::FileSystem)).is_ok());
        assert!(MountTargetId::parse(&a.new_id(IdKind::MountTarget)).is_ok());
        assert!(PeeringId::parse(&a.new_id(IdKind::Peering)).is_ok());
        assert!(InstanceId::parse(&a.new_id(IdKind::Instance)).is_ok());
    }

    #[test]
    fn sim_times_render_as_utc_dates() {
        assert_eq!(rfc3339(SimTime::ZERO), "2025-01-01T00:00:00Z");
        assert_eq!(
            rfc3339(SimTime::from_millis((59 * 86_400 + 3_661) * 1000)),
            "2025-03-01T01:01:01Z"
        );
    }
}
