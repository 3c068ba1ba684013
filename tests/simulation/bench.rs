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
    assert!(report.noop_apply.reads > 0);
    assert!(report.calls.fresh_apply["efs"].writes > 0);
    assert!(report.calls.plan_applied.values().all(|c| c.writes == 0));
    assert!(report.calls.destroy["ec2"].writes > 0);
    assert_eq!(report.fleet.stacks, 5);
    assert_eq!(
        report.fleet.failed_stacks, 0,
        "{:?}",
        report.fleet.first_failure
    );
    assert!(report.fleet.simulated_seconds > 0.0);

    let json = serde_json::to_value(&report).unwrap();
    assert_eq!(json["format_version"], 1);
    for path in [
        "/apply/efficiency",
        "/destroy/efficiency",
        "/fleet/ratio_to_bound",
        "/fleet/rate_limit_bound_seconds",
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
async fn a_fleet_beyond_the_rate_limits_is_throttled_yet_every_stack_applies() {
    let report = run_bench(&BenchOptions { stacks: 20 }).await.unwrap();
    assert_eq!(
        report.fleet.failed_stacks, 0,
        "{:?}",
        report.fleet.first_failure
    );
    assert!(report.fleet.throttled > 0, "{:?}", report.fleet);
}

#[tokio::test(flavor = "current_thread", start_paused = true)]
async fn a_fleet_of_zero_is_refused() {
    assert!(run_bench(&BenchOptions { stacks: 0 }).await.is_err());
}
