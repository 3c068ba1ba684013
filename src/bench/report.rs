//! What the bench reports: the JSON's shape (`format_version` 1).

use super::*;

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
    /// The (account, service) bucket that sets `rate_limit_bound_seconds`, e.g.
    /// `222222222222:efs`.
    pub rate_limit_bound_by: String,
    /// One stack's apply alone in a rate-limited world of its own.
    pub one_stack_seconds: f64,
    /// The fleet's lower bound: N copies of the lone stack's calls pushed through the rate
    /// limits, each followed by the least time its stack still needs after it (its tail:
    /// the rest of its step, then the longest chain of measured steps after it). Per bucket,
    /// with tails longest first, the `N·j`-th call cannot start before `(N·j − burst) ÷ rate`
    /// and then needs the `j`-th tail; the largest such time. It is at least
    /// `one_stack_seconds` and, but for the fleet's extra polls, the rate-limit bound.
    pub bound_seconds: f64,
    /// The bucket that sets `bound_seconds`.
    pub bound_by: String,
    /// `simulated_seconds / bound_seconds` (1.0 is the limit).
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
