//! The whole AWS phase on the fake AWS, under tokio's paused clock: the real provider, engine
//! and journal over [`FakeAws`], with AWS's latencies (a mount target's ninety seconds cost no
//! real time), its rules, and injected faults.
//!
//! Unlike moto, the fake enforces IAM's propagation window, waits, and answers
//! `DeleteFileSystemPolicy`, so these specs keep the file-system policy on.

use tempfile::TempDir;
use xefs_aws::doctor::{DoctorAccounts, read_snapshot};
use xefs_aws::fake::{FakeAws, Faults, Seeded};
use xefs_aws::{AwsAccounts, AwsOptions, AwsProvider, CallStats};
use xefs_core::blueprint::{Blueprint, Phase};
use xefs_core::doctor::{Status, diagnose};
use xefs_core::engine::{
    ApplyReport, BoundPlan, DestroyOptions, Engine, EngineOptions, RetryPolicy,
};
use xefs_core::sim::SimClock;
use xefs_core::spec::StackSpec;
use xefs_core::state::StackState;

type TestResult = Result<(), Box<dyn std::error::Error>>;

/// A stack whose cluster facts (issuer, worker subnets, node role) are in the spec, so the AWS
/// phase runs without a cluster.
pub(crate) fn fake_spec(stack: &str) -> StackSpec {
    crate::support::world::parse_spec(&format!(
        r#"[stack]
name = "{stack}"
region = "us-east-1"

[cluster]
name = "sim-cluster"
account_id = "111111111111"
vpc_id = "vpc-0a1b2c3d4e5f60718"
vpc_cidr = "10.0.0.0/16"
oidc_provider = "oidc.example.com/abc123"
worker_subnets = ["subnet-0a1b2c3d4e5f60711", "subnet-0a1b2c3d4e5f60712", "subnet-0a1b2c3d4e5f60713", "subnet-0a1b2c3d4e5f60714"]
node_role_arns = ["arn:aws:iam::111111111111:role/sim-worker-role"]

[storage]
account_id = "222222222222"
vpc_id = "vpc-0f1e2d3c4b5a69788"
vpc_cidr = "10.1.0.0/16"
"#
    ))
}

/// A fake AWS seeded for `spec`, with default latencies.
pub(crate) fn fake_world(
    spec: &StackSpec,
) -> Result<(FakeAws, Seeded), Box<dyn std::error::Error>> {
    let aws = FakeAws::new(SimClock::new());
    let seeded = aws.seed_for(spec)?;
    Ok((aws, seeded))
}

fn accounts(aws: &FakeAws, spec: &StackSpec) -> AwsAccounts {
    AwsAccounts {
        cluster: aws.account(spec.cluster.account_id.clone(), spec.region.clone()),
        storage: aws.account(spec.storage.account_id.clone(), spec.region.clone()),
    }
}

fn plan(aws: &FakeAws, spec: &StackSpec) -> Result<BoundPlan, Box<dyn std::error::Error>> {
    let provider = AwsProvider::new(accounts(aws, spec), AwsOptions::default());
    Ok(BoundPlan::bind(
        &Blueprint::build(spec).select(&[Phase::Aws]),
        &[&provider],
    )?)
}

/// An engine that rides out heavier fault rates than AWS normally shows.
fn patient_engine() -> Engine {
    Engine::new(EngineOptions {
        retry: RetryPolicy {
            max_attempts: 12,
            ..RetryPolicy::default()
        },
        ..EngineOptions::default()
    })
}

fn writes(aws: &FakeAws) -> Vec<&'static str> {
    aws.calls()
        .into_iter()
        .filter(|c| {
            !["Describe", "Get", "List"]
                .iter()
                .any(|p| c.call.starts_with(p))
        })
        .map(|c| c.call)
        .collect()
}

fn assert_success(report: &ApplyReport) {
    assert!(report.is_success(), "{:#?}", report.failures);
}

#[tokio::test(start_paused = true)]
async fn apply_converges_a_second_apply_writes_nothing_and_destroy_restores_the_world() -> TestResult
{
    let spec = fake_spec("fake-full");
    let (aws, _) = fake_world(&spec)?;
    let stats = CallStats::new();
    let aws = aws.with_stats(stats.clone());
    let seeded = aws.inventory();
    let plan = plan(&aws, &spec)?;
    let dir = TempDir::new()?;
    let mut state = StackState::open(dir.path(), &spec.name)?;

    let started = tokio::time::Instant::now();
    let report = Engine::new(EngineOptions::default())
        .apply(&plan, &mut state)
        .await?;
    assert_success(&report);
    let took = started.elapsed();
    let calls = aws.calls();
    println!(
        "fake apply: {} created in {took:?} simulated, {} calls ({} writes), by call {:?}",
        report.created(),
        calls.len(),
        writes(&aws).len(),
        stats.by_call()
    );
    assert_eq!(report.created(), 15, "{:#?}", report.steps);
    // Mount targets take ninety seconds, IAM ten: the run waited for them.
    assert!(took.as_secs() >= 90, "{took:?}");

    let applied = aws.inventory();
    let b = &applied.accounts[&spec.storage.account_id];
    assert_eq!(b.file_systems.len(), 1);
    assert_eq!(b.mount_targets.len(), 3, "one per worker zone id");
    assert!(
        b.file_systems.values().all(|f| f.contains("policy=Some")),
        "{b:?}"
    );
    assert!(
        b.mount_targets.values().all(|m| m.ends_with("available")),
        "{b:?}"
    );
    let a = &applied.accounts[&spec.cluster.account_id];
    assert_eq!(a.peerings.len(), 1);
    assert!(a.peerings.values().all(|p| p.contains(" active ")), "{a:?}");
    let peered = a
        .route_tables
        .values()
        .filter(|t| t.contains("10.1.0.0/16→pcx-"))
        .count();
    assert_eq!(peered, 2, "the main table and the explicit one, each once");

    // A second apply changes nothing and writes nothing.
    aws.clear_calls();
    stats.reset();
    let again = Engine::new(EngineOptions::default())
        .apply(&plan, &mut state)
        .await?;
    assert_success(&again);
    assert_eq!((again.created(), again.updated()), (0, 0));
    assert_eq!(writes(&aws), Vec::<&str>::new());
    assert_eq!(stats.total().writes, 0);
    println!("fake no-op apply: {} calls", aws.calls().len());

    let destroyed = Engine::new(EngineOptions::default())
        .destroy(&plan, &mut state, DestroyOptions::default())
        .await?;
    assert!(destroyed.is_success(), "{destroyed:#?}");
    assert_eq!(aws.inventory(), seeded);
    Ok(())
}

#[tokio::test(start_paused = true)]
async fn with_twenty_percent_faults_apply_still_converges_without_duplicates() -> TestResult {
    // The fault-free shape to compare with.
    let spec = fake_spec("fake-faults");
    let (clean, _) = fake_world(&spec)?;
    let dir = TempDir::new()?;
    let mut state = StackState::open(dir.path(), &spec.name)?;
    assert_success(
        &Engine::new(EngineOptions::default())
            .apply(&plan(&clean, &spec)?, &mut state)
            .await?,
    );
    let expected = clean.inventory().shape();

    for seed in [1, 2, 3, 4, 5] {
        let (aws, _) = fake_world(&spec)?;
        let seeded = aws.inventory();
        let aws = aws.with_faults(Faults::rates(0.2, 0.2, seed));
        let plan = plan(&aws, &spec)?;
        let dir = TempDir::new()?;
        let mut state = StackState::open(dir.path(), &spec.name)?;
        let report = patient_engine().apply(&plan, &mut state).await?;
        assert_success(&report);
        assert_eq!(aws.inventory().shape(), expected, "seed {seed}");
        let calls = aws.calls();
        let injected = calls.iter().filter(|c| c.injected).count();
        let retried: u32 = report
            .steps
            .iter()
            .map(|s| s.attempts.saturating_sub(1))
            .sum();
        println!(
            "seed {seed}: {} call attempts, {injected} faults injected, {retried} step retries",
            calls.len()
        );
        let destroyed = patient_engine()
            .destroy(&plan, &mut state, DestroyOptions::default())
            .await?;
        assert!(destroyed.is_success(), "seed {seed}: {destroyed:#?}");
        assert_eq!(aws.inventory(), seeded, "seed {seed}");
    }
    Ok(())
}

#[tokio::test(start_paused = true)]
async fn with_lost_answers_apply_converges_without_duplicates() -> TestResult {
    let spec = fake_spec("fake-lost");
    let (clean, _) = fake_world(&spec)?;
    let dir = TempDir::new()?;
    let mut state = StackState::open(dir.path(), &spec.name)?;
    assert_success(
        &Engine::new(EngineOptions::default())
            .apply(&plan(&clean, &spec)?, &mut state)
            .await?,
    );
    let expected = clean.inventory().shape();

    for seed in 1..=10 {
        let (aws, _) = fake_world(&spec)?;
        let seeded = aws.inventory();
        let aws = aws.with_faults(Faults {
            lost_response_rate: 0.2,
            ..Faults::rates(0.05, 0.05, seed)
        });
        let plan = plan(&aws, &spec)?;
        let dir = TempDir::new()?;
        let mut state = StackState::open(dir.path(), &spec.name)?;
        // A lost `CreateVpcPeeringConnection` answer makes the SDK ask again; EC2 fails the
        // repeat (the VPCs are peered already) and the step finds the first attempt's peering.
        let report = patient_engine().apply(&plan, &mut state).await?;
        assert_success(&report);
        // What xefs made is never adopted, even when it learnt of it only from the retry's
        // "already exists": destroy must remove it.
        let adopted: Vec<String> = report
            .steps
            .iter()
            .filter(|s| s.adopted && s.address.as_str() != "storage.network.peering-accept")
            .map(|s| s.address.to_string())
            .collect();
        assert!(adopted.is_empty(), "seed {seed}: {adopted:?}");
        assert_eq!(
            aws.inventory().shape(),
            expected,
            "seed {seed}: no duplicates"
        );
        let lost = aws.calls().iter().filter(|c| c.injected).count();
        println!("seed {seed}: {lost} faults injected (answers lost after the write included)");
        let destroyed = patient_engine()
            .destroy(&plan, &mut state, DestroyOptions::default())
            .await?;
        assert!(destroyed.is_success(), "seed {seed}: {destroyed:#?}");
        assert_eq!(aws.inventory(), seeded, "seed {seed}");
    }
    Ok(())
}

#[tokio::test(start_paused = true)]
async fn doctor_finds_nothing_wrong_with_the_applied_fake_world() -> TestResult {
    let spec = fake_spec("fake-doctor");
    let (aws, _) = fake_world(&spec)?;
    let plan = plan(&aws, &spec)?;
    let dir = TempDir::new()?;
    let mut state = StackState::open(dir.path(), &spec.name)?;

    // Before apply: a clean preflight.
    let before = read_snapshot(&spec, &DoctorAccounts::from(accounts(&aws, &spec)), None).await?;
    let failed: Vec<_> = diagnose(&before).failed().cloned().collect();
    assert!(failed.is_empty(), "{failed:#?}");
    assert!(!before.applied());

    assert_success(
        &Engine::new(EngineOptions::default())
            .apply(&plan, &mut state)
            .await?,
    );
    aws.clear_calls();
    let snapshot = read_snapshot(&spec, &DoctorAccounts::from(accounts(&aws, &spec)), None).await?;
    assert!(snapshot.applied());
    assert_eq!(writes(&aws), Vec::<&str>::new(), "doctor only reads");
    let findings = diagnose(&snapshot);
    let failed: Vec<_> = findings
        .iter()
        .filter(|f| f.status == Status::Failed)
        .collect();
    assert!(failed.is_empty(), "{failed:#?}");
    println!(
        "doctor on the fake: {} findings, {} passed, {} calls",
        findings.iter().count(),
        findings
            .iter()
            .filter(|f| f.status == Status::Passed)
            .count(),
        aws.calls().len()
    );
    Ok(())
}
