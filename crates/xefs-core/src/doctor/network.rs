//! The network path check: can every worker subnet reach the mount target its AZ id would use
//! over TCP 2049, and can the replies come back?
//!
//! Each hop is one check (routes both ways, the mount target's security groups, network ACLs
//! both ways), plus the preconditions (disjoint CIDRs, an active peering, mount targets in the
//! right VPC, AZ-id alignment). Findings that repeat per worker subnet are merged per resource,
//! keeping the worst outcome, so a shared route table yields one line.

use std::collections::HashMap;

use super::finding::{CheckId, Finding};
use super::snapshot::{
    MountTargetState, NetworkAclState, NetworkSnapshot, RouteTableState, RouteTargetState,
    SubnetState, VpcSide,
};
use crate::ids::{AccountId, Ipv4Cidr, PeeringId, SubnetId, VpcId};

/// The NFS port.
const NFS_PORT: u16 = 2049;
/// The ephemeral range replies travel on, as the stateless ACLs must allow it.
const EPHEMERAL: (u16, u16) = (1024, 65535);

/// Checks the NFS path from every worker subnet to its mount target and back.
///
/// A worker whose AZ id has a mount target is checked against that one. A worker AZ id without
/// one is **warned**, not failed: the mount still works across AZs, but costs cross-AZ traffic,
/// and since the OpenShift driver picks a mount target at random it makes another AZ a single
/// point of failure; its path is then checked against every mount target, as any may be picked.
/// Mount targets outside B's VPC fail `mount-target-vpc` and their path is not checked further
/// (it would only repeat that failure).
pub fn check_network(snapshot: &NetworkSnapshot) -> Vec<Finding> {
    let mut findings = vec![check_cidr_overlap(
        VpcRef::from(&snapshot.cluster),
        VpcRef::from(&snapshot.storage),
    )];
    findings.extend(check_paths(snapshot));
    findings
}

/// [`check_network`] without the CIDR check, which [`diagnose`](fn@super::diagnose) runs in its
/// preflight from the spec's CIDRs.
pub(super) fn check_paths(snapshot: &NetworkSnapshot) -> Vec<Finding> {
    let mut out = Collector::default();
    let a = &snapshot.cluster;
    let b = &snapshot.storage;

    let peering = check_peering(snapshot, &mut out);
    check_mount_targets(snapshot, &mut out);

    for worker in &snapshot.workers {
        let Some(worker_subnet) = a.subnets.iter().find(|s| s.id == worker.subnet) else {
            out.push(Finding::failed(
                CheckId::WorkerSubnet,
                format!("subnet {} in account {}", worker.subnet, a.account),
                format!(
                    "the workers' subnet is not a subnet of the cluster's VPC {}",
                    a.vpc
                ),
                "check the cluster's VPC (xefs config key `cluster.vpc_id`) and `cluster.worker_subnets`",
            ));
            continue;
        };
        let same_az: Vec<&MountTargetState> = snapshot
            .mount_targets
            .iter()
            .filter(|mt| mt.az_id == worker.az_id)
            .collect();
        let targets: Vec<&MountTargetState> = if same_az.is_empty() {
            report_missing_az(snapshot, worker_subnet, &mut out);
            snapshot.mount_targets.iter().collect()
        } else {
            let ids: Vec<String> = same_az.iter().map(|mt| mt.id.to_string()).collect();
            out.push(Finding::passed(
                CheckId::AzAlignment,
                format!("AZ id {}", worker.az_id),
                format!(
                    "mount target {} serves the workers in this AZ id",
                    ids.join(", ")
                ),
            ));
            same_az
        };
        for mt in targets {
            if mt.vpc != b.vpc {
                continue;
            }
            let Some(mt_subnet) = b.subnets.iter().find(|s| s.id == mt.subnet) else {
                continue;
            };
            check_path(snapshot, worker_subnet, mt, mt_subnet, peering, &mut out);
        }
    }
    out.into_vec()
}

/// Collects findings, merging those on the same check and resource and keeping the worst.
#[derive(Default)]
struct Collector {
    findings: Vec<Finding>,
    index: HashMap<(CheckId, String), usize>,
}

impl Collector {
    fn push(&mut self, finding: Finding) {
        let key = (finding.check, finding.resource.clone());
        match self.index.get(&key) {
            Some(&i) => {
                if let Some(existing) = self.findings.get_mut(i)
                    && finding.status > existing.status
                {
                    *existing = finding;
                }
            }
            None => {
                self.index.insert(key, self.findings.len());
                self.findings.push(finding);
            }
        }
    }

    fn into_vec(self) -> Vec<Finding> {
        self.findings
    }
}

/// A VPC as the CIDR check names it: from a [`VpcSide`] after discovery, or from the spec.
#[derive(Debug, Clone, Copy)]
pub(super) struct VpcRef<'a> {
    /// The account owning the VPC.
    pub(super) account: &'a AccountId,
    /// The VPC.
    pub(super) vpc: &'a VpcId,
    /// Its CIDR block.
    pub(super) cidr: Ipv4Cidr,
}

impl<'a> From<&'a VpcSide> for VpcRef<'a> {
    fn from(side: &'a VpcSide) -> Self {
        Self {
            account: &side.account,
            vpc: &side.vpc,
            cidr: side.cidr,
        }
    }
}

/// The two VPCs' blocks must be disjoint, or the peering cannot route between them.
pub(super) fn check_cidr_overlap(a: VpcRef<'_>, b: VpcRef<'_>) -> Finding {
    let resource = format!(
        "VPC {} ({}) in account {} and VPC {} ({}) in account {}",
        a.vpc, a.cidr, a.account, b.vpc, b.cidr, b.account
    );
    if a.cidr.overlaps(&b.cidr) {
        Finding::failed(
            CheckId::CidrOverlap,
            resource,
            format!(
                "the CIDR blocks {} and {} overlap: a peering cannot route between them",
                a.cidr, b.cidr
            ),
            "give B's VPC a block disjoint from the cluster's (xefs config key \
             `storage.vpc_cidr`) and recreate the VPC, its subnets and mount targets",
        )
    } else {
        Finding::passed(
            CheckId::CidrOverlap,
            resource,
            format!("{} and {} are disjoint", a.cidr, b.cidr),
        )
    }
}

/// Checks the peering; returns its id (whatever its state) for the route checks.
fn check_peering<'s>(snapshot: &'s NetworkSnapshot, out: &mut Collector) -> Option<&'s PeeringId> {
    let a = &snapshot.cluster;
    let b = &snapshot.storage;
    let create = format!(
        "run `xefs apply`, or with A's credentials `aws ec2 create-vpc-peering-connection \
         --vpc-id {} --peer-vpc-id {} --peer-owner-id {}`, then accept it with B's",
        a.vpc, b.vpc, b.account
    );
    let Some(p) = &snapshot.peering else {
        out.push(Finding::failed(
            CheckId::PeeringActive,
            format!("VPC peering between {} and {}", a.vpc, b.vpc),
            "no peering connection joins the two VPCs",
            create,
        ));
        return None;
    };
    let resource = format!("VPC peering {}", p.id);
    let joins = (p.requester_vpc == a.vpc && p.accepter_vpc == b.vpc)
        || (p.requester_vpc == b.vpc && p.accepter_vpc == a.vpc);
    if !joins {
        out.push(Finding::failed(
            CheckId::PeeringActive,
            resource,
            format!(
                "it joins {} and {}, not the cluster's VPC {} and the storage VPC {}",
                p.requester_vpc, p.accepter_vpc, a.vpc, b.vpc
            ),
            create,
        ));
        return Some(&p.id);
    }
    match p.status.as_str() {
        "active" => out.push(Finding::passed(
            CheckId::PeeringActive,
            resource,
            format!("it joins {} and {} and is active", a.vpc, b.vpc),
        )),
        "pending-acceptance" => out.push(Finding::failed(
            CheckId::PeeringActive,
            resource,
            "it is `pending-acceptance`: account B never accepted it, so no traffic flows",
            format!(
                "accept it with B's credentials (account {}): `aws ec2 \
                 accept-vpc-peering-connection --vpc-peering-connection-id {}`",
                b.account, p.id
            ),
        )),
        "initiating-request" | "provisioning" => out.push(Finding::failed(
            CheckId::PeeringActive,
            resource,
            format!(
                "it is `{}`, not yet active; no traffic flows until it is",
                p.status
            ),
            format!(
                "wait a minute and rerun `xefs doctor`; if it stays so, `aws ec2 \
                 describe-vpc-peering-connections --vpc-peering-connection-ids {}` says why",
                p.id
            ),
        )),
        other => out.push(Finding::failed(
            CheckId::PeeringActive,
            resource,
            format!("it is `{other}`: it will never carry traffic"),
            create,
        )),
    }
    Some(&p.id)
}

fn check_mount_targets(snapshot: &NetworkSnapshot, out: &mut Collector) {
    let b = &snapshot.storage;
    for mt in &snapshot.mount_targets {
        let resource = format!("mount target {} in account {}", mt.id, b.account);
        let in_vpc = mt.vpc == b.vpc && b.subnets.iter().any(|s| s.id == mt.subnet);
        if in_vpc {
            out.push(Finding::passed(
                CheckId::MountTargetVpc,
                resource.clone(),
                format!("it is in subnet {} of the peered VPC {}", mt.subnet, b.vpc),
            ));
        } else {
            let subnet = b.subnets.iter().find(|s| s.az_id == mt.az_id).map_or_else(
                || format!("<a subnet of {} in {}>", b.vpc, mt.az_id),
                |s| s.id.to_string(),
            );
            out.push(Finding::failed(
                CheckId::MountTargetVpc,
                resource.clone(),
                format!(
                    "it is in subnet {} of VPC {}, not in the peered VPC {}: the workers \
                     cannot reach it",
                    mt.subnet, mt.vpc, b.vpc
                ),
                format!(
                    "with B's credentials, `aws efs delete-mount-target --mount-target-id {}`, \
                     then `aws efs create-mount-target --file-system-id {} --subnet-id {} \
                     --security-groups <the NFS group in {}>` (xefs config key \
                     `storage.subnets`)",
                    mt.id, mt.file_system, subnet, b.vpc
                ),
            ));
        }
        if mt.state == "available" {
            out.push(Finding::passed(
                CheckId::MountTargetAvailable,
                resource,
                "it is available",
            ));
        } else {
            out.push(Finding::failed(
                CheckId::MountTargetAvailable,
                resource,
                format!("it is `{}`, not `available`", mt.state),
                format!(
                    "wait for it and rerun `xefs doctor`; if it is gone, recreate it with \
                     `aws efs create-mount-target --file-system-id {} --subnet-id {}`",
                    mt.file_system, mt.subnet
                ),
            ));
        }
    }
}

fn report_missing_az(snapshot: &NetworkSnapshot, worker: &SubnetState, out: &mut Collector) {
    let b = &snapshot.storage;
    let resource = format!("AZ id {}", worker.az_id);
    let Some(fs) = snapshot.mount_targets.first().map(|mt| &mt.file_system) else {
        out.push(Finding::failed(
            CheckId::AzAlignment,
            resource,
            "the file system has no mount target at all: nothing can mount it",
            "run `xefs apply`, or with B's credentials `aws efs create-mount-target` in a \
             subnet of the peered VPC in each worker AZ id",
        ));
        return;
    };
    let subnet = b
        .subnets
        .iter()
        .find(|s| s.az_id == worker.az_id)
        .map_or_else(
            || format!("<a new subnet of {} in AZ id {}>", b.vpc, worker.az_id),
            |s| s.id.to_string(),
        );
    out.push(Finding::warned(
        CheckId::AzAlignment,
        resource,
        format!(
            "no mount target in this AZ id: workers in {} mount one in another AZ (cross-AZ \
             traffic and charges) and, as the OpenShift driver picks one at random, that AZ \
             becomes a single point of failure",
            worker.id
        ),
        Some(format!(
            "with B's credentials, `aws efs create-mount-target --file-system-id {fs} \
             --subnet-id {subnet} --security-groups <the NFS group>` (xefs config key \
             `storage.subnets`)"
        )),
    ));
}

fn check_path(
    snapshot: &NetworkSnapshot,
    worker: &SubnetState,
    mt: &MountTargetState,
    mt_subnet: &SubnetState,
    peering: Option<&PeeringId>,
    out: &mut Collector,
) {
    let a = &snapshot.cluster;
    let b = &snapshot.storage;
    check_route(
        CheckId::RouteToPeer,
        a,
        &worker.id,
        mt_subnet.cidr,
        b.cidr,
        peering,
        out,
    );
    check_route(
        CheckId::RouteBack,
        b,
        &mt.subnet,
        worker.cidr,
        a.cidr,
        peering,
        out,
    );
    check_ingress(snapshot, worker, mt, out);
    check_acl(
        CheckId::AclClusterSubnet,
        a,
        worker,
        mt_subnet.cidr,
        true,
        out,
    );
    check_acl(
        CheckId::AclStorageSubnet,
        b,
        mt_subnet,
        worker.cidr,
        false,
        out,
    );
}

/// The table that routes `subnet`'s traffic: its explicit association, else the main table.
fn route_table_for<'s>(side: &'s VpcSide, subnet: &SubnetId) -> Option<&'s RouteTableState> {
    side.route_tables
        .iter()
        .find(|t| t.subnets.contains(subnet))
        .or_else(|| side.route_tables.iter().find(|t| t.main))
}

/// Checks that `side`'s table for `subnet` sends traffic for `dest` to the peering; the fix
/// adds a route for the whole `remote_cidr`.
fn check_route(
    check: CheckId,
    side: &VpcSide,
    subnet: &SubnetId,
    dest: Ipv4Cidr,
    remote_cidr: Ipv4Cidr,
    peering: Option<&PeeringId>,
    out: &mut Collector,
) {
    let pcx = peering.map_or_else(|| "<pcx-id>".to_owned(), ToString::to_string);
    let Some(table) = route_table_for(side, subnet) else {
        out.push(Finding::failed(
            check,
            format!("subnet {subnet} in account {}", side.account),
            "it has no route table: no explicit association and no main table",
            format!(
                "with account {}'s credentials, associate a route table routing {remote_cidr} \
                 to {pcx}: `aws ec2 associate-route-table --subnet-id {subnet} \
                 --route-table-id <rtb-id>`",
                side.account
            ),
        ));
        return;
    };
    let resource = format!("route table {} in account {}", table.id, side.account);
    let creds = format!("with account {}'s credentials", side.account);
    // Longest prefix wins, as in AWS; a blackhole route still matches and drops.
    let best = table
        .routes
        .iter()
        .filter(|r| r.destination.contains(&dest))
        .max_by_key(|r| r.destination.net().prefix_len());
    let Some(route) = best else {
        out.push(Finding::failed(
            check,
            resource,
            format!("no route covers {remote_cidr}: NFS traffic to {dest} is dropped"),
            format!(
                "{creds}, `aws ec2 create-route --route-table-id {} --destination-cidr-block \
                 {remote_cidr} --vpc-peering-connection-id {pcx}`",
                table.id
            ),
        ));
        return;
    };
    let replace = format!(
        "{creds}, `aws ec2 replace-route --route-table-id {} --destination-cidr-block {} \
         --vpc-peering-connection-id {pcx}`",
        table.id, route.destination
    );
    match &route.target {
        RouteTargetState::Peering(id) if route.blackhole => out.push(Finding::failed(
            check,
            resource,
            format!(
                "the route for {} is a blackhole: it points at {id}, a deleted peering",
                route.destination
            ),
            replace,
        )),
        RouteTargetState::Other(t) if route.blackhole => out.push(Finding::failed(
            check,
            resource,
            format!(
                "the route for {} is a blackhole: its target {t} is gone",
                route.destination
            ),
            replace,
        )),
        RouteTargetState::Peering(id) if peering.is_none_or(|p| p == id) => {
            out.push(Finding::passed(
                check,
                resource,
                format!("it routes {} to the peering {id}", route.destination),
            ));
        }
        RouteTargetState::Peering(id) => out.push(Finding::failed(
            check,
            resource,
            format!(
                "the route for {} goes to the peering {id}, not to {pcx}",
                route.destination
            ),
            replace,
        )),
        RouteTargetState::Other(t) => out.push(Finding::failed(
            check,
            resource,
            format!(
                "the route for {} goes to {t}, not to the peering {pcx}",
                route.destination
            ),
            replace,
        )),
    }
}

/// Whether an AWS protocol name covers TCP.
fn is_tcp(protocol: &str) -> bool {
    matches!(protocol, "tcp" | "6" | "-1" | "all")
}

fn check_ingress(
    snapshot: &NetworkSnapshot,
    worker: &SubnetState,
    mt: &MountTargetState,
    out: &mut Collector,
) {
    let a = &snapshot.cluster;
    let b = &snapshot.storage;
    let mut ids: Vec<String> = mt.security_groups.iter().map(ToString::to_string).collect();
    ids.sort();
    let resource = match ids.as_slice() {
        [one] => format!("security group {one} in account {}", b.account),
        many => format!(
            "security groups {} in account {}",
            many.join(", "),
            b.account
        ),
    };
    let groups: Vec<_> = b
        .security_groups
        .iter()
        .filter(|g| mt.security_groups.contains(&g.id))
        .collect();
    let admits = groups.iter().any(|g| {
        g.ingress.iter().any(|r| {
            let all = r.protocol == "-1" || r.protocol == "all";
            let ports = all
                || r.from_port.unwrap_or(0) <= NFS_PORT
                    && NFS_PORT <= r.to_port.unwrap_or(u16::MAX);
            is_tcp(&r.protocol) && ports && r.cidrs.iter().any(|c| c.contains(&worker.cidr))
        })
    });
    if admits {
        out.push(Finding::passed(
            CheckId::NfsIngress,
            resource,
            format!(
                "the groups of mount target {} admit TCP 2049 from the workers",
                mt.id
            ),
        ));
        return;
    }
    // The guide's mistake: 2049 opened on A's groups, which does nothing (groups are stateful
    // and the check happens at the mount target).
    let opened_on_a: Vec<String> = a
        .security_groups
        .iter()
        .filter(|g| {
            g.ingress.iter().any(|r| {
                is_tcp(&r.protocol)
                    && r.from_port.unwrap_or(0) <= NFS_PORT
                    && NFS_PORT <= r.to_port.unwrap_or(u16::MAX)
            })
        })
        .map(|g| g.id.to_string())
        .collect();
    let hint = if opened_on_a.is_empty() {
        String::new()
    } else {
        format!(
            "; 2049 is opened on A's group {} instead, which does nothing: the mount target's \
             groups decide",
            opened_on_a.join(", ")
        )
    };
    let missing: Vec<String> = mt
        .security_groups
        .iter()
        .filter(|id| !groups.iter().any(|g| &g.id == *id))
        .map(ToString::to_string)
        .collect();
    let missing = if missing.is_empty() {
        String::new()
    } else {
        format!(" ({} not found in VPC {})", missing.join(", "), b.vpc)
    };
    let group = ids.first().map_or("<sg-id>", String::as_str);
    out.push(Finding::failed(
        CheckId::NfsIngress,
        resource,
        format!(
            "the groups of mount target {}{missing} do not admit TCP 2049 from the worker \
             subnet {} ({}){hint}",
            mt.id, worker.id, worker.cidr
        ),
        format!(
            "with B's credentials, `aws ec2 authorize-security-group-ingress --group-id {group} \
             --protocol tcp --port 2049 --cidr {}`",
            a.cidr
        ),
    ));
}

/// The ACL filtering `subnet`: its explicit association, else the VPC's default ACL.
fn acl_for<'s>(side: &'s VpcSide, subnet: &SubnetId) -> Option<&'s NetworkAclState> {
    side.network_acls
        .iter()
        .find(|acl| acl.subnets.contains(subnet))
        .or_else(|| side.network_acls.iter().find(|acl| acl.default))
}

/// How an ACL treats a set of TCP packets.
enum Verdict {
    Allowed,
    /// Denied by this rule number, or by the implicit final deny (`None`).
    Denied(Option<u16>),
}

/// Evaluates `acl` for TCP traffic in one direction with peer addresses in `peer` and ports in
/// `ports`: entries in rule-number order, first full match decides; a deny touching any part of
/// the traffic denies it (some packets would be dropped); the implicit deny ends the list.
fn evaluate(acl: &NetworkAclState, egress: bool, peer: Ipv4Cidr, ports: (u16, u16)) -> Verdict {
    let mut entries: Vec<_> = acl
        .entries
        .iter()
        .filter(|e| e.egress == egress && is_tcp(&e.protocol))
        .collect();
    entries.sort_by_key(|e| e.rule_number);
    for e in entries {
        let all_ports = e.protocol == "-1" || e.protocol == "all";
        let (lo, hi) = if all_ports {
            (0, u16::MAX)
        } else {
            e.port_range.unwrap_or((0, u16::MAX))
        };
        let covers = e.cidr.contains(&peer) && lo <= ports.0 && ports.1 <= hi;
        let touches = e.cidr.overlaps(&peer) && lo <= ports.1 && ports.0 <= hi;
        if e.allow && covers {
            return Verdict::Allowed;
        }
        if !e.allow && touches {
            return Verdict::Denied(Some(e.rule_number));
        }
    }
    Verdict::Denied(None)
}

/// Checks one subnet's ACL for both legs of NFS. `client` is true for the worker side (2049
/// out, replies in) and false for the mount target side (2049 in, replies out).
fn check_acl(
    check: CheckId,
    side: &VpcSide,
    subnet: &SubnetState,
    peer: Ipv4Cidr,
    client: bool,
    out: &mut Collector,
) {
    let Some(acl) = acl_for(side, &subnet.id) else {
        out.push(Finding::warned(
            check,
            format!("subnet {} in account {}", subnet.id, side.account),
            "no network ACL known for this subnet; not checked",
            None,
        ));
        return;
    };
    let resource = format!("network ACL {} in account {}", acl.id, side.account);
    // (egress?, ports, what) for the request leg then the reply leg.
    let legs = [
        (client, (NFS_PORT, NFS_PORT), "TCP 2049"),
        (!client, EPHEMERAL, "the replies on TCP 1024-65535"),
    ];
    for (egress, ports, what) in legs {
        if let Verdict::Denied(rule) = evaluate(acl, egress, peer, ports) {
            let direction = if egress { "outbound" } else { "inbound" };
            let by = rule.map_or_else(
                || "the implicit final deny (no rule allows it)".to_owned(),
                |n| format!("rule {n}"),
            );
            let number = rule.map_or_else(
                || "a free rule number".to_owned(),
                |n| format!("a free rule number below {n}"),
            );
            let flag = if egress { "--egress" } else { "--ingress" };
            out.push(Finding::failed(
                check,
                resource,
                format!(
                    "{direction} {what} {} {peer} is denied by {by} (ACLs are stateless: both \
                     directions need a rule)",
                    if egress { "to" } else { "from" }
                ),
                format!(
                    "with account {}'s credentials, add an allow entry with {number}: `aws \
                     ec2 create-network-acl-entry --network-acl-id {} {flag} --rule-number <n> \
                     --protocol tcp --port-range From={},To={} --cidr-block {peer} \
                     --rule-action allow`",
                    side.account, acl.id, ports.0, ports.1
                ),
            ));
            return;
        }
    }
    out.push(Finding::passed(
        check,
        resource,
        "it passes TCP 2049 and the replies on 1024-65535 both ways",
    ));
}

#[cfg(test)]
pub(super) mod tests;
