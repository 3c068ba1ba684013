//! Many stacks applied at once in one rate-limited simulated AWS, and the process's memory.

use super::critical_path::{rest_after, step_durations};
use super::*;
use xefs_core::engine::EngineOptions;
use xefs_core::step::WaitPolicy;

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

/// A new world with the fake's realistic latencies, metered by `limits`.
fn limited_world(limits: &RateLimits) -> FakeAws {
    FakeAws::new(SimClock::new())
        .with_latency(Latency::default())
        .with_rate_limits(limits.clone())
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
    let world = limited_world(limits);
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

/// One stack alone in a rate-limited world of its own, polling every 100 ms: its apply's
/// time and, per (account, service), every call's *tail*, the least time the stack still
/// needs after that call.
struct OneStack {
    seconds: f64,
    tails: BTreeMap<(String, Service), Vec<Duration>>,
}

/// Runs fleet stack 0 alone and measures its calls' tails: the time from the call to the end
/// of its step, plus the longest chain of measured step durations after that step. The world's
/// latencies are fixed, contention only adds, and polling every 100 ms sees each resource
/// settle within 0.1 s, so a tail is a lower bound on what must follow the call. A call made
/// outside a step gets 0. Only successful calls that are not polls count: a lone stack
/// retries IAM's propagation more than a fleet's stacks do, and fewer calls only lower the
/// bound.
async fn one_stack(dir: &std::path::Path, limits: &RateLimits) -> Result<OneStack, BenchError> {
    let spec = fleet_spec(0)?;
    let blueprint = Blueprint::build(&spec);
    let world = limited_world(limits);
    let sim = Simulation::in_world(&spec, &world)?;
    let (recorder, tx) = Recorder::new();
    let fine = Duration::from_millis(100);
    let stack = Stack::simulated(spec, dir, &sim)
        .with_events(tx)
        .with_engine_options(EngineOptions {
            wait: WaitPolicy {
                initial: fine,
                max: fine,
                factor: 1.0,
            },
            ..EngineOptions::default()
        });
    world.clear_calls();
    let (started, world_started) = (tokio::time::Instant::now(), world.now());
    let applied = stack.apply().await?;
    let seconds = started.elapsed().as_secs_f64();
    if !applied.is_success() {
        return Err(BenchError::Failed(format!(
            "one fleet stack alone: {:?}",
            applied.failures
        )));
    }
    tokio::task::yield_now().await;
    let events = recorder.take();
    drop(stack);
    recorder.finish().await;
    let durations = step_durations(&events);
    let rest = rest_after(&blueprint, &durations);
    let mut ended: HashMap<Address, tokio::time::Instant> = HashMap::new();
    for (at, e) in &events {
        if let Event::Done { address, .. } | Event::Observed { address, .. } = e {
            let end = ended.entry(address.clone()).or_insert(*at);
            *end = (*end).max(*at);
        }
    }
    let mut tails: BTreeMap<(String, Service), Vec<Duration>> = BTreeMap::new();
    for call in world.calls().into_iter().filter(|c| c.ok && !c.poll) {
        let at = started + call.at.since(world_started);
        let tail = call
            .step
            .as_ref()
            .and_then(|step| {
                let end = ended.get(step)?;
                Some(end.saturating_duration_since(at) + rest.get(step).copied()?)
            })
            .unwrap_or_default();
        tails
            .entry((call.account.to_string(), call.service))
            .or_default()
            .push(tail);
    }
    Ok(OneStack { seconds, tails })
}

/// The least time `n` copies of one stack's calls need under `limits`, each followed by its
/// tail: per bucket, with tails sorted longest first, the `n·j`-th call (the last copy of the
/// `j`-th tail) cannot start before `(n·j − burst) ÷ rate`, and then needs `tail_j`. The
/// largest over buckets and `j` bounds the fleet's time from below; it is at least one
/// stack's own critical path (the first call's tail) and the plain rate-limit bound (the
/// last call's, with a tail of about 0).
fn tail_bound(one: &OneStack, n: usize, limits: &RateLimits) -> (f64, String) {
    let mut best = (0.0, String::new());
    for ((account, service), tails) in &one.tails {
        let mut tails = tails.clone();
        tails.sort_by(|a, b| b.cmp(a));
        let bucket = limits.bucket(*service);
        for (j, tail) in tails.iter().enumerate() {
            let calls = (n * (j + 1)) as f64;
            let t = (calls - bucket.burst).max(0.0) / bucket.rate + tail.as_secs_f64();
            if t > best.0 {
                best = (t, format!("{account}:{}", service.as_str()));
            }
        }
    }
    best
}

/// The fleet measured twice: engines sharing client-side limits (the figures), and not; and
/// one stack alone, for the bound.
pub(super) async fn fleet(n: usize, dir: &std::path::Path) -> Result<FleetFigures, BenchError> {
    let limits = RateLimits::aws_like();
    let one = one_stack(&dir.join("one"), &limits).await?;
    let unshared = fleet_run(n, &dir.join("unshared"), &limits, false).await?;
    let run = fleet_run(n, &dir.join("shared"), &limits, true).await?;
    let (rate_bound, rate_bound_by) = run
        .calls
        .iter()
        .map(|((account, service), calls)| {
            (
                rate_limit_bound(&limits, *service, *calls).as_secs_f64(),
                format!("{account}:{}", service.as_str()),
            )
        })
        .max_by(|a, b| a.0.total_cmp(&b.0))
        .unwrap_or_default();
    let (bound, bound_by) = tail_bound(&one, n, &limits);
    let bound = bound.max(one.seconds);
    Ok(FleetFigures {
        stacks: n,
        simulated_seconds: run.simulated_seconds,
        rate_limit_bound_seconds: rate_bound,
        rate_limit_bound_by: rate_bound_by,
        one_stack_seconds: one.seconds,
        bound_seconds: bound,
        bound_by,
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
