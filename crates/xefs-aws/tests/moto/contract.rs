//! One contract, two implementations: each case calls the ports of two accounts and checks
//! what AWS answers, and runs twice — `…_on_fake` against [`FakeAws`] (under tokio's paused
//! clock, with AWS's latencies) and `…_on_moto` against the SDK adapters talking to moto. So
//! the fake cannot drift from AWS's behaviour, as far as moto models it, unnoticed.
//!
//! Where moto is not AWS (it enforces no IAM rule across accounts, nothing waits, no peering
//! is refused to the requester, and some EFS calls answer HTTP 500), a case says which side
//! skips what, and why.

use std::sync::Arc;
use std::time::Duration;

use xefs_aws::AwsError;
use xefs_aws::fake::{FakeAws, FakePorts};
use xefs_aws::ports::{
    Ec2, Efs, Iam, LifeCycle, NewFileSystem, NewPeering, NewPolicy, NewRole, NewSecurityGroup,
    PeeringStatus, Tags,
};
use xefs_core::iam::{PolicyDocument, Principal, PrincipalKind, Statement};
use xefs_core::ids::{
    AccountId, Arn, FileSystemId, IamName, Ipv4Cidr, MountTargetId, PeeringId, RouteTableId,
    SecurityGroupId, SubnetId, VpcId,
};
use xefs_core::sim::SimClock;
use xefs_core::spec::ThroughputMode;

use crate::support::{Moto, TwoAccountWorld, WorldOptions};

type TestResult = Result<(), Box<dyn std::error::Error>>;

/// The ports of one account, whichever implementation is behind them.
struct Ports {
    id: AccountId,
    iam: Arc<dyn Iam>,
    ec2: Arc<dyn Ec2>,
    efs: Arc<dyn Efs>,
}

impl From<FakePorts> for Ports {
    fn from(p: FakePorts) -> Self {
        Self {
            id: p.id,
            iam: Arc::new(p.iam),
            ec2: Arc::new(p.ec2),
            efs: Arc::new(p.efs),
        }
    }
}

impl From<crate::support::Ports> for Ports {
    fn from(p: crate::support::Ports) -> Self {
        Self {
            id: p.id,
            iam: Arc::new(p.iam),
            ec2: Arc::new(p.ec2),
            efs: Arc::new(p.efs),
        }
    }
}

/// Which implementation a case runs against, for what only one of them can do.
enum Backend {
    Fake(FakeAws),
    Moto(Box<TwoAccountWorld>),
}

/// Two accounts and the facts of their world: A's VPC with its main table, B's VPC with one
/// subnet per zone, and A's OIDC provider.
struct World {
    a: Ports,
    b: Ports,
    a_vpc: VpcId,
    a_main_table: RouteTableId,
    b_vpc: VpcId,
    b_cidr: Ipv4Cidr,
    b_subnets: Vec<SubnetId>,
    oidc_provider_arn: Arn,
    backend: Backend,
}

impl World {
    fn fake() -> Result<Self, Box<dyn std::error::Error>> {
        let spec = crate::fake_flow::fake_spec("contract");
        let aws = FakeAws::new(SimClock::new());
        let seeded = aws.seed_for(&spec)?;
        Ok(Self {
            a: aws.ports(&spec.cluster.account_id, &spec.region).into(),
            b: aws.ports(&spec.storage.account_id, &spec.region).into(),
            a_vpc: spec.cluster.vpc_id.clone(),
            a_main_table: seeded.cluster_main_route_table.clone(),
            b_vpc: spec.storage.vpc_id.clone(),
            b_cidr: spec.storage.vpc_cidr,
            b_subnets: seeded.storage_subnets.clone(),
            oidc_provider_arn: seeded.oidc_provider_arn.clone(),
            backend: Backend::Fake(aws),
        })
    }

    async fn moto() -> Self {
        let w = TwoAccountWorld::build_on(Moto::shared(), WorldOptions { workers: false }).await;
        Self {
            a: w.cluster.ports().into(),
            b: w.storage.ports().into(),
            a_vpc: w.cluster.vpc_id.clone(),
            a_main_table: w.cluster.main_route_table.clone(),
            b_vpc: w.storage.vpc_id.clone(),
            b_cidr: w.storage.vpc_cidr,
            b_subnets: w.storage.subnet_ids(),
            oidc_provider_arn: w.oidc_provider_arn.clone(),
            backend: Backend::Moto(Box::new(w)),
        }
    }

    fn is_fake(&self) -> bool {
        matches!(self.backend, Backend::Fake(_))
    }

    /// Adds a route to B's CIDR through an internet gateway in A's main table, behind the
    /// ports' back.
    async fn add_gateway_route(&self) -> Result<String, Box<dyn std::error::Error>> {
        match &self.backend {
            Backend::Fake(aws) => {
                let gateway = "igw-0a1b2c3d4e5f60718";
                let region = xefs_core::ids::Region::parse(crate::support::REGION)?;
                aws.add_gateway_route(
                    &self.a.id,
                    &region,
                    &self.a_main_table,
                    self.b_cidr,
                    gateway,
                )
                .then_some(gateway.to_owned())
                .ok_or_else(|| "no such table".into())
            }
            Backend::Moto(w) => {
                let ec2 = w.cluster.ec2();
                let igw = ec2.create_internet_gateway().send().await?;
                let id = igw
                    .internet_gateway()
                    .and_then(|g| g.internet_gateway_id())
                    .ok_or("an internet gateway id")?
                    .to_owned();
                ec2.attach_internet_gateway()
                    .internet_gateway_id(&id)
                    .vpc_id(self.a_vpc.as_str())
                    .send()
                    .await?;
                ec2.create_route()
                    .route_table_id(self.a_main_table.as_str())
                    .destination_cidr_block(self.b_cidr.to_string())
                    .gateway_id(&id)
                    .send()
                    .await?;
                Ok(id)
            }
        }
    }
}

/// Polls until `ready` (moto: at once; the fake: after AWS's latency, instantly under the
/// paused clock), for at most ten simulated minutes.
async fn until<F, Fut>(what: &str, mut ready: F) -> Result<(), Box<dyn std::error::Error>>
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = Result<bool, AwsError>>,
{
    for _ in 0..600 {
        if ready().await? {
            return Ok(());
        }
        tokio::time::sleep(Duration::from_secs(1)).await;
    }
    Err(format!("timed out waiting for {what}").into())
}

fn code(e: &AwsError) -> &str {
    e.code.as_deref().unwrap_or_default()
}

fn name(n: &str) -> IamName {
    IamName::parse(n).expect("test name")
}

fn web_identity_trust(provider: &Arn) -> PolicyDocument {
    PolicyDocument::new(vec![
        Statement::allow(["sts:AssumeRoleWithWebIdentity"])
            .with_principal(Principal::of(PrincipalKind::Federated, [provider.as_str()])),
    ])
}

fn identity_policy(action: &str) -> PolicyDocument {
    PolicyDocument::new(vec![Statement::allow([action]).with_resources(["*"])])
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

async fn available_file_system(
    w: &World,
    token: &str,
) -> Result<FileSystemId, Box<dyn std::error::Error>> {
    let fs = w.b.efs.create_file_system(&new_fs(token)).await?;
    until("the file system", || async {
        Ok(w.b
            .efs
            .describe_file_system(&fs.id)
            .await?
            .is_some_and(|f| f.life_cycle == LifeCycle::Available))
    })
    .await?;
    Ok(fs.id)
}

// ---------------------------------------------------------------------------------------------
// The cases

/// Roles: create, read, `EntityAlreadyExists`, `DeleteConflict` while a policy is attached,
/// then detach and delete, idempotently.
async fn roles_and_attachments(w: World) -> TestResult {
    let role = NewRole {
        name: name("csi"),
        trust: web_identity_trust(&w.oidc_provider_arn),
        description: "contract".into(),
        tags: [("xefs:stack".to_owned(), "contract".to_owned())].into(),
    };
    let arn = w.a.iam.create_role(&role).await?;
    assert_eq!(arn.as_str(), format!("arn:aws:iam::{}:role/csi", w.a.id));
    let live = w.a.iam.get_role(&role.name).await?.ok_or("the role")?;
    assert!(live.trust.equivalent(&role.trust), "{}", live.trust);
    assert_eq!(live.tags, role.tags);
    let dup =
        w.a.iam
            .create_role(&role)
            .await
            .err()
            .ok_or("a duplicate role")?;
    assert_eq!((code(&dup), dup.retryable), ("EntityAlreadyExists", false));

    let policy =
        w.a.iam
            .create_policy(&NewPolicy {
                name: name("csi-policy"),
                document: identity_policy("elasticfilesystem:DescribeMountTargets"),
                tags: Tags::new(),
            })
            .await?;
    w.a.iam.attach_policy(&role.name, &policy).await?;
    w.a.iam.attach_policy(&role.name, &policy).await?; // IAM's attach is idempotent
    assert_eq!(
        w.a.iam.attached_policies(&role.name).await?,
        std::slice::from_ref(&policy)
    );
    let conflict =
        w.a.iam
            .delete_role(&role.name)
            .await
            .err()
            .ok_or("attached")?;
    assert_eq!(
        (code(&conflict), conflict.retryable),
        ("DeleteConflict", false)
    );

    w.a.iam.detach_policy(&role.name, &policy).await?;
    w.a.iam.detach_policy(&role.name, &policy).await?; // not attached: success
    w.a.iam.delete_role(&role.name).await?;
    w.a.iam.delete_role(&role.name).await?; // already gone: success
    assert_eq!(w.a.iam.get_role(&role.name).await?, None);
    w.a.iam.delete_policy(&policy).await?;
    Ok(())
}

/// Policy versions: five at most (`LimitExceeded`, not retryable), pruned one by one.
async fn policy_version_limit(w: World) -> TestResult {
    let arn =
        w.a.iam
            .create_policy(&NewPolicy {
                name: name("versions"),
                document: identity_policy("elasticfilesystem:DescribeMountTargets"),
                tags: Tags::new(),
            })
            .await?;
    for action in ["a", "b", "c", "d"] {
        let v =
            w.a.iam
                .create_default_policy_version(
                    &arn,
                    &identity_policy(&format!("elasticfilesystem:Describe{action}")),
                )
                .await?;
        assert_eq!(
            w.a.iam
                .get_policy(&arn)
                .await?
                .ok_or("policy")?
                .default_version_id,
            v
        );
    }
    let limit =
        w.a.iam
            .create_default_policy_version(&arn, &identity_policy("elasticfilesystem:DescribeE"))
            .await
            .err()
            .ok_or("a sixth version")?;
    assert_eq!((code(&limit), limit.retryable), ("LimitExceeded", false));
    // One version read says its document and whether it is the default.
    let v1 = w.a.iam.get_policy_version(&arn, "v1").await?.ok_or("v1")?;
    assert!(!v1.is_default);
    assert_eq!(
        v1.document,
        identity_policy("elasticfilesystem:DescribeMountTargets")
    );
    assert!(
        w.a.iam
            .get_policy_version(&arn, "v5")
            .await?
            .ok_or("v5")?
            .is_default
    );
    assert_eq!(w.a.iam.get_policy_version(&arn, "v9").await?, None);
    let versions = w.a.iam.list_policy_versions(&arn).await?;
    assert_eq!(versions.len(), 5);
    assert_eq!(versions.iter().filter(|v| v.is_default).count(), 1);
    for v in versions.iter().filter(|v| !v.is_default) {
        w.a.iam.delete_policy_version(&arn, &v.id).await?;
    }
    w.a.iam.delete_policy(&arn).await?;
    w.a.iam.delete_policy(&arn).await?; // already gone: success
    assert_eq!(w.a.iam.get_policy(&arn).await?, None);
    assert_eq!(w.a.iam.get_policy_version(&arn, "v5").await?, None);
    Ok(())
}

/// What does not exist reads as `None` or nothing, and deleting it succeeds.
async fn absent_is_none_and_deletes_are_idempotent(w: World) -> TestResult {
    let b = &w.b;
    assert_eq!(b.iam.get_role(&name("nobody")).await?, None);
    let policy = Arn::parse(&format!("arn:aws:iam::{}:policy/nothing", b.id))?;
    assert_eq!(b.iam.get_policy(&policy).await?, None);
    assert!(b.iam.attached_policies(&name("nobody")).await?.is_empty());
    assert!(b.iam.instance_profile_roles("nothing").await?.is_empty());
    assert_eq!(
        b.ec2.describe_vpc(&VpcId::parse("vpc-0a1b2c3d")?).await?,
        None
    );
    // A's VPC is not B's to see.
    assert_eq!(b.ec2.describe_vpc(&w.a_vpc).await?, None);
    assert_eq!(
        b.ec2
            .describe_peering(&PeeringId::parse("pcx-0a1b2c3d")?)
            .await?,
        None
    );
    let sg = SecurityGroupId::parse("sg-0a1b2c3d")?;
    assert_eq!(b.ec2.describe_security_group(&sg).await?, None);
    let fs = FileSystemId::parse("fs-0a1b2c3d")?;
    assert_eq!(b.efs.describe_file_system(&fs).await?, None);
    assert_eq!(b.efs.file_system_by_token("nothing").await?, None);
    assert!(b.efs.mount_targets(&fs).await?.is_empty());
    let mt = MountTargetId::parse("fsmt-0a1b2c3d")?;
    assert!(b.efs.mount_target_security_groups(&mt).await?.is_empty());

    b.iam.delete_role(&name("nobody")).await?;
    b.iam.delete_policy(&policy).await?;
    b.iam.delete_policy_version(&policy, "v2").await?;
    b.iam.detach_policy(&name("nobody"), &policy).await?;
    b.ec2.delete_security_group(&sg).await?;
    b.ec2
        .delete_peering(&PeeringId::parse("pcx-0a1b2c3d")?)
        .await?;
    b.efs.delete_file_system(&fs).await?;
    b.efs.delete_mount_target(&mt).await?;
    let table = w.a_main_table.clone();
    w.a.ec2
        .delete_route(&table, &Ipv4Cidr::parse("192.168.0.0/16")?)
        .await?;
    if w.is_fake() {
        // moto answers these two with HTTP 500 for an unknown file system.
        assert_eq!(b.efs.file_system_policy(&fs).await?, None);
        b.efs.delete_file_system_policy(&fs).await?;
    }
    Ok(())
}

/// Security groups: a duplicate name is refused, a duplicate rule is success.
async fn security_group_rules(w: World) -> TestResult {
    let group = NewSecurityGroup {
        vpc_id: w.b_vpc.clone(),
        name: "nfs".into(),
        description: "NFS from A".into(),
        tags: [("xefs:stack".to_owned(), "contract".to_owned())].into(),
    };
    let id = w.b.ec2.create_security_group(&group).await?;
    let dup =
        w.b.ec2
            .create_security_group(&group)
            .await
            .err()
            .ok_or("a duplicate")?;
    assert_eq!(
        (code(&dup), dup.retryable),
        ("InvalidGroup.Duplicate", false)
    );
    let source = Ipv4Cidr::parse("10.0.0.0/16")?;
    w.b.ec2.allow_tcp_ingress(&id, 2049, &source, "nfs").await?;
    w.b.ec2.allow_tcp_ingress(&id, 2049, &source, "nfs").await?; // duplicate: success
    let live =
        w.b.ec2
            .find_security_group(&w.b_vpc, "nfs")
            .await?
            .ok_or("the group")?;
    assert_eq!(live.id, id);
    assert_eq!(live.tags, group.tags);
    assert_eq!(live.ingress.len(), 1);
    assert_eq!(
        (
            live.ingress[0].protocol.as_str(),
            live.ingress[0].from_port,
            live.ingress[0].to_port
        ),
        ("tcp", Some(2049), Some(2049))
    );
    assert_eq!(live.ingress[0].cidrs, [source]);
    assert!(!live.egress.is_empty(), "a new group lets everything out");
    w.b.ec2.delete_security_group(&id).await?;
    w.b.ec2.delete_security_group(&id).await?; // already gone: success
    Ok(())
}

/// Peering across accounts: requested by A, accepted by B, routed; a route to the same
/// destination, to this peering or to anything else, is `RouteAlreadyExists`.
async fn peering_accept_and_routes(w: World) -> TestResult {
    let request = NewPeering {
        requester_vpc: w.a_vpc.clone(),
        accepter_vpc: w.b_vpc.clone(),
        accepter_owner: w.b.id.clone(),
        accepter_region: xefs_core::ids::Region::parse(crate::support::REGION)?,
        tags: [("xefs:stack".to_owned(), "contract".to_owned())].into(),
    };
    let created = w.a.ec2.create_peering(&request).await?;
    assert!(matches!(
        created.status,
        PeeringStatus::Initiating | PeeringStatus::PendingAcceptance
    ));
    assert_eq!(
        (&created.requester_owner, &created.accepter_owner),
        (&w.a.id, &w.b.id)
    );
    let id = created.id.clone();
    until("B to see the request", || async {
        Ok(w.b
            .ec2
            .describe_peering(&id)
            .await?
            .is_some_and(|p| p.status == PeeringStatus::PendingAcceptance))
    })
    .await?;
    if w.is_fake() {
        // moto lets the requester accept its own request; EC2 does not.
        let wrong =
            w.a.ec2
                .accept_peering(&id)
                .await
                .err()
                .ok_or("A cannot accept")?;
        assert_eq!(code(&wrong), "OperationNotPermitted");
    }
    w.b.ec2.accept_peering(&id).await?;
    until("the peering to be active", || async {
        Ok(w.a
            .ec2
            .describe_peering(&id)
            .await?
            .is_some_and(|p| p.status == PeeringStatus::Active))
    })
    .await?;
    let between = w.a.ec2.peerings_between(&w.a_vpc, &w.b_vpc).await?;
    assert_eq!(between.iter().map(|p| &p.id).collect::<Vec<_>>(), [&id]);
    assert_eq!(between[0].tags, request.tags);

    let table = w.a_main_table.clone();
    w.a.ec2.create_route(&table, &w.b_cidr, &id).await?;
    let identical =
        w.a.ec2
            .create_route(&table, &w.b_cidr, &id)
            .await
            .err()
            .ok_or("identical")?;
    assert_eq!(
        (code(&identical), identical.retryable),
        ("RouteAlreadyExists", false)
    );
    w.a.ec2.delete_route(&table, &w.b_cidr).await?;

    let gateway = w.add_gateway_route().await?;
    let other =
        w.a.ec2
            .create_route(&table, &w.b_cidr, &id)
            .await
            .err()
            .ok_or("another target")?;
    assert_eq!(
        (code(&other), other.retryable),
        ("RouteAlreadyExists", false)
    );
    let routes =
        &w.a.ec2
            .describe_route_tables(std::slice::from_ref(&table))
            .await?[0]
            .routes;
    let route = routes
        .iter()
        .find(|r| r.destination == w.b_cidr)
        .ok_or("the gateway route")?;
    assert_eq!(route.target.to_string(), gateway);

    w.a.ec2.delete_peering(&id).await?;
    until("the peering to be gone", || async {
        Ok(w.a
            .ec2
            .describe_peering(&id)
            .await?
            .is_none_or(|p| matches!(p.status, PeeringStatus::Gone(_))))
    })
    .await?;
    w.a.ec2.delete_peering(&id).await?; // already gone: success
    Ok(())
}

/// A file system's creation token makes creating it idempotent.
async fn creation_token_reuse(w: World) -> TestResult {
    let first =
        w.b.efs
            .create_file_system(&new_fs("contract-token"))
            .await?;
    let second =
        w.b.efs
            .create_file_system(&new_fs("contract-token"))
            .await?;
    assert_eq!(second.id, first.id);
    let found =
        w.b.efs
            .file_system_by_token("contract-token")
            .await?
            .ok_or("by token")?;
    assert_eq!(found.id, first.id);
    assert!(found.encrypted);
    until("the file system", || async {
        Ok(w.b
            .efs
            .describe_file_system(&first.id)
            .await?
            .is_some_and(|f| f.life_cycle == LifeCycle::Available))
    })
    .await?;
    w.b.efs.delete_file_system(&first.id).await?;
    until("the file system to be gone", || async {
        Ok(w.b.efs.describe_file_system(&first.id).await?.is_none())
    })
    .await?;
    w.b.efs.delete_file_system(&first.id).await?; // already gone: success
    Ok(())
}

/// One mount target per zone (`MountTargetConflict`); a file system with mount targets is not
/// deletable (`FileSystemInUse`); deleting the mount target frees it.
async fn mount_target_conflict(w: World) -> TestResult {
    let fs = available_file_system(&w, "contract-mt").await?;
    let subnet = w.b_subnets[0].clone();
    let target = w.b.efs.create_mount_target(&fs, &subnet, &[]).await?;
    assert_eq!(target.subnet_id, subnet);
    assert_eq!(target.vpc_id.as_ref(), Some(&w.b_vpc));
    let conflict =
        w.b.efs
            .create_mount_target(&fs, &subnet, &[])
            .await
            .err()
            .ok_or("a second mount target in the zone")?;
    assert_eq!(
        (code(&conflict), conflict.retryable),
        ("MountTargetConflict", false)
    );
    let in_use =
        w.b.efs
            .delete_file_system(&fs)
            .await
            .err()
            .ok_or("in use")?;
    assert_eq!(
        (code(&in_use), in_use.retryable),
        ("FileSystemInUse", false)
    );

    until("the mount target", || async {
        Ok(w.b
            .efs
            .mount_targets(&fs)
            .await?
            .iter()
            .all(|t| t.life_cycle == LifeCycle::Available))
    })
    .await?;
    w.b.efs.delete_mount_target(&target.id).await?;
    until("the mount target to be gone", || async {
        Ok(w.b.efs.mount_targets(&fs).await?.is_empty())
    })
    .await?;
    w.b.efs.delete_file_system(&fs).await?;
    Ok(())
}

// ---------------------------------------------------------------------------------------------
// Each case on both sides

macro_rules! on_both {
    ($($case:ident),* $(,)?) => {
        mod on_fake {
            $(
                #[tokio::test(start_paused = true)]
                async fn $case() -> super::TestResult {
                    super::$case(super::World::fake()?).await
                }
            )*
        }
        mod on_moto {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $case() -> super::TestResult {
                    super::$case(super::World::moto().await).await
                }
            )*
        }
    };
}

on_both!(
    roles_and_attachments,
    policy_version_limit,
    absent_is_none_and_deletes_are_idempotent,
    security_group_rules,
    peering_accept_and_routes,
    creation_token_reuse,
    mount_target_conflict,
);
