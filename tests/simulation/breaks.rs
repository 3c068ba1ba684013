//! Breaks: each fault `doctor` knows, made behind xefs's back in the simulated AWS after the
//! AWS and cluster phases applied cleanly, makes the verify phase (`xefs verify`) fail at the
//! stage a real cluster would — the claim does not bind, or the writer does not start — with
//! the Warning event a real cluster shows; `doctor` over the broken world fails the checks
//! that name the cause and no other; and `destroy` still restores both worlds exactly.
//!
//! The verify phase reads the other phases' steps only for their outputs: one whose resource
//! is gone (a deleted route, a deleted peering) lends what the journal recorded, so the check
//! runs and meets the break as the cluster does.

use std::collections::BTreeSet;

use xefs::aws::doctor::{DoctorAccounts, read_snapshot};
use xefs::aws::fake::FakePorts;
use xefs::aws::ports::{Ec2 as _, Efs as _, Iam as _, RouteTarget};
use xefs::core::blueprint::Phase;
use xefs::core::doctor::{CheckId, diagnose};
use xefs::core::engine::DestroyOptions;
use xefs::core::iam::PolicyDocument;
use xefs::core::ids::{Arn, IamName};
use xefs::k8s::doctor::read_cluster;
use xefs::k8s::fake::{NFS_ACCESS_DENIED, NFS_CONNECTION_TIMED_OUT, PROVISIONING_ACCESS_DENIED};

use crate::support::{BUILD, TestResult, World};

/// A fault someone makes in account A or B after xefs set the stack up.
#[derive(Debug, Clone, Copy)]
enum Break {
    /// A's routes to B's CIDR deleted from every route table of A's VPC.
    RouteToPeerDeleted,
    /// B's routes back to A's CIDR deleted.
    RouteBackDeleted,
    /// B's role trusting the root of an account that is not A, instead of A's CSI role.
    ForeignRootTrust,
    /// B's policy replaced by A's CSI policy: the guide's "B's policy built from A's file".
    PolicyFromAsFile,
    /// The file-system policy denying A's node role everything.
    NodeRoleDenied,
    /// The peering deleted.
    PeeringDeleted,
    /// The NFS rule of the mount targets' security group revoked.
    NfsIngressRevoked,
    /// The mount targets deleted: the file system's name resolves nowhere.
    MountTargetsDeleted,
    /// A's CSI role trusting the driver's service accounts in another namespace.
    CsiTrustOtherNamespace,
}

/// Where the verify phase stops, what the cluster shows, and what doctor finds.
struct Expected {
    /// The stage the verify step's error names.
    stage: &'static str,
    /// The Warning event: the object, its reason, and part of its message.
    event: (&'static str, &'static str, &'static str),
    /// The checks doctor fails: the one that names the cause (and, for a deleted peering,
    /// the routes it leaves as blackholes).
    checks: &'static [CheckId],
}

const WRITER: &str = "Pod xefs-verify/xefs-writer";
const CLAIM: &str = "PersistentVolumeClaim xefs-verify/xefs-verify";

impl Break {
    fn expected(self) -> Expected {
        let timed_out = (WRITER, "FailedMount", NFS_CONNECTION_TIMED_OUT);
        let not_started = "writer did not start";
        let not_bound = "claim did not bind";
        match self {
            Break::RouteToPeerDeleted => Expected {
                stage: not_started,
                event: timed_out,
                checks: &[CheckId::RouteToPeer],
            },
            Break::RouteBackDeleted => Expected {
                stage: not_started,
                event: timed_out,
                checks: &[CheckId::RouteBack],
            },
            Break::ForeignRootTrust => Expected {
                stage: not_bound,
                event: (
                    CLAIM,
                    "ProvisioningFailed",
                    "AccessDenied: Not authorized to perform sts:AssumeRole",
                ),
                checks: &[CheckId::AssumeCrossAccountRole],
            },
            Break::PolicyFromAsFile => Expected {
                stage: not_bound,
                event: (CLAIM, "ProvisioningFailed", PROVISIONING_ACCESS_DENIED),
                checks: &[CheckId::DriverPermissions],
            },
            Break::NodeRoleDenied => Expected {
                stage: not_started,
                event: (WRITER, "FailedMount", NFS_ACCESS_DENIED),
                checks: &[CheckId::FileSystemPolicy],
            },
            Break::PeeringDeleted => Expected {
                stage: not_started,
                event: timed_out,
                // Its routes stay, as blackholes: doctor says so for both sides, since a new
                // peering needs new routes too.
                checks: &[
                    CheckId::PeeringActive,
                    CheckId::RouteToPeer,
                    CheckId::RouteBack,
                ],
            },
            Break::NfsIngressRevoked => Expected {
                stage: not_started,
                event: timed_out,
                checks: &[CheckId::NfsIngress],
            },
            Break::MountTargetsDeleted => Expected {
                stage: not_started,
                event: (WRITER, "FailedMount", "Output: Failed to resolve \"fs-"),
                checks: &[CheckId::AzAlignment],
            },
            Break::CsiTrustOtherNamespace => Expected {
                stage: not_bound,
                event: (
                    CLAIM,
                    "ProvisioningFailed",
                    "AccessDenied: Not authorized to perform sts:AssumeRoleWithWebIdentity",
                ),
                checks: &[CheckId::CsiTrust],
            },
        }
    }

    /// Makes the fault with the fake's ports (and, for what the ports cannot do, its test
    /// helpers), as someone with each account's console would.
    async fn inject(self, world: &World) -> TestResult {
        let spec = &world.spec;
        let aws = world.sim.aws();
        let a = aws.ports(&spec.cluster.account_id, &spec.region);
        let b = aws.ports(&spec.storage.account_id, &spec.region);
        match self {
            Break::RouteToPeerDeleted => {
                let deleted = delete_peering_routes(&a, &spec.cluster.vpc_id, spec).await?;
                assert!(deleted > 0, "A has routes to B");
            }
            Break::RouteBackDeleted => {
                let deleted = delete_peering_routes(&b, &spec.storage.vpc_id, spec).await?;
                assert!(deleted > 0, "B has routes to A");
            }
            Break::ForeignRootTrust => {
                let trust = PolicyDocument::parse(
                    r#"{"Version": "2012-10-17", "Statement": [{"Effect": "Allow",
                        "Principal": {"AWS": "arn:aws:iam::333333333333:root"},
                        "Action": "sts:AssumeRole"}]}"#,
                )?;
                b.iam
                    .update_trust(&spec.iam.cross_account_role_name, &trust)
                    .await?;
            }
            Break::PolicyFromAsFile => {
                let a_policy = policy_arn(&spec.cluster.account_id, &spec.iam.csi_policy_name)?;
                let a_document = default_document(&a, &a_policy).await?;
                let b_policy = policy_arn(
                    &spec.storage.account_id,
                    &spec.iam.cross_account_policy_name,
                )?;
                b.iam
                    .create_default_policy_version(&b_policy, &a_document)
                    .await?;
            }
            Break::NodeRoleDenied => {
                let fs = file_system(&b, spec).await?;
                let node_roles = a.iam.instance_profile_roles(NODE_PROFILE).await?;
                let node_role = node_roles.first().ok_or("the workers have a role")?;
                let policy = b
                    .efs
                    .file_system_policy(&fs)
                    .await?
                    .ok_or("xefs attached a file-system policy")?;
                let mut json: serde_json::Value = serde_json::from_str(&policy.to_json_compact())?;
                let statements = json["Statement"]
                    .as_array_mut()
                    .ok_or("a policy has statements")?;
                statements.push(serde_json::json!({
                    "Sid": "SomeoneDeniesTheNodes",
                    "Effect": "Deny",
                    "Principal": { "AWS": node_role.to_string() },
                    "Action": "elasticfilesystem:*",
                    "Resource": "*",
                }));
                let denied = PolicyDocument::parse(&json.to_string())?;
                b.efs.put_file_system_policy(&fs, &denied).await?;
            }
            Break::PeeringDeleted => {
                let peerings = a
                    .ec2
                    .peerings_between(&spec.cluster.vpc_id, &spec.storage.vpc_id)
                    .await?;
                let [peering] = peerings.as_slice() else {
                    return Err(format!("one peering, found {peerings:#?}").into());
                };
                a.ec2.delete_peering(&peering.id).await?;
            }
            Break::NfsIngressRevoked => {
                let fs = file_system(&b, spec).await?;
                let mut revoked = 0;
                for target in b.efs.mount_targets(&fs).await? {
                    for group in b.efs.mount_target_security_groups(&target.id).await? {
                        if aws.revoke_ingress(&spec.storage.account_id, &spec.region, &group, 2049)
                        {
                            revoked += 1;
                        }
                    }
                }
                assert!(revoked > 0, "the mount targets have a security group");
            }
            Break::MountTargetsDeleted => {
                let fs = file_system(&b, spec).await?;
                for target in b.efs.mount_targets(&fs).await? {
                    b.efs.delete_mount_target(&target.id).await?;
                }
            }
            Break::CsiTrustOtherNamespace => {
                let role = a
                    .iam
                    .get_role(&spec.iam.csi_role_name)
                    .await?
                    .ok_or("xefs created A's CSI role")?;
                let trust = role.trust.to_json_compact();
                let namespace = format!(":{}:", spec.operator.namespace);
                assert!(trust.contains(&namespace), "{trust}");
                let elsewhere = trust.replace(&namespace, ":openshift-other-drivers:");
                a.iam
                    .update_trust(&spec.iam.csi_role_name, &PolicyDocument::parse(&elsewhere)?)
                    .await?;
            }
        }
        Ok(())
    }
}

/// The seeded workers' instance profile.
const NODE_PROFILE: &str = "xefs-sim-worker-profile";

/// Deletes every route through a peering from the route tables of `vpc`; how many.
async fn delete_peering_routes(
    ports: &FakePorts,
    vpc: &xefs::core::ids::VpcId,
    spec: &xefs::core::spec::StackSpec,
) -> Result<usize, Box<dyn std::error::Error>> {
    let mut deleted = 0;
    for table in ports.ec2.route_tables_in_vpc(vpc).await? {
        for route in &table.routes {
            if matches!(route.target, RouteTarget::Peering(_))
                && [spec.cluster.vpc_cidr, spec.storage.vpc_cidr].contains(&route.destination)
            {
                ports
                    .ec2
                    .delete_route(&table.id, &route.destination)
                    .await?;
                deleted += 1;
            }
        }
    }
    Ok(deleted)
}

fn policy_arn(
    account: &xefs::core::ids::AccountId,
    name: &IamName,
) -> Result<Arn, Box<dyn std::error::Error>> {
    Ok(Arn::parse(&format!(
        "arn:aws:iam::{account}:policy/{name}"
    ))?)
}

async fn default_document(
    ports: &FakePorts,
    arn: &Arn,
) -> Result<PolicyDocument, Box<dyn std::error::Error>> {
    let policy = ports
        .iam
        .get_policy(arn)
        .await?
        .ok_or("the policy exists")?;
    Ok(ports
        .iam
        .get_policy_document(arn, &policy.default_version_id)
        .await?)
}

async fn file_system(
    b: &FakePorts,
    spec: &xefs::core::spec::StackSpec,
) -> Result<xefs::core::ids::FileSystemId, Box<dyn std::error::Error>> {
    let fs = b.efs.file_system_by_token(spec.creation_token()).await?;
    Ok(fs.ok_or("xefs created the file system")?.id)
}

/// The Warning event of `object` with `reason` in the verify step's error, whole: each event
/// starts on a line of its own, indented by two spaces (its message may span lines).
fn warning_event<'m>(message: &'m str, object: &str, reason: &str) -> Option<&'m str> {
    let start = message.find(&format!("\n  {object}: {reason}"))? + 3;
    let rest = &message[start..];
    let end = rest
        .find("\n  ")
        .or_else(|| rest.find("\nnamespace "))
        .unwrap_or(rest.len());
    Some(&rest[..end])
}

/// Doctor's failed checks over the world as it is now, both accounts and the cluster read
/// (each once, though it may fail on several resources: both route tables of A, say).
async fn doctor_fails(world: &World) -> Result<BTreeSet<CheckId>, Box<dyn std::error::Error>> {
    let facts = read_cluster(&*world.sim.cluster(), &world.spec).await?;
    let accounts = DoctorAccounts::from(world.sim.accounts(&world.stats));
    let snapshot = read_snapshot(&world.spec, &accounts, Some(facts)).await?;
    let findings = diagnose(&snapshot);
    Ok(findings.failed().map(|f| f.check).collect())
}

/// Applies the AWS and cluster phases, breaks the world, runs the verify phase (as
/// `xefs verify` does), asks doctor, and destroys.
async fn verify_fails_where_a_real_cluster_would(broken: Break) -> TestResult {
    let real = std::time::Instant::now();
    let expected = broken.expected();
    let world = World::new("sim-break");
    let seeds = world.inventories();
    let mut state = world.state();
    let built = world
        .engine()
        .apply(&world.plan(Some(BUILD)), &mut state)
        .await?;
    assert!(built.is_success(), "{:#?}", built.failures);
    assert_eq!(
        doctor_fails(&world).await?,
        BTreeSet::new(),
        "clean, before the break"
    );

    broken.inject(&world).await?;

    let started = tokio::time::Instant::now();
    let report = world
        .engine()
        .apply(&world.plan(Some(&[Phase::Verify])), &mut state)
        .await?;
    let simulated = started.elapsed();
    let [failure] = report.failures.as_slice() else {
        panic!("only verify fails: {:#?}", report.failures);
    };
    assert_eq!(failure.address.as_str(), "verify.read-write", "{failure}");
    let message = failure.error.message();
    assert!(
        message.starts_with(&format!("verification failed: {}: ", expected.stage)),
        "{message}"
    );
    let (object, reason, text) = expected.event;
    let event = warning_event(message, object, reason)
        .unwrap_or_else(|| panic!("no {reason} event of {object}: {message}"));
    assert!(event.contains(text), "{event}");
    assert!(!failure.error.is_retryable(), "{:?}", failure.error);
    assert_eq!(
        doctor_fails(&world).await?,
        expected.checks.iter().copied().collect::<BTreeSet<_>>(),
        "doctor names the cause, and nothing else"
    );

    // Destroy after the failed check (which deleted its namespace): everything xefs made
    // goes, broken or not, and nothing else.
    let destroyed = world
        .engine()
        .destroy(&world.plan(None), &mut state, DestroyOptions::default())
        .await?;
    assert!(destroyed.is_success(), "{destroyed:#?}");
    let (aws, cluster) = world.inventories();
    assert!(aws == seeds.0, "the AWS world differs from its seed");
    assert!(
        cluster == seeds.1,
        "the cluster differs from its seed: {:?}",
        cluster.added_since(&seeds.1)
    );
    println!(
        "{broken:?}: verify failed after {simulated:?} simulated ({:?} real for the whole \
         test): {}",
        real.elapsed(),
        event.lines().next().unwrap_or_default()
    );
    Ok(())
}

/// One test per break.
macro_rules! breaks {
    ($($test:ident: $break:ident,)*) => {$(
        #[tokio::test(flavor = "current_thread", start_paused = true)]
        async fn $test() -> TestResult {
            verify_fails_where_a_real_cluster_would(Break::$break).await
        }
    )*};
}

breaks! {
    a_deleted_route_to_the_peer_times_the_mount_out: RouteToPeerDeleted,
    a_deleted_route_back_times_the_mount_out: RouteBackDeleted,
    a_trust_of_a_foreign_root_fails_provisioning: ForeignRootTrust,
    b_s_policy_built_from_a_s_file_fails_provisioning: PolicyFromAsFile,
    a_file_system_policy_denying_the_nodes_fails_the_mount: NodeRoleDenied,
    a_deleted_peering_times_the_mount_out: PeeringDeleted,
    a_revoked_nfs_rule_times_the_mount_out: NfsIngressRevoked,
    deleted_mount_targets_fail_name_resolution: MountTargetsDeleted,
    a_csi_trust_of_another_namespace_fails_provisioning: CsiTrustOtherNamespace,
}
