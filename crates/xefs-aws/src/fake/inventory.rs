//! Every resource of every account, summarised for comparison: a test takes one before `apply`
//! and one after `destroy` and asserts they are equal.

use std::collections::BTreeMap;
use std::fmt::Write as _;

use xefs_core::ids::AccountId;

use super::FakeAws;
use super::world::{PeeringLife, RouteTargetRec, RulePeer, RuleRec, World};

/// Every account's resources, each as a one-line summary keyed by its id (or name), without
/// timestamps: equal inventories mean equal worlds as far as xefs can touch them.
///
/// Gone things are left out: peerings `deleting`, `deleted` or `failed` (EC2 still lists them
/// for a while), file systems and mount targets being deleted.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Inventory {
    /// By account.
    pub accounts: BTreeMap<AccountId, AccountInventory>,
}

/// One account's resources (in every region: keys are ids, unique across regions).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AccountInventory {
    /// Roles by name: ARN, trust, attached policies, tags.
    pub roles: BTreeMap<String, String>,
    /// Managed policies by ARN: versions, default document, tags.
    pub policies: BTreeMap<String, String>,
    /// Instance profiles by name: their roles.
    pub instance_profiles: BTreeMap<String, String>,
    /// OIDC providers by ARN: the issuer URL.
    pub oidc_providers: BTreeMap<String, String>,
    /// VPCs: their CIDR.
    pub vpcs: BTreeMap<String, String>,
    /// Subnets: VPC, zone, CIDR.
    pub subnets: BTreeMap<String, String>,
    /// Route tables: VPC, main flag, associations, routes.
    pub route_tables: BTreeMap<String, String>,
    /// Network ACLs: associations and entries.
    pub network_acls: BTreeMap<String, String>,
    /// Security groups: name, VPC, rules, tags.
    pub security_groups: BTreeMap<String, String>,
    /// Instances: subnet, profile.
    pub instances: BTreeMap<String, String>,
    /// Live peerings this account is a side of: sides, state, options, its tags.
    pub peerings: BTreeMap<String, String>,
    /// File systems (not being deleted): token, state, modes, policy, tags.
    pub file_systems: BTreeMap<String, String>,
    /// Mount targets (not being deleted): file system, subnet, groups, state.
    pub mount_targets: BTreeMap<String, String>,
}

impl Inventory {
    /// Each account's [`AccountInventory::counts`]: what two applies that made the same
    /// things share, whatever their ids.
    pub fn shape(&self) -> BTreeMap<String, [usize; 13]> {
        self.accounts
            .iter()
            .map(|(id, a)| (id.to_string(), a.counts()))
            .collect()
    }
}

impl AccountInventory {
    /// How many resources of each kind it holds, in the fields' order: equal for two
    /// worlds that hold the same things, whatever their ids.
    pub fn counts(&self) -> [usize; 13] {
        [
            self.roles.len(),
            self.policies.len(),
            self.instance_profiles.len(),
            self.oidc_providers.len(),
            self.vpcs.len(),
            self.subnets.len(),
            self.route_tables.len(),
            self.network_acls.len(),
            self.security_groups.len(),
            self.instances.len(),
            self.peerings.len(),
            self.file_systems.len(),
            self.mount_targets.len(),
        ]
    }

    /// How many resources it holds in all.
    pub fn len(&self) -> usize {
        self.counts().iter().sum()
    }

    /// Whether it holds nothing.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

fn rules(rules: &[RuleRec]) -> String {
    let mut out = String::new();
    for r in rules {
        let peer = match &r.peer {
            RulePeer::Cidr(c) => c.to_string(),
            RulePeer::Group(g) => g.to_string(),
        };
        let _ = write!(
            out,
            "[{} {:?}-{:?} {peer}]",
            r.protocol, r.from_port, r.to_port
        );
    }
    out
}

fn inventory(world: &World) -> Inventory {
    let mut out = Inventory::default();
    for (id, account) in &world.accounts {
        let inv = out.accounts.entry(id.clone()).or_default();
        let iam = &account.iam;
        for r in iam.roles.values() {
            inv.roles.insert(
                r.name.clone(),
                format!(
                    "{} trust={} attached={:?} tags={:?}",
                    r.arn, r.trust, r.attached, r.tags
                ),
            );
        }
        for p in iam.policies.values() {
            let default = p
                .versions
                .iter()
                .find(|v| v.id == p.default_version)
                .map(|v| v.document.as_str())
                .unwrap_or_default();
            let versions: Vec<&str> = p.versions.iter().map(|v| v.id.as_str()).collect();
            inv.policies.insert(
                p.arn.clone(),
                format!("versions={versions:?} default={default} tags={:?}", p.tags),
            );
        }
        for p in iam.instance_profiles.values() {
            inv.instance_profiles
                .insert(p.name.clone(), format!("{} roles={:?}", p.arn, p.roles));
        }
        for p in iam.oidc_providers.values() {
            inv.oidc_providers.insert(p.arn.clone(), p.url.clone());
        }
        for (region, r) in &account.regions {
            for v in r.vpcs.values() {
                inv.vpcs
                    .insert(v.id.to_string(), format!("{region} {}", v.cidr));
            }
            for s in r.subnets.values() {
                inv.subnets.insert(
                    s.id.to_string(),
                    format!("{} {} ({}) {}", s.vpc, s.az_id, s.az_name, s.cidr),
                );
            }
            for t in r.route_tables.values() {
                let routes: Vec<String> = t
                    .routes
                    .iter()
                    .map(|route| {
                        let target = match &route.target {
                            RouteTargetRec::Local => "local".to_owned(),
                            RouteTargetRec::Peering(p) => p.to_string(),
                            RouteTargetRec::Other(o) => o.clone(),
                        };
                        format!("{}→{target}", route.destination)
                    })
                    .collect();
                inv.route_tables.insert(
                    t.id.to_string(),
                    format!(
                        "{} main={} subnets={:?} routes={routes:?}",
                        t.vpc, t.main, t.subnets
                    ),
                );
            }
            for a in r.network_acls.values() {
                inv.network_acls.insert(
                    a.id.clone(),
                    format!(
                        "{} default={} subnets={:?} entries={:?}",
                        a.vpc, a.default, a.subnets, a.entries
                    ),
                );
            }
            for g in r.security_groups.values() {
                inv.security_groups.insert(
                    g.id.to_string(),
                    format!(
                        "{} in {} in={} out={} tags={:?}",
                        g.name,
                        g.vpc,
                        rules(&g.ingress),
                        rules(&g.egress),
                        g.tags
                    ),
                );
            }
            for i in r.instances.values() {
                inv.instances.insert(
                    i.id.to_string(),
                    format!("{} {:?}", i.subnet, i.instance_profile_arn),
                );
            }
            for f in r
                .file_systems
                .values()
                .filter(|f| !matches!(f.life, super::world::Life::Deleting { .. }))
            {
                inv.file_systems.insert(
                    f.id.to_string(),
                    format!(
                        "token={} {} {:?}/{:?} encrypted={} policy={:?} tags={:?}",
                        f.creation_token,
                        f.life.name(),
                        f.performance_mode,
                        f.throughput_mode,
                        f.encrypted,
                        f.policy,
                        f.tags
                    ),
                );
            }
            for m in r
                .mount_targets
                .values()
                .filter(|m| !matches!(m.life, super::world::Life::Deleting { .. }))
            {
                inv.mount_targets.insert(
                    m.id.to_string(),
                    format!(
                        "{} in {} ({}) groups={:?} {}",
                        m.file_system,
                        m.subnet,
                        m.az_id,
                        m.security_groups,
                        m.life.name()
                    ),
                );
            }
        }
    }
    for p in world.peerings.values().filter(|p| !p.life.is_gone()) {
        for side in [&p.requester.account, &p.accepter.account] {
            let summary = format!(
                "{}/{} -> {}/{} {} dns={} tags={:?}",
                p.requester.account,
                p.requester.vpc,
                p.accepter.account,
                p.accepter.vpc,
                match &p.life {
                    PeeringLife::Provisioning { .. } => "provisioning",
                    other => other.name(),
                },
                p.accepter_allows_remote_dns,
                p.tags.get(side)
            );
            out.accounts
                .entry(side.clone())
                .or_default()
                .peerings
                .insert(p.id.to_string(), summary);
        }
    }
    // An account the fake only read from (an empty entry) is no resource.
    out.accounts.retain(|_, a| !a.is_empty());
    out
}

impl FakeAws {
    /// Every resource of every account now, for tests: equal inventories before `apply` and
    /// after `destroy` prove destroy restored the accounts exactly.
    pub fn inventory(&self) -> Inventory {
        let now = self.now();
        let mut inner = self.lock();
        inner.world.settle(now);
        inventory(&inner.world)
    }
}
