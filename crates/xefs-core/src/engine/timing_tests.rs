//! Under tokio's paused clock, an apply takes the DAG's critical path, not the sum of its
//! steps.

use std::time::Duration;

use tokio::time::Instant;

use super::testing::{Harness, TestResult, World};
use super::{BoundPlan, Engine, EngineOptions};

/// (name, seconds, dependencies): a diamond and a long chain after a discovery step.
const DAG: &[(&str, u64, &[&str])] = &[
    ("discover", 2, &[]),
    ("peering", 3, &["discover"]),
    ("role-a", 5, &["discover"]),
    ("sg", 4, &["discover"]),
    ("routes", 2, &["peering", "role-a", "sg"]),
    ("fs", 4, &["discover"]),
    ("fs-available", 6, &["fs"]),
    ("mount-targets", 5, &["fs-available"]),
    ("policy", 3, &["discover"]),
    ("storage-class", 1, &["routes", "mount-targets", "policy"]),
];

fn plan(world: &World) -> Result<BoundPlan, super::EngineError> {
    BoundPlan::new(
        DAG.iter()
            .map(|(name, secs, deps)| world.step(name).secs(*secs).deps(deps).bind())
            .collect(),
    )
}

/// The longest path through the DAG, by duration.
fn critical_path() -> Duration {
    let mut finish: Vec<(&str, u64)> = Vec::new();
    for (name, secs, deps) in DAG {
        let start = deps
            .iter()
            .filter_map(|d| finish.iter().find(|(n, _)| n == d).map(|(_, f)| *f))
            .max()
            .unwrap_or(0);
        finish.push((name, start + secs));
    }
    Duration::from_secs(finish.iter().map(|(_, f)| *f).max().unwrap_or(0))
}

fn sum() -> Duration {
    Duration::from_secs(DAG.iter().map(|(_, secs, _)| secs).sum())
}

async fn timed_apply(concurrency: usize) -> Result<Duration, Box<dyn std::error::Error>> {
    let (world, h) = (World::new(), Harness::new()?);
    let mut state = h.state()?;
    let engine = Engine::new(EngineOptions {
        concurrency,
        ..EngineOptions::default()
    });
    let start = Instant::now();
    let report = engine.apply(&plan(&world)?, &mut state).await?;
    let elapsed = start.elapsed();
    assert!(report.is_success(), "{report:?}");
    assert_eq!(report.created(), DAG.len());
    Ok(elapsed)
}

#[tokio::test(start_paused = true)]
async fn apply_takes_the_critical_path_not_the_sum() -> TestResult {
    let elapsed = timed_apply(8).await?;
    let critical = critical_path();
    assert_eq!(critical, Duration::from_secs(18));
    assert_eq!(sum(), Duration::from_secs(35));
    let ratio = elapsed.as_secs_f64() / critical.as_secs_f64();
    println!(
        "apply of {} steps: {elapsed:?} (critical path {critical:?}, sum {:?}, ratio {ratio:.3})",
        DAG.len(),
        sum()
    );
    assert!((ratio - 1.0).abs() <= 0.05, "{elapsed:?} vs {critical:?}");
    Ok(())
}

#[tokio::test(start_paused = true)]
async fn one_at_a_time_takes_the_sum() -> TestResult {
    let elapsed = timed_apply(1).await?;
    println!("apply with concurrency 1: {elapsed:?} (sum {:?})", sum());
    assert_eq!(elapsed, sum());
    Ok(())
}

#[tokio::test(start_paused = true)]
async fn a_tight_limit_still_favours_the_longest_chain() -> TestResult {
    // With 2 slots no schedule beats 19 s (2 s of discovery alone, 32 s of work on two
    // slots, then the last step alone). Starting the step with the longest expected chain
    // ahead of it first gets 20 s; plan order alone would take 22 s.
    let elapsed = timed_apply(2).await?;
    println!("apply with concurrency 2: {elapsed:?} (lower bound 19s, critical path 18s)");
    assert_eq!(elapsed, Duration::from_secs(20));
    Ok(())
}
