//! `xefs bench`'s measurements, on a small fleet.

use xefs::bench::{BenchOptions, run_bench};

#[tokio::test(flavor = "current_thread", start_paused = true)]
async fn the_bench_measures_one_stack_and_a_fleet() {
    let report = run_bench(&BenchOptions { stacks: 5 }).await.unwrap();
    for cp in [&report.apply, &report.destroy] {
        assert!(cp.efficiency > 0.0 && cp.efficiency <= 1.0, "{cp:?}");
        assert!(cp.critical_path_seconds > 0.0, "{cp:?}");
        assert!(
            cp.guide_sequential_seconds >= cp.critical_path_seconds,
            "{cp:?}"
        );
    }
    assert_eq!(report.noop_apply.writes, 0, "{:?}", report.calls.noop_apply);
    // At most one read per resource: what discovery listed serves the steps that need it by
    // id, and a policy's recorded default version is read alone.
    assert!(report.noop_apply.reads > 0);
    assert!(
        report.noop_apply.reads <= report.noop_apply.resources as u64,
        "{:?}",
        report.calls.noop_apply
    );
    assert!(report.calls.fresh_apply["efs"].writes > 0);
    assert!(report.calls.plan_applied.values().all(|c| c.writes == 0));
    assert!(report.calls.destroy["ec2"].writes > 0);
    assert_eq!(report.fleet.stacks, 5);
    assert_eq!(
        report.fleet.failed_stacks, 0,
        "{:?}",
        report.fleet.first_failure
    );
    let fleet = &report.fleet;
    assert!(fleet.simulated_seconds >= fleet.bound_seconds, "{fleet:?}");
    assert!(fleet.bound_seconds >= fleet.one_stack_seconds, "{fleet:?}");
    assert!(
        fleet.bound_seconds >= fleet.rate_limit_bound_seconds,
        "{fleet:?}"
    );

    let json = serde_json::to_value(&report).unwrap();
    assert_eq!(json["format_version"], 1);
    for path in [
        "/apply/efficiency",
        "/destroy/efficiency",
        "/fleet/ratio_to_bound",
        "/fleet/rate_limit_bound_seconds",
        "/fleet/bound_seconds",
        "/fleet/throttled",
        "/noop_apply/writes",
        "/noop_apply/reads_per_resource",
        "/calls/fresh_apply/ec2/reads",
        "/calls/destroy/efs/writes",
    ] {
        assert!(json.pointer(path).is_some(), "{path} in {json}");
    }
}

#[tokio::test(flavor = "current_thread", start_paused = true)]
async fn a_fleet_beyond_the_rate_limits_paces_itself_and_every_stack_applies() {
    let report = run_bench(&BenchOptions { stacks: 20 }).await.unwrap();
    assert_eq!(
        report.fleet.failed_stacks, 0,
        "{:?}",
        report.fleet.first_failure
    );
    // Engines sharing limits that match AWS's pace themselves; engines that share none are
    // throttled, and still every stack applies: throttling is retried for a budget of time,
    // not a count of attempts.
    let unshared = &report.fleet.unshared_limits;
    assert_eq!(unshared.failed_stacks, 0, "{:?}", unshared.first_failure);
    assert!(unshared.throttled > 0, "{:?}", report.fleet);
    assert!(
        unshared.throttled > 10 * report.fleet.throttled,
        "{:?}",
        report.fleet
    );
    // The fleet takes its bound (less the noise of per-call latencies drawn at random), and
    // the paced one stays near it.
    assert!(report.fleet.ratio_to_bound >= 0.97, "{:?}", report.fleet);
    assert!(report.fleet.ratio_to_bound <= 1.2, "{:?}", report.fleet);
}

#[tokio::test(flavor = "current_thread", start_paused = true)]
async fn a_fleet_of_zero_is_refused() {
    assert!(run_bench(&BenchOptions { stacks: 0 }).await.is_err());
}
