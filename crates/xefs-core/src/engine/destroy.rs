//! `destroy`: remove, dependents first, exactly what xefs created.

use std::sync::Arc;

use tokio::task::JoinError;
use tokio::time::Instant;
use tokio_util::sync::CancellationToken;
use tracing::Instrument;

use super::plan::orphaned;
use super::report::sort_by_plan;
use super::retry::{AttemptError, Retry};
use super::run::Run;
use super::scheduler::{self, Direction, Job, Launch};
use super::{
    BoundPlan, DestroyReport, Engine, EngineError, Event, EventSink, RemovedStep, RetryPolicy,
    Skipped, StepFailure,
};
use crate::blueprint::Address;
use crate::state::{
    Entry, Journal, Observed, Op, Outcome, Ownership, ResourceState, StackState, StateError,
};
use crate::step::{Inputs, Observation, Step, StepContext, StepOutputs};

/// What `destroy` may remove besides what xefs created.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct DestroyOptions {
    /// Also remove resources that existed before xefs and were adopted. Off by default:
    /// xefs never deletes what it did not create unless asked.
    pub include_adopted: bool,
}

impl Engine {
    /// Removes what the state says xefs created (and adopted resources if
    /// `options.include_adopted`), each only after every step depending on it is removed,
    /// concurrently where the DAG allows. A create whose result was never journaled (a crash)
    /// is settled by observing, with the dependencies' journaled outputs as inputs: removed if
    /// present. Read-only steps and untouched resources are left alone.
    pub async fn destroy(
        &self,
        plan: &BoundPlan,
        state: &mut StackState,
        options: DestroyOptions,
    ) -> Result<DestroyReport, EngineError> {
        let start = Instant::now();
        if let Some(refused) = self.refusals(plan, state, options).await {
            return Ok(refused.finish(plan, start));
        }
        let mut job = DestroyJob {
            engine: self,
            plan,
            state,
            options,
            removed: Vec::new(),
            kept: Vec::new(),
            failures: Vec::new(),
            skipped: Vec::new(),
        };
        let outcome = scheduler::run(
            plan,
            Direction::Reverse,
            self.options.concurrency,
            &self.cancel,
            &mut job,
        )
        .await?;
        let orphaned = orphaned(plan, state);
        for address in &orphaned {
            tracing::warn!(%address, "owned by xefs but not in the plan: not removed");
        }
        let mut report = DestroyReport {
            removed: job.removed,
            kept: job.kept,
            failures: job.failures,
            skipped: job.skipped,
            orphaned,
            cancelled: outcome.cancelled,
            duration: start.elapsed(),
        };
        sort_by_plan(plan, &mut report.removed, |r| &r.address);
        report.removed.reverse();
        sort_by_plan(plan, &mut report.kept, |a| a);
        sort_by_plan(plan, &mut report.failures, |f| &f.address);
        sort_by_plan(plan, &mut report.skipped, |s| &s.address);
        Ok(report)
    }
}

impl Engine {
    /// Asks every step a destroy would remove whether it refuses ([`Step::check_remove`]),
    /// before anything is removed (one after another: only a few steps read anything); `Some` report when one does, with every
    /// refusal as a failure and every other step skipped.
    async fn refusals(
        &self,
        plan: &BoundPlan,
        state: &StackState,
        options: DestroyOptions,
    ) -> Option<RefusedDestroy> {
        let mut failures = Vec::new();
        let mut removable = Vec::new();
        for i in 0..plan.len() {
            let bound = plan.step(i);
            let entry = state.resource(&bound.address).unwrap_or_default();
            if bound.observe_only || !entry.removable(options.include_adopted) {
                continue;
            }
            removable.push(bound.address.clone());
            let Some(recorded) = entry.outputs.clone() else {
                continue;
            };
            let inputs: Inputs = plan.deps[i]
                .iter()
                .filter_map(|&d| {
                    let address = &plan.step(d).address;
                    Some((address.clone(), state.resource(address)?.outputs?))
                })
                .collect();
            let ctx = self.context(&bound.address, inputs);
            // A throttled or failed read is retried as any step's call is: only an answer
            // refuses the destroy.
            let mut retry = Retry::new(
                &self.options.retry,
                &bound.address,
                &self.events,
                &self.cancel,
            );
            let refusal = loop {
                retry.start_attempt();
                match bound.step.check_remove(&ctx, &recorded).await {
                    Ok(()) => break None,
                    Err(error) => {
                        if let Err(error) = retry.after_failure(error).await {
                            break Some(error);
                        }
                    }
                }
            };
            if let Some(error) = refusal {
                self.events.emit(Event::Failed {
                    address: bound.address.clone(),
                    error: error.clone(),
                });
                failures.push(StepFailure {
                    address: bound.address.clone(),
                    attempts: retry.attempts(),
                    error,
                });
            }
        }
        (!failures.is_empty()).then_some(RefusedDestroy {
            failures,
            removable,
        })
    }
}

/// A destroy refused before it removed anything.
struct RefusedDestroy {
    failures: Vec<StepFailure>,
    /// Every step the destroy would have removed.
    removable: Vec<Address>,
}

impl RefusedDestroy {
    fn finish(self, plan: &BoundPlan, start: Instant) -> DestroyReport {
        let refused: Vec<&Address> = self.failures.iter().map(|f| &f.address).collect();
        let skipped = self
            .removable
            .iter()
            .filter(|a| !refused.contains(a))
            .map(|address| Skipped {
                address: address.clone(),
                reason: "nothing was removed: a step refused the destroy (see the failures)"
                    .to_owned(),
            })
            .collect();
        let mut report = DestroyReport {
            removed: Vec::new(),
            kept: Vec::new(),
            failures: self.failures,
            skipped,
            orphaned: Vec::new(),
            cancelled: false,
            duration: start.elapsed(),
        };
        sort_by_plan(plan, &mut report.failures, |f| &f.address);
        sort_by_plan(plan, &mut report.skipped, |s| &s.address);
        report
    }
}

struct DestroyJob<'a> {
    engine: &'a Engine,
    plan: &'a BoundPlan,
    state: &'a StackState,
    options: DestroyOptions,
    removed: Vec<RemovedStep>,
    kept: Vec<Address>,
    failures: Vec<StepFailure>,
    skipped: Vec<Skipped>,
}

impl Job for DestroyJob<'_> {
    type Output = Result<Run<bool>, StateError>;

    fn launch(&mut self, i: usize) -> Launch<Self::Output> {
        let bound = self.plan.step(i);
        if bound.observe_only {
            // Another phase's resource: this run neither created nor removes it.
            return Launch::Done(true);
        }
        let entry = self.state.resource(&bound.address).unwrap_or_default();
        if !entry.removable(self.options.include_adopted) {
            if entry.ownership == Some(Ownership::Adopted) {
                self.engine.events.emit(Event::Skipped {
                    address: bound.address.clone(),
                    reason: "adopted: it existed before xefs (use include_adopted to remove it)"
                        .to_owned(),
                });
                self.kept.push(bound.address.clone());
            }
            return Launch::Done(true);
        }
        // Dependencies are removed after this step, so their journaled outputs are intact.
        let inputs: Inputs = self.plan.deps[i]
            .iter()
            .filter_map(|&d| {
                let address = &self.plan.step(d).address;
                let outputs = self.state.resource(address)?.outputs?;
                Some((address.clone(), outputs))
            })
            .collect();
        let task = RemoveTask {
            address: bound.address.clone(),
            step: bound.step.clone(),
            ctx: self.engine.context(&bound.address, inputs),
            journal: self.state.journal().clone(),
            entry,
            retry: self.engine.options.retry,
            events: self.engine.events.clone(),
            cancel: self.engine.cancel.clone(),
        };
        let span = tracing::info_span!("step", address = %bound.address, op = "destroy");
        Launch::Spawn(Box::pin(task.run().instrument(span)))
    }

    fn finished(
        &mut self,
        i: usize,
        output: Result<Self::Output, JoinError>,
    ) -> Result<bool, EngineError> {
        let address = self.plan.step(i).address.clone();
        let run = Run::from_task(output)?;
        match run.result {
            Ok(already_gone) => {
                self.engine.events.emit(Event::Removed {
                    address: address.clone(),
                    duration: run.duration,
                });
                self.removed.push(RemovedStep {
                    address,
                    attempts: run.attempts,
                    duration: run.duration,
                    already_gone,
                });
                Ok(true)
            }
            Err(error) => {
                self.engine
                    .record_failure(&mut self.failures, address, run.attempts, error);
                Ok(false)
            }
        }
    }

    fn skipped(&mut self, i: usize, reason: String) {
        let address = self.plan.step(i).address.clone();
        // Only steps with something to remove are worth reporting.
        let removable = self
            .state
            .resource(&address)
            .is_some_and(|r| r.removable(self.options.include_adopted));
        if removable {
            self.engine.events.emit(Event::Skipped {
                address: address.clone(),
                reason: reason.clone(),
            });
            self.skipped.push(Skipped { address, reason });
        }
    }
}

/// The result of one removal task; `Ok(true)`: it was already gone.
struct RemoveTask {
    address: Address,
    step: Arc<dyn Step>,
    ctx: StepContext,
    journal: Journal,
    entry: ResourceState,
    retry: RetryPolicy,
    events: EventSink,
    cancel: CancellationToken,
}

impl RemoveTask {
    async fn run(self) -> Result<Run<bool>, StateError> {
        let start = Instant::now();
        self.events.emit(Event::Started {
            address: self.address.clone(),
        });
        let mut retry = Retry::new(&self.retry, &self.address, &self.events, &self.cancel);
        let mut intent_written = false;
        let result = loop {
            retry.start_attempt();
            match self.attempt(&mut intent_written).await {
                Ok(already_gone) => break Ok(already_gone),
                Err(AttemptError::State(e)) => return Err(e),
                Err(AttemptError::Step(e)) => {
                    if let Err(e) = retry.after_failure(e).await {
                        break Err(e);
                    }
                }
            }
        };
        let (outcome, error, recovered) = match &result {
            Ok(already_gone) => (Outcome::Removed, None, *already_gone && !intent_written),
            Err(e) => (Outcome::Failed, Some(e.to_string()), false),
        };
        if intent_written || recovered {
            self.journal.append(
                &self.address,
                Entry::Result {
                    op: Op::Remove,
                    outcome,
                    outputs: None,
                    error,
                    recovered,
                },
            )?;
        }
        Ok(Run {
            result,
            attempts: retry.attempts(),
            duration: start.elapsed(),
        })
    }

    /// Observes first when the journal does not know the resource's outputs for sure (a
    /// crashed or failed call), then removes. `Ok(true)`: nothing was there.
    async fn attempt(&self, intent_written: &mut bool) -> Result<bool, AttemptError> {
        let uncertain = self.entry.ownership == Some(Ownership::MaybeCreated)
            || self.entry.in_flight.is_some_and(|f| f.op == Op::Ensure)
            || self.entry.outputs.is_none();
        let (outputs, observed): (StepOutputs, Observed) = if uncertain {
            match self.step.observe(&self.ctx).await? {
                Observation::Absent | Observation::NotApplicable { .. } => return Ok(true),
                Observation::Present(outputs) => (outputs, Observed::Present),
                Observation::Drifted { outputs, .. } => (outputs, Observed::Drifted),
            }
        } else {
            (
                self.entry.outputs.clone().unwrap_or_default(),
                Observed::Present,
            )
        };
        if !*intent_written {
            self.journal.append(
                &self.address,
                Entry::Intent {
                    op: Op::Remove,
                    observed,
                    drifted_fields: Vec::new(),
                },
            )?;
            *intent_written = true;
        }
        self.step.remove(&self.ctx, &outputs).await?;
        Ok(false)
    }
}
