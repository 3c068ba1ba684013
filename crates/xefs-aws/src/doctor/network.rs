//! The network half of the snapshot: each VPC's subnets, route tables, ACLs and security
//! groups, the peering between them, where the workers run and where the mount targets are,
//! reduced to the plain types the path check reads.

use std::collections::BTreeSet;

use xefs_core::doctor::{
    AclEntry, IngressState, MountTargetState, NetworkAclState, PeeringState, RouteState,
    RouteTableState, RouteTargetState, SecurityGroupState, SubnetState, VpcSide, WorkerPlacement,
};
use xefs_core::ids::{AccountId, SecurityGroupId, SubnetId, VpcId};
use xefs_core::step::StepContext;

use super::join::try_join_all;
use crate::ports::{
    MountTarget, NetworkAcl, Peering, PeeringStatus, RouteTable, RouteTarget, SecurityGroup,
    SecurityGroupRule, Subnet, Vpc,
};
use crate::sdk::classify::is_not_found;
use crate::steps::life_cycle_name;
use crate::{Account, AwsResult};

/// One VPC's subnets, route tables and network ACLs, as read.
pub(super) struct VpcRead {
    pub(super) subnets: Vec<Subnet>,
    pub(super) route_tables: Vec<RouteTable>,
    pub(super) acls: Vec<NetworkAcl>,
}

/// Reads `vpc`'s subnets, route tables and network ACLs concurrently.
pub(super) async fn read_vpc(
    ctx: &StepContext,
    account: &Account,
    vpc: &VpcId,
) -> AwsResult<VpcRead> {
    let (subnets, route_tables, acls) = tokio::try_join!(
        async { account.ec2(ctx).await.subnets_in_vpc(vpc).await },
        async { account.ec2(ctx).await.route_tables_in_vpc(vpc).await },
        async { account.ec2(ctx).await.network_acls_in_vpc(vpc).await },
    )?;
    Ok(VpcRead {
        subnets,
        route_tables,
        acls,
    })
}

/// The peering joining the two VPCs, asked in A (which sees it in either direction); `None`
/// when there is none.
pub(super) async fn read_peering(
    ctx: &StepContext,
    account: &Account,
    a: &VpcId,
    b: &VpcId,
) -> AwsResult<Option<PeeringState>> {
    let (a_to_b, b_to_a) = tokio::try_join!(
        async { account.ec2(ctx).await.peerings_between(a, b).await },
        async { account.ec2(ctx).await.peerings_between(b, a).await },
    )?;
    Ok(
        choose_peering(a_to_b.into_iter().chain(b_to_a).collect()).map(|p| PeeringState {
            status: p.status.as_str().to_owned(),
            id: p.id,
            requester_vpc: p.requester_vpc,
            accepter_vpc: p.accepter_vpc,
        }),
    )
}

/// The peering that decides whether traffic flows: an active one, else the most advanced in
/// its life (provisioning, then pending acceptance, then initiating, then a failed, rejected or
/// expired one, which AWS keeps listing for a while). A `deleted` one is history and never
/// chosen. AWS reports no creation time, so this order stands in for "the newest": a peering
/// further along was requested after the ones that ended. Ties go to the lowest id, so the
/// choice is stable.
pub(super) fn choose_peering(peerings: Vec<Peering>) -> Option<Peering> {
    let rank = |status: &PeeringStatus| match status {
        PeeringStatus::Active => 0,
        PeeringStatus::Provisioning => 1,
        PeeringStatus::PendingAcceptance => 2,
        PeeringStatus::Initiating => 3,
        PeeringStatus::Other(_) => 4,
        PeeringStatus::Gone(_) => 5,
    };
    peerings
        .into_iter()
        .filter(|p| p.status != PeeringStatus::Gone("deleted".to_owned()))
        .min_by(|x, y| (rank(&x.status), x.id.as_str()).cmp(&(rank(&y.status), y.id.as_str())))
}

/// The security groups of B's side: every group a mount target uses, and the NFS group xefs
/// creates (found by its name, as its step does) even when no mount target uses it yet. A
/// group that no longer exists is left out: the path check names it as not found.
pub(super) async fn read_groups(
    ctx: &StepContext,
    account: &Account,
    vpc: &VpcId,
    used: &BTreeSet<SecurityGroupId>,
    nfs_group_name: Option<&str>,
) -> AwsResult<Vec<SecurityGroup>> {
    let (described, named) = tokio::try_join!(
        try_join_all(
            used.iter()
                .map(|id| async move { account.ec2(ctx).await.describe_security_group(id).await })
        ),
        async {
            match nfs_group_name {
                Some(name) => account.ec2(ctx).await.find_security_group(vpc, name).await,
                None => Ok(None),
            }
        },
    )?;
    let mut groups: Vec<SecurityGroup> = described.into_iter().flatten().collect();
    if let Some(group) = named
        && !groups.iter().any(|g| g.id == group.id)
    {
        groups.push(group);
    }
    Ok(groups)
}

/// Describes each subnet on its own, leaving out those that do not exist: for the few subnets
/// named outside the VPC's own list (a worker subnet of another VPC, a mount target's subnet),
/// where one missing id must not hide the others.
pub(super) async fn describe_each(
    ctx: &StepContext,
    account: &Account,
    ids: &BTreeSet<SubnetId>,
) -> AwsResult<Vec<Subnet>> {
    let found = try_join_all(ids.iter().map(|id| async move {
        match account
            .ec2(ctx)
            .await
            .describe_subnets(std::slice::from_ref(id))
            .await
        {
            Ok(subnets) => Ok(subnets),
            Err(e) if is_not_found(&e) => Ok(Vec::new()),
            Err(e) => Err(e),
        }
    }))
    .await?;
    Ok(found.into_iter().flatten().collect())
}

/// One VPC's side of the snapshot.
pub(super) fn vpc_side(
    account: &AccountId,
    vpc: &Vpc,
    read: &VpcRead,
    groups: &[SecurityGroup],
) -> VpcSide {
    VpcSide {
        account: account.clone(),
        vpc: vpc.id.clone(),
        cidr: vpc.cidr,
        subnets: read.subnets.iter().map(subnet_state).collect(),
        route_tables: read.route_tables.iter().map(route_table_state).collect(),
        security_groups: groups.iter().map(group_state).collect(),
        network_acls: read.acls.iter().map(acl_state).collect(),
    }
}

fn subnet_state(s: &Subnet) -> SubnetState {
    SubnetState {
        id: s.id.clone(),
        az_id: s.az_id.clone(),
        cidr: s.cidr,
    }
}

fn route_table_state(t: &RouteTable) -> RouteTableState {
    RouteTableState {
        id: t.id.clone(),
        main: t.main,
        subnets: t.subnets.clone(),
        routes: t
            .routes
            .iter()
            .map(|r| RouteState {
                destination: r.destination,
                target: match &r.target {
                    RouteTarget::Peering(p) => RouteTargetState::Peering(p.clone()),
                    RouteTarget::Other(o) => RouteTargetState::Other(o.clone()),
                },
                blackhole: r.blackhole,
            })
            .collect(),
    }
}

fn acl_state(acl: &NetworkAcl) -> NetworkAclState {
    NetworkAclState {
        id: acl.id.clone(),
        subnets: acl.subnets.clone(),
        default: acl.default,
        entries: acl
            .entries
            .iter()
            .map(|e| AclEntry {
                rule_number: e.rule_number,
                egress: e.egress,
                protocol: e.protocol.clone(),
                port_range: e.port_range,
                cidr: e.cidr,
                allow: e.allow,
            })
            .collect(),
    }
}

fn group_state(g: &SecurityGroup) -> SecurityGroupState {
    SecurityGroupState {
        id: g.id.clone(),
        vpc: g.vpc_id.clone(),
        ingress: g.ingress.iter().map(rule_state).collect(),
        egress: g.egress.iter().map(rule_state).collect(),
    }
}

/// A rule's ports as the snapshot holds them: EC2's `-1` (or nothing) means all ports.
fn rule_state(r: &SecurityGroupRule) -> IngressState {
    let port = |p: Option<i32>| p.and_then(|p| u16::try_from(p).ok());
    IngressState {
        protocol: r.protocol.clone(),
        from_port: port(r.from_port),
        to_port: port(r.to_port),
        cidrs: r.cidrs.clone(),
    }
}

/// Where the workers run: each worker subnet with its zone id, looked up in A's VPC or, for a
/// subnet of another VPC, in `elsewhere`. A subnet found nowhere has no zone id and is left
/// out (it does not exist, so no worker runs there).
pub(super) fn workers(
    subnets: &BTreeSet<SubnetId>,
    vpc: &VpcRead,
    elsewhere: &[Subnet],
) -> Vec<WorkerPlacement> {
    subnets
        .iter()
        .filter_map(|id| {
            let subnet = vpc.subnets.iter().chain(elsewhere).find(|s| &s.id == id)?;
            Some(WorkerPlacement {
                subnet: id.clone(),
                az_id: subnet.az_id.clone(),
            })
        })
        .collect()
}

/// The mount targets as the path check reads them. EFS reports each one's VPC and zone id; when
/// it does not, they come from the mount target's subnet.
pub(super) fn mount_targets(
    targets: &[(MountTarget, Vec<SecurityGroupId>)],
    vpc: &VpcRead,
    elsewhere: &[Subnet],
) -> Vec<MountTargetState> {
    targets
        .iter()
        .filter_map(|(t, groups)| {
            let subnet = || {
                vpc.subnets
                    .iter()
                    .chain(elsewhere)
                    .find(|s| s.id == t.subnet_id)
            };
            let vpc = t.vpc_id.clone().or_else(|| Some(subnet()?.vpc_id.clone()));
            let az_id = t.az_id.clone().or_else(|| Some(subnet()?.az_id.clone()));
            let (Some(vpc), Some(az_id)) = (vpc, az_id) else {
                tracing::warn!(
                    mount_target = %t.id,
                    subnet = %t.subnet_id,
                    "left out of the doctor snapshot: neither EFS nor EC2 says its VPC and zone id"
                );
                return None;
            };
            Some(MountTargetState {
                id: t.id.clone(),
                file_system: t.file_system_id.clone(),
                subnet: t.subnet_id.clone(),
                az_id,
                vpc,
                security_groups: groups.clone(),
                state: life_cycle_name(&t.life_cycle).to_owned(),
            })
        })
        .collect()
}

/// The subnets a mount target names without EFS giving its VPC or zone id, and that are not
/// in B's VPC list: they need a describe of their own.
pub(super) fn unresolved_mount_target_subnets(
    targets: &[(MountTarget, Vec<SecurityGroupId>)],
    vpc: &VpcRead,
) -> BTreeSet<SubnetId> {
    targets
        .iter()
        .map(|(t, _)| t)
        .filter(|t| t.vpc_id.is_none() || t.az_id.is_none())
        .filter(|t| !vpc.subnets.iter().any(|s| s.id == t.subnet_id))
        .map(|t| t.subnet_id.clone())
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ports::PeeringStatus;
    use crate::steps::fixtures::peering;

    #[test]
    fn an_active_peering_wins_and_a_deleted_one_never_does() {
        let tags = std::collections::BTreeMap::new;
        let chosen = choose_peering(vec![
            peering(
                "pcx-00000001",
                PeeringStatus::Gone("deleted".into()),
                tags(),
            ),
            peering("pcx-00000002", PeeringStatus::PendingAcceptance, tags()),
            peering("pcx-00000003", PeeringStatus::Active, tags()),
        ]);
        assert_eq!(
            chosen.map(|p| p.id.to_string()).as_deref(),
            Some("pcx-00000003")
        );

        let chosen = choose_peering(vec![
            peering(
                "pcx-00000001",
                PeeringStatus::Gone("rejected".into()),
                tags(),
            ),
            peering("pcx-00000002", PeeringStatus::PendingAcceptance, tags()),
        ]);
        assert_eq!(
            chosen.map(|p| p.id.to_string()).as_deref(),
            Some("pcx-00000002")
        );

        let chosen = choose_peering(vec![peering(
            "pcx-00000001",
            PeeringStatus::Gone("deleted".into()),
            tags(),
        )]);
        assert_eq!(chosen, None);
    }

    #[test]
    fn all_ports_are_none_whatever_ec2_writes() {
        let state = rule_state(&SecurityGroupRule {
            protocol: "-1".into(),
            from_port: Some(-1),
            to_port: None,
            cidrs: Vec::new(),
        });
        assert_eq!((state.from_port, state.to_port), (None, None));
        let state = rule_state(&SecurityGroupRule {
            protocol: "tcp".into(),
            from_port: Some(2049),
            to_port: Some(2049),
            cidrs: Vec::new(),
        });
        assert_eq!((state.from_port, state.to_port), (Some(2049), Some(2049)));
    }
}
