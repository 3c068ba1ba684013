//! `xefs doctor`'s reader against moto: the snapshot of a world before apply, after a full
//! `apply --phase aws`, and after someone broke the path behind xefs's back with raw SDK calls.
//!
//! The assertions go through the full diagnosis ([`failed_checks`]): a break must fail its own
//! check and nothing else.

use std::collections::BTreeSet;

use tempfile::TempDir;
use xefs_aws::CallStats;
use xefs_aws::doctor::{DoctorAccounts, read_snapshot};
use xefs_core::doctor::{CheckId, DoctorSnapshot, IdentityFact, Status, diagnose};
use xefs_core::spec::StackSpec;
use xefs_core::state::StackState;

use crate::flow::{bind, engine, provider, spec_for};
use crate::support::TwoAccountWorld;

type TestResult = Result<(), Box<dyn std::error::Error>>;

/// The checks that fail on `snapshot`, with the resource each names.
fn failed_checks(snapshot: &DoctorSnapshot) -> Vec<(CheckId, String)> {
    diagnose(snapshot)
        .into_iter()
        .filter(|f| f.status == Status::Failed)
        .map(|f| (f.check, f.resource))
        .collect()
}

/// Both accounts as doctor connects them, counting calls in `stats`.
async fn accounts(world: &TwoAccountWorld, spec: &StackSpec, stats: &CallStats) -> DoctorAccounts {
    DoctorAccounts::connect(spec, &world.connect_options().with_stats(stats.clone())).await
}

/// A fresh world with the AWS phase applied to it, as the flow tests apply it.
async fn applied_world(
    stack: &str,
) -> Result<(TwoAccountWorld, StackSpec), Box<dyn std::error::Error>> {
    let world = TwoAccountWorld::build().await;
    let spec = spec_for(&world, stack);
    let aws = provider(&world, &spec, &CallStats::new()).await?;
    let plan = bind(&spec, &aws)?;
    let dir = TempDir::new()?;
    let mut state = StackState::open(dir.path(), &spec.name)?;
    let report = engine().apply(&plan, &mut state).await?;
    assert!(report.is_success(), "{:#?}", report.failures);
    Ok((world, spec))
}

/// Reads the snapshot of `world` and checks the read wrote nothing.
async fn snapshot_of(
    world: &TwoAccountWorld,
    spec: &StackSpec,
) -> Result<(DoctorSnapshot, CallStats), Box<dyn std::error::Error>> {
    let stats = CallStats::new();
    let accounts = accounts(world, spec, &stats).await;
    let snapshot = read_snapshot(spec, &accounts, None).await?;
    assert_eq!(
        stats.total().writes,
        0,
        "doctor wrote: {:?}",
        stats.by_call()
    );
    Ok((snapshot, stats))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn before_apply_both_accounts_are_verified_and_nothing_of_xefs_exists() -> TestResult {
    let world = TwoAccountWorld::build().await;
    let spec = spec_for(&world, "doctor-before");
    let (snapshot, stats) = snapshot_of(&world, &spec).await?;
    println!(
        "doctor before apply: {:?}, by call {:?}",
        stats.total(),
        stats.by_call()
    );

    for (facts, world_account) in [
        (&snapshot.cluster_account, &world.cluster),
        (&snapshot.storage_account, &world.storage),
    ] {
        assert!(
            matches!(facts.identity, IdentityFact::Verified { .. }),
            "{:?}",
            facts.identity
        );
        assert_eq!(facts.expected, world_account.id);
        assert_eq!(facts.vpc.id, world_account.vpc_id);
        assert_eq!(facts.vpc.cidrs, Some(vec![world_account.vpc_cidr]));
    }
    assert!(!snapshot.applied());
    assert_eq!(snapshot.file_system, None);
    assert_eq!(snapshot.iam.csi_role.found, None);
    assert_eq!(snapshot.iam.cross_account_role.found, None);
    let oidc = snapshot
        .oidc
        .as_ref()
        .ok_or("the spec names the provider")?;
    assert!(oidc.registered, "{oidc:?}");
    assert_eq!(oidc.arn, world.oidc_provider_arn);

    let network = snapshot.network.as_ref().ok_or("both VPCs exist")?;
    assert_eq!(network.peering, None);
    assert!(network.mount_targets.is_empty());
    let workers: BTreeSet<_> = network.workers.iter().map(|w| w.az_id.clone()).collect();
    assert_eq!(workers, world.cluster.az_ids());
    assert_eq!(network.workers.len(), world.cluster.subnets.len());
    assert_eq!(network.cluster.subnets.len(), world.cluster.subnets.len());
    assert_eq!(network.storage.subnets.len(), world.storage.subnets.len());
    // The main table and A's explicit one; B has only its main table.
    assert_eq!(network.cluster.route_tables.len(), 2);
    assert_eq!(network.storage.route_tables.len(), 1);
    assert!(network.cluster.network_acls.iter().all(|acl| acl.default));

    // As a preflight: nothing fails, and what apply creates is skipped.
    let findings = diagnose(&snapshot);
    assert_eq!(failed_checks(&snapshot), []);
    assert_eq!(findings.warned().count(), 0, "{findings:#?}");
    assert!(
        findings
            .skipped()
            .any(|f| f.check == CheckId::PeeringActive)
    );
    assert!(
        findings
            .iter()
            .any(|f| f.check == CheckId::OidcProvider && f.status == Status::Passed)
    );
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn after_apply_the_path_holds_and_every_resource_is_read() -> TestResult {
    let (world, spec) = applied_world("doctor-applied").await?;
    let (snapshot, stats) = snapshot_of(&world, &spec).await?;
    println!(
        "doctor after apply: {:?}, by service {:?}, by call {:?}",
        stats.total(),
        stats.by_service(),
        stats.by_call()
    );

    assert!(snapshot.applied());
    let network = snapshot.network.as_ref().ok_or("both VPCs exist")?;
    let peering = network.peering.as_ref().ok_or("the peering is found")?;
    assert_eq!(peering.status, "active");
    assert_eq!(
        (&peering.requester_vpc, &peering.accepter_vpc),
        (&world.cluster.vpc_id, &world.storage.vpc_id)
    );
    // Routes both ways: every table serving A's workers, and B's main table.
    let routes_to = |tables: &[xefs_core::doctor::RouteTableState], cidr| {
        tables
            .iter()
            .filter(|t| {
                t.routes.iter().any(|r| {
                    r.destination == cidr
                        && r.target
                            == xefs_core::doctor::RouteTargetState::Peering(peering.id.clone())
                })
            })
            .count()
    };
    assert_eq!(
        routes_to(&network.cluster.route_tables, world.storage.vpc_cidr),
        2
    );
    assert_eq!(
        routes_to(&network.storage.route_tables, world.cluster.vpc_cidr),
        1
    );
    // A mount target in every worker AZ id, available, in B's VPC and the NFS group.
    let zones: BTreeSet<_> = network
        .mount_targets
        .iter()
        .map(|m| m.az_id.clone())
        .collect();
    assert_eq!(zones, world.cluster.az_ids());
    for mt in &network.mount_targets {
        assert_eq!(mt.vpc, world.storage.vpc_id);
        assert_eq!(mt.state, "available");
        assert_eq!(mt.security_groups.len(), 1, "{mt:?}");
    }
    assert_eq!(network.storage.security_groups.len(), 1);
    // Both roles, with their trust and their policy.
    for role in [&snapshot.iam.csi_role, &snapshot.iam.cross_account_role] {
        let docs = role.found.as_ref().ok_or("the role exists")?;
        assert!(!docs.trust.statements.is_empty());
        assert_eq!(docs.policies.len(), 1, "{docs:?}");
        assert!(!docs.combined_policy().statements.is_empty());
    }
    assert_eq!(
        snapshot.iam.cross_account_role.arn,
        spec.cross_account_role_arn()
    );
    let fs = snapshot
        .file_system
        .as_ref()
        .ok_or("the file system exists")?;
    assert_eq!(fs.life_cycle, "available");
    assert!(!fs.policy_expected && fs.policy.is_none());
    assert_eq!(
        snapshot.iam.node_roles,
        world
            .workers
            .iter()
            .map(|w| w.role_arn.clone())
            .collect::<BTreeSet<_>>()
            .into_iter()
            .collect::<Vec<_>>()
    );

    assert_eq!(failed_checks(&snapshot), []);
    let findings = diagnose(&snapshot);
    // The flow spec leaves the file-system policy out (moto's quirk): doctor warns of it.
    let warned: Vec<CheckId> = findings.warned().map(|f| f.check).collect();
    assert_eq!(warned, [CheckId::FileSystemPolicy], "{findings:#?}");
    // Only what needs the cluster is skipped: this reader was given no cluster facts.
    assert!(
        findings
            .skipped()
            .all(|f| f.message.contains("the cluster was not read")),
        "{findings:#?}"
    );
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_route_deleted_behind_xefss_back_fails_route_to_peer_on_that_table_only() -> TestResult {
    let (world, spec) = applied_world("doctor-route").await?;
    let table = world
        .cluster
        .explicit_route_table
        .clone()
        .ok_or("the world has an explicit route table")?;
    world
        .cluster
        .ec2()
        .delete_route()
        .route_table_id(table.as_str())
        .destination_cidr_block(world.storage.vpc_cidr.to_string())
        .send()
        .await?;

    let (snapshot, _) = snapshot_of(&world, &spec).await?;

    assert_eq!(
        failed_checks(&snapshot),
        [(
            CheckId::RouteToPeer,
            format!("route table {table} in account {}", world.cluster.id)
        )]
    );
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_revoked_nfs_rule_fails_nfs_ingress_naming_the_group() -> TestResult {
    let (world, spec) = applied_world("doctor-ingress").await?;
    let (before, _) = snapshot_of(&world, &spec).await?;
    let group = before
        .network
        .as_ref()
        .and_then(|n| n.mount_targets.first())
        .and_then(|mt| mt.security_groups.first())
        .ok_or("the mount targets' group")?
        .clone();
    world
        .storage
        .ec2()
        .revoke_security_group_ingress()
        .group_id(group.as_str())
        .ip_permissions(
            aws_sdk_ec2::types::IpPermission::builder()
                .ip_protocol("tcp")
                .from_port(2049)
                .to_port(2049)
                .ip_ranges(
                    aws_sdk_ec2::types::IpRange::builder()
                        .cidr_ip(world.cluster.vpc_cidr.to_string())
                        .build(),
                )
                .build(),
        )
        .send()
        .await?;

    let (snapshot, _) = snapshot_of(&world, &spec).await?;

    assert_eq!(
        failed_checks(&snapshot),
        [(
            CheckId::NfsIngress,
            format!("security group {group} in account {}", world.storage.id)
        )]
    );
    Ok(())
}
