//! [`Ec2`] over `aws_sdk_ec2`.

use aws_sdk_ec2::Client;
use aws_sdk_ec2::types::{
    Filter, IpPermission, IpRange, PeeringConnectionOptionsRequest, ResourceType, RouteState,
    RouteTableAssociationStateCode, RuleAction, Tag, TagSpecification, VpcCidrBlockStateCode,
};
use xefs_core::ids::{
    AccountId, AzId, InstanceId, Ipv4Cidr, PeeringId, RouteTableId, SecurityGroupId, SubnetId,
    VpcId,
};

use super::calls::{Calls, or_absent};
use super::convert::{peering_status, tags_from};
use crate::ports::{
    Ec2, Instance, NetworkAcl, NetworkAclEntry, NewPeering, NewSecurityGroup, Peering,
    PeeringStatus, Route, RouteTable, RouteTarget, SecurityGroup, SecurityGroupRule, Subnet, Tags,
    Vpc,
};
use crate::{AwsResult, CallStats, Service};

/// EC2 in one account, through the AWS SDK.
///
/// Every `Describe*` reads every page. Describes by id with an empty id list return an empty
/// list without calling AWS (EC2 would answer with *every* resource of the account).
#[derive(Debug, Clone)]
pub struct SdkEc2 {
    client: Client,
    calls: Calls,
}

fn filter(name: &str, value: &str) -> Filter {
    Filter::builder().name(name).values(value).build()
}

fn tag_specification(resource: ResourceType, tags: &Tags) -> Option<TagSpecification> {
    if tags.is_empty() {
        return None;
    }
    let tags = tags
        .iter()
        .map(|(k, v)| Tag::builder().key(k).value(v).build())
        .collect();
    Some(
        TagSpecification::builder()
            .resource_type(resource)
            .set_tags(Some(tags))
            .build(),
    )
}

fn ec2_tags(tags: &[Tag]) -> Tags {
    tags_from(tags.iter().map(|t| (t.key(), t.value())))
}

/// `Some` for a non-empty list: an absent parameter, not an empty one, means "no filter".
fn non_empty<T>(items: Vec<T>) -> Option<Vec<T>> {
    (!items.is_empty()).then_some(items)
}

/// The joined resource name of a describe by ids, for error messages.
fn joined<T: AsRef<str>>(ids: &[T]) -> String {
    ids.iter().map(AsRef::as_ref).collect::<Vec<_>>().join(",")
}

impl SdkEc2 {
    /// An adapter over `client`, whose credentials act in `account`; every call is counted in
    /// `stats`.
    pub fn new(client: Client, account: AccountId, stats: CallStats) -> Self {
        Self {
            client,
            calls: Calls::new(Service::Ec2, account, stats),
        }
    }

    fn vpc(&self, call: &'static str, v: &aws_sdk_ec2::types::Vpc) -> AwsResult<Vpc> {
        let cidrs = v
            .cidr_block_association_set()
            .iter()
            .filter(|a| {
                a.cidr_block_state()
                    .and_then(|s| s.state())
                    .is_none_or(|s| *s == VpcCidrBlockStateCode::Associated)
            })
            .map(|a| {
                self.calls
                    .parse(call, "VPC CIDR", a.cidr_block(), Ipv4Cidr::parse)
            })
            .collect::<AwsResult<Vec<_>>>()?;
        let cidr = self
            .calls
            .parse(call, "VPC CIDR", v.cidr_block(), Ipv4Cidr::parse)?;
        Ok(Vpc {
            id: self.calls.parse(call, "VPC id", v.vpc_id(), VpcId::parse)?,
            owner: self
                .calls
                .parse(call, "VPC owner", v.owner_id(), AccountId::parse)?,
            cidrs: if cidrs.is_empty() { vec![cidr] } else { cidrs },
            cidr,
        })
    }

    fn subnet(&self, call: &'static str, s: &aws_sdk_ec2::types::Subnet) -> AwsResult<Subnet> {
        Ok(Subnet {
            id: self
                .calls
                .parse(call, "subnet id", s.subnet_id(), SubnetId::parse)?,
            vpc_id: self.calls.parse(call, "VPC id", s.vpc_id(), VpcId::parse)?,
            az_name: s
                .availability_zone()
                .filter(|z| !z.is_empty())
                .ok_or_else(|| self.calls.bad_response(call, s.subnet_id(), "no zone name"))?
                .to_owned(),
            az_id: self
                .calls
                .parse(call, "zone id", s.availability_zone_id(), AzId::parse)?,
            cidr: self
                .calls
                .parse(call, "subnet CIDR", s.cidr_block(), Ipv4Cidr::parse)?,
        })
    }

    fn route_table(
        &self,
        call: &'static str,
        t: &aws_sdk_ec2::types::RouteTable,
    ) -> AwsResult<RouteTable> {
        let live = t.associations().iter().filter(|a| {
            a.association_state()
                .and_then(|s| s.state())
                .is_none_or(|s| {
                    !matches!(
                        s,
                        RouteTableAssociationStateCode::Disassociated
                            | RouteTableAssociationStateCode::Disassociating
                            | RouteTableAssociationStateCode::Failed
                    )
                })
        });
        let mut main = false;
        let mut subnets = Vec::new();
        for a in live {
            main |= a.main().unwrap_or(false);
            if let Some(s) =
                self.calls
                    .parse_opt(call, "subnet id", a.subnet_id(), SubnetId::parse)?
            {
                subnets.push(s);
            }
        }
        let mut routes = Vec::new();
        // IPv6 and prefix-list routes have no IPv4 destination and are not xefs's business.
        for r in t
            .routes()
            .iter()
            .filter(|r| r.destination_cidr_block().is_some())
        {
            let destination = self.calls.parse(
                call,
                "route destination",
                r.destination_cidr_block(),
                Ipv4Cidr::parse,
            )?;
            let target = match self.calls.parse_opt(
                call,
                "peering id",
                r.vpc_peering_connection_id(),
                PeeringId::parse,
            )? {
                Some(p) => RouteTarget::Peering(p),
                None => RouteTarget::Other(
                    [
                        r.gateway_id(),
                        r.nat_gateway_id(),
                        r.transit_gateway_id(),
                        r.network_interface_id(),
                        r.instance_id(),
                        r.egress_only_internet_gateway_id(),
                        r.local_gateway_id(),
                        r.carrier_gateway_id(),
                        r.core_network_arn(),
                    ]
                    .into_iter()
                    .flatten()
                    .find(|t| !t.is_empty())
                    .unwrap_or("unknown")
                    .to_owned(),
                ),
            };
            routes.push(Route {
                destination,
                target,
                blackhole: r.state() == Some(&RouteState::Blackhole),
            });
        }
        Ok(RouteTable {
            id: self.calls.parse(
                call,
                "route table id",
                t.route_table_id(),
                RouteTableId::parse,
            )?,
            vpc_id: self.calls.parse(call, "VPC id", t.vpc_id(), VpcId::parse)?,
            main,
            subnets,
            routes,
        })
    }

    fn peering(
        &self,
        call: &'static str,
        p: &aws_sdk_ec2::types::VpcPeeringConnection,
    ) -> AwsResult<Peering> {
        let id = self.calls.parse(
            call,
            "peering id",
            p.vpc_peering_connection_id(),
            PeeringId::parse,
        )?;
        let side = |info: Option<&aws_sdk_ec2::types::VpcPeeringConnectionVpcInfo>, which| {
            let info = info.ok_or_else(|| {
                self.calls
                    .bad_response(call, Some(id.as_str()), format!("no {which} VPC info"))
            })?;
            AwsResult::Ok((
                self.calls
                    .parse(call, "VPC id", info.vpc_id(), VpcId::parse)?,
                self.calls
                    .parse(call, "VPC owner", info.owner_id(), AccountId::parse)?,
                info.peering_options()
                    .and_then(|o| o.allow_dns_resolution_from_remote_vpc())
                    .unwrap_or(false),
            ))
        };
        let (requester_vpc, requester_owner, _) = side(p.requester_vpc_info(), "requester")?;
        let (accepter_vpc, accepter_owner, accepter_allows_remote_dns) =
            side(p.accepter_vpc_info(), "accepter")?;
        Ok(Peering {
            id,
            requester_vpc,
            requester_owner,
            accepter_vpc,
            accepter_owner,
            status: peering_status(p.status().and_then(|s| s.code())),
            accepter_allows_remote_dns,
            tags: ec2_tags(p.tags()),
        })
    }

    /// The rules of one direction of a security group.
    fn security_group_rules(
        &self,
        call: &'static str,
        permissions: &[IpPermission],
    ) -> AwsResult<Vec<SecurityGroupRule>> {
        permissions
            .iter()
            .map(|p| {
                Ok(SecurityGroupRule {
                    protocol: p.ip_protocol().unwrap_or("-1").to_owned(),
                    from_port: p.from_port(),
                    to_port: p.to_port(),
                    cidrs: p
                        .ip_ranges()
                        .iter()
                        .map(|r| {
                            self.calls
                                .parse(call, "rule CIDR", r.cidr_ip(), Ipv4Cidr::parse)
                        })
                        .collect::<AwsResult<_>>()?,
                })
            })
            .collect()
    }

    fn security_group(
        &self,
        call: &'static str,
        g: &aws_sdk_ec2::types::SecurityGroup,
    ) -> AwsResult<SecurityGroup> {
        Ok(SecurityGroup {
            id: self.calls.parse(
                call,
                "security group id",
                g.group_id(),
                SecurityGroupId::parse,
            )?,
            name: g.group_name().unwrap_or_default().to_owned(),
            vpc_id: self.calls.parse(call, "VPC id", g.vpc_id(), VpcId::parse)?,
            ingress: self.security_group_rules(call, g.ip_permissions())?,
            egress: self.security_group_rules(call, g.ip_permissions_egress())?,
            tags: ec2_tags(g.tags()),
        })
    }

    /// A network ACL with its live associations and IPv4 entries; IPv6 entries (no IPv4 block)
    /// are skipped, and a rule number or port out of AWS's ranges is a bad response.
    fn network_acl(
        &self,
        call: &'static str,
        acl: &aws_sdk_ec2::types::NetworkAcl,
    ) -> AwsResult<NetworkAcl> {
        let id = acl
            .network_acl_id()
            .filter(|id| !id.is_empty())
            .ok_or_else(|| self.calls.bad_response(call, None, "no network ACL id"))?;
        let number = |what: &str, n: Option<i32>| {
            n.and_then(|n| u16::try_from(n).ok()).ok_or_else(|| {
                self.calls
                    .bad_response(call, Some(id), format!("{what} {n:?} out of range"))
            })
        };
        let subnets = acl
            .associations()
            .iter()
            .filter_map(|a| {
                self.calls
                    .parse_opt(call, "subnet id", a.subnet_id(), SubnetId::parse)
                    .transpose()
            })
            .collect::<AwsResult<Vec<_>>>()?;
        let mut entries = Vec::new();
        for e in acl.entries().iter().filter(|e| e.cidr_block().is_some()) {
            let port_range = match e.port_range() {
                Some(r) if r.from().is_some() || r.to().is_some() => {
                    Some((number("port", r.from())?, number("port", r.to())?))
                }
                _ => None,
            };
            entries.push(NetworkAclEntry {
                rule_number: number("rule number", e.rule_number())?,
                egress: e.egress().unwrap_or(false),
                protocol: e.protocol().unwrap_or("-1").to_owned(),
                port_range,
                cidr: self
                    .calls
                    .parse(call, "ACL entry CIDR", e.cidr_block(), Ipv4Cidr::parse)?,
                allow: e.rule_action() == Some(&RuleAction::Allow),
            });
        }
        Ok(NetworkAcl {
            id: id.to_owned(),
            vpc_id: self
                .calls
                .parse(call, "VPC id", acl.vpc_id(), VpcId::parse)?,
            default: acl.is_default().unwrap_or(false),
            subnets,
            entries,
        })
    }

    /// `DescribeSubnets` with these filters and ids, every page.
    async fn subnets(
        &self,
        resource: &str,
        filters: Vec<Filter>,
        ids: Vec<String>,
    ) -> AwsResult<Vec<Subnet>> {
        const CALL: &str = "DescribeSubnets";
        let mut pages = self
            .client
            .describe_subnets()
            .set_filters(non_empty(filters))
            .set_subnet_ids(non_empty(ids))
            .into_paginator()
            .send();
        let mut subnets = Vec::new();
        while let Some(page) = pages.next().await {
            let page = self.calls.page(CALL, Some(resource), page)?;
            for s in page.subnets() {
                subnets.push(self.subnet(CALL, s)?);
            }
        }
        Ok(subnets)
    }

    /// `DescribeRouteTables` with these filters and ids, every page.
    async fn route_tables(
        &self,
        resource: &str,
        filters: Vec<Filter>,
        ids: Vec<String>,
    ) -> AwsResult<Vec<RouteTable>> {
        const CALL: &str = "DescribeRouteTables";
        let mut pages = self
            .client
            .describe_route_tables()
            .set_filters(non_empty(filters))
            .set_route_table_ids(non_empty(ids))
            .into_paginator()
            .send();
        let mut tables = Vec::new();
        while let Some(page) = pages.next().await {
            let page = self.calls.page(CALL, Some(resource), page)?;
            for t in page.route_tables() {
                tables.push(self.route_table(CALL, t)?);
            }
        }
        Ok(tables)
    }

    /// `DescribeVpcPeeringConnections` with these filters and ids, every page.
    async fn peerings(
        &self,
        resource: &str,
        filters: Vec<Filter>,
        ids: Vec<String>,
    ) -> AwsResult<Vec<Peering>> {
        const CALL: &str = "DescribeVpcPeeringConnections";
        let mut pages = self
            .client
            .describe_vpc_peering_connections()
            .set_filters(non_empty(filters))
            .set_vpc_peering_connection_ids(non_empty(ids))
            .into_paginator()
            .send();
        let mut peerings = Vec::new();
        while let Some(page) = pages.next().await {
            let page = self.calls.page(CALL, Some(resource), page)?;
            for p in page.vpc_peering_connections() {
                peerings.push(self.peering(CALL, p)?);
            }
        }
        Ok(peerings)
    }

    /// `DescribeSecurityGroups` with these filters and ids, every page.
    async fn security_groups(
        &self,
        resource: &str,
        filters: Vec<Filter>,
        ids: Vec<String>,
    ) -> AwsResult<Vec<SecurityGroup>> {
        const CALL: &str = "DescribeSecurityGroups";
        let mut pages = self
            .client
            .describe_security_groups()
            .set_filters(non_empty(filters))
            .set_group_ids(non_empty(ids))
            .into_paginator()
            .send();
        let mut groups = Vec::new();
        while let Some(page) = pages.next().await {
            let page = self.calls.page(CALL, Some(resource), page)?;
            for g in page.security_groups() {
                groups.push(self.security_group(CALL, g)?);
            }
        }
        Ok(groups)
    }
}

#[async_trait::async_trait]
impl Ec2 for SdkEc2 {
    async fn describe_vpc(&self, id: &VpcId) -> AwsResult<Option<Vpc>> {
        const CALL: &str = "DescribeVpcs";
        let mut pages = self
            .client
            .describe_vpcs()
            .vpc_ids(id.as_str())
            .into_paginator()
            .send();
        while let Some(page) = pages.next().await {
            let page = match self.calls.page(CALL, Some(id.as_str()), page) {
                Ok(page) => page,
                Err(e) => return or_absent(Err(e), None),
            };
            if let Some(v) = page.vpcs().first() {
                return self.vpc(CALL, v).map(Some);
            }
        }
        Ok(None)
    }

    async fn describe_subnets(&self, ids: &[SubnetId]) -> AwsResult<Vec<Subnet>> {
        if ids.is_empty() {
            return Ok(Vec::new());
        }
        let ids: Vec<String> = ids.iter().map(ToString::to_string).collect();
        self.subnets(&joined(&ids), Vec::new(), ids).await
    }

    async fn subnets_in_vpc(&self, vpc: &VpcId) -> AwsResult<Vec<Subnet>> {
        self.subnets(
            vpc.as_str(),
            vec![filter("vpc-id", vpc.as_str())],
            Vec::new(),
        )
        .await
    }

    async fn describe_instances(&self, ids: &[InstanceId]) -> AwsResult<Vec<Instance>> {
        const CALL: &str = "DescribeInstances";
        if ids.is_empty() {
            return Ok(Vec::new());
        }
        let ids: Vec<String> = ids.iter().map(ToString::to_string).collect();
        let resource = joined(&ids);
        let mut pages = self
            .client
            .describe_instances()
            .set_instance_ids(Some(ids))
            .into_paginator()
            .send();
        let mut instances = Vec::new();
        while let Some(page) = pages.next().await {
            let page = self.calls.page(CALL, Some(&resource), page)?;
            for i in page.reservations().iter().flat_map(|r| r.instances()) {
                instances.push(Instance {
                    id: self.calls.parse(
                        CALL,
                        "instance id",
                        i.instance_id(),
                        InstanceId::parse,
                    )?,
                    subnet_id: self.calls.parse_opt(
                        CALL,
                        "subnet id",
                        i.subnet_id(),
                        SubnetId::parse,
                    )?,
                    vpc_id: self
                        .calls
                        .parse_opt(CALL, "VPC id", i.vpc_id(), VpcId::parse)?,
                    instance_profile_arn: i
                        .iam_instance_profile()
                        .and_then(|p| p.arn())
                        .filter(|a| !a.is_empty())
                        .map(str::to_owned),
                });
            }
        }
        Ok(instances)
    }

    async fn route_tables_in_vpc(&self, vpc: &VpcId) -> AwsResult<Vec<RouteTable>> {
        self.route_tables(
            vpc.as_str(),
            vec![filter("vpc-id", vpc.as_str())],
            Vec::new(),
        )
        .await
    }

    async fn describe_route_tables(&self, ids: &[RouteTableId]) -> AwsResult<Vec<RouteTable>> {
        if ids.is_empty() {
            return Ok(Vec::new());
        }
        let ids: Vec<String> = ids.iter().map(ToString::to_string).collect();
        self.route_tables(&joined(&ids), Vec::new(), ids).await
    }

    async fn network_acls_in_vpc(&self, vpc: &VpcId) -> AwsResult<Vec<NetworkAcl>> {
        const CALL: &str = "DescribeNetworkAcls";
        let mut pages = self
            .client
            .describe_network_acls()
            .filters(filter("vpc-id", vpc.as_str()))
            .into_paginator()
            .send();
        let mut acls = Vec::new();
        while let Some(page) = pages.next().await {
            let page = self.calls.page(CALL, Some(vpc.as_str()), page)?;
            for acl in page.network_acls() {
                acls.push(self.network_acl(CALL, acl)?);
            }
        }
        Ok(acls)
    }

    async fn create_route(
        &self,
        table: &RouteTableId,
        destination: &Ipv4Cidr,
        peering: &PeeringId,
    ) -> AwsResult<()> {
        let request = self
            .client
            .create_route()
            .route_table_id(table.as_str())
            .destination_cidr_block(destination.to_string())
            .vpc_peering_connection_id(peering.as_str())
            .send();
        self.calls
            .send("CreateRoute", Some(table.as_str()), request)
            .await
            .map(drop)
    }

    async fn delete_route(&self, table: &RouteTableId, destination: &Ipv4Cidr) -> AwsResult<()> {
        let request = self
            .client
            .delete_route()
            .route_table_id(table.as_str())
            .destination_cidr_block(destination.to_string())
            .send();
        let result = self
            .calls
            .send("DeleteRoute", Some(table.as_str()), request)
            .await;
        // InvalidRoute.NotFound, or the whole table is gone: the route is gone either way.
        or_absent(result.map(drop), ())
    }

    async fn peerings_between(
        &self,
        requester: &VpcId,
        accepter: &VpcId,
    ) -> AwsResult<Vec<Peering>> {
        self.peerings(
            &format!("{requester}->{accepter}"),
            vec![
                filter("requester-vpc-info.vpc-id", requester.as_str()),
                filter("accepter-vpc-info.vpc-id", accepter.as_str()),
            ],
            Vec::new(),
        )
        .await
    }

    async fn describe_peering(&self, id: &PeeringId) -> AwsResult<Option<Peering>> {
        let found = self
            .peerings(id.as_str(), Vec::new(), vec![id.to_string()])
            .await
            .map(|p| p.into_iter().find(|p| &p.id == id));
        or_absent(found, None)
    }

    async fn create_peering(&self, peering: &NewPeering) -> AwsResult<Peering> {
        const CALL: &str = "CreateVpcPeeringConnection";
        let resource = format!("{}->{}", peering.requester_vpc, peering.accepter_vpc);
        let request = self
            .client
            .create_vpc_peering_connection()
            .vpc_id(peering.requester_vpc.as_str())
            .peer_vpc_id(peering.accepter_vpc.as_str())
            .peer_owner_id(peering.accepter_owner.as_str())
            .peer_region(peering.accepter_region.as_str())
            .set_tag_specifications(
                tag_specification(ResourceType::VpcPeeringConnection, &peering.tags)
                    .map(|t| vec![t]),
            )
            .send();
        let out = self.calls.send(CALL, Some(&resource), request).await?;
        let created = out.vpc_peering_connection().ok_or_else(|| {
            self.calls
                .bad_response(CALL, Some(&resource), "no peering connection")
        })?;
        self.peering(CALL, created)
    }

    async fn accept_peering(&self, id: &PeeringId) -> AwsResult<()> {
        let request = self
            .client
            .accept_vpc_peering_connection()
            .vpc_peering_connection_id(id.as_str())
            .send();
        self.calls
            .send("AcceptVpcPeeringConnection", Some(id.as_str()), request)
            .await
            .map(drop)
    }

    async fn set_accepter_remote_dns(&self, id: &PeeringId, allow: bool) -> AwsResult<()> {
        let request = self
            .client
            .modify_vpc_peering_connection_options()
            .vpc_peering_connection_id(id.as_str())
            .accepter_peering_connection_options(
                PeeringConnectionOptionsRequest::builder()
                    .allow_dns_resolution_from_remote_vpc(allow)
                    .build(),
            )
            .send();
        self.calls
            .send(
                "ModifyVpcPeeringConnectionOptions",
                Some(id.as_str()),
                request,
            )
            .await
            .map(drop)
    }

    async fn delete_peering(&self, id: &PeeringId) -> AwsResult<()> {
        let request = self
            .client
            .delete_vpc_peering_connection()
            .vpc_peering_connection_id(id.as_str())
            .send();
        let result = self
            .calls
            .send("DeleteVpcPeeringConnection", Some(id.as_str()), request)
            .await;
        match or_absent(result.map(drop), ()) {
            // AWS refuses to delete a peering that is already deleted, rejected or failed (it
            // stays visible for a while): it is gone, which is what the caller wants.
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
        let groups = self
            .security_groups(
                &format!("{vpc}/{name}"),
                vec![filter("vpc-id", vpc.as_str()), filter("group-name", name)],
                Vec::new(),
            )
            .await?;
        Ok(groups.into_iter().find(|g| g.name == name))
    }

    async fn describe_security_group(
        &self,
        id: &SecurityGroupId,
    ) -> AwsResult<Option<SecurityGroup>> {
        let found = self
            .security_groups(id.as_str(), Vec::new(), vec![id.to_string()])
            .await
            .map(|g| g.into_iter().find(|g| &g.id == id));
        or_absent(found, None)
    }

    async fn create_security_group(&self, group: &NewSecurityGroup) -> AwsResult<SecurityGroupId> {
        const CALL: &str = "CreateSecurityGroup";
        let resource = format!("{}/{}", group.vpc_id, group.name);
        let request = self
            .client
            .create_security_group()
            .vpc_id(group.vpc_id.as_str())
            .group_name(&group.name)
            .description(&group.description)
            .set_tag_specifications(
                tag_specification(ResourceType::SecurityGroup, &group.tags).map(|t| vec![t]),
            )
            .send();
        let out = self.calls.send(CALL, Some(&resource), request).await?;
        self.calls.parse(
            CALL,
            "security group id",
            out.group_id(),
            SecurityGroupId::parse,
        )
    }

    async fn allow_tcp_ingress(
        &self,
        group: &SecurityGroupId,
        port: i32,
        source: &Ipv4Cidr,
        description: &str,
    ) -> AwsResult<()> {
        let range = IpRange::builder()
            .cidr_ip(source.to_string())
            .description(description)
            .build();
        let permission = IpPermission::builder()
            .ip_protocol("tcp")
            .from_port(port)
            .to_port(port)
            .ip_ranges(range)
            .build();
        let request = self
            .client
            .authorize_security_group_ingress()
            .group_id(group.as_str())
            .ip_permissions(permission)
            .send();
        match self
            .calls
            .send(
                "AuthorizeSecurityGroupIngress",
                Some(group.as_str()),
                request,
            )
            .await
        {
            Err(e) if e.is_code("InvalidPermission.Duplicate") => Ok(()),
            other => other.map(drop),
        }
    }

    async fn delete_security_group(&self, id: &SecurityGroupId) -> AwsResult<()> {
        let request = self
            .client
            .delete_security_group()
            .group_id(id.as_str())
            .send();
        let result = self
            .calls
            .send("DeleteSecurityGroup", Some(id.as_str()), request)
            .await;
        or_absent(result.map(drop), ())
    }
}
