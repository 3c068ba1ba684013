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
use std::sync::Arc;
use std::time::Duration;

use serde::Serialize;
use xefs_aws::fake::{FakeAws, Latency, RateLimits, rate_limit_bound};
use xefs_aws::{CallCount, CallStats, Service};
use xefs_core::blueprint::{Address, Blueprint};
use xefs_core::engine::{Event, RateLimit, RateLimits as EngineRateLimits};
use xefs_core::sim::SimClock;
use xefs_core::spec::StackSpec;

use crate::Stack;
use crate::simulate::{EXAMPLE_CONFIG, SimError, Simulation};

mod critical_path;
mod fleet;
mod recorder;
mod report;

pub use self::fleet::peak_rss_bytes;
pub use self::report::*;

/// With this variable set, the `xefs` binary prints its [`peak_rss_bytes`] to stderr at exit,
/// as a parent cannot read a child's peak memory once it has exited.
pub const PEAK_RSS_ENV: &str = "XEFS_REPORT_PEAK_RSS";

/// The prefix of that stderr line (the number of bytes follows).
pub const PEAK_RSS_LINE: &str = "xefs-peak-rss-bytes: ";

use self::critical_path::critical_path;
use self::fleet::fleet;
use self::recorder::Recorder;

/// Runs every measurement. Must run on a paused tokio clock (see the module's documentation).
pub async fn run_bench(options: &BenchOptions) -> Result<BenchReport, BenchError> {
    if options.stacks == 0 || options.stacks > MAX_STACKS {
        return Err(BenchError::Options(format!(
            "--stacks must be between 1 and {MAX_STACKS}, not {}",
            options.stacks
        )));
    }
    let real = std::time::Instant::now();
    let dir = tempfile::Builder::new().prefix("xefs-bench-").tempdir()?;
    let env = BTreeMap::<String, String>::new();
    let spec = StackSpec::from_toml_str(EXAMPLE_CONFIG, &env)
        .map_err(|e| BenchError::Failed(format!("the example config: {e:?}")))?;
    let blueprint = Blueprint::build(&spec);
    let sim = Simulation::new(&spec)?;
    let (recorder, tx) = Recorder::new();
    let stack = Stack::simulated(spec, dir.path().join("one"), &sim).with_events(tx);
    let stats = stack.calls().clone();

    let started = tokio::time::Instant::now();
    let applied = stack.apply().await?;
    let apply_wall = started.elapsed();
    if !applied.is_success() {
        return Err(BenchError::Failed(format!("apply: {:?}", applied.failures)));
    }
    tokio::task::yield_now().await;
    let apply_events = recorder.take();
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
    recorder.take();

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
    let destroy_events = recorder.take();
    let destroy_calls = snapshot(&stats);
    drop(stack);
    recorder.finish().await;

    let noop_total = noop_calls
        .values()
        .fold(CallCount::default(), |a, c| CallCount {
            reads: a.reads + c.reads,
            writes: a.writes + c.writes,
        });
    let resources = blueprint.steps.len();
    let fleet = fleet(options.stacks, &dir.path().join("fleet")).await?;
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
