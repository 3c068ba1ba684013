//! Faults: with a fifth of AWS's answers throttled or failing with a 5xx, the whole apply
//! (verify included) still converges, without a duplicate resource, and destroy restores the
//! seeded world; IAM's propagation window (a new role cannot be named as a principal for a
//! few seconds) is ridden out by retries, never reported as a failure.

use std::collections::{BTreeMap, BTreeSet};

use xefs::aws::fake::{Faults, Inventory};
use xefs::core::engine::{DestroyOptions, Event};

use crate::support::{TestResult, World};

/// What must be the same after two applies that made the same things, whatever their ids and
/// however many attempts they took: how many resources of each kind each account holds, the
/// IAM names, and the cluster's objects (its Events aside, which count attempts).
#[derive(Debug, PartialEq)]
struct Made {
    shape: BTreeMap<String, [usize; 13]>,
    iam: BTreeSet<String>,
    objects: BTreeSet<String>,
}

fn made(world: &World) -> Made {
    let aws: Inventory = world.sim.aws().inventory();
    let iam = aws
        .accounts
        .values()
        .flat_map(|a| a.roles.keys().chain(a.policies.keys()).cloned())
        .collect();
    let objects = world
        .sim
        .fake_cluster()
        .inventory()
        .objects
        .into_keys()
        .filter(|k| !k.starts_with("Event "))
        .collect();
    Made {
        shape: aws.shape(),
        iam,
        objects,
    }
}

#[tokio::test(flavor = "current_thread", start_paused = true)]
async fn with_a_fifth_of_aws_calls_throttled_or_failing_the_whole_apply_converges_without_duplicates()
-> TestResult {
    let real = std::time::Instant::now();
    let expected = {
        let world = World::new("sim-faults");
        let mut state = world.state();
        let report = world.engine().apply(&world.plan(None), &mut state).await?;
        assert!(report.is_success(), "{:#?}", report.failures);
        made(&world)
    };

    for seed in 1..=5 {
        let world = World::new("sim-faults");
        let (aws_seed, cluster_seed) = world.inventories();
        // 10 % throttled and 10 % 5xx, on every AWS call of the apply and of the destroy.
        world.sim.aws().set_faults(Faults::rates(0.1, 0.1, seed));
        let mut state = world.state();
        let started = tokio::time::Instant::now();
        // The default engine: the SDK's three attempts per call absorb most faults (all three
        // fail with a chance of 0.2³ = 0.8 %), the engine's six per step the rest. (Forty
        // seeds pass so; five keep the test under a second.)
        let report = world.engine().apply(&world.plan(None), &mut state).await?;
        let simulated = started.elapsed();
        assert!(report.is_success(), "seed {seed}: {:#?}", report.failures);
        assert_eq!(made(&world), expected, "seed {seed}: no duplicates");

        let calls = world.sim.aws().calls();
        let injected = calls.iter().filter(|c| c.injected).count();
        let writes = calls.iter().filter(|c| !c.is_read()).count();
        let retried: u32 = report.steps.iter().map(|s| s.attempts - 1).sum();
        println!(
            "seed {seed}: {} AWS call attempts ({writes} writes), {injected} faults injected, \
             {retried} step retries, {simulated:?} simulated",
            calls.len()
        );
        assert!(injected > 0, "seed {seed}: faults were injected");

        let destroyed = world
            .engine()
            .destroy(&world.plan(None), &mut state, DestroyOptions::default())
            .await?;
        assert!(destroyed.is_success(), "seed {seed}: {destroyed:#?}");
        let (aws, cluster) = world.inventories();
        assert!(
            aws == aws_seed,
            "seed {seed}: the AWS world differs from its seed"
        );
        assert!(cluster == cluster_seed, "seed {seed}: the cluster differs");
    }
    println!("5 seeds in {:?} real", real.elapsed());
    Ok(())
}

#[tokio::test(flavor = "current_thread", start_paused = true)]
async fn iam_propagation_is_ridden_out_by_retries_never_reported_as_a_failure() -> TestResult {
    let world = World::new("sim-propagation");
    let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel();
    let mut state = world.state();
    let report = world
        .engine()
        .with_events(tx)
        .apply(&world.plan(None), &mut state)
        .await?;
    assert!(report.is_success(), "{:#?}", report.failures);

    // The fake's default latencies keep a new role unusable as a principal for ten seconds:
    // the steps that name one (B's trust of A's role, the file-system policy) met IAM's
    // "Invalid principal" and were retried until it propagated.
    let mut retried = Vec::new();
    while let Ok(event) = rx.try_recv() {
        if let Event::Retrying { address, error, .. } = event {
            retried.push((address.to_string(), error));
        }
    }
    let propagation: Vec<&String> = retried
        .iter()
        .filter(|(_, e)| {
            e.code() == Some("MalformedPolicyDocument") && e.message().contains("Invalid principal")
        })
        .map(|(address, _)| address)
        .collect();
    assert!(!propagation.is_empty(), "{retried:#?}");
    // Without injected faults the only other retry is AWS's other delay by design: B sees
    // the peering request a second after A made it.
    let others: Vec<_> = retried
        .iter()
        .filter(|(_, e)| {
            e.code() != Some("MalformedPolicyDocument") && e.code() != Some("PeeringNotVisible")
        })
        .collect();
    assert!(others.is_empty(), "{others:#?}");
    for address in &propagation {
        let step = report
            .steps
            .iter()
            .find(|s| s.address.as_str() == address.as_str())
            .expect("the retried step completed");
        assert!(step.attempts > 1, "{address}");
    }
    // The fake saw the same: each call naming a principal that it refused, it accepted later.
    let calls = world.sim.aws().calls();
    let names_principal = [
        "CreateRole",
        "UpdateAssumeRolePolicy",
        "PutFileSystemPolicy",
    ];
    let refused: Vec<_> = calls
        .iter()
        .enumerate()
        .filter(|(_, c)| !c.ok && names_principal.contains(&c.call))
        .collect();
    assert!(!refused.is_empty(), "{calls:#?}");
    for (i, call) in refused {
        assert!(!call.injected, "{call:?}");
        assert!(
            calls[i..]
                .iter()
                .any(|c| c.ok && c.call == call.call && c.account == call.account),
            "{call:?} succeeded later"
        );
    }
    println!(
        "IAM propagation: retried {:?}",
        propagation.iter().collect::<BTreeSet<_>>()
    );
    Ok(())
}
