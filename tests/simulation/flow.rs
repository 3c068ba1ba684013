//! The whole procedure: apply every phase (verify included), apply again, destroy.

use xefs::core::blueprint::Phase;
use xefs::core::engine::DestroyOptions;

use crate::support::{TestResult, World};

#[tokio::test(flavor = "current_thread", start_paused = true)]
async fn apply_verify_reapply_destroy_restores_both_worlds() -> TestResult {
    let world = World::new("sim-flow");
    let aws_before = world.sim.aws().inventory();
    let cluster_before = world.sim.fake_cluster().inventory();
    let mut state = world.state();

    let started = tokio::time::Instant::now();
    let report = world.engine().apply(&world.plan(None), &mut state).await?;
    assert!(report.is_success(), "{:#?}", report.failures);
    // The mount targets' ninety seconds and the operator's forty dominate, as on AWS.
    let simulated = started.elapsed().as_secs();
    assert!((90..400).contains(&simulated), "{simulated} s simulated");
    let verify = report
        .steps
        .iter()
        .find(|s| s.address.as_str() == "verify.read-write")
        .expect("verify ran");
    assert!(verify.outputs.get::<f64>("pvc_bound_seconds")? > 0.0);
    assert!(!verify.outputs.get::<bool>("same_node")?);

    // Again, without the check (it always runs): nothing to write anywhere.
    world.sim.aws().clear_calls();
    let cluster_writes = world.sim.fake_cluster().calls().writes();
    let again = world
        .engine()
        .apply(&world.plan(Some(&[Phase::Aws, Phase::Cluster])), &mut state)
        .await?;
    assert!(again.is_success(), "{:#?}", again.failures);
    let aws_writes: Vec<_> = world
        .sim
        .aws()
        .calls()
        .into_iter()
        .filter(|c| {
            !["Describe", "Get", "List"]
                .iter()
                .any(|p| c.call.starts_with(p))
        })
        .collect();
    assert!(aws_writes.is_empty(), "{aws_writes:#?}");
    assert_eq!(world.sim.fake_cluster().calls().writes(), cluster_writes);

    let destroyed = world
        .engine()
        .destroy(&world.plan(None), &mut state, DestroyOptions::default())
        .await?;
    assert!(destroyed.is_success(), "{destroyed:#?}");
    assert_eq!(world.sim.aws().inventory(), aws_before);
    assert_eq!(world.sim.fake_cluster().inventory(), cluster_before);
    Ok(())
}
