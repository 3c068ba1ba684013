//! Crashes: the process dies at every journal write of a whole apply (and of a destroy) —
//! before the write, in the middle of it (a torn line), after it — and the next run resumes
//! to completion; destroy then leaves both simulated worlds exactly as they were seeded.
//!
//! Each run is a fresh world with instant timings ([`Simulation::with_instant_timings`]):
//! what these tests check is what a crash leaves behind and how the next run picks it up,
//! not how long AWS takes, and there are hundreds of runs.
//!
//! [`Simulation::with_instant_timings`]: xefs::simulate::Simulation::with_instant_timings

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex, PoisonError};

use xefs::core::engine::{DestroyOptions, EngineError};
use xefs::core::state::{FailAction, Failpoint, JournalPoint, StateError};

use crate::support::{BUILD, TestResult, World};

/// Every way a process can die at a journal write.
const MODES: [FailAction; 3] = [
    FailAction::CrashBefore,
    FailAction::CrashTorn,
    FailAction::CrashAfter,
];

/// Crashes at the journal write numbered `index`, the `action` way.
fn crash_at(index: u64, action: FailAction) -> Failpoint {
    Arc::new(move |point: &JournalPoint| {
        if point.index == index {
            action
        } else {
            FailAction::Continue
        }
    })
}

/// Records every journal write and lets it happen.
fn recorder(points: Arc<Mutex<Vec<JournalPoint>>>) -> Failpoint {
    Arc::new(move |point: &JournalPoint| {
        points
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .push(point.clone());
        FailAction::Continue
    })
}

fn recorded(points: &Arc<Mutex<Vec<JournalPoint>>>) -> Vec<JournalPoint> {
    points
        .lock()
        .unwrap_or_else(PoisonError::into_inner)
        .clone()
}

/// How many of `points` each phase wrote (the blueprint's addresses start with their side).
fn by_phase(points: &[JournalPoint]) -> BTreeMap<&'static str, usize> {
    let mut counts = BTreeMap::new();
    for p in points {
        let phase = match p.address.as_str() {
            a if a.starts_with("verify.") => "verify",
            a if a.starts_with("openshift.") => "cluster",
            _ => "aws",
        };
        *counts.entry(phase).or_default() += 1;
    }
    counts
}

fn assert_crashed<T: std::fmt::Debug>(result: Result<T, EngineError>, index: u64, context: &str) {
    match result {
        Err(EngineError::State(StateError::Crashed { index: at })) => {
            assert_eq!(at, index, "{context}");
        }
        other => panic!("{context}: expected a simulated crash, got {other:?}"),
    }
}

/// Destroys, and asserts both worlds are back to their seeds.
async fn destroy_restores(
    world: &World,
    state: &mut xefs::core::state::StackState,
    seeds: &(xefs::aws::fake::Inventory, xefs::k8s::fake::Inventory),
    context: &str,
) -> TestResult {
    let destroyed = world
        .engine()
        .destroy(&world.plan(None), state, DestroyOptions::default())
        .await?;
    assert!(destroyed.is_success(), "{context}: {destroyed:#?}");
    let (aws, cluster) = world.inventories();
    assert!(
        aws == seeds.0,
        "{context}: the AWS world differs from its seed"
    );
    let added = cluster.added_since(&seeds.1);
    assert!(
        cluster == seeds.1,
        "{context}: the cluster differs from its seed (added: {added:?})"
    );
    Ok(())
}

#[tokio::test(flavor = "current_thread", start_paused = true)]
async fn a_crash_at_any_journal_write_of_apply_resumes_and_destroy_restores_both_worlds()
-> TestResult {
    let real = std::time::Instant::now();
    // The journal writes of a clean, whole apply (verify included).
    let points = Arc::new(Mutex::new(Vec::new()));
    {
        let world = World::instant("sim-crash");
        let mut state = world.state().with_failpoint(recorder(points.clone()));
        let report = world.engine().apply(&world.plan(None), &mut state).await?;
        assert!(report.is_success(), "{:#?}", report.failures);
    }
    let points = recorded(&points);
    let total = points.len() as u64;

    let mut runs = 0;
    let mut recovered = 0;
    let mut simulated = std::time::Duration::ZERO;
    for index in 0..total {
        for mode in MODES {
            let point = &points[index as usize];
            let context = format!(
                "{mode:?} at apply write #{index} ({:?} of {} for {:?})",
                point.kind, point.address, point.op
            );
            let world = World::instant("sim-crash");
            let seeds = world.inventories();
            let started = tokio::time::Instant::now();
            {
                let mut state = world.state().with_failpoint(crash_at(index, mode));
                let crashed = world.engine().apply(&world.plan(None), &mut state).await;
                assert_crashed(crashed, index, &context);
            }
            // The next process: the journal as the crash left it (a torn last line is dropped,
            // with a warning).
            let mut state = world.state();
            let torn = usize::from(mode == FailAction::CrashTorn);
            assert_eq!(state.warnings().len(), torn, "{context}");
            let report = world.engine().apply(&world.plan(None), &mut state).await?;
            assert!(report.is_success(), "{context}: {:#?}", report.failures);
            recovered += report.steps.iter().filter(|s| s.recovered).count();
            destroy_restores(&world, &mut state, &seeds, &context).await?;
            simulated += started.elapsed();
            runs += 1;
        }
    }
    println!(
        "apply: {total} journal writes {:?} × {} crash modes = {runs} crashed runs, each \
         resumed and destroyed; {recovered} resources created by a crashed run recovered by \
         observing; {simulated:?} simulated, {:?} real",
        by_phase(&points),
        MODES.len(),
        real.elapsed()
    );
    assert!(
        recovered > 0,
        "some crash fell between a create and its record"
    );
    Ok(())
}

#[tokio::test(flavor = "current_thread", start_paused = true)]
async fn a_crash_at_any_journal_write_of_destroy_resumes_and_restores_both_worlds() -> TestResult {
    let real = std::time::Instant::now();
    // What destroy removes is what the AWS and cluster phases made (the verify check leaves
    // nothing behind): those are applied before each destroy, without the check.
    let points = Arc::new(Mutex::new(Vec::new()));
    {
        let world = World::instant("sim-crash-destroy");
        let seeds = world.inventories();
        let mut state = world.state();
        let report = world
            .engine()
            .apply(&world.plan(Some(BUILD)), &mut state)
            .await?;
        assert!(report.is_success(), "{:#?}", report.failures);
        drop(state);
        let mut state = world.state().with_failpoint(recorder(points.clone()));
        destroy_restores(&world, &mut state, &seeds, "recording").await?;
    }
    let points = recorded(&points);
    let total = points.len() as u64;

    let mut runs = 0;
    for index in 0..total {
        for mode in MODES {
            let point = &points[index as usize];
            let context = format!(
                "{mode:?} at destroy write #{index} ({:?} of {} for {:?})",
                point.kind, point.address, point.op
            );
            let world = World::instant("sim-crash-destroy");
            let seeds = world.inventories();
            {
                let mut state = world.state();
                let report = world
                    .engine()
                    .apply(&world.plan(Some(BUILD)), &mut state)
                    .await?;
                assert!(report.is_success(), "{context}: {:#?}", report.failures);
            }
            {
                let mut state = world.state().with_failpoint(crash_at(index, mode));
                let crashed = world
                    .engine()
                    .destroy(&world.plan(None), &mut state, DestroyOptions::default())
                    .await;
                assert_crashed(crashed, index, &context);
            }
            let mut state = world.state();
            let torn = usize::from(mode == FailAction::CrashTorn);
            assert_eq!(state.warnings().len(), torn, "{context}");
            destroy_restores(&world, &mut state, &seeds, &context).await?;
            runs += 1;
        }
    }
    println!(
        "destroy: {total} journal writes {:?} × {} crash modes = {runs} crashed runs, each \
         resumed; {:?} real",
        by_phase(&points),
        MODES.len(),
        real.elapsed()
    );
    Ok(())
}

#[tokio::test(flavor = "current_thread", start_paused = true)]
async fn a_crash_at_any_journal_write_of_apply_then_destroy_restores_both_worlds() -> TestResult {
    let real = std::time::Instant::now();
    let points = Arc::new(Mutex::new(Vec::new()));
    {
        let world = World::instant("sim-crash-give-up");
        let mut state = world.state().with_failpoint(recorder(points.clone()));
        let report = world.engine().apply(&world.plan(None), &mut state).await?;
        assert!(report.is_success(), "{:#?}", report.failures);
    }
    let total = recorded(&points).len() as u64;

    // The user gives up after the crash: destroy, straight away, removes whatever the crashed
    // run made — the resource whose creation was in flight included — and nothing else.
    let mut runs = 0;
    let mut left_by_crash = 0;
    for index in 0..total {
        for mode in MODES {
            let context = format!("{mode:?} at apply write #{index}, then destroy");
            let world = World::instant("sim-crash-give-up");
            let seeds = world.inventories();
            {
                let mut state = world.state().with_failpoint(crash_at(index, mode));
                let crashed = world.engine().apply(&world.plan(None), &mut state).await;
                assert_crashed(crashed, index, &context);
            }
            let (aws, cluster) = world.inventories();
            left_by_crash += aws.accounts.values().map(|a| a.len()).sum::<usize>()
                - seeds.0.accounts.values().map(|a| a.len()).sum::<usize>();
            left_by_crash += cluster.added_since(&seeds.1).len();
            let mut state = world.state();
            destroy_restores(&world, &mut state, &seeds, &context).await?;
            runs += 1;
        }
    }
    println!(
        "apply then destroy: {runs} crashed runs destroyed, {left_by_crash} resources and \
         objects left by the crashes removed; {:?} real",
        real.elapsed()
    );
    assert!(left_by_crash > 0);
    Ok(())
}
