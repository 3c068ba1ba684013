//! The fake's rules, errors, latencies, faults and persistence, port by port.

use std::collections::BTreeMap;
use std::time::Duration;

use tokio::time::Instant;
use xefs_core::iam::{PolicyDocument, Principal, PrincipalKind, Statement};
use xefs_core::ids::{AccountId, IamName, Ipv4Cidr, Region, SubnetId};
use xefs_core::sim::SimClock;
use xefs_core::spec::{StackSpec, ThroughputMode};

use super::*;
use crate::AwsError;
use crate::ports::{
    Ec2, Efs, Iam, LifeCycle, NewFileSystem, NewPeering, NewPolicy, NewRole, NewSecurityGroup,
    PeeringStatus, RouteTarget, Sts, Tags,
};

type TestResult = Result<(), Box<dyn std::error::Error>>;

const A: &str = "111111111111";
const B: &str = "222222222222";

const SPEC: &str = r#"
[stack]
name = "sim"
region = "us-east-1"

[cluster]
name = "sim-cluster"
account_id = "111111111111"
vpc_id = "vpc-0a1b2c3d4e5f60718"
vpc_cidr = "10.0.0.0/16"
oidc_provider = "oidc.example.com/abc123"

[storage]
account_id = "222222222222"
vpc_id = "vpc-0f1e2d3c4b5a69788"
vpc_cidr = "10.1.0.0/16"
"#;

fn spec() -> Result<StackSpec, Box<dyn std::error::Error>> {
    StackSpec::from_toml_str(SPEC, &BTreeMap::<String, String>::new())
        .map_err(|e| format!("{e:?}").into())
}

fn region() -> Region {
    Region::parse("us-east-1").expect("test region")
}

fn account(id: &str) -> AccountId {
    AccountId::parse(id).expect("test account")
}

/// A seeded world with `latency`, and the ports of A and B.
fn world(
    latency: Latency,
) -> Result<(FakeAws, Seeded, FakePorts, FakePorts), Box<dyn std::error::Error>> {
    let aws = FakeAws::new(SimClock::new()).with_latency(latency);
    let seeded = aws.seed_for(&spec()?)?;
    let a = aws.ports(&account(A), &region());
    let b = aws.ports(&account(B), &region());
    Ok((aws, seeded, a, b))
}

fn trust(principal: PrincipalKind, value: &str) -> PolicyDocument {
    PolicyDocument::new(vec![
        Statement::allow(["sts:AssumeRole"]).with_principal(Principal::of(principal, [value])),
    ])
}

fn read_policy() -> PolicyDocument {
    PolicyDocument::new(vec![
        Statement::allow(["elasticfilesystem:DescribeMountTargets"]).with_resources(["*"]),
    ])
}

fn name(n: &str) -> IamName {
    IamName::parse(n).expect("test name")
}

fn new_role(n: &str, trust: PolicyDocument) -> NewRole {
    NewRole {
        name: name(n),
        trust,
        description: "test".into(),
        tags: Tags::new(),
    }
}

fn new_fs(token: &str) -> NewFileSystem {
    NewFileSystem {
        creation_token: token.into(),
        performance_mode: Default::default(),
        throughput_mode: ThroughputMode::Elastic,
        provisioned_throughput_mibps: None,
        encrypted: true,
        kms_key_id: None,
        one_zone_az_name: None,
        tags: Tags::new(),
    }
}

fn code(e: &AwsError) -> &str {
    e.code.as_deref().unwrap_or_default()
}

#[tokio::test(start_paused = true)]
async fn a_seeded_world_is_the_spec_s() -> TestResult {
    let spec = spec()?;
    let (aws, seeded, a, b) = world(Latency::default())?;
    let vpc = a
        .ec2
        .describe_vpc(&spec.cluster.vpc_id)
        .await?
        .ok_or("A's VPC")?;
    assert_eq!(vpc.cidr, spec.cluster.vpc_cidr);
    assert_eq!(vpc.owner, account(A));
    // B's VPC is not A's to see.
    assert_eq!(a.ec2.describe_vpc(&spec.storage.vpc_id).await?, None);
    assert!(b.ec2.describe_vpc(&spec.storage.vpc_id).await?.is_some());

    let a_subnets = a.ec2.subnets_in_vpc(&spec.cluster.vpc_id).await?;
    let b_subnets = b.ec2.subnets_in_vpc(&spec.storage.vpc_id).await?;
    assert_eq!(a_subnets.len(), 3);
    let zones = |s: &[crate::ports::Subnet]| {
        s.iter()
            .map(|s| s.az_id.clone())
            .collect::<std::collections::BTreeSet<_>>()
    };
    assert_eq!(zones(&a_subnets), zones(&b_subnets));
    // The same zone id goes by different names in the two accounts.
    let a1 = a_subnets
        .iter()
        .find(|s| s.az_id.as_str() == "use1-az1")
        .ok_or("az1")?;
    let b1 = b_subnets
        .iter()
        .find(|s| s.az_id.as_str() == "use1-az1")
        .ok_or("az1")?;
    assert_ne!(a1.az_name, b1.az_name);

    let tables = a.ec2.route_tables_in_vpc(&spec.cluster.vpc_id).await?;
    assert_eq!(tables.len(), 2);
    assert!(tables.iter().any(|t| t.main && t.subnets.is_empty()));
    let explicit = seeded
        .cluster_explicit_route_table
        .clone()
        .ok_or("explicit table")?;
    let table = tables
        .iter()
        .find(|t| t.id == explicit)
        .ok_or("explicit table listed")?;
    assert_eq!(table.subnets, [seeded.cluster_subnets[1].clone()]);
    assert_eq!(table.routes[0].target, RouteTarget::Other("local".into()));

    let acls = a.ec2.network_acls_in_vpc(&spec.cluster.vpc_id).await?;
    assert_eq!(acls.len(), 1);
    assert!(acls[0].default);
    assert_eq!(acls[0].subnets.len(), 3);
    assert_eq!(acls[0].entries.len(), 4);

    assert_eq!(seeded.workers.len(), 4);
    let ids: Vec<_> = seeded
        .workers
        .iter()
        .map(|w| w.instance_id.clone())
        .collect();
    let instances = a.ec2.describe_instances(&ids).await?;
    assert!(
        instances.iter().all(
            |i| i.instance_profile_arn.as_deref() == Some(seeded.instance_profile_arn.as_str())
        )
    );
    assert_eq!(
        a.iam
            .instance_profile_roles("xefs-sim-worker-profile")
            .await?,
        seeded.node_role_arns
    );
    assert_eq!(
        a.iam.oidc_providers().await?,
        std::slice::from_ref(&seeded.oidc_provider_arn)
    );
    assert_eq!(seeded.issuer.as_str(), "oidc.example.com/abc123");

    let me = a.sts.caller_identity().await?;
    assert_eq!(me.account, account(A));
    assert_eq!(
        me.arn.as_str(),
        "arn:aws:sts::111111111111:assumed-role/xefs-sim/xefs"
    );

    let default = b
        .ec2
        .find_security_group(&spec.storage.vpc_id, "default")
        .await?
        .ok_or("B's default group")?;
    assert_eq!(default.egress.len(), 1);
    // Seeding twice is refused rather than duplicating the VPCs.
    assert!(aws.seed_for(&spec).is_err());
    Ok(())
}

#[tokio::test(start_paused = true)]
async fn seeding_without_an_issuer_generates_one_that_is_registered() -> TestResult {
    let toml = SPEC.replace("oidc_provider = \"oidc.example.com/abc123\"\n", "");
    let spec = StackSpec::from_toml_str(&toml, &BTreeMap::<String, String>::new())
        .map_err(|e| format!("{e:?}"))?;
    let aws = FakeAws::new(SimClock::new());
    let seeded = aws.seed_for(&spec)?;
    assert!(seeded.issuer.as_str().starts_with("oidc.xefs-sim.example/"));
    let a = aws.ports(&account(A), &region());
    assert_eq!(a.iam.oidc_providers().await?, [seeded.oidc_provider_arn]);
    Ok(())
}

#[tokio::test(start_paused = true)]
async fn iam_conflicts_limits_and_not_found() -> TestResult {
    let (_, seeded, a, _) = world(Latency::instant())?;
    let oidc = seeded.oidc_provider_arn.to_string();
    let role = new_role("csi", trust(PrincipalKind::Federated, &oidc));
    let arn = a.iam.create_role(&role).await?;
    assert_eq!(arn.as_str(), "arn:aws:iam::111111111111:role/csi");
    let dup = a
        .iam
        .create_role(&role)
        .await
        .err()
        .ok_or("a duplicate role")?;
    assert_eq!((code(&dup), dup.retryable), ("EntityAlreadyExists", false));
    assert_eq!(dup.account, Some(account(A)));
    assert_eq!(dup.resource.as_deref(), Some("csi"));

    // Policies: five versions at most, the default one is not deletable, a policy with
    // versions or attachments is not either.
    let policy = NewPolicy {
        name: name("csi-policy"),
        document: read_policy(),
        tags: Tags::new(),
    };
    let parn = a.iam.create_policy(&policy).await?;
    for _ in 0..4 {
        a.iam
            .create_default_policy_version(&parn, &read_policy())
            .await?;
    }
    let limit = a
        .iam
        .create_default_policy_version(&parn, &read_policy())
        .await
        .err()
        .ok_or("a sixth version")?;
    assert_eq!((code(&limit), limit.retryable), ("LimitExceeded", false));
    let versions = a.iam.list_policy_versions(&parn).await?;
    assert_eq!(versions.len(), 5);
    assert_eq!(versions.iter().filter(|v| v.is_default).count(), 1);
    let live = a.iam.get_policy(&parn).await?.ok_or("the policy")?;
    assert_eq!(live.default_version_id, "v5");
    let conflict = a
        .iam
        .delete_policy_version(&parn, "v5")
        .await
        .err()
        .ok_or("default")?;
    assert_eq!(code(&conflict), "DeleteConflict");

    a.iam.attach_policy(&name("csi"), &parn).await?;
    a.iam.attach_policy(&name("csi"), &parn).await?; // attaching again is harmless
    assert_eq!(
        a.iam.attached_policies(&name("csi")).await?,
        std::slice::from_ref(&parn)
    );
    let in_use = a
        .iam
        .delete_role(&name("csi"))
        .await
        .err()
        .ok_or("attached")?;
    assert_eq!((code(&in_use), in_use.retryable), ("DeleteConflict", false));
    let attached = a
        .iam
        .delete_policy(&parn)
        .await
        .err()
        .ok_or("attached policy")?;
    assert_eq!(code(&attached), "DeleteConflict");

    a.iam.detach_policy(&name("csi"), &parn).await?;
    a.iam.detach_policy(&name("csi"), &parn).await?; // not attached: success
    let versioned = a
        .iam
        .delete_policy(&parn)
        .await
        .err()
        .ok_or("versions left")?;
    assert_eq!(code(&versioned), "DeleteConflict");
    for v in ["v1", "v2", "v3", "v4"] {
        a.iam.delete_policy_version(&parn, v).await?;
    }
    a.iam.delete_policy_version(&parn, "v1").await?; // already gone: success
    a.iam.delete_policy(&parn).await?;
    a.iam.delete_policy(&parn).await?; // already gone: success
    assert_eq!(a.iam.get_policy(&parn).await?, None);

    a.iam.delete_role(&name("csi")).await?;
    a.iam.delete_role(&name("csi")).await?;
    assert_eq!(a.iam.get_role(&name("csi")).await?, None);
    assert!(a.iam.attached_policies(&name("csi")).await?.is_empty());
    assert!(a.iam.instance_profile_roles("nope").await?.is_empty());
    // Attaching to a role IAM does not know is the propagation case classify retries.
    let missing = a
        .iam
        .attach_policy(&name("csi"), &parn)
        .await
        .err()
        .ok_or("no role")?;
    assert_eq!((code(&missing), missing.retryable), ("NoSuchEntity", true));
    // The worker role is in an instance profile.
    let worker = a
        .iam
        .delete_role(&name("xefs-sim-worker-role"))
        .await
        .err()
        .ok_or("profile")?;
    assert_eq!(code(&worker), "DeleteConflict");
    // A managed policy may not name a principal.
    let bad = NewPolicy {
        name: name("bad"),
        document: trust(PrincipalKind::Aws, "*"),
        tags: Tags::new(),
    };
    let malformed = a
        .iam
        .create_policy(&bad)
        .await
        .err()
        .ok_or("principal in policy")?;
    assert_eq!(
        (code(&malformed), malformed.retryable),
        ("MalformedPolicyDocument", false)
    );
    Ok(())
}

#[tokio::test(start_paused = true)]
async fn a_new_role_is_not_a_valid_principal_until_iam_propagates_it() -> TestResult {
    let (_, seeded, a, b) = world(Latency::default())?;
    let csi = a
        .iam
        .create_role(&new_role(
            "csi",
            trust(PrincipalKind::Federated, seeded.oidc_provider_arn.as_str()),
        ))
        .await?;
    let cross = new_role("cross", trust(PrincipalKind::Aws, csi.as_str()));
    let early = b
        .iam
        .create_role(&cross)
        .await
        .err()
        .ok_or("not propagated yet")?;
    assert_eq!(
        (code(&early), early.retryable),
        ("MalformedPolicyDocument", true)
    );
    assert!(early.message.contains(csi.as_str()), "{}", early.message);
    assert_eq!(
        b.iam.get_role(&name("cross")).await?,
        None,
        "nothing half-created"
    );
    tokio::time::sleep(Duration::from_secs(10)).await;
    b.iam.create_role(&cross).await?;

    // A role that does not exist at all gets the same answer, which classify cannot tell from
    // the propagation case (and neither can AWS's callers).
    let ghost = trust(PrincipalKind::Aws, "arn:aws:iam::111111111111:role/ghost");
    let err = b
        .iam
        .update_trust(&name("cross"), &ghost)
        .await
        .err()
        .ok_or("ghost")?;
    assert_eq!(code(&err), "MalformedPolicyDocument");
    // An unknown OIDC provider too; an account root or a service is fine.
    let oidc = trust(
        PrincipalKind::Federated,
        "arn:aws:iam::111111111111:oidc-provider/nope.example.com/x",
    );
    assert!(a.iam.create_role(&new_role("x", oidc)).await.is_err());
    let root = trust(PrincipalKind::Aws, "arn:aws:iam::111111111111:root");
    b.iam.update_trust(&name("cross"), &root).await?;
    let missing = b
        .iam
        .update_trust(&name("nope"), &root)
        .await
        .err()
        .ok_or("no role")?;
    assert_eq!((code(&missing), missing.retryable), ("NoSuchEntity", true));
    Ok(())
}

#[tokio::test(start_paused = true)]
async fn peering_goes_pending_then_active_and_only_the_accepter_accepts() -> TestResult {
    let spec = spec()?;
    let (_, seeded, a, b) = world(Latency::default())?;
    let request = NewPeering {
        requester_vpc: spec.cluster.vpc_id.clone(),
        accepter_vpc: spec.storage.vpc_id.clone(),
        accepter_owner: account(B),
        accepter_region: region(),
        tags: [("xefs:stack".to_owned(), "sim".to_owned())].into(),
    };
    let created = a.ec2.create_peering(&request).await?;
    assert_eq!(created.status, PeeringStatus::Initiating);
    assert_eq!(created.tags, request.tags);
    let seen = a
        .ec2
        .describe_peering(&created.id)
        .await?
        .ok_or("A sees it")?;
    assert_eq!(seen.status, PeeringStatus::PendingAcceptance);
    // B sees the request a moment later; accepting before then is the retryable not-found.
    assert_eq!(b.ec2.describe_peering(&created.id).await?, None);
    let early = b
        .ec2
        .accept_peering(&created.id)
        .await
        .err()
        .ok_or("not visible")?;
    assert_eq!(
        (code(&early), early.retryable),
        ("InvalidVpcPeeringConnectionID.NotFound", true)
    );
    tokio::time::sleep(Duration::from_secs(1)).await;
    let in_b = b
        .ec2
        .describe_peering(&created.id)
        .await?
        .ok_or("B sees it")?;
    assert!(in_b.tags.is_empty(), "tags are per account");
    let wrong = a
        .ec2
        .accept_peering(&created.id)
        .await
        .err()
        .ok_or("A cannot accept")?;
    assert_eq!(
        (code(&wrong), wrong.retryable),
        ("OperationNotPermitted", false)
    );

    b.ec2.accept_peering(&created.id).await?;
    let provisioning = a
        .ec2
        .describe_peering(&created.id)
        .await?
        .ok_or("still there")?;
    assert_eq!(provisioning.status, PeeringStatus::Provisioning);
    let again = b
        .ec2
        .accept_peering(&created.id)
        .await
        .err()
        .ok_or("accepted already")?;
    assert_eq!(code(&again), "InvalidStateTransition");
    tokio::time::sleep(Duration::from_secs(2)).await;
    assert_eq!(
        a.ec2
            .describe_peering(&created.id)
            .await?
            .ok_or("there")?
            .status,
        PeeringStatus::Active
    );
    b.ec2.set_accepter_remote_dns(&created.id, true).await?;
    assert!(
        a.ec2
            .describe_peering(&created.id)
            .await?
            .ok_or("there")?
            .accepter_allows_remote_dns
    );

    // Routes: one per destination; any second one is RouteAlreadyExists, as in EC2.
    let table = seeded.cluster_main_route_table.clone();
    let dest = spec.storage.vpc_cidr;
    a.ec2.create_route(&table, &dest, &created.id).await?;
    let dup = a
        .ec2
        .create_route(&table, &dest, &created.id)
        .await
        .err()
        .ok_or("dup")?;
    assert_eq!((code(&dup), dup.retryable), ("RouteAlreadyExists", false));

    // A second peering between the same VPCs fails; overlapping CIDRs too.
    let second = a.ec2.create_peering(&request).await?;
    let failed = a
        .ec2
        .describe_peering(&second.id)
        .await?
        .ok_or("visible as failed")?;
    assert_eq!(failed.status, PeeringStatus::Gone("failed".into()));
    let between = a
        .ec2
        .peerings_between(&request.requester_vpc, &request.accepter_vpc)
        .await?;
    assert_eq!(between.len(), 2);

    // Deleting makes the route a blackhole; the peering stays visible as gone.
    a.ec2.delete_peering(&created.id).await?;
    tokio::time::sleep(Duration::from_secs(1)).await;
    let gone = b
        .ec2
        .describe_peering(&created.id)
        .await?
        .ok_or("visible as deleted")?;
    assert_eq!(gone.status, PeeringStatus::Gone("deleted".into()));
    a.ec2.delete_peering(&created.id).await?; // already gone: success
    let routes = &a
        .ec2
        .describe_route_tables(std::slice::from_ref(&table))
        .await?[0]
        .routes;
    let route = routes
        .iter()
        .find(|r| r.destination == dest)
        .ok_or("the route")?;
    assert!(route.blackhole);
    a.ec2.delete_route(&table, &dest).await?;
    a.ec2.delete_route(&table, &dest).await?; // already gone
    // Two hours later EC2 forgets it.
    tokio::time::sleep(Duration::from_secs(2 * 3600)).await;
    assert_eq!(a.ec2.describe_peering(&created.id).await?, None);
    Ok(())
}

/// A security group in B's VPC, as the stack's NFS group is made.
fn nfs_group(spec: &StackSpec) -> NewSecurityGroup {
    NewSecurityGroup {
        vpc_id: spec.storage.vpc_id.clone(),
        name: "nfs".into(),
        description: "NFS".into(),
        tags: Tags::new(),
    }
}

#[tokio::test(start_paused = true)]
async fn security_groups_duplicates_and_dependencies() -> TestResult {
    let spec = spec()?;
    let (_, seeded, _, b) = world(Latency::instant())?;
    let group = nfs_group(&spec);
    let sg = b.ec2.create_security_group(&group).await?;
    let dup = b
        .ec2
        .create_security_group(&group)
        .await
        .err()
        .ok_or("dup")?;
    assert_eq!(code(&dup), "InvalidGroup.Duplicate");
    let source = spec.cluster.vpc_cidr;
    b.ec2.allow_tcp_ingress(&sg, 2049, &source, "nfs").await?;
    b.ec2.allow_tcp_ingress(&sg, 2049, &source, "nfs").await?; // duplicate: success
    let live = b
        .ec2
        .describe_security_group(&sg)
        .await?
        .ok_or("the group")?;
    assert_eq!(live.ingress.len(), 1);
    assert_eq!(live.ingress[0].cidrs, [source]);
    assert_eq!(live.ingress[0].from_port, Some(2049));

    let fs = b.efs.create_file_system(&new_fs("sg")).await?;
    b.efs
        .create_mount_target(
            &fs.id,
            &seeded.storage_subnets[0],
            std::slice::from_ref(&sg),
        )
        .await?;
    let used = b
        .ec2
        .delete_security_group(&sg)
        .await
        .err()
        .ok_or("in use")?;
    assert_eq!(
        (code(&used), used.retryable),
        ("DependencyViolation", false)
    );
    let default = b
        .ec2
        .find_security_group(&spec.storage.vpc_id, "default")
        .await?
        .ok_or("default")?;
    assert_eq!(
        code(
            &b.ec2
                .delete_security_group(&default.id)
                .await
                .err()
                .ok_or("default")?
        ),
        "CannotDelete"
    );
    let mt = b.efs.mount_targets(&fs.id).await?;
    b.efs.delete_mount_target(&mt[0].id).await?;
    b.ec2.delete_security_group(&sg).await?;
    b.ec2.delete_security_group(&sg).await?; // already gone: success
    assert_eq!(b.ec2.describe_security_group(&sg).await?, None);
    let unknown = b
        .ec2
        .allow_tcp_ingress(&sg, 2049, &source, "nfs")
        .await
        .err()
        .ok_or("gone")?;
    assert_eq!(
        (code(&unknown), unknown.retryable),
        ("InvalidGroup.NotFound", true)
    );
    let missing = b
        .ec2
        .describe_subnets(&[SubnetId::parse("subnet-0a1b2c3d")?])
        .await
        .err()
        .ok_or("no such subnet")?;
    assert_eq!(code(&missing), "InvalidSubnetID.NotFound");
    Ok(())
}

#[tokio::test(start_paused = true)]
async fn file_systems_and_mount_targets_move_through_their_states() -> TestResult {
    let spec = spec()?;
    let (_, seeded, _, b) = world(Latency::default())?;
    let start = Instant::now();
    let fs = b.efs.create_file_system(&new_fs("states")).await?;
    assert_eq!(fs.life_cycle, LifeCycle::Creating);
    assert_eq!(fs.size_bytes, 6 * 1024);
    assert!(fs.kms_key_id.is_some());
    // The same token is the same file system (FileSystemAlreadyExists, turned into it).
    assert_eq!(b.efs.create_file_system(&new_fs("states")).await?.id, fs.id);
    assert_eq!(
        b.efs.file_system_by_token("states").await?.map(|f| f.id),
        Some(fs.id.clone())
    );

    let subnet = &seeded.storage_subnets[0];
    let early = b
        .efs
        .create_mount_target(&fs.id, subnet, &[])
        .await
        .err()
        .ok_or("creating")?;
    assert_eq!(
        (code(&early), early.retryable),
        ("IncorrectFileSystemLifeCycleState", true)
    );
    tokio::time::sleep(Duration::from_secs(5)).await;
    let fs_now = b.efs.describe_file_system(&fs.id).await?.ok_or("fs")?;
    assert_eq!(fs_now.life_cycle, LifeCycle::Available);

    let mt = b.efs.create_mount_target(&fs.id, subnet, &[]).await?;
    assert_eq!(mt.life_cycle, LifeCycle::Creating);
    let ip = mt.ip_address.clone().ok_or("an address")?;
    let subnets = b.ec2.describe_subnets(std::slice::from_ref(subnet)).await?;
    assert!(
        subnets[0]
            .cidr
            .contains(&Ipv4Cidr::parse(&format!("{ip}/32"))?)
    );
    // One per zone; not in another VPC either.
    let same_zone = b
        .efs
        .create_mount_target(&fs.id, subnet, &[])
        .await
        .err()
        .ok_or("zone")?;
    assert_eq!(
        (code(&same_zone), same_zone.retryable),
        ("MountTargetConflict", false)
    );
    let groups = b
        .efs
        .mount_target_security_groups(&mt.id)
        .await
        .err()
        .ok_or("creating")?;
    assert_eq!(code(&groups), "IncorrectMountTargetState");
    let in_use = b
        .efs
        .delete_file_system(&fs.id)
        .await
        .err()
        .ok_or("in use")?;
    assert_eq!(
        (code(&in_use), in_use.retryable),
        ("FileSystemInUse", false)
    );
    let creating = b
        .efs
        .delete_mount_target(&mt.id)
        .await
        .err()
        .ok_or("creating")?;
    assert_eq!(
        (code(&creating), creating.retryable),
        ("IncorrectMountTargetState", true)
    );

    tokio::time::sleep(Duration::from_secs(90)).await;
    let listed = b.efs.mount_targets(&fs.id).await?;
    assert_eq!(listed[0].life_cycle, LifeCycle::Available);
    let default = b
        .ec2
        .find_security_group(&spec.storage.vpc_id, "default")
        .await?
        .ok_or("default")?;
    assert_eq!(
        b.efs.mount_target_security_groups(&mt.id).await?,
        [default.id]
    );
    // Ninety-five simulated seconds, and the calls' round trips.
    assert!(
        (95..97).contains(&start.elapsed().as_secs()),
        "{:?}",
        start.elapsed()
    );

    b.efs.delete_mount_target(&mt.id).await?;
    assert_eq!(
        b.efs.mount_targets(&fs.id).await?[0].life_cycle,
        LifeCycle::Deleting
    );
    tokio::time::sleep(Duration::from_secs(30)).await;
    assert!(b.efs.mount_targets(&fs.id).await?.is_empty());
    b.efs.delete_mount_target(&mt.id).await?; // already gone: success

    b.efs.delete_file_system(&fs.id).await?;
    assert_eq!(
        b.efs
            .describe_file_system(&fs.id)
            .await?
            .map(|f| f.life_cycle),
        Some(LifeCycle::Deleting)
    );
    tokio::time::sleep(Duration::from_secs(10)).await;
    assert_eq!(b.efs.describe_file_system(&fs.id).await?, None);
    b.efs.delete_file_system(&fs.id).await?; // already gone: success
    assert!(b.efs.mount_targets(&fs.id).await?.is_empty());
    Ok(())
}

#[tokio::test(start_paused = true)]
async fn mount_targets_stay_in_one_vpc_and_policies_name_known_principals() -> TestResult {
    let (aws, seeded, a, b) = world(Latency::instant())?;
    // A second VPC in B, with a subnet of its own: as the guide's default VPC.
    let mut other = spec()?;
    other.cluster.account_id = account("333333333333");
    other.cluster.vpc_id = xefs_core::ids::VpcId::parse("vpc-0123456789abcdef0")?;
    other.storage.vpc_id = xefs_core::ids::VpcId::parse("vpc-0fedcba9876543210")?;
    other.storage.vpc_cidr = Ipv4Cidr::parse("172.31.0.0/16")?;
    let second = aws.seed_for(&other)?;
    let fs = b.efs.create_file_system(&new_fs("vpc")).await?;
    b.efs
        .create_mount_target(&fs.id, &seeded.storage_subnets[0], &[])
        .await?;
    let elsewhere = b
        .efs
        .create_mount_target(&fs.id, &second.storage_subnets[1], &[])
        .await
        .err()
        .ok_or("another VPC")?;
    assert_eq!(code(&elsewhere), "MountTargetConflict");
    assert!(
        elsewhere.message.contains("one VPC"),
        "{}",
        elsewhere.message
    );

    let policy = |principal: &str| {
        PolicyDocument::new(vec![
            Statement::allow(["elasticfilesystem:ClientMount"])
                .with_principal(Principal::of(PrincipalKind::Aws, [principal])),
        ])
    };
    let bad = b
        .efs
        .put_file_system_policy(&fs.id, &policy("arn:aws:iam::111111111111:role/ghost"))
        .await
        .err()
        .ok_or("unknown principal")?;
    assert_eq!(
        (code(&bad), bad.retryable),
        ("InvalidPolicyException", true)
    );
    assert_eq!(b.efs.file_system_policy(&fs.id).await?, None);
    let good = policy("arn:aws:iam::111111111111:root");
    b.efs.put_file_system_policy(&fs.id, &good).await?;
    assert_eq!(b.efs.file_system_policy(&fs.id).await?, Some(good));
    b.efs.delete_file_system_policy(&fs.id).await?;
    b.efs.delete_file_system_policy(&fs.id).await?; // none: success
    assert_eq!(b.efs.file_system_policy(&fs.id).await?, None);
    // Another account's file system is not there for A.
    assert_eq!(a.efs.describe_file_system(&fs.id).await?, None);
    Ok(())
}

#[tokio::test(start_paused = true)]
async fn faults_are_deterministic_and_classified_like_the_sdk_s() -> TestResult {
    let run = |seed| async move {
        let (aws, _, a, _) = world(Latency::default())?;
        aws.set_faults(Faults {
            sdk_max_attempts: 1,
            ..Faults::rates(0.3, 0.3, seed)
        });
        let mut errors = Vec::new();
        for _ in 0..40 {
            if let Err(e) = a.sts.caller_identity().await {
                assert!(e.retryable, "{e:?}");
                errors.push(e.code.unwrap_or_default());
            }
        }
        Ok::<_, Box<dyn std::error::Error>>((errors, aws.calls()))
    };
    let (first, calls) = run(11).await?;
    let (again, calls_again) = run(11).await?;
    assert_eq!(first, again);
    assert_eq!(calls, calls_again);
    assert!(!first.is_empty());
    assert!(first.iter().any(|c| c == "Throttling"), "{first:?}");
    assert!(
        first
            .iter()
            .any(|c| c == "InternalFailure" || c == "ServiceUnavailable"),
        "{first:?}"
    );
    let (other, _) = run(12).await?;
    assert_ne!(first, other);
    Ok(())
}

#[tokio::test(start_paused = true)]
async fn the_sdk_s_retries_hide_most_faults_and_a_fault_never_half_writes() -> TestResult {
    let (aws, seeded, a, _) = world(Latency::instant())?;
    aws.set_faults(Faults::rates(0.5, 0.0, 3));
    let oidc = seeded.oidc_provider_arn.to_string();
    let mut ok = 0;
    for i in 0..20 {
        let role = new_role(&format!("r{i}"), trust(PrincipalKind::Federated, &oidc));
        match a.iam.create_role(&role).await {
            Ok(_) => ok += 1,
            // Only the last of three attempts' faults is seen; the role was never created.
            Err(e) => {
                assert_eq!((code(&e), e.retryable), ("Throttling", true));
                assert_eq!(a.iam.get_role(&role.name).await.ok().flatten(), None);
            }
        }
    }
    assert!(ok >= 14, "{ok} of 20 got through three attempts");
    let faulted = aws.calls().iter().filter(|c| c.injected).count();
    assert!(faulted >= 10, "{faulted} throttled attempts");
    Ok(())
}

#[tokio::test(start_paused = true)]
async fn a_lost_answer_still_wrote_and_the_retry_meets_the_write() -> TestResult {
    let (aws, seeded, a, b) = world(Latency::instant())?;
    aws.set_faults(Faults {
        lost_response_rate: 1.0,
        sdk_max_attempts: 1,
        ..Faults::none()
    });
    let oidc = seeded.oidc_provider_arn.to_string();
    let role = new_role("lost", trust(PrincipalKind::Federated, &oidc));
    let lost = a
        .iam
        .create_role(&role)
        .await
        .err()
        .ok_or("the answer is lost")?;
    assert!(lost.retryable);
    aws.set_faults(Faults::none());
    assert!(
        a.iam.get_role(&role.name).await?.is_some(),
        "the write happened"
    );
    let dup = a.iam.create_role(&role).await.err().ok_or("exists")?;
    assert_eq!(code(&dup), "EntityAlreadyExists");

    // With the SDK's retries, the replayed create of a file system finds the first one.
    aws.set_faults(Faults {
        lost_response_rate: 0.5,
        seed: 5,
        ..Faults::none()
    });
    let mut ids = std::collections::BTreeSet::new();
    for _ in 0..6 {
        if let Ok(fs) = b.efs.create_file_system(&new_fs("once")).await {
            ids.insert(fs.id);
        }
    }
    aws.set_faults(Faults::none());
    assert!(ids.len() <= 1, "{ids:?}");
    let inv = aws.inventory();
    assert_eq!(inv.accounts[&account(B)].file_systems.len(), 1);
    Ok(())
}

#[tokio::test(start_paused = true)]
async fn a_hanging_call_takes_its_time_before_it_acts() -> TestResult {
    let (aws, _, a, _) = world(Latency::instant())?;
    aws.set_faults(Faults {
        hang: Some(("GetCallerIdentity".into(), Duration::from_secs(300))),
        ..Faults::none()
    });
    let start = Instant::now();
    let timed_out = tokio::time::timeout(Duration::from_secs(60), a.sts.caller_identity()).await;
    assert!(timed_out.is_err());
    assert_eq!(start.elapsed(), Duration::from_secs(60));
    let start = Instant::now();
    a.sts.caller_identity().await?;
    assert_eq!(start.elapsed(), Duration::from_secs(300));
    // Other calls are not held up.
    let start = Instant::now();
    a.iam.oidc_providers().await?;
    assert_eq!(start.elapsed(), Duration::ZERO);
    Ok(())
}

#[tokio::test(start_paused = true)]
async fn every_call_takes_a_round_trip_and_is_logged() -> TestResult {
    let (aws, _, a, _) = world(Latency::default())?;
    let stats = CallStats::new();
    let aws = aws.with_stats(stats.clone());
    let start = Instant::now();
    for _ in 0..10 {
        a.sts.caller_identity().await?;
    }
    let elapsed = start.elapsed();
    assert!(
        (Duration::from_millis(500)..=Duration::from_secs(2)).contains(&elapsed),
        "{elapsed:?}"
    );
    let calls = aws.calls();
    assert_eq!(calls.len(), 10);
    assert!(
        calls
            .iter()
            .all(|c| c.ok && c.call == "GetCallerIdentity" && c.account == account(A))
    );
    assert_eq!(stats.total().reads, 10);
    aws.clear_calls();
    assert!(aws.calls().is_empty());
    Ok(())
}

#[tokio::test(start_paused = true)]
async fn a_world_saved_mid_operation_goes_on_after_load() -> TestResult {
    let (aws, _, _, b) = world(Latency::default())?;
    tokio::time::sleep(Duration::from_secs(3)).await;
    let fs = b.efs.create_file_system(&new_fs("saved")).await?;
    let before = aws.inventory();
    let saved = aws.save();
    // Through text, as the state directory keeps it.
    let text = serde_json::to_string(&saved)?;
    let saved: serde_json::Value = serde_json::from_str(&text)?;
    let at = FakeAws::saved_at(&saved)?;
    assert!(at.as_millis() >= 3_000, "{at}");

    let behind = FakeAws::load(saved.clone(), SimClock::new());
    assert!(
        matches!(behind, Err(FakeError::ClockBehind { .. })),
        "{behind:?}"
    );
    let resumed = FakeAws::load(saved.clone(), SimClock::starting_at(at))?;
    assert_eq!(resumed.inventory(), before);
    let b2 = resumed.ports(&account(B), &region());
    assert_eq!(
        b2.efs
            .describe_file_system(&fs.id)
            .await?
            .map(|f| f.life_cycle),
        Some(LifeCycle::Creating)
    );
    tokio::time::sleep(Duration::from_secs(5)).await;
    assert_eq!(
        b2.efs
            .describe_file_system(&fs.id)
            .await?
            .map(|f| f.life_cycle),
        Some(LifeCycle::Available)
    );
    // Ids go on from the saved counter: no reuse.
    let other = b2.efs.create_file_system(&new_fs("after")).await?;
    assert_ne!(other.id, fs.id);
    assert!(aws.inventory().accounts[&account(B)].file_systems.len() == 1);

    let junk = FakeAws::load(serde_json::json!({"format": "nope"}), SimClock::new());
    assert!(matches!(junk, Err(FakeError::Format(_))));
    Ok(())
}

#[tokio::test(start_paused = true)]
async fn a_gateway_route_breaks_the_way_for_a_peering_route() -> TestResult {
    let spec = spec()?;
    let (aws, seeded, a, _) = world(Latency::instant())?;
    let table = seeded.cluster_main_route_table.clone();
    assert!(aws.add_gateway_route(
        &account(A),
        &region(),
        &table,
        spec.storage.vpc_cidr,
        "igw-0a1b2c3d"
    ));
    let tables = a
        .ec2
        .describe_route_tables(std::slice::from_ref(&table))
        .await?;
    let route = tables[0]
        .routes
        .iter()
        .find(|r| r.destination == spec.storage.vpc_cidr)
        .ok_or("the gateway route")?;
    assert_eq!(route.target, RouteTarget::Other("igw-0a1b2c3d".into()));
    let unknown = xefs_core::ids::RouteTableId::parse("rtb-0a1b2c3d")?;
    assert!(!aws.add_gateway_route(
        &account(A),
        &region(),
        &unknown,
        spec.storage.vpc_cidr,
        "igw-1"
    ));
    Ok(())
}

#[tokio::test(start_paused = true)]
async fn revoking_ingress_behind_xefs_s_back_removes_only_the_port_s_rules() -> TestResult {
    let spec = spec()?;
    let (aws, _, _, b) = world(Latency::instant())?;
    let group = nfs_group(&spec);
    let sg = b.ec2.create_security_group(&group).await?;
    let source = spec.cluster.vpc_cidr;
    b.ec2.allow_tcp_ingress(&sg, 2049, &source, "nfs").await?;
    b.ec2.allow_tcp_ingress(&sg, 22, &source, "ssh").await?;

    assert!(aws.revoke_ingress(&account(B), &region(), &sg, 2049));
    let live = b
        .ec2
        .describe_security_group(&sg)
        .await?
        .ok_or("the group")?;
    let ports: Vec<_> = live.ingress.iter().map(|r| r.from_port).collect();
    assert_eq!(ports, [Some(22)], "only the NFS rule goes");
    // The group stays, and xefs's own call puts the rule back.
    b.ec2.allow_tcp_ingress(&sg, 2049, &source, "nfs").await?;
    assert!(aws.revoke_ingress(&account(B), &region(), &sg, 2049));

    let unknown = SecurityGroupId::parse("sg-0a1b2c3d4e5f60718")?;
    assert!(!aws.revoke_ingress(&account(B), &region(), &unknown, 2049));
    Ok(())
}

#[tokio::test(start_paused = true)]
async fn the_revision_moves_with_every_write_and_never_with_a_read() -> TestResult {
    let spec = spec()?;
    let (aws, seeded, a, b) = world(Latency::instant())?;
    let seeded_at = aws.revision();
    assert!(seeded_at > 0, "seeding changed the world");

    a.ec2.route_tables_in_vpc(&spec.cluster.vpc_id).await?;
    aws.quiet()
        .ports(&account(B), &region())
        .ec2
        .subnets_in_vpc(&spec.storage.vpc_id)
        .await?;
    assert_eq!(
        aws.revision(),
        seeded_at,
        "reads, loud or quiet, change nothing"
    );

    b.efs.create_file_system(&new_fs("rev")).await?;
    let written = aws.revision();
    assert!(written > seeded_at);
    // A write that AWS refuses may still be counted: an observer reads once more, no harm.
    let _ = a.iam.delete_role(&name("no-such-role")).await;
    assert!(aws.revision() >= written);

    let before = aws.revision();
    assert!(aws.add_gateway_route(
        &account(A),
        &region(),
        &seeded.cluster_main_route_table,
        spec.storage.vpc_cidr,
        "igw-0a1b2c3d"
    ));
    assert!(
        aws.revision() > before,
        "a change behind xefs's back counts too"
    );
    Ok(())
}
