//! Each adapter against moto, one concern per test, each in accounts of its own.

use xefs_aws::ports::{
    Ec2, Efs, Iam, LifeCycle, NewFileSystem, NewPeering, NewPolicy, NewRole, NewSecurityGroup,
    PeeringStatus, RouteTarget, Sts, Tags,
};
use xefs_aws::{AccountRole, CallCount, ProviderError};
use xefs_core::iam::PolicyDocument;
use xefs_core::ids::{
    AzId, FileSystemId, IamName, Ipv4Cidr, MountTargetId, PeeringId, RouteTableId, SecurityGroupId,
    VpcId,
};
use xefs_core::spec::{PerformanceMode, ThroughputMode};

use crate::support::{self, Moto, Ports, TwoAccountWorld, WorldOptions};

type TestResult = Result<(), Box<dyn std::error::Error>>;

fn stack_tags(stack: &str) -> Tags {
    [("xefs:stack".to_owned(), stack.to_owned())].into()
}

fn document(json: &str) -> PolicyDocument {
    PolicyDocument::parse(json).expect("test documents are valid")
}

fn read_policy(resource: &str) -> PolicyDocument {
    document(&format!(
        r#"{{"Version":"2012-10-17","Statement":[{{"Effect":"Allow","Action":["elasticfilesystem:DescribeMountTargets"],"Resource":"{resource}"}}]}}"#
    ))
}

fn trust(principal: &str) -> PolicyDocument {
    document(&format!(
        r#"{{"Version":"2012-10-17","Statement":[{{"Effect":"Allow","Principal":{{"AWS":"{principal}"}},"Action":"sts:AssumeRole"}}]}}"#
    ))
}

fn world_without_workers() -> impl std::future::Future<Output = TwoAccountWorld> {
    TwoAccountWorld::build_on(Moto::shared(), WorldOptions { workers: false })
}

// ---------------------------------------------------------------------------------------------
// The harness itself

#[tokio::test]
async fn the_world_is_built_as_documented() -> TestResult {
    let moto = Moto::shared();
    let world = TwoAccountWorld::build().await;
    let zones: Vec<AzId> = ["use1-az1", "use1-az2", "use1-az6"]
        .into_iter()
        .map(AzId::parse)
        .collect::<Result<_, _>>()?;
    assert_eq!(
        world.cluster.az_ids().into_iter().collect::<Vec<_>>(),
        zones
    );
    assert_eq!(
        world.storage.az_ids().into_iter().collect::<Vec<_>>(),
        zones
    );
    let az6 = AzId::parse("use1-az6")?;
    assert_eq!(world.cluster.subnets_in(&az6).len(), 2);
    assert_eq!(world.storage.subnets_in(&az6).len(), 1);
    // moto maps zone names to ids the same way in every account.
    for s in world.cluster.subnets.iter().chain(&world.storage.subnets) {
        let expected = match s.az_id.as_str() {
            "use1-az6" => "us-east-1a",
            "use1-az1" => "us-east-1b",
            _ => "us-east-1c",
        };
        assert_eq!(s.az_name, expected, "{s:?}");
    }
    // Only the second subnet of A is on the explicit table.
    let explicit = world
        .cluster
        .explicit_route_table
        .clone()
        .expect("A has one");
    let tables: Vec<_> = world
        .cluster
        .subnets
        .iter()
        .map(|s| &s.route_table)
        .collect();
    let main = &world.cluster.main_route_table;
    assert_eq!(tables, [main, &explicit, main, main]);
    assert!(world.storage.explicit_route_table.is_none());
    assert_eq!(world.workers.len(), world.cluster.subnets.len());
    assert_ne!(world.cluster.id, world.storage.id);

    let stats = xefs_aws::CallStats::new();
    let a = world
        .cluster
        .account(moto, AccountRole::Cluster, &stats)
        .await;
    let b = world
        .storage
        .account(moto, AccountRole::Storage, &stats)
        .await;
    xefs_aws::AwsAccounts {
        cluster: a,
        storage: b,
    }
    .verify_identities()
    .await?;
    assert_eq!(stats.total().reads, 2);
    Ok(())
}

// ---------------------------------------------------------------------------------------------
// IAM

#[tokio::test]
async fn iam_policy_versions_from_create_to_delete() -> TestResult {
    let p = support::fresh_ports(Moto::shared()).await;
    let name = IamName::parse("xefs-csi")?;
    let v1 = read_policy("*");
    let arn = p
        .iam
        .create_policy(&NewPolicy {
            name: name.clone(),
            document: v1.clone(),
            tags: stack_tags("demo"),
        })
        .await?;
    assert_eq!(
        arn.as_str(),
        format!("arn:aws:iam::{}:policy/xefs-csi", p.id)
    );

    let policy = p.iam.get_policy(&arn).await?.expect("the policy exists");
    assert_eq!(policy.arn, arn);
    assert_eq!(policy.default_version_id, "v1");
    assert_eq!(policy.tags, stack_tags("demo"));
    assert!(p.iam.get_policy_document(&arn, "v1").await?.equivalent(&v1));

    let v2 = read_policy(&format!(
        "arn:aws:elasticfilesystem:us-east-1:{}:file-system/*",
        p.id
    ));
    assert_eq!(p.iam.create_default_policy_version(&arn, &v2).await?, "v2");
    let versions = p.iam.list_policy_versions(&arn).await?;
    let summary: Vec<(&str, bool)> = versions
        .iter()
        .map(|v| (v.id.as_str(), v.is_default))
        .collect();
    assert_eq!(summary, [("v1", false), ("v2", true)]);
    assert!(
        versions.iter().all(|v| v.created.contains('T')),
        "{versions:?}"
    );
    assert!(p.iam.get_policy_document(&arn, "v2").await?.equivalent(&v2));

    p.iam.delete_policy_version(&arn, "v1").await?;
    p.iam.delete_policy_version(&arn, "v1").await?; // already gone: success
    assert_eq!(p.iam.list_policy_versions(&arn).await?.len(), 1);
    p.iam.delete_policy(&arn).await?;
    assert_eq!(p.iam.get_policy(&arn).await?, None);
    p.iam.delete_policy(&arn).await?; // already gone: success
    Ok(())
}

#[tokio::test]
async fn iam_role_trust_is_decoded_and_updated() -> TestResult {
    let p = support::fresh_ports(Moto::shared()).await;
    let name = IamName::parse("cross-account-efs-role")?;
    assert!(p.iam.get_role(&name).await?.is_none());

    let first = trust("arn:aws:iam::111111111111:root");
    let arn = p
        .iam
        .create_role(&NewRole {
            name: name.clone(),
            trust: first.clone(),
            description: "EFS access for cluster A".into(),
            tags: stack_tags("demo"),
        })
        .await?;
    assert_eq!(
        arn.as_str(),
        format!("arn:aws:iam::{}:role/cross-account-efs-role", p.id)
    );

    let role = p.iam.get_role(&name).await?.expect("the role exists");
    assert_eq!(
        (role.name.clone(), role.arn.clone()),
        (name.clone(), arn.clone())
    );
    // moto, like IAM, returns the trust percent-encoded; the adapter decodes it.
    assert!(role.trust.equivalent(&first), "{}", role.trust);
    assert_eq!(
        role.description.as_deref(),
        Some("EFS access for cluster A")
    );
    assert_eq!(role.tags, stack_tags("demo"));

    let second = trust("arn:aws:iam::111111111111:role/csi-driver");
    p.iam.update_trust(&name, &second).await?;
    let role = p.iam.get_role(&name).await?.expect("the role exists");
    assert!(role.trust.equivalent(&second), "{}", role.trust);

    p.iam.delete_role(&name).await?;
    assert!(p.iam.get_role(&name).await?.is_none());
    p.iam.delete_role(&name).await?; // already gone: success
    Ok(())
}

#[tokio::test]
async fn iam_attachments_are_idempotent_both_ways() -> TestResult {
    let p = support::fresh_ports(Moto::shared()).await;
    let role = IamName::parse("csi-driver")?;
    p.iam
        .create_role(&NewRole {
            name: role.clone(),
            trust: trust("arn:aws:iam::111111111111:root"),
            description: "test".into(),
            tags: Tags::new(),
        })
        .await?;
    let policy = p
        .iam
        .create_policy(&NewPolicy {
            name: IamName::parse("csi-policy")?,
            document: read_policy("*"),
            tags: Tags::new(),
        })
        .await?;

    assert!(p.iam.attached_policies(&role).await?.is_empty());
    p.iam.attach_policy(&role, &policy).await?;
    p.iam.attach_policy(&role, &policy).await?; // IAM's attach is idempotent
    assert_eq!(
        p.iam.attached_policies(&role).await?,
        std::slice::from_ref(&policy)
    );
    p.iam.detach_policy(&role, &policy).await?;
    assert!(p.iam.attached_policies(&role).await?.is_empty());
    p.iam.detach_policy(&role, &policy).await?; // not attached: success

    let missing = IamName::parse("no-such-role")?;
    assert!(p.iam.attached_policies(&missing).await?.is_empty());
    p.iam.detach_policy(&missing, &policy).await?;
    assert!(
        p.iam
            .instance_profile_roles("no-such-profile")
            .await?
            .is_empty()
    );
    Ok(())
}

#[tokio::test]
async fn iam_discovery_finds_the_oidc_provider_and_the_workers_role() -> TestResult {
    let world = TwoAccountWorld::build().await;
    let a = world.cluster.ports();
    assert_eq!(
        a.iam.oidc_providers().await?,
        std::slice::from_ref(&world.oidc_provider_arn)
    );
    assert_eq!(
        world.oidc_provider_arn.as_str(),
        format!(
            "arn:aws:iam::{}:oidc-provider/oidc.example.com/abc123",
            world.cluster.id
        )
    );
    let role = world.workers.first().map(|w| w.role_arn.clone());
    assert_eq!(
        a.iam
            .instance_profile_roles(support::world::WORKER_PROFILE)
            .await?,
        role.into_iter().collect::<Vec<_>>()
    );
    // B has no OIDC provider: accounts are separate.
    assert!(world.storage.ports().iam.oidc_providers().await?.is_empty());
    Ok(())
}

// ---------------------------------------------------------------------------------------------
// EC2

#[tokio::test]
async fn ec2_describes_vpcs_subnets_and_instances() -> TestResult {
    let world = TwoAccountWorld::build().await;
    let a = world.cluster.ports();

    let vpc = a
        .ec2
        .describe_vpc(&world.cluster.vpc_id)
        .await?
        .expect("A's VPC");
    assert_eq!(vpc.owner, world.cluster.id);
    assert_eq!(vpc.cidr, world.cluster.vpc_cidr);
    assert_eq!(vpc.cidrs, [world.cluster.vpc_cidr]);
    // B's VPC is not A's to see, and an unknown id is simply absent.
    assert_eq!(a.ec2.describe_vpc(&world.storage.vpc_id).await?, None);
    assert_eq!(
        a.ec2.describe_vpc(&VpcId::parse("vpc-0a1b2c3d")?).await?,
        None
    );

    let mut subnets = a.ec2.subnets_in_vpc(&world.cluster.vpc_id).await?;
    subnets.sort_by_key(|s| s.cidr.to_string());
    let seen: Vec<(String, &str, &str)> = subnets
        .iter()
        .map(|s| (s.cidr.to_string(), s.az_name.as_str(), s.az_id.as_str()))
        .collect();
    assert_eq!(
        seen,
        [
            ("10.0.1.0/24".to_owned(), "us-east-1a", "use1-az6"),
            ("10.0.2.0/24".to_owned(), "us-east-1a", "use1-az6"),
            ("10.0.3.0/24".to_owned(), "us-east-1b", "use1-az1"),
            ("10.0.4.0/24".to_owned(), "us-east-1c", "use1-az2"),
        ]
    );
    assert!(subnets.iter().all(|s| s.vpc_id == world.cluster.vpc_id));
    let by_id = a
        .ec2
        .describe_subnets(&world.cluster.subnet_ids()[..2])
        .await?;
    assert_eq!(by_id.len(), 2);
    assert!(a.ec2.describe_subnets(&[]).await?.is_empty());

    let ids: Vec<_> = world
        .workers
        .iter()
        .map(|w| w.instance_id.clone())
        .collect();
    let instances = a.ec2.describe_instances(&ids).await?;
    assert_eq!(instances.len(), world.workers.len());
    for worker in &world.workers {
        let i = instances
            .iter()
            .find(|i| i.id == worker.instance_id)
            .expect("every worker is described");
        assert_eq!(i.subnet_id.as_ref(), Some(&worker.subnet_id));
        assert_eq!(i.vpc_id.as_ref(), Some(&world.cluster.vpc_id));
        assert_eq!(
            i.instance_profile_arn.as_deref(),
            Some(worker.instance_profile_arn.as_str())
        );
    }
    assert!(a.ec2.describe_instances(&[]).await?.is_empty());
    Ok(())
}

#[tokio::test]
async fn ec2_route_tables_show_the_main_flag_and_associations() -> TestResult {
    let world = world_without_workers().await;
    let a = world.cluster.ports();
    let tables = a.ec2.route_tables_in_vpc(&world.cluster.vpc_id).await?;
    assert_eq!(tables.len(), 2, "{tables:?}");

    let main = tables.iter().find(|t| t.main).expect("a main table");
    assert_eq!(main.id, world.cluster.main_route_table);
    // moto, like EC2, lists no subnet on the main table: implicit subnets have no association.
    assert!(main.subnets.is_empty(), "{main:?}");
    let local = main
        .routes
        .iter()
        .find(|r| r.destination == world.cluster.vpc_cidr);
    assert_eq!(
        local.map(|r| &r.target),
        Some(&RouteTarget::Other("local".into()))
    );

    let explicit_id = world
        .cluster
        .explicit_route_table
        .clone()
        .expect("A has one");
    let explicit = tables
        .iter()
        .find(|t| t.id == explicit_id)
        .expect("the explicit table is listed");
    assert!(!explicit.main);
    assert_eq!(explicit.subnets, [world.cluster.subnets[1].id.clone()]);

    let by_id = a
        .ec2
        .describe_route_tables(std::slice::from_ref(&explicit_id))
        .await?;
    assert_eq!(by_id, std::slice::from_ref(explicit));
    assert!(a.ec2.describe_route_tables(&[]).await?.is_empty());
    Ok(())
}

#[tokio::test]
async fn ec2_peering_across_accounts_then_routes_to_it() -> TestResult {
    let world = world_without_workers().await;
    let (a, b) = (world.cluster.ports(), world.storage.ports());
    let request = NewPeering {
        requester_vpc: world.cluster.vpc_id.clone(),
        accepter_vpc: world.storage.vpc_id.clone(),
        accepter_owner: world.storage.id.clone(),
        accepter_region: support::region(),
        tags: stack_tags("demo"),
    };
    assert!(
        a.ec2
            .peerings_between(&request.requester_vpc, &request.accepter_vpc)
            .await?
            .is_empty()
    );

    let created = a.ec2.create_peering(&request).await?;
    assert_eq!(created.requester_owner, world.cluster.id);
    assert_eq!(created.accepter_owner, world.storage.id);
    assert_eq!(created.accepter_vpc, world.storage.vpc_id);
    assert_eq!(created.tags, stack_tags("demo"));
    assert!(matches!(
        created.status,
        PeeringStatus::Initiating | PeeringStatus::PendingAcceptance
    ));
    let between = a
        .ec2
        .peerings_between(&request.requester_vpc, &request.accepter_vpc)
        .await?;
    assert_eq!(
        between.iter().map(|p| &p.id).collect::<Vec<_>>(),
        [&created.id]
    );

    // B sees the request and accepts it with its own credentials.
    let seen_by_b = b
        .ec2
        .describe_peering(&created.id)
        .await?
        .expect("visible in B");
    assert_eq!(seen_by_b.status, PeeringStatus::PendingAcceptance);
    b.ec2.accept_peering(&created.id).await?;
    let active = a
        .ec2
        .describe_peering(&created.id)
        .await?
        .expect("still there");
    assert_eq!(active.status, PeeringStatus::Active);
    assert!(!active.accepter_allows_remote_dns);
    b.ec2.set_accepter_remote_dns(&created.id, true).await?;
    let with_dns = a
        .ec2
        .describe_peering(&created.id)
        .await?
        .expect("still there");
    assert!(with_dns.accepter_allows_remote_dns);

    // A route in A's main table to B's CIDR through the peering.
    let table = world.cluster.main_route_table.clone();
    a.ec2
        .create_route(&table, &world.storage.vpc_cidr, &created.id)
        .await?;
    let routes = &a
        .ec2
        .describe_route_tables(std::slice::from_ref(&table))
        .await?[0]
        .routes;
    let to_b = routes
        .iter()
        .find(|r| r.destination == world.storage.vpc_cidr)
        .expect("the new route");
    assert_eq!(to_b.target, RouteTarget::Peering(created.id.clone()));
    assert!(!to_b.blackhole);
    let again = a
        .ec2
        .create_route(&table, &world.storage.vpc_cidr, &created.id)
        .await
        .expect_err("an identical route already exists");
    assert!(!again.retryable, "{again:?}");

    a.ec2.delete_route(&table, &world.storage.vpc_cidr).await?;
    a.ec2.delete_route(&table, &world.storage.vpc_cidr).await?; // already gone
    let routes = &a.ec2.describe_route_tables(&[table]).await?[0].routes;
    assert!(
        routes
            .iter()
            .all(|r| r.destination != world.storage.vpc_cidr)
    );

    a.ec2.delete_peering(&created.id).await?;
    let after = a.ec2.describe_peering(&created.id).await?;
    assert!(
        after
            .as_ref()
            .is_none_or(|p| matches!(p.status, PeeringStatus::Gone(_))),
        "{after:?}"
    );
    a.ec2.delete_peering(&created.id).await?; // already gone: success
    assert_eq!(
        a.ec2
            .describe_peering(&PeeringId::parse("pcx-0a1b2c3d")?)
            .await?,
        None
    );
    Ok(())
}

#[tokio::test]
async fn ec2_security_group_rules_are_idempotent() -> TestResult {
    let world = world_without_workers().await;
    let b = world.storage.ports();
    let vpc = world.storage.vpc_id.clone();
    assert_eq!(
        b.ec2.find_security_group(&vpc, "xefs-efs-demo").await?,
        None
    );

    let id = b
        .ec2
        .create_security_group(&NewSecurityGroup {
            vpc_id: vpc.clone(),
            name: "xefs-efs-demo".into(),
            description: "NFS from cluster A".into(),
            tags: stack_tags("demo"),
        })
        .await?;
    let found = b
        .ec2
        .find_security_group(&vpc, "xefs-efs-demo")
        .await?
        .expect("found by name");
    assert_eq!(found.id, id);
    assert_eq!(found.vpc_id, vpc);
    assert_eq!(found.tags, stack_tags("demo"));
    assert!(found.ingress.is_empty(), "{found:?}");

    let a_cidr = world.cluster.vpc_cidr;
    b.ec2
        .allow_tcp_ingress(&id, 2049, &a_cidr, "NFS from A")
        .await?;
    b.ec2
        .allow_tcp_ingress(&id, 2049, &a_cidr, "NFS from A")
        .await?; // duplicate: success
    let group = b.ec2.describe_security_group(&id).await?.expect("exists");
    assert_eq!(group.ingress.len(), 1, "{group:?}");
    let rule = &group.ingress[0];
    assert_eq!(
        (rule.protocol.as_str(), rule.from_port, rule.to_port),
        ("tcp", Some(2049), Some(2049))
    );
    assert_eq!(rule.cidrs, [a_cidr]);

    b.ec2.delete_security_group(&id).await?;
    assert_eq!(b.ec2.describe_security_group(&id).await?, None);
    b.ec2.delete_security_group(&id).await?; // already gone: success
    assert_eq!(
        b.ec2
            .describe_security_group(&SecurityGroupId::parse("sg-0a1b2c3d")?)
            .await?,
        None
    );
    Ok(())
}

#[tokio::test]
async fn ec2_network_acls_show_the_default_flag_associations_and_ipv4_entries() -> TestResult {
    use aws_sdk_ec2::types::{PortRange, RuleAction};
    let world = world_without_workers().await;
    let b = world.storage.ports();
    let vpc = world.storage.vpc_id.clone();

    // A new VPC has one default ACL allowing everything both ways, before the final deny; each
    // subnet is associated with it.
    let acls = b.ec2.network_acls_in_vpc(&vpc).await?;
    let [default] = acls.as_slice() else {
        return Err(format!("expected the default ACL only: {acls:?}").into());
    };
    assert!(default.default);
    assert_eq!(default.vpc_id, vpc);
    let mut subnets = default.subnets.clone();
    subnets.sort();
    let mut expected = world.storage.subnet_ids();
    expected.sort();
    assert_eq!(subnets, expected);
    let mut rules: Vec<_> = default
        .entries
        .iter()
        .map(|e| (e.egress, e.rule_number, e.protocol.as_str(), e.allow))
        .collect();
    rules.sort();
    assert_eq!(
        rules,
        [
            (false, 100, "-1", true),
            (false, 32767, "-1", false),
            (true, 100, "-1", true),
            (true, 32767, "-1", false),
        ]
    );
    assert!(
        default
            .entries
            .iter()
            .all(|e| e.port_range.is_none()
                && e.cidr == Ipv4Cidr::parse("0.0.0.0/0").expect("valid"))
    );

    // A custom ACL with a TCP range, an IPv6 entry (left out) and one subnet moved onto it.
    let ec2 = world.storage.ec2();
    let created = ec2.create_network_acl().vpc_id(vpc.as_str()).send().await?;
    let acl_id = created
        .network_acl()
        .and_then(|a| a.network_acl_id())
        .ok_or("CreateNetworkAcl returns an id")?
        .to_owned();
    ec2.create_network_acl_entry()
        .network_acl_id(&acl_id)
        .rule_number(110)
        .protocol("6")
        .rule_action(RuleAction::Allow)
        .egress(false)
        .cidr_block(world.cluster.vpc_cidr.to_string())
        .port_range(PortRange::builder().from(2049).to(2049).build())
        .send()
        .await?;
    ec2.create_network_acl_entry()
        .network_acl_id(&acl_id)
        .rule_number(120)
        .protocol("-1")
        .rule_action(RuleAction::Deny)
        .egress(true)
        .ipv6_cidr_block("::/0")
        .send()
        .await?;
    let moved = world.storage.subnets[0].id.clone();
    let association = ec2
        .describe_network_acls()
        .filters(
            aws_sdk_ec2::types::Filter::builder()
                .name("association.subnet-id")
                .values(moved.as_str())
                .build(),
        )
        .send()
        .await?
        .network_acls()
        .iter()
        .flat_map(|a| a.associations())
        .find(|a| a.subnet_id() == Some(moved.as_str()))
        .and_then(|a| a.network_acl_association_id())
        .ok_or("the subnet's association")?
        .to_owned();
    ec2.replace_network_acl_association()
        .association_id(association)
        .network_acl_id(&acl_id)
        .send()
        .await?;

    let acls = b.ec2.network_acls_in_vpc(&vpc).await?;
    assert_eq!(acls.len(), 2, "{acls:?}");
    let custom = acls
        .iter()
        .find(|a| a.id == acl_id)
        .ok_or("the custom ACL is listed")?;
    assert!(!custom.default);
    assert_eq!(custom.subnets, std::slice::from_ref(&moved));
    assert_eq!(custom.entries.len(), 1, "{custom:?}");
    let entry = &custom.entries[0];
    assert_eq!(
        (
            entry.rule_number,
            entry.egress,
            entry.protocol.as_str(),
            entry.port_range,
            entry.cidr,
            entry.allow
        ),
        (
            110,
            false,
            "6",
            Some((2049, 2049)),
            world.cluster.vpc_cidr,
            true
        )
    );
    let default = acls.iter().find(|a| a.default).ok_or("the default ACL")?;
    assert!(!default.subnets.contains(&moved), "{default:?}");
    assert_eq!(b.stats.by_call()["ec2:DescribeNetworkAcls"], 2);
    // Another VPC's ACLs (or an unknown VPC's) are not listed.
    assert!(
        b.ec2
            .network_acls_in_vpc(&VpcId::parse("vpc-0a1b2c3d")?)
            .await?
            .is_empty()
    );
    Ok(())
}

#[tokio::test]
async fn ec2_security_groups_list_their_egress_rules() -> TestResult {
    let world = world_without_workers().await;
    let b = world.storage.ports();
    let id = b
        .ec2
        .create_security_group(&NewSecurityGroup {
            vpc_id: world.storage.vpc_id.clone(),
            name: "xefs-egress-demo".into(),
            description: "egress".into(),
            tags: stack_tags("demo"),
        })
        .await?;
    let group = b.ec2.describe_security_group(&id).await?.ok_or("exists")?;
    // A new group lets everything out, as in EC2.
    assert_eq!(group.egress.len(), 1, "{group:?}");
    let rule = &group.egress[0];
    assert_eq!(rule.protocol, "-1");
    assert_eq!(rule.cidrs, [Ipv4Cidr::parse("0.0.0.0/0")?]);
    assert!(group.ingress.is_empty());
    Ok(())
}

// ---------------------------------------------------------------------------------------------
// EFS

fn new_file_system(token: &str) -> NewFileSystem {
    NewFileSystem {
        creation_token: token.into(),
        performance_mode: PerformanceMode::GeneralPurpose,
        throughput_mode: ThroughputMode::Elastic,
        provisioned_throughput_mibps: None,
        encrypted: true,
        kms_key_id: None,
        one_zone_az_name: None,
        tags: stack_tags(token),
    }
}

#[tokio::test]
async fn efs_file_systems_are_found_by_creation_token() -> TestResult {
    let p = support::fresh_ports(Moto::shared()).await;
    assert_eq!(p.efs.file_system_by_token("demo").await?, None);

    let fs = p.efs.create_file_system(&new_file_system("demo")).await?;
    assert_eq!(fs.creation_token, "demo");
    assert_eq!(fs.life_cycle, LifeCycle::Available); // moto: no `creating` state
    assert_eq!(
        (fs.performance_mode, fs.throughput_mode, fs.encrypted),
        (
            PerformanceMode::GeneralPurpose,
            ThroughputMode::Elastic,
            true
        )
    );
    assert_eq!((fs.mount_targets, fs.one_zone_az_id.clone()), (0, None));
    assert_eq!(fs.tags, stack_tags("demo"));

    let found = p.efs.file_system_by_token("demo").await?.expect("found");
    assert_eq!(found.id, fs.id);
    // A second create with the same token is the same file system (FileSystemAlreadyExists).
    assert_eq!(
        p.efs.create_file_system(&new_file_system("demo")).await?.id,
        fs.id
    );
    assert_eq!(
        p.efs.describe_file_system(&fs.id).await?.map(|f| f.id),
        Some(fs.id.clone())
    );
    assert_eq!(
        p.efs
            .describe_file_system(&FileSystemId::parse("fs-0a1b2c3d")?)
            .await?,
        None
    );

    p.efs.delete_file_system(&fs.id).await?;
    assert_eq!(p.efs.describe_file_system(&fs.id).await?, None);
    p.efs.delete_file_system(&fs.id).await?; // already gone: success
    Ok(())
}

#[tokio::test]
async fn efs_one_zone_file_systems_report_their_zone_id() -> TestResult {
    let p = support::fresh_ports(Moto::shared()).await;
    let fs = p
        .efs
        .create_file_system(&NewFileSystem {
            one_zone_az_name: Some("us-east-1b".into()),
            throughput_mode: ThroughputMode::Bursting,
            ..new_file_system("one-zone")
        })
        .await?;
    assert_eq!(fs.one_zone_az_id, Some(AzId::parse("use1-az1")?));
    assert_eq!(fs.throughput_mode, ThroughputMode::Bursting);
    Ok(())
}

#[tokio::test]
async fn efs_mount_targets_with_their_security_groups() -> TestResult {
    let world = world_without_workers().await;
    let b = world.storage.ports();
    let fs = b.efs.create_file_system(&new_file_system("mt")).await?;
    let group = |name: &str| NewSecurityGroup {
        vpc_id: world.storage.vpc_id.clone(),
        name: name.into(),
        description: "test".into(),
        tags: Tags::new(),
    };
    let sg1 = b.ec2.create_security_group(&group("first")).await?;
    let sg2 = b.ec2.create_security_group(&group("second")).await?;
    let subnet = world.storage.subnets[1].clone();

    assert!(b.efs.mount_targets(&fs.id).await?.is_empty());
    let target = b
        .efs
        .create_mount_target(&fs.id, &subnet.id, std::slice::from_ref(&sg1))
        .await?;
    assert_eq!(target.file_system_id, fs.id);
    assert_eq!(target.subnet_id, subnet.id);
    assert_eq!(target.vpc_id.as_ref(), Some(&world.storage.vpc_id));
    assert_eq!(target.az_id.as_ref(), Some(&subnet.az_id));
    assert_eq!(target.life_cycle, LifeCycle::Available);
    let ip = target.ip_address.clone().expect("an address");
    let ip_net = Ipv4Cidr::parse(&format!("{ip}/32"))?;
    assert!(subnet.cidr.contains(&ip_net), "{ip} in {}", subnet.cidr);

    assert_eq!(
        b.efs.mount_targets(&fs.id).await?,
        std::slice::from_ref(&target)
    );
    // Read back independently of the adapter, with a raw client.
    let raw = world
        .storage
        .efs()
        .describe_mount_targets()
        .file_system_id(fs.id.as_str())
        .send()
        .await?;
    assert_eq!(raw.mount_targets()[0].mount_target_id(), target.id.as_str());
    assert_eq!(b.efs.mount_target_security_groups(&target.id).await?, [sg1]);
    b.efs
        .set_mount_target_security_groups(&target.id, std::slice::from_ref(&sg2))
        .await?;
    assert_eq!(b.efs.mount_target_security_groups(&target.id).await?, [sg2]);

    b.efs.delete_mount_target(&target.id).await?;
    assert!(b.efs.mount_targets(&fs.id).await?.is_empty());
    b.efs.delete_mount_target(&target.id).await?; // already gone: success
    let unknown = MountTargetId::parse("fsmt-0a1b2c3d")?;
    assert!(
        b.efs
            .mount_target_security_groups(&unknown)
            .await?
            .is_empty()
    );
    assert!(
        b.efs
            .mount_targets(&FileSystemId::parse("fs-0a1b2c3d")?)
            .await?
            .is_empty()
    );
    Ok(())
}

#[tokio::test]
async fn efs_file_system_policy_round_trips() -> TestResult {
    let p = support::fresh_ports(Moto::shared()).await;
    let fs = p.efs.create_file_system(&new_file_system("policy")).await?;
    assert_eq!(p.efs.file_system_policy(&fs.id).await?, None);

    let policy = document(&format!(
        r#"{{"Version":"2012-10-17","Statement":[{{"Effect":"Allow","Principal":{{"AWS":"arn:aws:iam::111111111111:role/csi"}},"Action":["elasticfilesystem:ClientMount","elasticfilesystem:ClientWrite"],"Resource":"arn:aws:elasticfilesystem:us-east-1:{}:file-system/{}","Condition":{{"Bool":{{"aws:SecureTransport":"true"}}}}}}]}}"#,
        p.id, fs.id
    ));
    p.efs.put_file_system_policy(&fs.id, &policy).await?;
    let read = p.efs.file_system_policy(&fs.id).await?.expect("a policy");
    assert!(read.equivalent(&policy), "{read}");
    Ok(())
}

// ---------------------------------------------------------------------------------------------
// STS, accounts, call counts

#[tokio::test]
async fn sts_reports_the_test_account() -> TestResult {
    let moto = Moto::shared();
    let id = support::fresh_account_id();
    let p = Ports::new(&support::sdk_config(moto, &id).await, &id);
    let me = p.sts.caller_identity().await?;
    assert_eq!(me.account, id);
    assert_eq!(me.arn.account(), Some(id.clone()));
    assert!(
        me.arn
            .resource()
            .starts_with(&format!("assumed-role/{}/", support::TEST_ROLE)),
        "{}",
        me.arn
    );

    let account = support::account(moto, &id).await;
    assert_eq!(
        account.verify_identity(AccountRole::Cluster).await?.account,
        id
    );
    Ok(())
}

#[tokio::test]
async fn credentials_of_another_account_are_refused() -> TestResult {
    let moto = Moto::shared();
    let (expected, actual) = (support::fresh_account_id(), support::fresh_account_id());
    let account = xefs_aws::sdk::connect_account(
        AccountRole::Storage,
        expected.clone(),
        &support::region(),
        &support::credentials(moto, &actual).await,
        &support::options(moto),
    )
    .await?;
    match account.verify_identity(AccountRole::Storage).await {
        Err(ProviderError::WrongAccount {
            role,
            expected: e,
            actual: a,
            ..
        }) => {
            assert_eq!((role, e, a), (AccountRole::Storage, expected, actual));
        }
        other => panic!("expected WrongAccount, got {other:?}"),
    }
    Ok(())
}

#[tokio::test]
async fn every_call_is_counted_as_a_read_or_a_write() -> TestResult {
    let moto = Moto::shared();
    let id = support::fresh_account_id();
    let p = Ports::new(&support::sdk_config(moto, &id).await, &id);
    let stats = p.stats.clone();
    let vpc = VpcId::parse("vpc-0a1b2c3d")?;
    assert_eq!(p.ec2.find_security_group(&vpc, "none").await?, None);
    // Fails: there is no such route table. Still a call.
    let table = RouteTableId::parse("rtb-0a1b2c3d")?;
    let err = p
        .ec2
        .create_route(
            &table,
            &Ipv4Cidr::parse("10.9.0.0/16")?,
            &PeeringId::parse("pcx-0a1b2c3d")?,
        )
        .await
        .expect_err("no such route table");
    assert_eq!(err.account, Some(id.clone()));
    assert_eq!(err.resource.as_deref(), Some("rtb-0a1b2c3d"));
    assert!(!err.retryable, "{err:?}");
    assert_eq!(
        stats.total(),
        CallCount {
            reads: 1,
            writes: 1
        }
    );
    assert_eq!(stats.by_call()["ec2:DescribeSecurityGroups"], 1);
    assert_eq!(stats.by_call()["ec2:CreateRoute"], 1);
    Ok(())
}
