//! EC2 in the fake: VPCs, subnets, instances, route tables, network ACLs, security groups and
//! peerings between accounts, with EC2's error codes and the peering lifecycle.

use std::net::Ipv4Addr;
use std::time::Duration;

use xefs_core::ids::{
    AccountId, InstanceId, Ipv4Cidr, PeeringId, RouteTableId, SecurityGroupId, SubnetId, VpcId,
};

use super::iam::or_absent;
use super::world::{
    AclRec, GONE_PEERING_VISIBLE_MS, GroupRec, IdKind, PeeringLife, PeeringRec, PeeringSide,
    RegionWorld, RouteRec, RouteTableRec, RouteTargetRec, RulePeer, RuleRec, World,
};
use super::{Caller, Cx};
use crate::AwsResult;
use crate::ports::{
    Ec2, Instance, NetworkAcl, NetworkAclEntry, NewPeering, NewSecurityGroup, Peering,
    PeeringStatus, Route, RouteTable, RouteTarget, SecurityGroup, SecurityGroupRule, Subnet, Vpc,
};
use crate::sdk::classify::Fault;

/// EC2 of one account of a [`FakeAws`](super::FakeAws).
#[derive(Debug, Clone)]
pub struct FakeEc2(pub(crate) Caller);

fn not_found(code: &str, message: String) -> Fault {
    Fault::service(code, &message, 400)
}

fn no_vpc(id: &VpcId) -> Fault {
    not_found(
        "InvalidVpcID.NotFound",
        format!("The vpc ID '{id}' does not exist"),
    )
}

fn no_peering(id: &PeeringId) -> Fault {
    not_found(
        "InvalidVpcPeeringConnectionID.NotFound",
        format!("The vpcPeeringConnection ID '{id}' does not exist"),
    )
}

fn no_table(id: &RouteTableId) -> Fault {
    not_found(
        "InvalidRouteTableID.NotFound",
        format!("The routeTable ID '{id}' does not exist"),
    )
}

fn no_group(id: &SecurityGroupId) -> Fault {
    not_found(
        "InvalidGroup.NotFound",
        format!("The security group '{id}' does not exist"),
    )
}

/// The joined ids of a describe, for error resources (as the adapter names them).
fn joined<T: AsRef<str>>(ids: &[T]) -> String {
    ids.iter().map(AsRef::as_ref).collect::<Vec<_>>().join(",")
}

/// The caller's resources in the call's region (an empty one when it has none there).
fn region<'w>(w: &'w World, cx: &Cx<'_>) -> std::borrow::Cow<'w, RegionWorld> {
    match w.region(cx.account, cx.region) {
        Some(r) => std::borrow::Cow::Borrowed(r),
        None => std::borrow::Cow::Owned(RegionWorld::default()),
    }
}

fn subnet_view(s: &super::world::SubnetRec) -> Subnet {
    Subnet {
        id: s.id.clone(),
        vpc_id: s.vpc.clone(),
        az_name: s.az_name.clone(),
        az_id: s.az_id.clone(),
        cidr: s.cidr,
    }
}

fn route_table_view(w: &World, t: &RouteTableRec) -> RouteTable {
    RouteTable {
        id: t.id.clone(),
        vpc_id: t.vpc.clone(),
        main: t.main,
        subnets: t.subnets.clone(),
        routes: t
            .routes
            .iter()
            .map(|r| match &r.target {
                RouteTargetRec::Local => Route {
                    destination: r.destination,
                    target: RouteTarget::Other("local".into()),
                    blackhole: false,
                },
                RouteTargetRec::Peering(p) => Route {
                    destination: r.destination,
                    target: RouteTarget::Peering(p.clone()),
                    blackhole: !w
                        .peerings
                        .get(p)
                        .is_some_and(|p| p.life == PeeringLife::Active),
                },
                RouteTargetRec::Other(target) => Route {
                    destination: r.destination,
                    target: RouteTarget::Other(target.clone()),
                    blackhole: false,
                },
            })
            .collect(),
    }
}

fn acl_view(a: &AclRec) -> NetworkAcl {
    NetworkAcl {
        id: a.id.clone(),
        vpc_id: a.vpc.clone(),
        default: a.default,
        subnets: a.subnets.clone(),
        entries: a
            .entries
            .iter()
            .map(|e| NetworkAclEntry {
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

/// Rules as EC2 lists them: one permission per protocol and port range, holding its CIDRs.
fn rules_view(rules: &[RuleRec]) -> Vec<SecurityGroupRule> {
    let mut out: Vec<SecurityGroupRule> = Vec::new();
    for r in rules {
        let i = match out.iter().position(|o| {
            o.protocol == r.protocol && o.from_port == r.from_port && o.to_port == r.to_port
        }) {
            Some(i) => i,
            None => {
                out.push(SecurityGroupRule {
                    protocol: r.protocol.clone(),
                    from_port: r.from_port,
                    to_port: r.to_port,
                    cidrs: Vec::new(),
                });
                out.len() - 1
            }
        };
        if let RulePeer::Cidr(c) = &r.peer {
            out[i].cidrs.push(*c);
        }
    }
    out
}

fn group_view(g: &GroupRec) -> SecurityGroup {
    SecurityGroup {
        id: g.id.clone(),
        name: g.name.clone(),
        vpc_id: g.vpc.clone(),
        ingress: rules_view(&g.ingress),
        egress: rules_view(&g.egress),
        tags: g.tags.clone(),
    }
}

/// The peering as `viewer` sees it (tags are per account).
fn peering_view(p: &PeeringRec, viewer: &AccountId) -> Peering {
    let status = match &p.life {
        PeeringLife::PendingAcceptance => PeeringStatus::PendingAcceptance,
        PeeringLife::Provisioning { .. } => PeeringStatus::Provisioning,
        PeeringLife::Active => PeeringStatus::Active,
        gone => PeeringStatus::Gone(gone.name().to_owned()),
    };
    Peering {
        id: p.id.clone(),
        requester_vpc: p.requester.vpc.clone(),
        requester_owner: p.requester.account.clone(),
        accepter_vpc: p.accepter.vpc.clone(),
        accepter_owner: p.accepter.account.clone(),
        status,
        accepter_allows_remote_dns: p.accepter_allows_remote_dns,
        tags: p.tags.get(viewer).cloned().unwrap_or_default(),
    }
}

/// The peering `id` if the caller sees it.
fn visible_peering<'w>(w: &'w World, cx: &Cx<'_>, id: &PeeringId) -> Result<&'w PeeringRec, Fault> {
    w.peerings
        .get(id)
        .filter(|p| p.visible_to(cx.account, cx.region, cx.now))
        .ok_or_else(|| no_peering(id))
}

fn parse_id<T>(
    s: String,
    parse: fn(&str) -> Result<T, xefs_core::ids::ParseIdError>,
) -> Result<T, Fault> {
    parse(&s).map_err(|e| Fault::service("InternalError", &e.to_string(), 500))
}

/// Why a new peering between these sides would fail, if it would.
fn peering_failure(w: &World, requester: &PeeringSide, accepter: &PeeringSide) -> Option<String> {
    let ours = w
        .region(&requester.account, &requester.region)
        .and_then(|r| r.vpcs.get(&requester.vpc))?;
    let Some(theirs) = w
        .region(&accepter.account, &accepter.region)
        .and_then(|r| r.vpcs.get(&accepter.vpc))
    else {
        return Some(format!(
            "The VPC {} does not exist in account {} ({})",
            accepter.vpc, accepter.account, accepter.region
        ));
    };
    if ours.cidr.overlaps(&theirs.cidr) {
        return Some(format!(
            "Overlapping CIDR range: {} and {}",
            ours.cidr, theirs.cidr
        ));
    }
    if w.peerings
        .values()
        .any(|p| p.joins(&requester.vpc, &accepter.vpc) && !p.life.is_gone())
    {
        return Some(format!(
            "A VPC peering connection already exists between {} and {}",
            requester.vpc, accepter.vpc
        ));
    }
    None
}

#[async_trait::async_trait]
impl Ec2 for FakeEc2 {
    async fn describe_vpc(&self, id: &VpcId) -> AwsResult<Option<Vpc>> {
        let result = self
            .0
            .call("DescribeVpcs", Some(id.as_str()), |w, cx| {
                let vpc = region(w, cx)
                    .vpcs
                    .get(id)
                    .cloned()
                    .ok_or_else(|| no_vpc(id))?;
                Ok(Vpc {
                    id: vpc.id,
                    owner: cx.account.clone(),
                    cidr: vpc.cidr,
                    cidrs: vec![vpc.cidr],
                })
            })
            .await;
        or_absent(result.map(Some), None)
    }

    async fn describe_subnets(&self, ids: &[SubnetId]) -> AwsResult<Vec<Subnet>> {
        if ids.is_empty() {
            return Ok(Vec::new());
        }
        self.0
            .call("DescribeSubnets", Some(&joined(ids)), |w, cx| {
                let r = region(w, cx);
                ids.iter()
                    .map(|id| {
                        r.subnets.get(id).map(subnet_view).ok_or_else(|| {
                            not_found(
                                "InvalidSubnetID.NotFound",
                                format!("The subnet ID '{id}' does not exist"),
                            )
                        })
                    })
                    .collect()
            })
            .await
    }

    async fn subnets_in_vpc(&self, vpc: &VpcId) -> AwsResult<Vec<Subnet>> {
        self.0
            .call("DescribeSubnets", Some(vpc.as_str()), |w, cx| {
                Ok(region(w, cx)
                    .subnets
                    .values()
                    .filter(|s| &s.vpc == vpc)
                    .map(subnet_view)
                    .collect())
            })
            .await
    }

    async fn describe_instances(&self, ids: &[InstanceId]) -> AwsResult<Vec<Instance>> {
        if ids.is_empty() {
            return Ok(Vec::new());
        }
        self.0
            .call("DescribeInstances", Some(&joined(ids)), |w, cx| {
                let r = region(w, cx);
                ids.iter()
                    .map(|id| {
                        let i = r.instances.get(id).ok_or_else(|| {
                            not_found(
                                "InvalidInstanceID.NotFound",
                                format!("The instance ID '{id}' does not exist"),
                            )
                        })?;
                        Ok(Instance {
                            id: i.id.clone(),
                            subnet_id: Some(i.subnet.clone()),
                            vpc_id: Some(i.vpc.clone()),
                            instance_profile_arn: i.instance_profile_arn.clone(),
                        })
                    })
                    .collect()
            })
            .await
    }

    async fn route_tables_in_vpc(&self, vpc: &VpcId) -> AwsResult<Vec<RouteTable>> {
        self.0
            .call("DescribeRouteTables", Some(vpc.as_str()), |w, cx| {
                Ok(region(w, cx)
                    .route_tables
                    .values()
                    .filter(|t| &t.vpc == vpc)
                    .map(|t| route_table_view(w, t))
                    .collect())
            })
            .await
    }

    async fn network_acls_in_vpc(&self, vpc: &VpcId) -> AwsResult<Vec<NetworkAcl>> {
        self.0
            .call("DescribeNetworkAcls", Some(vpc.as_str()), |w, cx| {
                Ok(region(w, cx)
                    .network_acls
                    .values()
                    .filter(|a| &a.vpc == vpc)
                    .map(acl_view)
                    .collect())
            })
            .await
    }

    async fn describe_route_tables(&self, ids: &[RouteTableId]) -> AwsResult<Vec<RouteTable>> {
        if ids.is_empty() {
            return Ok(Vec::new());
        }
        self.0
            .call("DescribeRouteTables", Some(&joined(ids)), |w, cx| {
                let r = region(w, cx);
                ids.iter()
                    .map(|id| {
                        r.route_tables
                            .get(id)
                            .map(|t| route_table_view(w, t))
                            .ok_or_else(|| no_table(id))
                    })
                    .collect()
            })
            .await
    }

    async fn create_route(
        &self,
        table: &RouteTableId,
        destination: &Ipv4Cidr,
        peering: &PeeringId,
    ) -> AwsResult<()> {
        self.0
            .call("CreateRoute", Some(table.as_str()), |w, cx| {
                if !region(w, cx).route_tables.contains_key(table) {
                    return Err(no_table(table));
                }
                let p = visible_peering(w, cx, peering)?;
                if p.life.is_gone() {
                    return Err(Fault::service(
                        "InvalidVpcPeeringConnectionState",
                        &format!("The VPC peering connection {peering} is {}", p.life.name()),
                        400,
                    ));
                }
                let t = w
                    .region_mut(cx.account, cx.region)
                    .route_tables
                    .get_mut(table)
                    .ok_or_else(|| no_table(table))?;
                if t.routes.iter().any(|r| &r.destination == destination) {
                    return Err(Fault::service(
                        "RouteAlreadyExists",
                        &format!("The route identified by {destination} already exists."),
                        400,
                    ));
                }
                t.routes.push(RouteRec {
                    destination: *destination,
                    target: RouteTargetRec::Peering(peering.clone()),
                });
                Ok(())
            })
            .await
    }

    async fn delete_route(&self, table: &RouteTableId, destination: &Ipv4Cidr) -> AwsResult<()> {
        let result = self
            .0
            .call("DeleteRoute", Some(table.as_str()), |w, cx| {
                let t = w
                    .region_mut(cx.account, cx.region)
                    .route_tables
                    .get_mut(table)
                    .ok_or_else(|| no_table(table))?;
                let Some(i) = t.routes.iter().position(|r| &r.destination == destination) else {
                    return Err(not_found(
                        "InvalidRoute.NotFound",
                        format!(
                            "There is no route defined for '{destination}' in the route table. \
                             Use a valid destination and try again."
                        ),
                    ));
                };
                if t.routes[i].target == RouteTargetRec::Local {
                    return Err(Fault::service(
                        "InvalidParameterValue",
                        &format!("cannot remove local route {destination} in route table {table}"),
                        400,
                    ));
                }
                t.routes.remove(i);
                Ok(())
            })
            .await;
        // InvalidRoute.NotFound, or the whole table is gone: the route is gone either way.
        or_absent(result, ())
    }

    async fn peerings_between(
        &self,
        requester: &VpcId,
        accepter: &VpcId,
    ) -> AwsResult<Vec<Peering>> {
        self.0
            .call(
                "DescribeVpcPeeringConnections",
                Some(&format!("{requester}->{accepter}")),
                |w, cx| {
                    Ok(w.peerings
                        .values()
                        .filter(|p| p.visible_to(cx.account, cx.region, cx.now))
                        .filter(|p| &p.requester.vpc == requester && &p.accepter.vpc == accepter)
                        .map(|p| peering_view(p, cx.account))
                        .collect())
                },
            )
            .await
    }

    async fn describe_peering(&self, id: &PeeringId) -> AwsResult<Option<Peering>> {
        let result = self
            .0
            .call(
                "DescribeVpcPeeringConnections",
                Some(id.as_str()),
                |w, cx| visible_peering(w, cx, id).map(|p| peering_view(p, cx.account)),
            )
            .await;
        or_absent(result.map(Some), None)
    }

    async fn create_peering(&self, new: &NewPeering) -> AwsResult<Peering> {
        let resource = format!("{}->{}", new.requester_vpc, new.accepter_vpc);
        self.0
            .call("CreateVpcPeeringConnection", Some(&resource), |w, cx| {
                if !region(w, cx).vpcs.contains_key(&new.requester_vpc) {
                    return Err(no_vpc(&new.requester_vpc));
                }
                let requester = PeeringSide {
                    account: cx.account.clone(),
                    region: cx.region.to_owned(),
                    vpc: new.requester_vpc.clone(),
                };
                let accepter = PeeringSide {
                    account: new.accepter_owner.clone(),
                    region: new.accepter_region.as_str().to_owned(),
                    vpc: new.accepter_vpc.clone(),
                };
                let life = match peering_failure(w, &requester, &accepter) {
                    Some(reason) => PeeringLife::Failed {
                        reason,
                        visible_until: cx.now.after(Duration::from_millis(GONE_PEERING_VISIBLE_MS)),
                    },
                    None => PeeringLife::PendingAcceptance,
                };
                let id: PeeringId = parse_id(w.new_id(IdKind::Peering), PeeringId::parse)?;
                let rec = PeeringRec {
                    id: id.clone(),
                    requester,
                    accepter,
                    life,
                    visible_to_accepter_at: cx.now.after(cx.latency.peering_visible),
                    accepter_allows_remote_dns: false,
                    tags: [(cx.account.clone(), new.tags.clone())].into(),
                };
                // EC2 answers before it has judged the request: `initiating-request`.
                let mut view = peering_view(&rec, cx.account);
                view.status = PeeringStatus::Initiating;
                w.peerings.insert(id, rec);
                Ok(view)
            })
            .await
    }

    async fn accept_peering(&self, id: &PeeringId) -> AwsResult<()> {
        self.0
            .call("AcceptVpcPeeringConnection", Some(id.as_str()), |w, cx| {
                let p = visible_peering(w, cx, id)?;
                if &p.accepter.account != cx.account || p.accepter.region != cx.region {
                    return Err(Fault::service(
                        "OperationNotPermitted",
                        &format!(
                            "User {} cannot accept peering {id}: only the accepter account {} can",
                            cx.account, p.accepter.account
                        ),
                        400,
                    ));
                }
                if p.life != PeeringLife::PendingAcceptance {
                    return Err(Fault::service(
                        "InvalidStateTransition",
                        &format!(
                            "Invalid state transition for {id}, attempted to transition from {} \
                             to active",
                            p.life.name()
                        ),
                        400,
                    ));
                }
                let until = cx.now.after(cx.latency.peering_active);
                if let Some(p) = w.peerings.get_mut(id) {
                    p.life = PeeringLife::Provisioning { until };
                }
                Ok(())
            })
            .await
    }

    async fn set_accepter_remote_dns(&self, id: &PeeringId, allow: bool) -> AwsResult<()> {
        self.0
            .call(
                "ModifyVpcPeeringConnectionOptions",
                Some(id.as_str()),
                |w, cx| {
                    let p = visible_peering(w, cx, id)?;
                    if &p.accepter.account != cx.account {
                        return Err(Fault::service(
                            "OperationNotPermitted",
                            &format!(
                                "User {} cannot modify the accepter options of {id}: only the \
                                 accepter account {} can",
                                cx.account, p.accepter.account
                            ),
                            400,
                        ));
                    }
                    if p.life != PeeringLife::Active {
                        return Err(Fault::service(
                            "OperationNotPermitted",
                            &format!("The VPC peering connection {id} is not active"),
                            400,
                        ));
                    }
                    if let Some(p) = w.peerings.get_mut(id) {
                        p.accepter_allows_remote_dns = allow;
                    }
                    Ok(())
                },
            )
            .await
    }

    async fn delete_peering(&self, id: &PeeringId) -> AwsResult<()> {
        let result = self
            .0
            .call("DeleteVpcPeeringConnection", Some(id.as_str()), |w, cx| {
                let p = visible_peering(w, cx, id)?;
                let accepter_of_pending =
                    p.life == PeeringLife::PendingAcceptance && &p.accepter.account == cx.account;
                if p.life.is_gone() || accepter_of_pending {
                    return Err(Fault::service(
                        "InvalidStateTransition",
                        &format!(
                            "Invalid state transition for {id}, attempted to transition from {} \
                             to deleted",
                            p.life.name()
                        ),
                        400,
                    ));
                }
                let until = cx.now.after(cx.latency.peering_deletion);
                if let Some(p) = w.peerings.get_mut(id) {
                    p.life = PeeringLife::Deleting { until };
                }
                Ok(())
            })
            .await;
        match or_absent(result, ()) {
            // As the adapter: a peering already deleted, rejected or failed is gone, which is
            // what the caller wants.
            Err(e) if e.is_code("InvalidStateTransition") => match self.describe_peering(id).await?
            {
                None => Ok(()),
                Some(p) if matches!(p.status, PeeringStatus::Gone(_)) => Ok(()),
                Some(_) => Err(e),
            },
            other => other,
        }
    }

    async fn find_security_group(
        &self,
        vpc: &VpcId,
        name: &str,
    ) -> AwsResult<Option<SecurityGroup>> {
        self.0
            .call(
                "DescribeSecurityGroups",
                Some(&format!("{vpc}/{name}")),
                |w, cx| {
                    Ok(region(w, cx)
                        .security_groups
                        .values()
                        .find(|g| &g.vpc == vpc && g.name == name)
                        .map(group_view))
                },
            )
            .await
    }

    async fn describe_security_group(
        &self,
        id: &SecurityGroupId,
    ) -> AwsResult<Option<SecurityGroup>> {
        let result = self
            .0
            .call("DescribeSecurityGroups", Some(id.as_str()), |w, cx| {
                region(w, cx)
                    .security_groups
                    .get(id)
                    .map(group_view)
                    .ok_or_else(|| no_group(id))
            })
            .await;
        or_absent(result.map(Some), None)
    }

    async fn create_security_group(&self, group: &NewSecurityGroup) -> AwsResult<SecurityGroupId> {
        let resource = format!("{}/{}", group.vpc_id, group.name);
        self.0
            .call("CreateSecurityGroup", Some(&resource), |w, cx| {
                let r = region(w, cx);
                if !r.vpcs.contains_key(&group.vpc_id) {
                    return Err(no_vpc(&group.vpc_id));
                }
                if r.security_groups
                    .values()
                    .any(|g| g.vpc == group.vpc_id && g.name == group.name)
                {
                    return Err(Fault::service(
                        "InvalidGroup.Duplicate",
                        &format!(
                            "The security group '{}' already exists for VPC '{}'",
                            group.name, group.vpc_id
                        ),
                        400,
                    ));
                }
                let id: SecurityGroupId =
                    parse_id(w.new_id(IdKind::SecurityGroup), SecurityGroupId::parse)?;
                w.region_mut(cx.account, cx.region).security_groups.insert(
                    id.clone(),
                    GroupRec {
                        id: id.clone(),
                        name: group.name.clone(),
                        description: group.description.clone(),
                        vpc: group.vpc_id.clone(),
                        ingress: Vec::new(),
                        // A new group lets everything out, as in EC2.
                        egress: vec![allow_all_out()?],
                        tags: group.tags.clone(),
                    },
                );
                Ok(id)
            })
            .await
    }

    async fn allow_tcp_ingress(
        &self,
        group: &SecurityGroupId,
        port: i32,
        source: &Ipv4Cidr,
        description: &str,
    ) -> AwsResult<()> {
        let result = self
            .0
            .call(
                "AuthorizeSecurityGroupIngress",
                Some(group.as_str()),
                |w, cx| {
                    let g = w
                        .region_mut(cx.account, cx.region)
                        .security_groups
                        .get_mut(group)
                        .ok_or_else(|| no_group(group))?;
                    let duplicate = g.ingress.iter().any(|r| {
                        r.protocol == "tcp"
                            && r.from_port == Some(port)
                            && r.to_port == Some(port)
                            && r.peer == RulePeer::Cidr(*source)
                    });
                    if duplicate {
                        return Err(Fault::service(
                            "InvalidPermission.Duplicate",
                            &format!(
                                "the specified rule \"peer: {source}, TCP, from port: {port}, to \
                             port: {port}, ALLOW\" already exists"
                            ),
                            400,
                        ));
                    }
                    g.ingress.push(RuleRec {
                        protocol: "tcp".into(),
                        from_port: Some(port),
                        to_port: Some(port),
                        peer: RulePeer::Cidr(*source),
                        description: Some(description.to_owned()).filter(|d| !d.is_empty()),
                    });
                    Ok(())
                },
            )
            .await;
        match result {
            Err(e) if e.is_code("InvalidPermission.Duplicate") => Ok(()),
            other => other,
        }
    }

    async fn delete_security_group(&self, id: &SecurityGroupId) -> AwsResult<()> {
        let result = self
            .0
            .call("DeleteSecurityGroup", Some(id.as_str()), |w, cx| {
                let r = region(w, cx);
                let g = r.security_groups.get(id).ok_or_else(|| no_group(id))?;
                if g.name == "default" {
                    return Err(Fault::service(
                        "CannotDelete",
                        &format!(
                            "the specified group: \"{id}\" name: \"default\" cannot be deleted \
                             by a user"
                        ),
                        400,
                    ));
                }
                if let Some(mt) = r
                    .mount_targets
                    .values()
                    .find(|m| m.security_groups.contains(id))
                {
                    return Err(Fault::service(
                        "DependencyViolation",
                        &format!(
                            "resource {id} has a dependent object (the network interface of \
                             mount target {})",
                            mt.id
                        ),
                        400,
                    ));
                }
                w.region_mut(cx.account, cx.region)
                    .security_groups
                    .remove(id);
                Ok(())
            })
            .await;
        or_absent(result, ())
    }
}

/// The egress rule of a new group: everything, everywhere.
pub(crate) fn allow_all_out() -> Result<RuleRec, Fault> {
    Ok(RuleRec {
        protocol: "-1".into(),
        from_port: None,
        to_port: None,
        peer: RulePeer::Cidr(cidr(Ipv4Addr::UNSPECIFIED, 0)?),
        description: None,
    })
}

/// The block of `prefix` bits at `addr` (whose host bits must be zero).
pub(crate) fn cidr(addr: Ipv4Addr, prefix: u8) -> Result<Ipv4Cidr, Fault> {
    Ipv4Cidr::parse(&format!("{addr}/{prefix}"))
        .map_err(|e| Fault::service("InternalError", &e.to_string(), 500))
}
