//! Many stacks applied at once in one rate-limited simulated AWS, and the process's memory.

use super::*;

/// The spec of fleet stack `i`: its own name, cluster name, VPC ids, /16s and B role (B's
/// role name is fixed by default, as the guide names it; stacks sharing account B need their
/// own).
fn fleet_spec(i: usize) -> Result<StackSpec, BenchError> {
    StackSpec::builder(&format!("fleet-{i}"), "us-east-2")
        .cluster(
            &format!("cluster-{i}"),
            "111111111111",
            &format!("vpc-0a{i:015x}"),
            &format!("10.{}.0.0/16", 2 * i),
        )
        .storage(
            "222222222222",
            &format!("vpc-0b{i:015x}"),
            &format!("10.{}.0.0/16", 2 * i + 1),
        )
        .set("iam.cross_account_role_name", format!("fleet-{i}-efs-role"))
        .set(
            "iam.cross_account_policy_name",
            format!("fleet-{i}-efs-policy"),
        )
        .build()
        .map_err(|e| BenchError::Failed(format!("fleet spec {i}: {e:?}")))
}

/// One fleet run's outcome.
struct FleetRun {
    simulated_seconds: f64,
    throttled: u64,
    failed_stacks: usize,
    first_failure: Option<String>,
    calls: BTreeMap<(String, Service), u64>,
}

/// The engine-side limits matching the fake's buckets, shared by every stack of a fleet.
fn shared_limits(limits: &RateLimits) -> EngineRateLimits {
    let mut builder = EngineRateLimits::builder();
    for service in [Service::Iam, Service::Ec2, Service::Efs, Service::Sts] {
        let b = limits.bucket(service);
        builder = builder.service(
            service.as_str(),
            RateLimit::new(b.rate, b.burst.max(1.0) as u32),
        );
    }
    builder.build()
}

/// `n` stacks applied concurrently in one rate-limited world, their engines sharing one set
/// of client-side rate limits (as [`Stack::with_rate_limits`] advises) or not.
async fn fleet_run(
    n: usize,
    dir: &std::path::Path,
    limits: &RateLimits,
    shared: bool,
) -> Result<FleetRun, BenchError> {
    let world = FakeAws::new(SimClock::new())
        .with_latency(Latency::default())
        .with_rate_limits(limits.clone());
    let client_limits = shared_limits(limits);
    let mut stacks = Vec::new();
    let mut sims = Vec::new();
    for i in 0..n {
        let spec = fleet_spec(i)?;
        let sim = Simulation::in_world(&spec, &world)?;
        let mut stack = Stack::simulated(spec, dir, &sim);
        if shared {
            stack = stack.with_rate_limits(client_limits.clone());
        }
        stacks.push(Arc::new(stack));
        sims.push(sim);
    }
    world.clear_calls();
    let started = tokio::time::Instant::now();
    let mut running = tokio::task::JoinSet::new();
    for stack in &stacks {
        let stack = Arc::clone(stack);
        running.spawn(async move {
            match stack.apply().await {
                Ok(r) if r.is_success() => None,
                Ok(r) => Some(format!(
                    "{}: {}",
                    stack.spec().name,
                    r.failures
                        .iter()
                        .map(|f| format!("{f:?}"))
                        .collect::<Vec<_>>()
                        .join("; ")
                )),
                Err(e) => Some(format!("{}: {e}", stack.spec().name)),
            }
        });
    }
    let mut failed_stacks = 0;
    let mut first_failure = None;
    while let Some(done) = running.join_next().await {
        let failure = done.unwrap_or_else(|e| Some(format!("a stack's task: {e}")));
        if let Some(failure) = failure {
            failed_stacks += 1;
            first_failure.get_or_insert(failure);
        }
    }
    let simulated_seconds = started.elapsed().as_secs_f64();
    let mut throttled = 0;
    let mut calls: BTreeMap<(String, Service), u64> = BTreeMap::new();
    for call in world.calls() {
        if call.injected && !call.ok {
            throttled += 1;
        } else {
            *calls
                .entry((call.account.to_string(), call.service))
                .or_default() += 1;
        }
    }
    Ok(FleetRun {
        simulated_seconds,
        throttled,
        failed_stacks,
        first_failure,
        calls,
    })
}

/// The fleet measured twice: engines sharing client-side limits (the figures), and not.
pub(super) async fn fleet(n: usize, dir: &std::path::Path) -> Result<FleetFigures, BenchError> {
    let limits = RateLimits::aws_like();
    let unshared = fleet_run(n, &dir.join("unshared"), &limits, false).await?;
    let run = fleet_run(n, &dir.join("shared"), &limits, true).await?;
    let bound = run
        .calls
        .iter()
        .map(|((_, service), calls)| rate_limit_bound(&limits, *service, *calls))
        .max()
        .unwrap_or_default()
        .as_secs_f64();
    Ok(FleetFigures {
        stacks: n,
        simulated_seconds: run.simulated_seconds,
        rate_limit_bound_seconds: bound,
        ratio_to_bound: if bound > 0.0 {
            run.simulated_seconds / bound
        } else {
            0.0
        },
        throttled: run.throttled,
        failed_stacks: run.failed_stacks,
        first_failure: run.first_failure,
        calls: run
            .calls
            .into_iter()
            .map(|((account, service), n)| (format!("{account}:{}", service.as_str()), n))
            .collect(),
        unshared_limits: UnsharedFleet {
            simulated_seconds: unshared.simulated_seconds,
            throttled: unshared.throttled,
            failed_stacks: unshared.failed_stacks,
            first_failure: unshared.first_failure,
        },
        peak_rss_bytes: peak_rss_bytes(),
    })
}

/// The process's peak resident set size: `VmHWM` of `/proc/self/status` (Linux only).
pub fn peak_rss_bytes() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    let kib: u64 = line
        .trim_start_matches("VmHWM:")
        .trim()
        .trim_end_matches("kB")
        .trim()
        .parse()
        .ok()?;
    Some(kib * 1024)
}
