//! Crash safety: kill the run at every journal write (before it, in the middle of it, after
//! it) and show that the next run resumes to completion and that destroy leaves nothing that
//! xefs created.

use std::sync::{Arc, Mutex, PoisonError};

use super::testing::{Harness, TestResult, World, addr, engine};
use super::{BoundPlan, DestroyOptions, EngineError};
use crate::state::{FailAction, Failpoint, JournalPoint, Ownership, StackState, StateError};

const MODES: [FailAction; 3] = [
    FailAction::CrashBefore,
    FailAction::CrashTorn,
    FailAction::CrashAfter,
];

/// A read-only discovery, a pre-existing resource that is adopted, and five created ones.
fn world_and_plan() -> Result<(World, BoundPlan), EngineError> {
    let world = World::new();
    world.insert_existing("shared", "shared");
    let plan = BoundPlan::new(vec![
        world.step("discover").read_only().secs(1).bind(),
        world.step("shared").bind(),
        world.step("vpc").deps(&["discover"]).secs(2).bind(),
        world.step("role").deps(&["discover"]).secs(3).bind(),
        world.step("fs").deps(&["vpc", "role"]).secs(4).bind(),
        world.step("mount").deps(&["fs", "shared"]).secs(2).bind(),
        world.step("policy").deps(&["fs"]).secs(1).bind(),
    ])?;
    Ok((world, plan))
}

const CREATED: [&str; 5] = ["vpc", "role", "fs", "mount", "policy"];

fn crash_at(index: u64, action: FailAction) -> Failpoint {
    Arc::new(move |point: &JournalPoint| {
        if point.index == index {
            action
        } else {
            FailAction::Continue
        }
    })
}

fn recorder(points: Arc<Mutex<Vec<JournalPoint>>>) -> Failpoint {
    Arc::new(move |point: &JournalPoint| {
        points
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .push(point.clone());
        FailAction::Continue
    })
}

fn assert_crashed<T: std::fmt::Debug>(result: Result<T, EngineError>, index: u64) {
    match result {
        Err(EngineError::State(StateError::Crashed { index: at })) => assert_eq!(at, index),
        other => panic!("expected a simulated crash at write {index}, got {other:?}"),
    }
}

/// After a completed apply: everything exists as desired, owned as it should be.
async fn assert_complete(world: &World, plan: &BoundPlan, state: &StackState) -> TestResult {
    let preview = engine().plan(plan, state).await?;
    assert!(!preview.has_changes(), "{preview:?}");
    for name in CREATED {
        let ownership = state.resource(&addr(name)).and_then(|r| r.ownership);
        assert_eq!(ownership, Some(Ownership::Created), "{name}");
    }
    let shared = state.resource(&addr("shared")).and_then(|r| r.ownership);
    assert_eq!(shared, Some(Ownership::Adopted));
    assert_eq!(world.names().len(), CREATED.len() + 1);
    Ok(())
}

/// After destroy: only the adopted resource is left, untouched.
fn assert_only_adopted_left(world: &World) {
    assert_eq!(world.names(), ["shared"]);
    assert_eq!(
        world.get("shared").map(|r| r.id),
        Some("pre-shared".to_owned())
    );
}

/// A destroy that succeeds and leaves only the adopted resource.
async fn destroy_cleanly(
    world: &World,
    plan: &BoundPlan,
    state: &mut StackState,
    context: &str,
) -> TestResult {
    let report = engine()
        .destroy(plan, state, DestroyOptions::default())
        .await?;
    assert!(report.is_success(), "{context}: {report:?}");
    assert_only_adopted_left(world);
    Ok(())
}

#[tokio::test(start_paused = true)]
async fn a_crash_at_any_journal_write_of_apply_resumes_and_destroys_cleanly() -> TestResult {
    // Count the journal writes of a clean apply.
    let points = Arc::new(Mutex::new(Vec::new()));
    {
        let (world, plan) = world_and_plan()?;
        let h = Harness::new()?;
        let mut state = h.state()?.with_failpoint(recorder(points.clone()));
        let report = engine().apply(&plan, &mut state).await?;
        assert!(report.is_success());
        assert_complete(&world, &plan, &state).await?;
    }
    let points = points
        .lock()
        .unwrap_or_else(PoisonError::into_inner)
        .clone();
    let total = points.len() as u64;
    assert_eq!(
        total, 12,
        "1 read + 1 adoption + 5 × (intent + result): {points:#?}"
    );

    let mut crashes = 0;
    let mut recovered_by_apply = 0;
    let mut left_by_crash = 0;
    for index in 0..total {
        for mode in MODES {
            let context = format!(
                "crash {mode:?} write #{index} ({:?})",
                points[index as usize]
            );
            // Crash, then resume apply, then destroy.
            {
                let (world, plan) = world_and_plan()?;
                let h = Harness::new()?;
                let mut state = h.state()?.with_failpoint(crash_at(index, mode));
                assert_crashed(engine().apply(&plan, &mut state).await, index);
                drop(state);
                crashes += 1;

                let mut state = h.state()?;
                assert_eq!(
                    state.warnings().len(),
                    usize::from(mode == FailAction::CrashTorn),
                    "{context}"
                );
                let report = engine().apply(&plan, &mut state).await?;
                assert!(report.is_success(), "{context}: {report:?}");
                recovered_by_apply += report.steps.iter().filter(|s| s.recovered).count();
                assert_complete(&world, &plan, &state).await?;
                destroy_cleanly(&world, &plan, &mut state, &context).await?;
            }
            // Crash, then destroy straight away: whatever was created, including the
            // resource whose creation was in flight, is removed.
            {
                let (world, plan) = world_and_plan()?;
                let h = Harness::new()?;
                let mut state = h.state()?.with_failpoint(crash_at(index, mode));
                assert_crashed(engine().apply(&plan, &mut state).await, index);
                drop(state);
                crashes += 1;
                left_by_crash += world.names().len() - 1;

                let mut state = h.state()?;
                destroy_cleanly(&world, &plan, &mut state, &context).await?;
            }
        }
    }
    println!(
        "apply: {total} journal points × {} crash modes × 2 recoveries = {crashes} crashed runs; \
         {recovered_by_apply} resources created by a crashed run were recovered by observing; \
         {left_by_crash} resources left by crashes were removed by destroy",
        MODES.len()
    );
    // The hard cases were hit: resources whose creation was in flight at the crash.
    assert!(recovered_by_apply > 0 && left_by_crash > 0);
    Ok(())
}

#[tokio::test(start_paused = true)]
async fn a_crash_at_any_journal_write_of_destroy_resumes() -> TestResult {
    let points = Arc::new(Mutex::new(Vec::new()));
    {
        let (world, plan) = world_and_plan()?;
        let h = Harness::new()?;
        let mut state = h.state()?;
        assert!(engine().apply(&plan, &mut state).await?.is_success());
        drop(state);
        let mut state = h.state()?.with_failpoint(recorder(points.clone()));
        destroy_cleanly(&world, &plan, &mut state, "recording the journal points").await?;
    }
    let total = points.lock().unwrap_or_else(PoisonError::into_inner).len() as u64;
    assert_eq!(total, 10, "5 × (intent + result)");

    let mut crashes = 0;
    for index in 0..total {
        for mode in MODES {
            let context = format!("crash {mode:?} at destroy write #{index}");
            let (world, plan) = world_and_plan()?;
            let h = Harness::new()?;
            let mut state = h.state()?;
            assert!(engine().apply(&plan, &mut state).await?.is_success());
            drop(state);

            let mut state = h.state()?.with_failpoint(crash_at(index, mode));
            assert_crashed(
                engine()
                    .destroy(&plan, &mut state, DestroyOptions::default())
                    .await,
                index,
            );
            drop(state);
            crashes += 1;

            // Resume the destroy.
            let mut state = h.state()?;
            destroy_cleanly(&world, &plan, &mut state, &context).await?;

            // The journal is still sound: apply builds everything again, destroy undoes it.
            let report = engine().apply(&plan, &mut state).await?;
            assert!(report.is_success(), "{context}: {report:?}");
            assert_complete(&world, &plan, &state).await?;
            destroy_cleanly(&world, &plan, &mut state, &context).await?;
        }
    }
    println!(
        "destroy: {total} journal points × {} crash modes = {crashes} crashed runs",
        MODES.len()
    );
    Ok(())
}
