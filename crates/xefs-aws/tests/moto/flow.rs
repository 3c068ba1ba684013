//! The whole AWS phase against moto: the real provider, the real engine and journal, and the
//! SDK adapters talking to moto in two fresh accounts.
//!
//! The specs here turn the file-system policy off: moto answers `DeleteFileSystemPolicy` with
//! HTTP 500 (the policy step's removal is covered by its unit tests). They name the worker
//! role, so the EFS client-access policy is created and attached too.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;

use tempfile::TempDir;
use xefs_aws::sdk::connect;
use xefs_aws::{AwsOptions, AwsProvider, CallStats, ProviderError};
use xefs_core::blueprint::{Blueprint, Phase, addr};
use xefs_core::engine::{BoundPlan, DestroyOptions, Engine, EngineError, EngineOptions};
use xefs_core::spec::StackSpec;
use xefs_core::state::{FailAction, JournalPoint, RecordKind, StackState, StateError};
use xefs_core::step::Change;

use crate::support::TwoAccountWorld;
use crate::support::world::parse_spec;

type TestResult = Result<(), Box<dyn std::error::Error>>;

/// The world's spec with the worker role named and no file-system policy.
pub(crate) fn spec_for(world: &TwoAccountWorld, stack: &str) -> StackSpec {
    let roles = world
        .workers
        .iter()
        .map(|w| format!("\"{}\"", w.role_arn))
        .collect::<BTreeSet<_>>()
        .into_iter()
        .collect::<Vec<_>>()
        .join(", ");
    let toml = world.spec_toml(stack).replace(
        "worker_subnets = [",
        &format!("node_role_arns = [{roles}]\nworker_subnets = ["),
    ) + "\n[efs]\nfile_system_policy = false\n";
    parse_spec(&toml)
}

/// The provider of both accounts, counting calls in `stats`.
pub(crate) async fn provider(
    world: &TwoAccountWorld,
    spec: &StackSpec,
    stats: &CallStats,
) -> Result<AwsProvider, ProviderError> {
    let accounts = connect(spec, &world.connect_options().with_stats(stats.clone())).await?;
    accounts.verify_identities().await?;
    Ok(AwsProvider::new(accounts, AwsOptions::default()))
}

pub(crate) fn bind(spec: &StackSpec, aws: &AwsProvider) -> Result<BoundPlan, EngineError> {
    BoundPlan::bind(&Blueprint::build(spec).select(&[Phase::Aws]), &[aws])
}

pub(crate) fn engine() -> Engine {
    Engine::new(EngineOptions::default())
}

/// What xefs could have touched in one account, to prove destroy restores it.
#[derive(Debug, PartialEq, Eq)]
struct AccountSnapshot {
    roles: BTreeSet<String>,
    policies: BTreeSet<String>,
    live_peerings: BTreeSet<String>,
    routes: BTreeMap<String, BTreeSet<String>>,
    security_groups: BTreeMap<String, usize>,
    file_systems: BTreeSet<String>,
}

async fn snapshot(
    account: &xefs_moto::WorldAccount,
) -> Result<AccountSnapshot, Box<dyn std::error::Error>> {
    let (iam, ec2, efs) = (account.iam(), account.ec2(), account.efs());
    let roles = iam.list_roles().send().await?;
    let policies = iam
        .list_policies()
        .scope(aws_sdk_iam::types::PolicyScopeType::Local)
        .send()
        .await?;
    let peerings = ec2.describe_vpc_peering_connections().send().await?;
    let tables = ec2.describe_route_tables().send().await?;
    let groups = ec2.describe_security_groups().send().await?;
    let file_systems = efs.describe_file_systems().send().await?;
    Ok(AccountSnapshot {
        roles: roles
            .roles()
            .iter()
            .map(|r| r.role_name().to_owned())
            .collect(),
        policies: policies
            .policies()
            .iter()
            .filter_map(|p| p.policy_name().map(str::to_owned))
            .collect(),
        live_peerings: peerings
            .vpc_peering_connections()
            .iter()
            .filter(|p| {
                !matches!(
                    p.status().and_then(|s| s.code()),
                    Some(aws_sdk_ec2::types::VpcPeeringConnectionStateReasonCode::Deleted)
                )
            })
            .filter_map(|p| p.vpc_peering_connection_id().map(str::to_owned))
            .collect(),
        routes: tables
            .route_tables()
            .iter()
            .map(|t| {
                let routes = t
                    .routes()
                    .iter()
                    .map(|r| {
                        format!(
                            "{:?}→{:?}{:?}",
                            r.destination_cidr_block(),
                            r.gateway_id(),
                            r.vpc_peering_connection_id()
                        )
                    })
                    .collect();
                (t.route_table_id().unwrap_or_default().to_owned(), routes)
            })
            .collect(),
        security_groups: groups
            .security_groups()
            .iter()
            .map(|g| {
                (
                    g.group_name().unwrap_or_default().to_owned(),
                    g.ip_permissions().len(),
                )
            })
            .collect(),
        file_systems: file_systems
            .file_systems()
            .iter()
            .map(|f| f.file_system_id().to_owned())
            .collect(),
    })
}

async fn snapshots(
    world: &TwoAccountWorld,
) -> Result<(AccountSnapshot, AccountSnapshot), Box<dyn std::error::Error>> {
    Ok((
        snapshot(&world.cluster).await?,
        snapshot(&world.storage).await?,
    ))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn apply_then_noop_apply_then_destroy_restores_both_accounts() -> TestResult {
    let world = TwoAccountWorld::build().await;
    let before = snapshots(&world).await?;
    let spec = spec_for(&world, "flow-full");
    let stats = CallStats::new();
    let aws = provider(&world, &spec, &stats).await?;
    let plan = bind(&spec, &aws)?;
    let dir = TempDir::new()?;
    let mut state = StackState::open(dir.path(), &spec.name)?;

    // A fresh apply creates every AWS resource.
    stats.reset();
    let report = engine().apply(&plan, &mut state).await?;
    assert!(report.is_success(), "{:#?}", report.failures);
    let fresh = stats.total();
    println!(
        "fresh apply: {} created, calls {fresh:?}, by call {:?}",
        report.created(),
        stats.by_call()
    );
    assert_eq!(report.created(), 14, "{:#?}", report.steps);
    assert_eq!(report.read(), 3);

    // What the guide gets wrong, checked in the accounts themselves.
    let efs = world.storage.efs();
    let fs = efs
        .describe_file_systems()
        .creation_token(spec.creation_token())
        .send()
        .await?;
    let [fs] = fs.file_systems() else {
        return Err(format!("expected one file system, found {:?}", fs.file_systems()).into());
    };
    assert!(fs.encrypted().unwrap_or(false));
    // Every taggable resource carries the stack's tag, so it can be found without the journal.
    let tagged = |tags: Vec<(String, String)>| {
        tags.contains(&("xefs:stack".to_owned(), "flow-full".to_owned()))
    };
    assert!(tagged(
        fs.tags()
            .iter()
            .map(|t| (t.key().to_owned(), t.value().to_owned()))
            .collect()
    ));
    let groups = world
        .storage
        .ec2()
        .describe_security_groups()
        .filters(
            aws_sdk_ec2::types::Filter::builder()
                .name("tag:xefs:stack")
                .values("flow-full")
                .build(),
        )
        .send()
        .await?;
    assert_eq!(groups.security_groups().len(), 1);
    let peerings = world
        .cluster
        .ec2()
        .describe_vpc_peering_connections()
        .filters(
            aws_sdk_ec2::types::Filter::builder()
                .name("tag:xefs:stack")
                .values("flow-full")
                .build(),
        )
        .send()
        .await?;
    assert_eq!(peerings.vpc_peering_connections().len(), 1);
    for (account, role) in [
        (&world.cluster, spec.iam.csi_role_name.as_str()),
        (&world.storage, spec.iam.cross_account_role_name.as_str()),
    ] {
        let r = account.iam().get_role().role_name(role).send().await?;
        let tags = r.role().map(|r| r.tags().to_vec()).unwrap_or_default();
        assert!(
            tagged(
                tags.iter()
                    .map(|t| (t.key().to_owned(), t.value().to_owned()))
                    .collect()
            ),
            "{role}: {tags:?}"
        );
    }
    let mts = efs
        .describe_mount_targets()
        .file_system_id(fs.file_system_id())
        .send()
        .await?;
    // One mount target per worker zone id (A has two subnets in use1-az6).
    assert_eq!(mts.mount_targets().len(), 3);
    let a_tables = world.cluster.ec2().describe_route_tables().send().await?;
    let peered: Vec<_> = a_tables
        .route_tables()
        .iter()
        .filter(|t| {
            t.routes().iter().any(|r| {
                r.destination_cidr_block() == Some(world.storage.vpc_cidr.to_string().as_str())
                    && r.vpc_peering_connection_id().is_some()
            })
        })
        .filter_map(|t| t.route_table_id())
        .collect();
    // The main table (three workers) and the explicit one, each once.
    assert_eq!(peered.len(), 2, "{peered:?}");
    assert!(peered.contains(&world.cluster.main_route_table.as_str()));

    // A second apply changes nothing and writes nothing.
    stats.reset();
    let again = engine().apply(&plan, &mut state).await?;
    assert!(again.is_success(), "{:#?}", again.failures);
    assert_eq!((again.created(), again.updated()), (0, 0));
    let noop = stats.total();
    println!("no-op apply: calls {noop:?}");
    assert_eq!(noop.writes, 0, "{:?}", stats.by_call());
    assert!(!engine().plan(&plan, &state).await?.has_changes());

    // Destroy leaves both accounts as they were.
    let destroyed = engine()
        .destroy(&plan, &mut state, DestroyOptions::default())
        .await?;
    assert!(destroyed.is_success(), "{destroyed:#?}");
    assert_eq!(snapshots(&world).await?, before);
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_apply_killed_midway_resumes_and_destroy_cleans_up() -> TestResult {
    let world = TwoAccountWorld::build().await;
    let before = snapshots(&world).await?;
    let spec = spec_for(&world, "flow-crash");
    let aws = provider(&world, &spec, &CallStats::new()).await?;
    let plan = bind(&spec, &aws)?;
    let dir = TempDir::new()?;

    // Die right before journaling that the file system was created: it exists in B, the
    // journal only says a create was in flight.
    let crash = Arc::new(|p: &JournalPoint| {
        if p.address.as_str() == addr::FILE_SYSTEM && p.kind == RecordKind::Result {
            FailAction::CrashBefore
        } else {
            FailAction::Continue
        }
    });
    {
        let mut state = StackState::open(dir.path(), &spec.name)?.with_failpoint(crash);
        let err = engine().apply(&plan, &mut state).await.err();
        assert!(
            matches!(err, Some(EngineError::State(StateError::Crashed { .. }))),
            "{err:?}"
        );
    }

    let mut state = StackState::open(dir.path(), &spec.name)?;
    let report = engine().apply(&plan, &mut state).await?;
    assert!(report.is_success(), "{:#?}", report.failures);
    let fs_step = report
        .steps
        .iter()
        .find(|s| s.address.as_str() == addr::FILE_SYSTEM)
        .ok_or("the file system step ran")?;
    assert_eq!(fs_step.change, Change::Created);
    assert!(fs_step.recovered, "{fs_step:?}");
    let found = world
        .storage
        .efs()
        .describe_file_systems()
        .creation_token(spec.creation_token())
        .send()
        .await?;
    assert_eq!(found.file_systems().len(), 1, "no duplicate file system");

    let destroyed = engine()
        .destroy(&plan, &mut state, DestroyOptions::default())
        .await?;
    assert!(destroyed.is_success(), "{destroyed:#?}");
    assert_eq!(snapshots(&world).await?, before);
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_route_to_another_target_is_a_conflict_naming_it() -> TestResult {
    let world = TwoAccountWorld::build().await;
    let ec2 = world.cluster.ec2();
    let igw = ec2.create_internet_gateway().send().await?;
    let igw_id = igw
        .internet_gateway()
        .and_then(|g| g.internet_gateway_id())
        .ok_or("an internet gateway id")?
        .to_owned();
    ec2.attach_internet_gateway()
        .internet_gateway_id(&igw_id)
        .vpc_id(world.cluster.vpc_id.as_str())
        .send()
        .await?;
    let table = world
        .cluster
        .explicit_route_table
        .clone()
        .ok_or("the world has an explicit route table")?;
    ec2.create_route()
        .route_table_id(table.as_str())
        .destination_cidr_block(world.storage.vpc_cidr.to_string())
        .gateway_id(&igw_id)
        .send()
        .await?;

    let spec = spec_for(&world, "flow-conflict");
    let aws = provider(&world, &spec, &CallStats::new()).await?;
    let plan = bind(&spec, &aws)?;
    let dir = TempDir::new()?;
    let mut state = StackState::open(dir.path(), &spec.name)?;
    let report = engine().apply(&plan, &mut state).await?;
    let failure = report
        .failures
        .iter()
        .find(|f| f.address.as_str() == addr::CLUSTER_ROUTES)
        .ok_or_else(|| format!("expected the routes to fail: {report:#?}"))?;
    let text = failure.error.to_string();
    assert!(
        text.contains(&igw_id) && text.contains(table.as_str()),
        "{text}"
    );
    assert_eq!(failure.attempts, 1, "a conflict is not retried");

    // What the failed apply created is destroyed; the user's route stays.
    let destroyed = engine()
        .destroy(&plan, &mut state, DestroyOptions::default())
        .await?;
    assert!(destroyed.is_success(), "{destroyed:#?}");
    let tables = ec2
        .describe_route_tables()
        .route_table_ids(table.as_str())
        .send()
        .await?;
    let kept = tables
        .route_tables()
        .iter()
        .flat_map(|t| t.routes())
        .any(|r| r.gateway_id() == Some(igw_id.as_str()));
    assert!(kept, "the user's route must not be touched");
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_mount_target_in_another_vpc_is_a_conflict_naming_it() -> TestResult {
    let world = TwoAccountWorld::build().await;
    let spec = spec_for(&world, "flow-vpc");
    // The guide's mistake: the file system (same creation token) got a mount target in B's
    // default VPC.
    let ec2 = world.storage.ec2();
    let vpc = ec2.create_vpc().cidr_block("172.31.0.0/16").send().await?;
    let other_vpc = vpc
        .vpc()
        .and_then(|v| v.vpc_id())
        .ok_or("a vpc id")?
        .to_owned();
    let subnet = ec2
        .create_subnet()
        .vpc_id(&other_vpc)
        .cidr_block("172.31.0.0/20")
        .availability_zone("us-east-1a")
        .send()
        .await?;
    let subnet_id = subnet
        .subnet()
        .and_then(|s| s.subnet_id())
        .ok_or("a subnet id")?
        .to_owned();
    let efs = world.storage.efs();
    let fs = efs
        .create_file_system()
        .creation_token(spec.creation_token())
        .encrypted(true)
        .throughput_mode(aws_sdk_efs::types::ThroughputMode::Elastic)
        .send()
        .await?;
    efs.create_mount_target()
        .file_system_id(fs.file_system_id())
        .subnet_id(&subnet_id)
        .send()
        .await?;

    let aws = provider(&world, &spec, &CallStats::new()).await?;
    let plan = bind(&spec, &aws)?;
    let dir = TempDir::new()?;
    let mut state = StackState::open(dir.path(), &spec.name)?;
    let report = engine().apply(&plan, &mut state).await?;
    let failure = report
        .failures
        .iter()
        .find(|f| f.address.as_str() == addr::MOUNT_TARGETS)
        .ok_or_else(|| format!("expected the mount targets to fail: {report:#?}"))?;
    let text = failure.error.to_string();
    assert!(text.contains(&other_vpc), "{text}");
    // The file system existed before: adopted, so destroy leaves it.
    let destroyed = engine()
        .destroy(&plan, &mut state, DestroyOptions::default())
        .await?;
    assert!(destroyed.is_success(), "{destroyed:#?}");
    assert!(
        destroyed
            .kept
            .iter()
            .any(|a| a.as_str() == addr::FILE_SYSTEM)
    );
    let still = efs
        .describe_file_systems()
        .file_system_id(fs.file_system_id())
        .send()
        .await?;
    assert_eq!(still.file_systems().len(), 1);
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn credentials_for_the_wrong_account_are_refused_before_any_write() -> TestResult {
    let world = TwoAccountWorld::build().await;
    let before = snapshots(&world).await?;
    // The spec says B is A's account: the storage profile's credentials belong elsewhere.
    let toml = world.spec_toml("flow-wrong").replace(
        &format!(
            "account_id = \"{}\"\nprofile = \"{}\"",
            world.storage.id,
            xefs_moto::world::STORAGE_PROFILE
        ),
        &format!(
            "account_id = \"{}\"\nprofile = \"{}\"",
            "999999999999",
            xefs_moto::world::STORAGE_PROFILE
        ),
    );
    let spec = parse_spec(&toml);
    let err = provider(&world, &spec, &CallStats::new())
        .await
        .err()
        .ok_or("a wrong account must be refused")?;
    let text = err.to_string();
    assert!(
        text.contains("999999999999") && text.contains(world.storage.id.as_str()),
        "{text}"
    );
    assert_eq!(snapshots(&world).await?, before);
    Ok(())
}
