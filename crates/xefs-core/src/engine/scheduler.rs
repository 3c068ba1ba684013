//! Runs jobs over the DAG: each as soon as everything it waits for is done, with a
//! concurrency limit, stopping new starts on failure or cancellation.

use std::cmp::Reverse;
use std::collections::{BinaryHeap, HashMap};
use std::future::Future;
use std::pin::Pin;

use tokio::task::{JoinError, JoinSet};
use tokio_util::sync::CancellationToken;

use super::{BoundPlan, EngineError, RateLimits};
use crate::blueprint::Address;
use crate::step::RunMemo;

/// Which way the edges run.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Direction {
    /// Dependencies first (plan, apply).
    Forward,
    /// Dependents first (destroy).
    Reverse,
}

/// A job's future, spawned on the runtime.
pub(crate) type JobFuture<T> = Pin<Box<dyn Future<Output = T> + Send>>;

/// What starting a node amounts to.
pub(crate) enum Launch<T> {
    /// Run this future.
    Spawn(JobFuture<T>),
    /// Nothing to run: the node is already done (`true`: as a success).
    Done(bool),
}

/// The operation-specific part of a run.
pub(crate) trait Job {
    /// What a node's future returns.
    type Output: Send + 'static;
    /// Starts node `i`, all of whose predecessors succeeded.
    fn launch(&mut self, i: usize) -> Launch<Self::Output>;
    /// Node `i` finished. `Ok(true)`: success; `Ok(false)`: failure (nothing new starts);
    /// `Err`: stop at once, abandoning in-flight nodes (a journal failure or simulated crash).
    fn finished(
        &mut self,
        i: usize,
        output: Result<Self::Output, JoinError>,
    ) -> Result<bool, EngineError>;
    /// Node `i` will not run.
    fn skipped(&mut self, i: usize, reason: String);
}

/// How a run ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Outcome {
    /// Cancellation stopped new starts.
    pub(crate) cancelled: bool,
}

tokio::task_local! {
    static CURRENT_STEP: Address;
}

/// The step whose call is running, when the engine runs it: for fakes and logs that attribute
/// calls to steps.
pub fn current_step() -> Option<Address> {
    CURRENT_STEP.try_with(Clone::clone).ok()
}

/// Runs `job` over `plan`'s DAG.
pub(crate) async fn run<J: Job>(
    plan: &BoundPlan,
    direction: Direction,
    concurrency: usize,
    cancel: &CancellationToken,
    job: &mut J,
) -> Result<Outcome, EngineError> {
    let n = plan.len();
    let (preds, succs, weight, height) = match direction {
        Direction::Forward => (
            &plan.deps,
            &plan.dependents,
            &plan.weight_forward,
            &plan.height_forward,
        ),
        Direction::Reverse => (
            &plan.dependents,
            &plan.deps,
            &plan.weight_reverse,
            &plan.height_reverse,
        ),
    };
    let concurrency = concurrency.max(1);
    let memo = RunMemo::default();
    let mut waiting: Vec<usize> = preds.iter().map(Vec::len).collect();
    let mut blocked: Vec<Option<String>> = vec![None; n];
    let mut done = vec![false; n];
    // Longest expected remaining chain first (critical-path list scheduling), then the most
    // steps ahead, then plan order: keeps the critical path moving when the limit binds.
    let priority = |i: usize| {
        let rank = plan.rank[i];
        let rank = match direction {
            Direction::Forward => rank,
            Direction::Reverse => n - rank,
        };
        (weight[i], height[i], Reverse(rank), i)
    };
    let mut ready: BinaryHeap<_> = (0..n).filter(|&i| waiting[i] == 0).map(priority).collect();
    let mut tasks = JoinSet::new();
    let mut running: HashMap<tokio::task::Id, usize> = HashMap::new();
    let mut stop: Option<&'static str> = None;

    let mut complete = |i: usize,
                        ok: bool,
                        ready: &mut BinaryHeap<_>,
                        blocked: &mut Vec<Option<String>>,
                        done: &mut Vec<bool>| {
        done[i] = true;
        for &s in &succs[i] {
            if !ok && blocked[s].is_none() {
                blocked[s] = Some(format!(
                    "`{}` did not complete",
                    plan.step(i).address.as_str()
                ));
            }
            waiting[s] -= 1;
            if waiting[s] == 0 {
                ready.push(priority(s));
            }
        }
    };

    loop {
        if stop.is_none() && cancel.is_cancelled() {
            stop = Some("cancelled");
        }
        while stop.is_none() && tasks.len() < concurrency {
            let Some((_, _, _, i)) = ready.pop() else {
                break;
            };
            if let Some(reason) = blocked[i].take() {
                job.skipped(i, reason);
                complete(i, false, &mut ready, &mut blocked, &mut done);
                continue;
            }
            match job.launch(i) {
                Launch::Spawn(future) => {
                    // The step's calls wait for rate-limit tokens ranked by its chain, know
                    // whose they are, and share the run's memo of reads.
                    let step = plan.step(i).address.clone();
                    let future = RateLimits::prioritized(weight[i], future);
                    let future = memo.clone().scope(CURRENT_STEP.scope(step, future));
                    let handle = tasks.spawn(future);
                    running.insert(handle.id(), i);
                }
                Launch::Done(ok) => complete(i, ok, &mut ready, &mut blocked, &mut done),
            }
        }
        let Some(joined) = tasks.join_next_with_id().await else {
            break;
        };
        let (id, output) = match joined {
            Ok((id, output)) => (id, Ok(output)),
            Err(e) => (e.id(), Err(e)),
        };
        let Some(i) = running.remove(&id) else {
            continue;
        };
        match job.finished(i, output) {
            Ok(ok) => {
                if !ok && stop.is_none() {
                    stop = Some("not started after another step failed");
                }
                complete(i, ok, &mut ready, &mut blocked, &mut done);
            }
            Err(e) => {
                // As if the process died: in-flight calls are abandoned, not journaled.
                tasks.abort_all();
                while tasks.join_next().await.is_some() {}
                return Err(e);
            }
        }
    }
    let reason = stop.unwrap_or("not started");
    for i in 0..n {
        if !done[i] {
            job.skipped(i, blocked[i].take().unwrap_or_else(|| reason.to_owned()));
        }
    }
    Ok(Outcome {
        cancelled: stop == Some("cancelled"),
    })
}
