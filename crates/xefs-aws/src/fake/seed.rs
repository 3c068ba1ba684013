//! The world a stack spec describes, built before any step runs: account A's VPC with worker
//! subnets, route tables, instances, their role and the cluster's OIDC provider; account B's
//! VPC with a subnet in each worker zone. And the per-account zone names.

use std::net::Ipv4Addr;

use xefs_core::iam::{PolicyDocument, Principal, PrincipalKind, Statement};
use xefs_core::ids::{
    AccountId, Arn, AzId, InstanceId, Ipv4Cidr, OidcProvider, RouteTableId, SecurityGroupId,
    SubnetId, VpcId,
};
use xefs_core::sim::SimTime;
use xefs_core::spec::StackSpec;

use super::ec2::{allow_all_out, cidr};
use super::world::{
    AclEntryRec, AclRec, GroupRec, IdKind, InstanceRec, OidcRec, ProfileRec, RoleRec, RouteRec,
    RouteTableRec, RouteTargetRec, RulePeer, RuleRec, SubnetRec, VpcRec, World,
};
use super::{FakeAws, FakeError};

/// Zones per region in the fake (ids `<code>-az1` … `-az6`, names `<region>a` … `f`).
const ZONES: u32 = 6;

/// What [`FakeAws::seed_for`] built, for the cluster fake to create matching nodes and for
/// tests to name.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Seeded {
    /// The cluster's OIDC issuer: the spec's, or a generated one when it names none.
    pub issuer: OidcProvider,
    /// Its provider's ARN in account A.
    pub oidc_provider_arn: Arn,
    /// The worker instances, one or two per worker subnet.
    pub workers: Vec<SeededWorker>,
    /// The workers' roles (through their instance profile).
    pub node_role_arns: Vec<Arn>,
    /// The workers' instance profile.
    pub instance_profile_arn: Arn,
    /// A's worker subnets.
    pub cluster_subnets: Vec<SubnetId>,
    /// A's main route table.
    pub cluster_main_route_table: RouteTableId,
    /// A's explicitly associated route table (the second worker subnet's), when there are two
    /// subnets or more.
    pub cluster_explicit_route_table: Option<RouteTableId>,
    /// B's subnets, one per worker zone id.
    pub storage_subnets: Vec<SubnetId>,
    /// B's main route table.
    pub storage_main_route_table: RouteTableId,
}

/// A worker instance of a seeded world.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SeededWorker {
    /// Its id.
    pub instance_id: InstanceId,
    /// Its subnet.
    pub subnet_id: SubnetId,
    /// Its zone's name in account A.
    pub az_name: String,
    /// Its zone's id.
    pub az_id: AzId,
}

/// The short code of a region in zone ids: `us-east-1` → `use1`, `eu-central-1` → `euc1`,
/// `ap-southeast-2` → `apse2`.
fn region_code(region: &str) -> String {
    let parts: Vec<&str> = region.split('-').collect();
    let mut code = parts.first().copied().unwrap_or("xx").to_owned();
    for word in parts.iter().skip(1).take(parts.len().saturating_sub(2)) {
        code.push_str(match *word {
            "east" => "e",
            "west" => "w",
            "north" => "n",
            "south" => "s",
            "central" => "c",
            "northeast" => "ne",
            "northwest" => "nw",
            "southeast" => "se",
            "southwest" => "sw",
            "gov" => "g",
            other => other.get(..1).unwrap_or("x"),
        });
    }
    code.push_str(parts.last().copied().unwrap_or("1"));
    code
}

/// How far an account's zone names are shifted against the ids: AWS shuffles names per
/// account, so two accounts' `us-east-1a` are different places. Zone ids match across.
fn shift(account: &AccountId) -> u32 {
    let n: u64 = account.as_str().parse().unwrap_or(0);
    u32::try_from(n % u64::from(ZONES)).unwrap_or(0)
}

/// The zone id `<code>-az<n>` of `region`.
pub(crate) fn zone_id(region: &str, n: u32) -> Result<AzId, FakeError> {
    AzId::parse(&format!("{}-az{n}", region_code(region)))
        .map_err(|e| FakeError::Seed(e.to_string()))
}

/// The name `account` knows the zone `az_id` of `region` by.
pub(crate) fn zone_name(account: &AccountId, region: &str, az_id: &AzId) -> String {
    let n: u32 = az_id
        .as_str()
        .rsplit("az")
        .next()
        .and_then(|d| d.parse().ok())
        .unwrap_or(1);
    let index = (n.saturating_sub(1) + shift(account)) % ZONES;
    let letter = char::from(b'a' + u8::try_from(index).unwrap_or(0));
    format!("{region}{letter}")
}

/// The zone id behind the name `name` in `account` (the inverse of [`zone_name`]).
pub(crate) fn zone_id_of_name(account: &AccountId, region: &str, name: &str) -> Option<AzId> {
    let letter = name.strip_prefix(region)?;
    let index = u32::from(*letter.as_bytes().first()?).checked_sub(u32::from(b'a'))?;
    if letter.len() != 1 || index >= ZONES {
        return None;
    }
    let n = (index + ZONES - shift(account)) % ZONES + 1;
    zone_id(region, n).ok()
}

fn seed_error(e: impl std::fmt::Display) -> FakeError {
    FakeError::Seed(e.to_string())
}

/// The `i`-th block (from 1) of a VPC's CIDR carved into subnets: /24s of a /16.
fn subnet_cidr(vpc: Ipv4Cidr, i: u32) -> Result<Ipv4Cidr, FakeError> {
    let net = vpc.net();
    let prefix = (net.prefix_len() + 2).clamp(24, 28);
    let step = 1u32 << (32 - u32::from(prefix));
    let base = u32::from(net.network()).saturating_add(step.saturating_mul(i + 1));
    let block = cidr(Ipv4Addr::from(base), prefix).map_err(|f| seed_error(f.message))?;
    if !vpc.contains(&block) {
        return Err(FakeError::Seed(format!(
            "VPC CIDR {vpc} is too small for {} subnets",
            i + 1
        )));
    }
    Ok(block)
}

/// Builds one account's VPC with its main route table, default ACL and default group.
struct VpcBuilder<'a> {
    world: &'a mut World,
    account: &'a AccountId,
    region: &'a str,
    vpc: VpcId,
    cidr: Ipv4Cidr,
    main_table: RouteTableId,
    acl: String,
}

impl<'a> VpcBuilder<'a> {
    fn new(
        world: &'a mut World,
        account: &'a AccountId,
        region: &'a str,
        vpc: &VpcId,
        vpc_cidr: Ipv4Cidr,
    ) -> Result<Self, FakeError> {
        if world
            .region(account, region)
            .is_some_and(|r| r.vpcs.contains_key(vpc))
        {
            return Err(FakeError::Seed(format!(
                "VPC {vpc} already exists in account {account}: seed each stack's world once"
            )));
        }
        let main_table =
            RouteTableId::parse(&world.new_id(IdKind::RouteTable)).map_err(seed_error)?;
        let acl = world.new_id(IdKind::NetworkAcl);
        let group =
            SecurityGroupId::parse(&world.new_id(IdKind::SecurityGroup)).map_err(seed_error)?;
        let any = cidr(Ipv4Addr::UNSPECIFIED, 0).map_err(|f| seed_error(f.message))?;
        let entry = |rule_number, egress, allow| AclEntryRec {
            rule_number,
            egress,
            protocol: "-1".into(),
            port_range: None,
            cidr: any,
            allow,
        };
        let r = world.region_mut(account, region);
        r.vpcs.insert(
            vpc.clone(),
            VpcRec {
                id: vpc.clone(),
                cidr: vpc_cidr,
            },
        );
        r.route_tables.insert(
            main_table.clone(),
            RouteTableRec {
                id: main_table.clone(),
                vpc: vpc.clone(),
                main: true,
                subnets: Vec::new(),
                routes: vec![RouteRec {
                    destination: vpc_cidr,
                    target: RouteTargetRec::Local,
                }],
            },
        );
        // AWS's default ACL: everything allowed both ways, before the final deny.
        r.network_acls.insert(
            acl.clone(),
            AclRec {
                id: acl.clone(),
                vpc: vpc.clone(),
                default: true,
                subnets: Vec::new(),
                entries: vec![
                    entry(100, false, true),
                    entry(32767, false, false),
                    entry(100, true, true),
                    entry(32767, true, false),
                ],
            },
        );
        // The default group: members admit each other, everything goes out.
        r.security_groups.insert(
            group.clone(),
            GroupRec {
                id: group.clone(),
                name: "default".into(),
                description: "default VPC security group".into(),
                vpc: vpc.clone(),
                ingress: vec![RuleRec {
                    protocol: "-1".into(),
                    from_port: None,
                    to_port: None,
                    peer: RulePeer::Group(group.clone()),
                    description: None,
                }],
                egress: vec![allow_all_out().map_err(|f| seed_error(f.message))?],
                tags: Default::default(),
            },
        );
        Ok(Self {
            world,
            account,
            region,
            vpc: vpc.clone(),
            cidr: vpc_cidr,
            main_table,
            acl,
        })
    }

    /// Adds the `i`-th subnet in `zone` (with `id` when given), on the default ACL.
    fn subnet(
        &mut self,
        i: u32,
        id: Option<&SubnetId>,
        zone: &AzId,
    ) -> Result<SubnetRec, FakeError> {
        let id = match id {
            Some(id) => id.clone(),
            None => SubnetId::parse(&self.world.new_id(IdKind::Subnet)).map_err(seed_error)?,
        };
        let rec = SubnetRec {
            id: id.clone(),
            vpc: self.vpc.clone(),
            az_id: zone.clone(),
            az_name: zone_name(self.account, self.region, zone),
            cidr: subnet_cidr(self.cidr, i)?,
            next_host: 4,
        };
        let r = self.world.region_mut(self.account, self.region);
        r.subnets.insert(id.clone(), rec.clone());
        if let Some(acl) = r.network_acls.get_mut(&self.acl) {
            acl.subnets.push(id);
        }
        Ok(rec)
    }

    /// Puts `subnet` on a route table of its own.
    fn explicit_table(&mut self, subnet: &SubnetId) -> Result<RouteTableId, FakeError> {
        let id = RouteTableId::parse(&self.world.new_id(IdKind::RouteTable)).map_err(seed_error)?;
        let rec = RouteTableRec {
            id: id.clone(),
            vpc: self.vpc.clone(),
            main: false,
            subnets: vec![subnet.clone()],
            routes: vec![RouteRec {
                destination: self.cidr,
                target: RouteTargetRec::Local,
            }],
        };
        self.world
            .region_mut(self.account, self.region)
            .route_tables
            .insert(id.clone(), rec);
        Ok(id)
    }
}

fn ec2_trust() -> PolicyDocument {
    PolicyDocument::new(vec![Statement::allow(["sts:AssumeRole"]).with_principal(
        Principal::of(PrincipalKind::Service, ["ec2.amazonaws.com"]),
    )])
}

/// Adds a role that has existed for long (usable at once), as `arn` names it.
fn seeded_role(
    world: &mut World,
    account: &AccountId,
    arn: &Arn,
    now: SimTime,
) -> Result<String, FakeError> {
    let name = arn
        .resource()
        .rsplit('/')
        .next()
        .filter(|n| !n.is_empty())
        .ok_or_else(|| FakeError::Seed(format!("{arn} does not name a role")))?
        .to_owned();
    world.account_mut(account).iam.roles.insert(
        name.clone(),
        RoleRec {
            name: name.clone(),
            arn: arn.to_string(),
            trust: ec2_trust().to_json_compact(),
            description: Some("worker nodes (seeded by the fake)".into()),
            tags: Default::default(),
            attached: Vec::new(),
            created_at: now,
            usable_at: now,
        },
    );
    Ok(name)
}

impl FakeAws {
    /// Builds the world `spec` describes, as it stands before xefs runs:
    ///
    /// * account A: VPC `cluster.vpc_id`/`vpc_cidr` with the worker subnets
    ///   (`cluster.worker_subnets`, or three new ones) over three zone ids, the second on an
    ///   explicit route table and the others on the main one; the default ACL and group; one
    ///   worker instance per subnet (two in the first) with an instance profile whose role is
    ///   `cluster.node_role_arns`' first (or a new one); the OIDC provider of
    ///   `cluster.oidc_provider` (or of a generated issuer, returned);
    /// * account B: VPC `storage.vpc_id`/`vpc_cidr` with a subnet in each worker zone id
    ///   (`storage.subnets` when given), its main route table, default ACL and group.
    ///
    /// Zone names are shuffled per account, as in AWS. Fails when a VPC of the spec already
    /// exists in the world, or its CIDR cannot hold the subnets.
    pub fn seed_for(&self, spec: &StackSpec) -> Result<Seeded, FakeError> {
        let now = self.now();
        let mut inner = self.lock();
        inner.revision += 1;
        let world = &mut inner.world;
        let region = spec.region.as_str();
        let partition = spec.partition();
        let (a, b) = (&spec.cluster.account_id, &spec.storage.account_id);

        let mut zones: Vec<AzId> = spec.efs.one_zone_az_id.iter().cloned().collect();
        for n in 1..=ZONES {
            let z = zone_id(region, n)?;
            if zones.len() < 3 && !zones.contains(&z) {
                zones.push(z);
            }
        }

        // Account A.
        let mut cluster = VpcBuilder::new(
            world,
            a,
            region,
            &spec.cluster.vpc_id,
            spec.cluster.vpc_cidr,
        )?;
        let wanted: Vec<Option<&SubnetId>> = if spec.cluster.worker_subnets.is_empty() {
            vec![None; zones.len()]
        } else {
            spec.cluster.worker_subnets.iter().map(Some).collect()
        };
        let mut a_subnets = Vec::new();
        for (i, id) in wanted.into_iter().enumerate() {
            let i = u32::try_from(i).map_err(seed_error)?;
            let zone = &zones[(i as usize) % zones.len()];
            a_subnets.push(cluster.subnet(i, id, zone)?);
        }
        let explicit = match a_subnets.get(1) {
            Some(s) => Some(cluster.explicit_table(&s.id)?),
            None => None,
        };
        let cluster_main = cluster.main_table.clone();

        // Worker roles, profile and instances.
        let node_role_arns: Vec<Arn> = if spec.cluster.node_role_arns.is_empty() {
            vec![
                Arn::parse(&format!(
                    "arn:{partition}:iam::{a}:role/xefs-sim-worker-role"
                ))
                .map_err(seed_error)?,
            ]
        } else {
            spec.cluster.node_role_arns.clone()
        };
        let mut role_names = Vec::new();
        for arn in node_role_arns
            .iter()
            .filter(|r| r.account().as_ref() == Some(a))
        {
            role_names.push(seeded_role(world, a, arn, now)?);
        }
        let profile_name = "xefs-sim-worker-profile";
        let instance_profile_arn = Arn::parse(&format!(
            "arn:{partition}:iam::{a}:instance-profile/{profile_name}"
        ))
        .map_err(seed_error)?;
        world.account_mut(a).iam.instance_profiles.insert(
            profile_name.into(),
            ProfileRec {
                name: profile_name.into(),
                arn: instance_profile_arn.to_string(),
                roles: role_names.into_iter().take(1).collect(),
            },
        );
        let mut workers = Vec::new();
        for (i, s) in a_subnets.iter().enumerate() {
            for _ in 0..if i == 0 { 2 } else { 1 } {
                let id = InstanceId::parse(&world.new_id(IdKind::Instance)).map_err(seed_error)?;
                world.region_mut(a, region).instances.insert(
                    id.clone(),
                    InstanceRec {
                        id: id.clone(),
                        subnet: s.id.clone(),
                        vpc: s.vpc.clone(),
                        instance_profile_arn: Some(instance_profile_arn.to_string()),
                    },
                );
                workers.push(SeededWorker {
                    instance_id: id,
                    subnet_id: s.id.clone(),
                    az_name: s.az_name.clone(),
                    az_id: s.az_id.clone(),
                });
            }
        }

        // The cluster's OIDC provider.
        let issuer = match &spec.cluster.oidc_provider {
            Some(p) => p.clone(),
            None => {
                let id = world.new_id(IdKind::Issuer);
                let hex = id.trim_start_matches("oidc-");
                OidcProvider::parse(&format!("oidc.xefs-sim.example/{hex}")).map_err(seed_error)?
            }
        };
        let oidc_provider_arn = Arn::oidc_provider(partition, a, &issuer);
        world.account_mut(a).iam.oidc_providers.insert(
            oidc_provider_arn.to_string(),
            OidcRec {
                arn: oidc_provider_arn.to_string(),
                url: issuer.issuer_url(),
            },
        );

        // Account B: a subnet in each zone id the workers use.
        let mut worker_zones: Vec<AzId> = Vec::new();
        for s in &a_subnets {
            if !worker_zones.contains(&s.az_id) {
                worker_zones.push(s.az_id.clone());
            }
        }
        let mut storage = VpcBuilder::new(
            world,
            b,
            region,
            &spec.storage.vpc_id,
            spec.storage.vpc_cidr,
        )?;
        let wanted: Vec<Option<&SubnetId>> = if spec.storage.subnets.is_empty() {
            vec![None; worker_zones.len()]
        } else {
            spec.storage.subnets.iter().map(Some).collect()
        };
        let mut storage_subnets = Vec::new();
        for (i, id) in wanted.into_iter().enumerate() {
            let zone = &worker_zones[i % worker_zones.len().max(1)];
            storage_subnets.push(
                storage
                    .subnet(u32::try_from(i).map_err(seed_error)?, id, zone)?
                    .id,
            );
        }
        let storage_main = storage.main_table.clone();

        Ok(Seeded {
            issuer,
            oidc_provider_arn,
            workers,
            node_role_arns,
            instance_profile_arn,
            cluster_subnets: a_subnets.into_iter().map(|s| s.id).collect(),
            cluster_main_route_table: cluster_main,
            cluster_explicit_route_table: explicit,
            storage_subnets,
            storage_main_route_table: storage_main,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn zone_ids_follow_the_region_and_names_are_shuffled_per_account() {
        assert_eq!(region_code("us-east-1"), "use1");
        assert_eq!(region_code("eu-central-1"), "euc1");
        assert_eq!(region_code("ap-southeast-2"), "apse2");
        assert_eq!(region_code("us-gov-west-1"), "usgw1");
        let a = AccountId::parse("111111111111").expect("account");
        let b = AccountId::parse("222222222222").expect("account");
        let z = zone_id("us-east-1", 4).expect("zone");
        assert_eq!(z.as_str(), "use1-az4");
        let (na, nb) = (
            zone_name(&a, "us-east-1", &z),
            zone_name(&b, "us-east-1", &z),
        );
        assert_ne!(na, nb, "zone names differ between accounts");
        assert_eq!(zone_id_of_name(&a, "us-east-1", &na), Some(z.clone()));
        assert_eq!(zone_id_of_name(&b, "us-east-1", &nb), Some(z));
        assert_eq!(zone_id_of_name(&a, "us-east-1", "us-east-1z"), None);
    }

    #[test]
    fn subnets_are_carved_from_the_vpc() -> Result<(), FakeError> {
        let vpc = Ipv4Cidr::parse("10.0.0.0/16").map_err(seed_error)?;
        assert_eq!(subnet_cidr(vpc, 0)?.to_string(), "10.0.1.0/24");
        assert_eq!(subnet_cidr(vpc, 2)?.to_string(), "10.0.3.0/24");
        let small = Ipv4Cidr::parse("10.0.0.0/28").map_err(seed_error)?;
        assert!(subnet_cidr(small, 0).is_err());
        Ok(())
    }
}
