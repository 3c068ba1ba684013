//! `xefs bench`: how fast xefs runs a stack on the simulated clouds, and how many calls it
//! makes — measured, not estimated.
//!
//! [`run_bench`] must run on a paused tokio clock (a `current_thread` runtime with
//! `start_paused`), so the simulated clouds' minutes pass at once; every time it reports except
//! [`RealFigures`] is **simulated** time, with the fake's realistic [`Latency`].
//!
//! * **Critical path**: one stack applied, then destroyed; each step's duration is taken from
//!   the engine's events (`Done`/`Removed`, else `Observed`), the critical path is the longest
//!   chain through the blueprint's DAG weighted by them (the same length through the reverse
//!   DAG for destroy), and the efficiency is critical path ÷ simulated wall time (1.0 is the
//!   limit). The guide's strictly sequential order would take the sum of the durations.
//! * **Calls**: reads and writes per service of a fresh apply, a no-op apply, a plan on the
//!   applied stack, and a destroy.
//! * **Fleet**: N stacks applied concurrently in one process, in one [`FakeAws`] world shared
//!   by accounts A and B, metered by AWS-like token buckets ([`RateLimits::aws_like`]): the
//!   simulated time, the least time the same calls need under those rates, the throttling
//!   errors met, the stacks that failed, and the process's peak memory.
//!
//! ```
//! # #[tokio::main(flavor = "current_thread", start_paused = true)]
//! # async fn main() -> Result<(), Box<dyn std::error::Error>> {
//! let report = xefs::bench::run_bench(&xefs::bench::BenchOptions { stacks: 2 }).await?;
//! assert!(report.apply.efficiency > 0.0 && report.apply.efficiency <= 1.0);
//! assert_eq!(report.noop_apply.writes, 0);
//! # Ok(()) }
//! ```

use std::collections::{BTreeMap, HashMap};
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use serde::Serialize;
use tokio::sync::mpsc::unbounded_channel;
use xefs_aws::fake::{FakeAws, Latency, RateLimits, rate_limit_bound};
use xefs_aws::{CallCount, CallStats, Service};
use xefs_core::blueprint::{Address, Blueprint};
use xefs_core::engine::{Event, RateLimit, RateLimits as EngineRateLimits};
use xefs_core::sim::SimClock;
use xefs_core::spec::StackSpec;

use crate::Stack;
use crate::simulate::{EXAMPLE_CONFIG, SimError, Simulation};

/// The format of [`BenchReport`]'s JSON.
pub const FORMAT_VERSION: u32 = 1;

/// The most stacks a fleet can have: each takes two disjoint /16s of 10.0.0.0/8.
pub const MAX_STACKS: usize = 128;

/// What to measure.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BenchOptions {
    /// Stacks in the fleet (100 for `xefs bench`), at most [`MAX_STACKS`].
    pub stacks: usize,
}

impl Default for BenchOptions {
    fn default() -> Self {
        Self { stacks: 100 }
    }
}

/// Why the bench could not run or measured a failure.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum BenchError {
    /// A simulated world could not be made.
    #[error(transparent)]
    Simulation(#[from] SimError),
    /// A stack operation could not run.
    #[error(transparent)]
    Stack(Box<crate::Error>),
    /// The example stack did not apply or destroy cleanly (a bug: the bench measures runs
    /// that succeed).
    #[error("the measured stack failed: {0}")]
    Failed(String),
    /// Bad options.
    #[error("{0}")]
    Options(String),
    /// The temporary state directory.
    #[error("the bench's state directory: {0}")]
    Io(#[from] std::io::Error),
}

impl From<crate::Error> for BenchError {
    fn from(e: crate::Error) -> Self {
        Self::Stack(Box::new(e))
    }
}

/// Everything `xefs bench` measured.
#[derive(Debug, Clone, Serialize)]
pub struct BenchReport {
    /// [`FORMAT_VERSION`].
    pub format_version: u32,
    /// One stack's apply (every phase, the end-to-end check included).
    pub apply: CriticalPath,
    /// The same stack's destroy.
    pub destroy: CriticalPath,
    /// AWS calls per operation, per service.
    pub calls: CallsByOperation,
    /// The second apply of an applied stack.
    pub noop_apply: NoopApply,
    /// Many stacks at once under AWS-like rate limits.
    pub fleet: FleetFigures,
    /// Real time and memory of the bench process itself.
    pub real: RealFigures,
}

/// How close a run came to its longest dependency chain (simulated seconds).
#[derive(Debug, Clone, Serialize)]
pub struct CriticalPath {
    /// Wall time of the run.
    pub simulated_seconds: f64,
    /// The longest chain through the DAG, weighted by each step's measured duration.
    pub critical_path_seconds: f64,
    /// `critical_path_seconds / simulated_seconds`: 1.0 is the limit.
    pub efficiency: f64,
    /// The sum of every step's duration: the guide's strictly sequential order.
    pub guide_sequential_seconds: f64,
    /// The chain itself, first step first.
    pub path: Vec<String>,
}

/// Reads and writes per service (`ec2`, `efs`, `iam`, `sts`).
pub type CallsByService = BTreeMap<&'static str, CallCount>;

/// The calls of each measured operation.
#[derive(Debug, Clone, Serialize)]
pub struct CallsByOperation {
    /// A fresh apply.
    pub fresh_apply: CallsByService,
    /// A second apply, nothing to change.
    pub noop_apply: CallsByService,
    /// A plan on the applied stack.
    pub plan_applied: CallsByService,
    /// The destroy.
    pub destroy: CallsByService,
}

/// The cost of an apply that changes nothing.
#[derive(Debug, Clone, Serialize)]
pub struct NoopApply {
    /// Mutating AWS calls (0 is right).
    pub writes: u64,
    /// Read calls.
    pub reads: u64,
    /// Steps of the stack (resources and checks).
    pub resources: usize,
    /// `reads / resources`.
    pub reads_per_resource: f64,
}

/// Many stacks applied concurrently in one world.
#[derive(Debug, Clone, Serialize)]
pub struct FleetFigures {
    /// Stacks applied.
    pub stacks: usize,
    /// Simulated time until every stack was applied, every stack's engine sharing one set of
    /// client-side limits with the fake's rates ([`Stack::with_rate_limits`]).
    pub simulated_seconds: f64,
    /// The least time the same (unthrottled) calls need under the rate limits: the maximum
    /// over (account, service) of what exceeds the burst divided by the rate.
    pub rate_limit_bound_seconds: f64,
    /// `simulated_seconds / rate_limit_bound_seconds` (0 when the bound is 0).
    pub ratio_to_bound: f64,
    /// Attempts throttled by the rate limits.
    pub throttled: u64,
    /// Stacks whose apply did not succeed (0 is right).
    pub failed_stacks: usize,
    /// Why the first failed stack failed.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub first_failure: Option<String>,
    /// Calls per account and service, throttled attempts excluded.
    pub calls: BTreeMap<String, u64>,
    /// The same fleet with no client-side limits shared between its engines (each stack
    /// unlimited, as [`Stack`] is by default): only the server's throttling holds it back.
    pub unshared_limits: UnsharedFleet,
    /// The process's peak resident memory after the fleet (Linux `VmHWM`; `None` elsewhere).
    pub peak_rss_bytes: Option<u64>,
}

/// A fleet whose engines do not share rate limits.
#[derive(Debug, Clone, Serialize)]
pub struct UnsharedFleet {
    /// Simulated time until every stack finished.
    pub simulated_seconds: f64,
    /// Attempts throttled by the fake's rate limits.
    pub throttled: u64,
    /// Stacks whose apply did not succeed.
    pub failed_stacks: usize,
    /// Why the first failed stack failed.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub first_failure: Option<String>,
}

/// Real (not simulated) figures of the bench process.
#[derive(Debug, Clone, Serialize)]
pub struct RealFigures {
    /// Real seconds the whole bench took.
    pub bench_wall_seconds: f64,
    /// Peak resident memory of the process (Linux `VmHWM` of `/proc/self/status`).
    pub peak_rss_bytes: Option<u64>,
    /// Commands run as processes of their own, start to exit (filled in by the CLI, which
    /// knows its own binary; empty from [`run_bench`]).
    pub commands: BTreeMap<String, CommandFigures>,
}

/// One command run as a process, start to exit.
#[derive(Debug, Clone, Serialize)]
pub struct CommandFigures {
    /// Real seconds from spawn to exit.
    pub wall_seconds: f64,
    /// The process's peak resident memory (Linux `VmHWM`, as the process reported it).
    pub peak_rss_bytes: Option<u64>,
    /// Whether it exited with status 0.
    pub success: bool,
}

/// Runs every measurement. Must run on a paused tokio clock (see the module's documentation).
pub async fn run_bench(options: &BenchOptions) -> Result<BenchReport, BenchError> {
    if options.stacks == 0 || options.stacks > MAX_STACKS {
        return Err(BenchError::Options(format!(
            "--stacks must be between 1 and {MAX_STACKS}, not {}",
            options.stacks
        )));
    }
    let real = std::time::Instant::now();
    let dir = StateDir::new()?;
    let env = BTreeMap::<String, String>::new();
    let spec = StackSpec::from_toml_str(EXAMPLE_CONFIG, &env)
        .map_err(|e| BenchError::Failed(format!("the example config: {e:?}")))?;
    let blueprint = Blueprint::build(&spec);
    let sim = Simulation::new(&spec)?;
    let (tx, mut rx) = unbounded_channel();
    let stack = Stack::simulated(spec, dir.0.join("one"), &sim).with_events(tx);
    // Stamps every event when it is sent: on a paused current-thread runtime the clock moves
    // only when every task waits, so the receiver runs before time passes.
    let stamped: Arc<std::sync::Mutex<Vec<(tokio::time::Instant, Event)>>> = Arc::default();
    let sink = Arc::clone(&stamped);
    let collector = tokio::spawn(async move {
        while let Some(e) = rx.recv().await {
            sink.lock()
                .unwrap_or_else(|e| e.into_inner())
                .push((tokio::time::Instant::now(), e));
        }
    });
    let stats = stack.calls().clone();

    let started = tokio::time::Instant::now();
    let applied = stack.apply().await?;
    let apply_wall = started.elapsed();
    if !applied.is_success() {
        return Err(BenchError::Failed(format!("apply: {:?}", applied.failures)));
    }
    tokio::task::yield_now().await;
    let apply_events = take(&stamped);
    let fresh_apply = snapshot(&stats);

    let noop = stack.apply().await?;
    if !noop.is_success() {
        return Err(BenchError::Failed(format!(
            "no-op apply: {:?}",
            noop.failures
        )));
    }
    let noop_calls = snapshot(&stats);
    stack.plan().await?;
    let plan_applied = snapshot(&stats);
    tokio::task::yield_now().await;
    take(&stamped);

    let started = tokio::time::Instant::now();
    let destroyed = stack.destroy(true).await?;
    let destroy_wall = started.elapsed();
    if !destroyed.is_success() {
        return Err(BenchError::Failed(format!(
            "destroy: {:?}",
            destroyed.failures
        )));
    }
    tokio::task::yield_now().await;
    let destroy_events = take(&stamped);
    let destroy_calls = snapshot(&stats);
    drop(stack);
    let _ = collector.await;

    let noop_total = noop_calls
        .values()
        .fold(CallCount::default(), |a, c| CallCount {
            reads: a.reads + c.reads,
            writes: a.writes + c.writes,
        });
    let resources = blueprint.steps.len();
    let fleet = fleet(options.stacks, &dir.0.join("fleet")).await?;
    Ok(BenchReport {
        format_version: FORMAT_VERSION,
        apply: critical_path(&blueprint, &apply_events, apply_wall),
        destroy: critical_path(&blueprint, &destroy_events, destroy_wall),
        calls: CallsByOperation {
            fresh_apply,
            noop_apply: noop_calls,
            plan_applied,
            destroy: destroy_calls,
        },
        noop_apply: NoopApply {
            writes: noop_total.writes,
            reads: noop_total.reads,
            resources,
            reads_per_resource: noop_total.reads as f64 / resources.max(1) as f64,
        },
        fleet,
        real: RealFigures {
            bench_wall_seconds: real.elapsed().as_secs_f64(),
            peak_rss_bytes: peak_rss_bytes(),
            commands: BTreeMap::new(),
        },
    })
}

/// The counts so far, then zero.
fn snapshot(stats: &CallStats) -> CallsByService {
    let by = stats.by_service();
    stats.reset();
    by
}

fn take(
    stamped: &std::sync::Mutex<Vec<(tokio::time::Instant, Event)>>,
) -> Vec<(tokio::time::Instant, Event)> {
    std::mem::take(&mut *stamped.lock().unwrap_or_else(|e| e.into_inner()))
}

/// Each step's duration from the events, and the longest chain through the DAG.
fn critical_path(
    blueprint: &Blueprint,
    events: &[(tokio::time::Instant, Event)],
    wall: Duration,
) -> CriticalPath {
    let mut durations: HashMap<&Address, Duration> = HashMap::new();
    let mut observed: HashMap<&Address, Duration> = HashMap::new();
    for (_, e) in events {
        match e {
            Event::Done {
                address, duration, ..
            }
            | Event::Removed { address, duration } => {
                durations.insert(address, *duration);
            }
            Event::Observed { address, duration } => {
                observed.insert(address, *duration);
            }
            _ => {}
        }
    }
    let weight = |a: &Address| {
        durations
            .get(a)
            .or_else(|| observed.get(a))
            .copied()
            .unwrap_or_default()
    };
    // Longest path ending at each step; the blueprint lists every step after its
    // dependencies. The reverse DAG (destroy) has the same longest chain.
    let mut best: HashMap<&Address, (Duration, Option<&Address>)> = HashMap::new();
    for step in blueprint.apply_order() {
        let (before, from) = step
            .depends_on
            .iter()
            .filter_map(|d| best.get(d).map(|(t, _)| (*t, Some(d))))
            .max_by_key(|(t, _)| *t)
            .unwrap_or((Duration::ZERO, None));
        best.insert(&step.address, (before + weight(&step.address), from));
    }
    let mut path = Vec::new();
    let mut at = best.iter().max_by_key(|(_, (t, _))| *t).map(|(a, _)| *a);
    let critical = at
        .and_then(|a| best.get(a))
        .map(|(t, _)| *t)
        .unwrap_or_default();
    while let Some(a) = at {
        path.push(a.to_string());
        at = best.get(a).and_then(|(_, from)| *from);
    }
    path.reverse();
    let sequential: Duration = blueprint.steps.iter().map(|s| weight(&s.address)).sum();
    let wall_s = wall.as_secs_f64();
    CriticalPath {
        simulated_seconds: wall_s,
        critical_path_seconds: critical.as_secs_f64(),
        efficiency: if wall_s > 0.0 {
            (critical.as_secs_f64() / wall_s).min(1.0)
        } else {
            1.0
        },
        guide_sequential_seconds: sequential.as_secs_f64(),
        path,
    }
}

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
async fn fleet(n: usize, dir: &std::path::Path) -> Result<FleetFigures, BenchError> {
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

/// A temporary directory for the bench's state, removed when dropped.
struct StateDir(PathBuf);

impl StateDir {
    fn new() -> std::io::Result<Self> {
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.subsec_nanos())
            .unwrap_or_default();
        let dir = std::env::temp_dir().join(format!("xefs-bench-{}-{nanos}", std::process::id()));
        std::fs::create_dir_all(&dir)?;
        Ok(Self(dir))
    }
}

impl Drop for StateDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}
