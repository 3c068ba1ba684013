//! Behaviour of `plan`, `apply` and `destroy` against the in-memory world.

use std::sync::Arc;
use std::time::Duration;

use tokio::time::Instant;
use tokio_util::sync::CancellationToken;

use super::testing::{Harness, TestResult, World, addr, drain, engine};
use super::{Action, BoundPlan, DestroyOptions, EngineOptions, Event};
use crate::state::Ownership;
use crate::step::Change;

/// discover (read-only) → vpc, role → fs → mount
fn diamond(world: &World) -> Result<BoundPlan, super::EngineError> {
    BoundPlan::new(vec![
        world.step("discover").read_only().bind(),
        world.step("vpc").deps(&["discover"]).secs(2).bind(),
        world.step("role").deps(&["discover"]).secs(3).bind(),
        world.step("fs").deps(&["vpc", "role"]).secs(4).bind(),
        world.step("mount").deps(&["fs"]).secs(1).bind(),
    ])
}

fn ownership(h: &Harness, name: &str) -> Result<Option<Ownership>, Box<dyn std::error::Error>> {
    Ok(h.state()?.resource(&addr(name)).and_then(|r| r.ownership))
}

#[tokio::test(start_paused = true)]
async fn apply_runs_each_step_after_its_dependencies() -> TestResult {
    let (world, h) = (World::new(), Harness::new()?);
    let plan = diamond(&world)?;
    let mut state = h.state()?;
    let report = engine().apply(&plan, &mut state).await?;
    assert!(report.is_success(), "{report:?}");
    assert_eq!((report.created(), report.read()), (4, 1));
    let calls = world.calls();
    for bound in plan.steps() {
        let name = bound.address.as_str().trim_start_matches("test.");
        let Some(me) = calls.iter().find(|c| c.name == name && c.op == "ensure") else {
            return Err(format!("{name} never ensured").into());
        };
        for dep in &bound.deps {
            let dep = dep.as_str().trim_start_matches("test.");
            let ended = calls
                .iter()
                .filter(|c| c.name == dep)
                .map(|c| c.end)
                .max()
                .ok_or("dependency never ran")?;
            assert!(ended <= me.start, "{name} started before {dep} was done");
        }
    }
    // vpc and role ran side by side.
    assert_eq!(world.max_running(), 2);
    drop(state);
    assert_eq!(ownership(&h, "fs")?, Some(Ownership::Created));
    assert_eq!(ownership(&h, "discover")?, Some(Ownership::Read));
    Ok(())
}

#[tokio::test(start_paused = true)]
async fn a_second_apply_changes_nothing_and_writes_nothing() -> TestResult {
    let (world, h) = (World::new(), Harness::new()?);
    let plan = diamond(&world)?;
    let mut state = h.state()?;
    assert!(engine().apply(&plan, &mut state).await?.is_success());
    world.clear_calls();
    let writes = state.writes();

    let preview = engine().plan(&plan, &state).await?;
    assert!(!preview.has_changes(), "{preview:?}");
    let report = engine().apply(&plan, &mut state).await?;
    assert!(report.is_success());
    assert_eq!((report.unchanged(), report.read()), (4, 1));
    // Only the read-only step's `ensure` runs (discovery is always fresh).
    assert_eq!(world.count("ensure"), 1);
    assert_eq!(state.writes(), writes, "a no-op apply journals nothing");
    Ok(())
}

#[tokio::test(start_paused = true)]
async fn plan_observes_without_mutating_and_marks_known_after_apply() -> TestResult {
    let (world, h) = (World::new(), Harness::new()?);
    let plan = diamond(&world)?;
    let state = h.state()?;
    let preview = engine().plan(&plan, &state).await?;
    let summary: Vec<_> = preview
        .changes
        .iter()
        .map(|c| (c.address.as_str(), c.action.clone(), c.known_after_apply))
        .collect();
    assert_eq!(
        summary,
        [
            ("test.discover", Action::Read, false),
            ("test.vpc", Action::Create, false),
            ("test.role", Action::Create, false),
            ("test.fs", Action::Create, true),
            ("test.mount", Action::Create, true),
        ]
    );
    assert!(preview.has_changes());
    assert_eq!(world.count("ensure") + world.count("remove"), 0);
    assert!(world.names().is_empty());
    assert_eq!(state.writes(), 0);
    Ok(())
}

#[tokio::test(start_paused = true)]
async fn drift_is_planned_with_a_diff_and_updated_in_place() -> TestResult {
    let (world, h) = (World::new(), Harness::new()?);
    let plan = diamond(&world)?;
    let mut state = h.state()?;
    assert!(engine().apply(&plan, &mut state).await?.is_success());
    world.drift("vpc", "changed by hand");

    let preview = engine().plan(&plan, &state).await?;
    let vpc = preview
        .changes
        .iter()
        .find(|c| c.address == addr("vpc"))
        .ok_or("vpc not planned")?;
    let Action::Update(diff) = &vpc.action else {
        return Err(format!("expected an update, got {:?}", vpc.action).into());
    };
    assert_eq!(diff[0].field, "value");
    assert_eq!(diff[0].current, "changed by hand");

    let report = engine().apply(&plan, &mut state).await?;
    assert_eq!(report.updated(), 1);
    assert_eq!(
        state.resource(&addr("vpc")).and_then(|r| r.ownership),
        Some(Ownership::Created),
        "updating keeps ownership"
    );
    Ok(())
}

#[tokio::test(start_paused = true)]
async fn pre_existing_resources_are_adopted_and_left_by_destroy() -> TestResult {
    let (world, h) = (World::new(), Harness::new()?);
    world.insert_existing("shared", "shared");
    let plan = BoundPlan::new(vec![
        world.step("shared").bind(),
        world.step("mine").deps(&["shared"]).bind(),
    ])?;
    let mut state = h.state()?;
    let preview = engine().plan(&plan, &state).await?;
    assert_eq!(preview.changes[0].action, Action::Adopt);

    let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel();
    let report = engine().with_events(tx).apply(&plan, &mut state).await?;
    assert_eq!((report.adopted(), report.created()), (1, 1));
    assert!(drain(&mut rx).contains(&Event::Adopted {
        address: addr("shared")
    }));
    assert_eq!(world.count("ensure"), 1, "adopting makes no call");

    let report = engine()
        .destroy(&plan, &mut state, DestroyOptions::default())
        .await?;
    assert!(report.is_success(), "{report:?}");
    assert_eq!(report.kept, [addr("shared")]);
    assert_eq!(world.names(), ["shared"]);

    // Re-applying adopts nothing new; asking explicitly removes the adopted one too.
    let report = engine().apply(&plan, &mut state).await?;
    assert_eq!((report.adopted(), report.created()), (0, 1));
    let report = engine()
        .destroy(
            &plan,
            &mut state,
            DestroyOptions {
                include_adopted: true,
            },
        )
        .await?;
    assert_eq!(report.removed.len(), 2);
    assert!(world.names().is_empty());
    Ok(())
}

#[tokio::test(start_paused = true)]
async fn retryable_errors_are_retried_with_backoff() -> TestResult {
    let (world, h) = (World::new(), Harness::new()?);
    let plan = BoundPlan::new(vec![world.step("flaky").fails_retryable(2).bind()])?;
    let mut state = h.state()?;
    let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel();
    let start = Instant::now();
    let report = engine().with_events(tx).apply(&plan, &mut state).await?;
    assert!(report.is_success(), "{report:?}");
    assert_eq!(report.steps[0].attempts, 3);
    let delays: Vec<_> = drain(&mut rx)
        .into_iter()
        .filter_map(|e| match e {
            Event::Retrying { attempt, delay, .. } => Some((attempt, delay)),
            _ => None,
        })
        .collect();
    assert_eq!(
        delays,
        [(1, Duration::from_secs(1)), (2, Duration::from_secs(2))]
    );
    assert_eq!(start.elapsed(), Duration::from_secs(3));
    assert_eq!(world.count("ensure"), 3);
    Ok(())
}

#[tokio::test(start_paused = true)]
async fn throttling_is_retried_beyond_max_attempts_within_its_budget() -> TestResult {
    let (world, h) = (World::new(), Harness::new()?);
    // 4 attempts at most, but 5 throttled answers: 1+2+4+8+16 s fit the minute's budget.
    let plan = BoundPlan::new(vec![world.step("paced").fails_throttled(5).bind()])?;
    let mut state = h.state()?;
    let report = engine().apply(&plan, &mut state).await?;
    assert!(report.is_success(), "{report:?}");
    assert_eq!(report.steps[0].attempts, 6);

    // A throttled call that outlasts the budget fails, throttled.
    let plan = BoundPlan::new(vec![world.step("starved").fails_throttled(100).bind()])?;
    let start = Instant::now();
    let report = engine().apply(&plan, &mut state).await?;
    let failure = report.failures.first().ok_or("no failure")?;
    assert!(failure.error.is_throttled());
    // 1+2+4+8+16 s; the next delay (30 s) would pass the 60 s budget.
    assert_eq!(failure.attempts, 6);
    assert!(start.elapsed() < Duration::from_secs(60));
    Ok(())
}

#[tokio::test(start_paused = true)]
async fn retries_give_up_and_dependents_are_skipped() -> TestResult {
    let (world, h) = (World::new(), Harness::new()?);
    let plan = BoundPlan::new(vec![
        world.step("throttled").fails_retryable(100).bind(),
        world.step("after").deps(&["throttled"]).bind(),
    ])?;
    let mut state = h.state()?;
    let report = engine().apply(&plan, &mut state).await?;
    assert!(!report.is_success());
    assert_eq!(report.failures.len(), 1);
    let failure = &report.failures[0];
    assert_eq!(
        (failure.address.clone(), failure.attempts),
        (addr("throttled"), 4)
    );
    assert!(failure.error.is_retryable());
    assert_eq!(
        failure.to_string(),
        "`test.throttled` failed after 4 attempts: rate exceeded (Throttling)"
    );
    assert_eq!(report.skipped[0].address, addr("after"));
    assert_eq!(
        report.skipped[0].reason,
        "`test.throttled` did not complete"
    );
    // The failed intent is journaled; the resource may exist, so destroy would look.
    let entry = state.resource(&addr("throttled")).ok_or("not journaled")?;
    assert_eq!(entry.ownership, Some(Ownership::MaybeCreated));
    assert!(
        entry
            .last_error
            .is_some_and(|e| e.contains("rate exceeded"))
    );
    Ok(())
}

#[tokio::test(start_paused = true)]
async fn a_permanent_failure_lets_in_flight_steps_finish_and_reports_every_failure() -> TestResult {
    let (world, h) = (World::new(), Harness::new()?);
    let plan = BoundPlan::new(vec![
        world.step("slow").secs(10).bind(),
        world.step("denied-a").secs(1).fails_permanently().bind(),
        world.step("denied-b").secs(1).fails_permanently().bind(),
        world.step("after-slow").deps(&["slow"]).bind(),
        world.step("after-denied").deps(&["denied-a"]).bind(),
    ])?;
    let mut state = h.state()?;
    let start = Instant::now();
    let report = engine().apply(&plan, &mut state).await?;
    let failed: Vec<_> = report.failures.iter().map(|f| f.address.clone()).collect();
    assert_eq!(failed, [addr("denied-a"), addr("denied-b")]);
    assert!(report.failures.iter().all(|f| f.attempts == 1));
    // The in-flight step finished and was journaled; nothing new started.
    assert_eq!(report.steps.len(), 1);
    assert_eq!(report.steps[0].address, addr("slow"));
    assert_eq!(start.elapsed(), Duration::from_secs(10));
    assert_eq!(world.names(), ["slow"]);
    assert_eq!(
        state.resource(&addr("slow")).and_then(|r| r.ownership),
        Some(Ownership::Created)
    );
    let skipped: Vec<_> = report
        .skipped
        .iter()
        .map(|s| (s.address.as_str(), s.reason.as_str()))
        .collect();
    assert_eq!(
        skipped,
        [
            ("test.after-slow", "not started after another step failed"),
            ("test.after-denied", "`test.denied-a` did not complete"),
        ]
    );
    Ok(())
}

#[tokio::test(start_paused = true)]
async fn cancellation_finishes_in_flight_calls_and_starts_nothing_new() -> TestResult {
    let (world, h) = (World::new(), Harness::new()?);
    let steps = |world: &World| {
        BoundPlan::new(vec![
            world.step("long").until_cancelled().secs(2).bind(),
            world.step("next").deps(&["long"]).bind(),
            world.step("quick").secs(1).bind(),
        ])
    };
    let cancel = CancellationToken::new();
    let trigger = cancel.clone();
    tokio::spawn(async move {
        tokio::time::sleep(Duration::from_secs(5)).await;
        trigger.cancel();
    });
    let mut state = h.state()?;
    let report = engine()
        .with_cancel(cancel)
        .apply(&steps(&world)?, &mut state)
        .await?;
    assert!(report.cancelled);
    let done: Vec<_> = report.steps.iter().map(|s| s.address.clone()).collect();
    assert_eq!(done, [addr("long"), addr("quick")]);
    assert_eq!(report.skipped[0].address, addr("next"));
    assert_eq!(report.skipped[0].reason, "cancelled");
    // The in-flight call finished and was journaled.
    assert_eq!(
        state.resource(&addr("long")).and_then(|r| r.ownership),
        Some(Ownership::Created)
    );
    drop(state);

    // The next run resumes where it stopped.
    let mut state = h.state()?;
    let plan = BoundPlan::new(vec![
        world.step("long").secs(2).bind(),
        world.step("next").deps(&["long"]).bind(),
        world.step("quick").secs(1).bind(),
    ])?;
    let report = engine().apply(&plan, &mut state).await?;
    assert!(report.is_success());
    assert_eq!((report.created(), report.unchanged()), (1, 2));
    Ok(())
}

#[tokio::test(start_paused = true)]
async fn the_concurrency_limit_holds() -> TestResult {
    let (world, h) = (World::new(), Harness::new()?);
    let plan = BoundPlan::new(
        (0..6)
            .map(|i| world.step(&format!("s{i}")).secs(2).bind())
            .collect(),
    )?;
    let mut state = h.state()?;
    let engine = super::Engine::new(EngineOptions {
        concurrency: 2,
        ..EngineOptions::default()
    });
    let start = Instant::now();
    assert!(engine.apply(&plan, &mut state).await?.is_success());
    assert_eq!(world.max_running(), 2);
    assert_eq!(start.elapsed(), Duration::from_secs(6));
    Ok(())
}

#[tokio::test(start_paused = true)]
async fn destroy_removes_dependents_first_and_only_what_xefs_created() -> TestResult {
    let (world, h) = (World::new(), Harness::new()?);
    let plan = diamond(&world)?;
    let mut state = h.state()?;
    assert!(engine().apply(&plan, &mut state).await?.is_success());
    world.clear_calls();

    let preview = engine().plan_destroy(&plan, &state, DestroyOptions::default());
    let order: Vec<_> = preview.changes.iter().map(|c| c.address.as_str()).collect();
    assert_eq!(order, ["test.mount", "test.fs", "test.role", "test.vpc"]);
    assert!(preview.changes.iter().all(|c| c.action == Action::Delete));

    let report = engine()
        .destroy(&plan, &mut state, DestroyOptions::default())
        .await?;
    assert!(report.is_success(), "{report:?}");
    assert_eq!(report.removed.len(), 4);
    assert!(world.names().is_empty());
    let calls = world.calls();
    assert!(calls.iter().all(|c| c.op == "remove"), "{calls:?}");
    for bound in plan.steps() {
        let name = bound.address.as_str().trim_start_matches("test.");
        for dep in &bound.deps {
            let dep = dep.as_str().trim_start_matches("test.");
            let (Some(mine), Some(theirs)) = (
                calls.iter().find(|c| c.name == name),
                calls.iter().find(|c| c.name == dep),
            ) else {
                continue;
            };
            assert!(mine.end <= theirs.start, "{dep} removed before {name}");
        }
    }
    // Nothing left to do.
    let again = engine()
        .destroy(&plan, &mut state, DestroyOptions::default())
        .await?;
    assert!(again.removed.is_empty() && again.is_success());
    // And apply after destroy builds it all again, owned.
    let report = engine().apply(&plan, &mut state).await?;
    assert_eq!(report.created(), 4);
    Ok(())
}

#[tokio::test(start_paused = true)]
async fn a_half_done_create_is_found_and_removed_by_destroy() -> TestResult {
    let (world, h) = (World::new(), Harness::new()?);
    let plan = BoundPlan::new(vec![
        world.step("base").bind(),
        world
            .step("half")
            .deps(&["base"])
            .fails_after_create()
            .bind(),
    ])?;
    let mut state = h.state()?;
    let report = engine().apply(&plan, &mut state).await?;
    assert_eq!(report.failures.len(), 1);
    assert_eq!(world.names(), ["base", "half"]);
    assert_eq!(
        state.resource(&addr("half")).and_then(|r| r.ownership),
        Some(Ownership::MaybeCreated)
    );
    let report = engine()
        .destroy(&plan, &mut state, DestroyOptions::default())
        .await?;
    assert!(report.is_success(), "{report:?}");
    assert!(world.names().is_empty());
    Ok(())
}

#[tokio::test(start_paused = true)]
async fn outputs_that_look_like_credentials_are_not_journaled() -> TestResult {
    let (world, h) = (World::new(), Harness::new()?);
    let plan = BoundPlan::new(vec![world.step("leaky").with_secret_output().bind()])?;
    let mut state = h.state()?;
    let report = engine().apply(&plan, &mut state).await?;
    assert_eq!(report.failures.len(), 1);
    let message = report.failures[0].error.to_string();
    assert!(
        message.contains("looks like a secret in `credentials`"),
        "{message}"
    );
    assert!(!h.journal()?.contains("AKIA"));
    Ok(())
}

#[tokio::test(start_paused = true)]
async fn events_tell_the_story_of_a_run() -> TestResult {
    let (world, h) = (World::new(), Harness::new()?);
    let plan = BoundPlan::new(vec![
        world.step("a").secs(1).bind(),
        world.step("b").deps(&["a"]).fails_permanently().bind(),
        world.step("c").deps(&["b"]).bind(),
    ])?;
    let mut state = h.state()?;
    let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel();
    let _ = engine().with_events(tx).apply(&plan, &mut state).await?;
    let story: Vec<String> = drain(&mut rx)
        .into_iter()
        .map(|e| match e {
            Event::Started { address } => format!("started {address}"),
            Event::Done {
                address, change, ..
            } => format!("done {address} {change:?}"),
            Event::Failed { address, error } => format!("failed {address}: {error}"),
            Event::Skipped { address, reason } => format!("skipped {address}: {reason}"),
            other => format!("{other:?}"),
        })
        .collect();
    assert_eq!(
        story,
        [
            "started test.a",
            "done test.a Created",
            "started test.b",
            "failed test.b: access denied (AccessDenied)",
            "skipped test.c: `test.b` did not complete",
        ]
    );
    Ok(())
}

#[tokio::test(start_paused = true)]
async fn resources_no_longer_in_the_plan_are_reported_as_orphaned() -> TestResult {
    let (world, h) = (World::new(), Harness::new()?);
    let mut state = h.state()?;
    let full = diamond(&world)?;
    assert!(engine().apply(&full, &mut state).await?.is_success());
    let smaller = BoundPlan::new(
        full.steps()
            .iter()
            .filter(|s| s.address != addr("mount"))
            .cloned()
            .collect(),
    )?;
    let preview = engine().plan(&smaller, &state).await?;
    assert_eq!(preview.orphaned, [addr("mount")]);
    let report = engine()
        .destroy(&smaller, &mut state, DestroyOptions::default())
        .await?;
    assert_eq!(report.orphaned, [addr("mount")]);
    assert!(!report.is_success());
    assert_eq!(world.names(), ["mount"]);
    Ok(())
}

#[tokio::test]
async fn the_lock_keeps_a_second_run_out() -> TestResult {
    let h = Harness::new()?;
    let _first = h.state()?;
    let err = h.state().err().ok_or("second open should fail")?;
    assert!(
        err.to_string()
            .contains(&format!("pid {}", std::process::id()))
    );
    Ok(())
}

#[tokio::test(start_paused = true)]
async fn the_plan_renders_as_documented_json() -> TestResult {
    let (world, h) = (World::new(), Harness::new()?);
    world.insert_existing("shared", "shared");
    let plan = BoundPlan::new(vec![
        world.step("discover").read_only().bind(),
        world.step("shared").bind(),
        world.step("vpc").deps(&["discover"]).bind(),
        world.step("fs").deps(&["vpc"]).bind(),
    ])?;
    let mut state = h.state()?;
    assert!(engine().apply(&plan, &mut state).await?.is_success());
    world.drift("vpc", "edited");
    world.drift("shared", "edited");
    let preview = engine().plan(&plan, &state).await?;
    insta::assert_json_snapshot!("plan_with_drift", preview);
    Ok(())
}

#[tokio::test]
async fn a_cancelled_run_starts_nothing() -> TestResult {
    let (world, h) = (World::new(), Harness::new()?);
    let plan = diamond(&world)?;
    let mut state = h.state()?;
    let cancel = CancellationToken::new();
    cancel.cancel();
    let engine = engine().with_cancel(cancel);
    let err = engine.plan(&plan, &state).await.err();
    assert!(
        matches!(err, Some(super::EngineError::Cancelled)),
        "{err:?}"
    );
    let report = engine.apply(&plan, &mut state).await?;
    assert!(report.cancelled && report.steps.is_empty());
    assert_eq!(report.skipped.len(), 5);
    assert_eq!(world.calls().len(), 0);
    Ok(())
}

/// Embedders run the engine on multi-threaded runtimes: its futures must be `Send`.
#[test]
fn engine_futures_are_send() {
    fn assert_send<T: Send>(_: T) {}
    fn check(engine: &super::Engine, plan: &BoundPlan, state: &mut crate::state::StackState) {
        assert_send(engine.plan(plan, state));
        assert_send(engine.apply(plan, state));
        assert_send(engine.destroy(plan, state, DestroyOptions::default()));
    }
    let _ = check;
}

#[test]
fn change_names_are_stable() {
    assert_eq!(
        serde_json::to_string(&Change::Created).ok().as_deref(),
        Some("\"created\"")
    );
}

#[tokio::test(start_paused = true)]
async fn a_step_that_does_not_apply_is_shown_skipped_and_never_removed() -> TestResult {
    let (world, h) = (World::new(), Harness::new()?);
    let plan = BoundPlan::new(vec![
        world.step("vpc").bind(),
        world
            .step("client-access")
            .deps(&["vpc"])
            .not_applicable("no node role is known")
            .bind(),
    ])?;
    let mut state = h.state()?;
    let planned = engine().plan(&plan, &state).await?;
    assert_eq!(
        planned.changes[1].action,
        Action::NotApplicable("no node role is known".into())
    );
    let report = engine().apply(&plan, &mut state).await?;
    assert!(report.is_success(), "{report:?}");
    assert_eq!((report.created(), report.not_applicable()), (1, 1));
    assert_eq!(world.count("ensure"), 1);
    assert!(
        state.resource(&addr("client-access")).is_none(),
        "nothing is journaled for a step that does not apply"
    );
    // A second plan changes nothing; destroy removes only the created step.
    assert!(!engine().plan(&plan, &state).await?.has_changes());
    let destroyed = engine()
        .destroy(&plan, &mut state, DestroyOptions::default())
        .await?;
    assert!(destroyed.is_success(), "{destroyed:?}");
    assert_eq!(world.count("remove"), 1);
    Ok(())
}

#[tokio::test(start_paused = true)]
async fn an_observe_only_step_is_read_for_its_outputs_and_never_written_or_removed() -> TestResult {
    let (world, h) = (World::new(), Harness::new()?);
    let plan = || {
        BoundPlan::new(vec![
            world.step("fs").bind().observe_only(),
            world.step("storage-class").deps(&["fs"]).bind(),
        ])
    };
    let mut state = h.state()?;

    // Absent: its phase was never applied. The plan and apply say so; nothing is created.
    let err = engine()
        .plan(&plan()?, &state)
        .await
        .err()
        .ok_or("plan must fail")?;
    assert!(err.to_string().contains("apply its phase first"), "{err}");
    let report = engine().apply(&plan()?, &mut state).await?;
    assert_eq!(report.failures.len(), 1);
    assert_eq!(report.failures[0].error.code(), Some("NotApplied"));
    assert_eq!(world.count("ensure"), 0);

    // Present (another run applied it): read, dependents proceed, the journal is untouched.
    world.insert_existing("fs", "fs");
    let report = engine().apply(&plan()?, &mut state).await?;
    assert!(report.is_success(), "{report:?}");
    assert_eq!(report.created(), 1);
    assert_eq!(world.count("ensure"), 1);
    assert!(state.resource(&addr("fs")).is_none());

    let destroyed = engine()
        .destroy(&plan()?, &mut state, DestroyOptions::default())
        .await?;
    assert!(destroyed.is_success(), "{destroyed:?}");
    assert_eq!(
        world.names(),
        vec!["fs".to_owned()],
        "only the storage class is removed"
    );
    Ok(())
}

#[tokio::test(start_paused = true)]
async fn an_observe_only_step_deleted_since_it_was_applied_lends_its_recorded_outputs() -> TestResult
{
    let (world, h) = (World::new(), Harness::new()?);
    let mut state = h.state()?;
    let both = BoundPlan::new(vec![
        world.step("fs").bind(),
        world.step("storage-class").deps(&["fs"]).bind(),
    ])?;
    assert!(engine().apply(&both, &mut state).await?.is_success());
    let storage_class = world.get("storage-class");

    // Someone deletes the file system. A run of the later phase only (`xefs verify`) is not
    // told to "apply its phase first", as for a phase never applied: it goes on with what the
    // journal recorded, and meets the drift as the live system does.
    world.delete_behind("fs");
    let later = || {
        BoundPlan::new(vec![
            world.step("fs").bind().observe_only(),
            world.step("storage-class").deps(&["fs"]).bind(),
        ])
    };
    let preview = engine().plan(&later()?, &state).await?;
    assert!(!preview.has_changes(), "{preview:?}");
    world.clear_calls();
    let journal = h.journal()?;
    let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel();
    let report = engine()
        .with_events(tx)
        .apply(&later()?, &mut state)
        .await?;
    assert!(report.is_success(), "{report:?}");
    assert_eq!(
        report.unchanged(),
        1,
        "the storage class saw the recorded id"
    );
    // The user is told, not only the log.
    let warned: Vec<String> = drain(&mut rx)
        .into_iter()
        .filter_map(|e| match e {
            Event::Warning { address, message } => Some(format!("{address}: {message}")),
            _ => None,
        })
        .collect();
    assert_eq!(warned.len(), 1, "{warned:?}");
    assert!(warned[0].starts_with("test.fs: `test.fs` was applied earlier but is gone now"));
    assert_eq!(
        world.count("ensure"),
        0,
        "nothing recreated behind the user's back"
    );
    assert_eq!(world.get("fs"), None);
    assert_eq!(world.get("storage-class"), storage_class);
    assert_eq!(h.journal()?, journal, "the journal is untouched");

    // Applying its own phase again repairs it; destroy removes both.
    let report = engine().apply(&both, &mut state).await?;
    assert!(report.is_success(), "{report:?}");
    assert_eq!(report.created(), 1);
    let destroyed = engine()
        .destroy(&both, &mut state, DestroyOptions::default())
        .await?;
    assert!(destroyed.is_success(), "{destroyed:?}");
    assert!(world.names().is_empty());
    Ok(())
}

#[tokio::test(start_paused = true)]
async fn an_observe_only_step_that_does_not_apply_is_passed_over() -> TestResult {
    let (world, h) = (World::new(), Harness::new()?);
    let plan = || {
        BoundPlan::new(vec![
            world
                .step("client-access")
                .not_applicable("no node role is known")
                .bind()
                .observe_only(),
            world.step("storage-class").bind(),
        ])
    };
    let mut state = h.state()?;
    let preview = engine().plan(&plan()?, &state).await?;
    assert_eq!(preview.changes.len(), 2, "{preview:?}");
    let report = engine().apply(&plan()?, &mut state).await?;
    assert!(report.is_success(), "{report:?}");
    assert_eq!((report.not_applicable(), report.created()), (1, 1));
    assert!(state.resource(&addr("client-access")).is_none());
    Ok(())
}

#[tokio::test(start_paused = true)]
async fn a_created_resource_whose_step_stops_applying_is_still_destroyed() -> TestResult {
    let (world, h) = (World::new(), Harness::new()?);
    let mut state = h.state()?;
    let applies = BoundPlan::new(vec![world.step("client-access").bind()])?;
    assert!(engine().apply(&applies, &mut state).await?.is_success());
    // Later the step no longer applies (e.g. the node roles cannot be known any more).
    let stopped = BoundPlan::new(vec![
        world
            .step("client-access")
            .not_applicable("no node role is known")
            .bind(),
    ])?;
    let report = engine().apply(&stopped, &mut state).await?;
    assert_eq!(report.not_applicable(), 1);
    assert_eq!(
        state
            .resource(&addr("client-access"))
            .and_then(|r| r.ownership),
        Some(Ownership::Created),
        "what xefs created stays xefs's"
    );
    let destroyed = engine()
        .destroy(&stopped, &mut state, DestroyOptions::default())
        .await?;
    assert!(destroyed.is_success(), "{destroyed:?}");
    assert!(world.names().is_empty());
    Ok(())
}

#[tokio::test(start_paused = true)]
async fn a_refused_removal_stops_the_destroy_before_anything_is_removed() -> TestResult {
    let (world, h) = (World::new(), Harness::new()?);
    let holds_data = Arc::new(std::sync::atomic::AtomicBool::new(true));
    let plan = BoundPlan::new(vec![
        world.step("vpc").bind(),
        world
            .step("fs")
            .deps(&["vpc"])
            .refuses_removal_while(Arc::clone(&holds_data))
            .bind(),
        world.step("mount").deps(&["fs"]).bind(),
    ])?;
    let mut state = h.state()?;
    assert!(engine().apply(&plan, &mut state).await?.is_success());
    world.clear_calls();

    let refused = engine()
        .destroy(&plan, &mut state, DestroyOptions::default())
        .await?;
    assert!(!refused.is_success());
    let failed: Vec<_> = refused
        .failures
        .iter()
        .map(|f| f.address.as_str())
        .collect();
    assert_eq!(failed, ["test.fs"]);
    assert!(refused.removed.is_empty());
    assert_eq!(refused.skipped.len(), 2, "{refused:?}");
    // Not even the mount target, which the file system's removal would have come after.
    assert_eq!(world.names(), ["fs", "mount", "vpc"]);
    assert_eq!(world.count("remove"), 0);

    // Once the data is gone (or `--delete-data`), the same destroy removes everything.
    holds_data.store(false, std::sync::atomic::Ordering::SeqCst);
    let done = engine()
        .destroy(&plan, &mut state, DestroyOptions::default())
        .await?;
    assert!(done.is_success(), "{done:?}");
    assert!(world.names().is_empty());
    Ok(())
}

#[tokio::test(start_paused = true)]
async fn a_throttled_removal_check_is_retried_not_taken_for_a_refusal() -> TestResult {
    let (world, h) = (World::new(), Harness::new()?);
    let plan = BoundPlan::new(vec![
        world.step("fs").check_remove_fails_retryable(2).bind(),
        world.step("mount").deps(&["fs"]).bind(),
    ])?;
    let mut state = h.state()?;
    assert!(engine().apply(&plan, &mut state).await?.is_success());
    let report = engine()
        .destroy(&plan, &mut state, DestroyOptions::default())
        .await?;
    assert!(report.is_success(), "{report:?}");
    assert!(world.names().is_empty());
    Ok(())
}
