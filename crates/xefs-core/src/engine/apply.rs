//! `apply`: ensure every step as soon as its dependencies are done.

use std::sync::Arc;

use tokio::task::JoinError;
use tokio::time::Instant;
use tokio_util::sync::CancellationToken;
use tracing::Instrument;

use super::report::sort_by_plan;
use super::retry::{AttemptError, Retry};
use super::run::Run;
use super::scheduler::{self, Direction, Job, Launch};
use super::{
    ApplyReport, BoundPlan, BoundStep, Engine, EngineError, Event, EventSink, RetryPolicy, Skipped,
    StepFailure, StepReport,
};
use crate::blueprint::Address;
use crate::state::{
    Entry, Journal, Observed, Op, Outcome, Ownership, ResourceState, StackState, StateError,
    find_secret,
};
use crate::step::{Change, Inputs, Observation, Step, StepContext, StepError, StepOutputs};

impl Engine {
    /// Ensures every step, each as soon as its dependencies are done, at most
    /// `options.concurrency` at once. Each mutating call is preceded by an intent record and
    /// followed by a result record. A step whose resource is present and as desired costs one
    /// `observe` and no `ensure`.
    ///
    /// On a permanent failure (or retries exhausted) in-flight steps finish, nothing new
    /// starts, and the report lists every failure. Errors are only for the journal itself.
    pub async fn apply(
        &self,
        plan: &BoundPlan,
        state: &mut StackState,
    ) -> Result<ApplyReport, EngineError> {
        let start = Instant::now();
        let mut job = ApplyJob {
            engine: self,
            plan,
            state,
            outputs: vec![None; plan.len()],
            steps: Vec::new(),
            failures: Vec::new(),
            skipped: Vec::new(),
        };
        let outcome = scheduler::run(
            plan,
            Direction::Forward,
            self.options.concurrency,
            &self.cancel,
            &mut job,
        )
        .await?;
        let mut report = ApplyReport {
            steps: job.steps,
            failures: job.failures,
            skipped: job.skipped,
            cancelled: outcome.cancelled,
            duration: start.elapsed(),
        };
        sort_by_plan(plan, &mut report.steps, |s| &s.address);
        sort_by_plan(plan, &mut report.failures, |s| &s.address);
        sort_by_plan(plan, &mut report.skipped, |s| &s.address);
        Ok(report)
    }
}

struct ApplyJob<'a> {
    engine: &'a Engine,
    plan: &'a BoundPlan,
    state: &'a StackState,
    outputs: Vec<Option<StepOutputs>>,
    steps: Vec<StepReport>,
    failures: Vec<StepFailure>,
    skipped: Vec<Skipped>,
}

impl Job for ApplyJob<'_> {
    type Output = Result<Run<Applied>, StateError>;

    fn launch(&mut self, i: usize) -> Launch<Self::Output> {
        let bound = self.plan.step(i);
        let inputs: Inputs = self.plan.deps[i]
            .iter()
            .map(|&d| {
                let outputs = self.outputs[d].clone().unwrap_or_default();
                (self.plan.step(d).address.clone(), outputs)
            })
            .collect();
        let prior = self.state.resource(&bound.address).unwrap_or_default();
        let task = ApplyTask {
            address: bound.address.clone(),
            step: bound.step.clone(),
            ctx: self
                .engine
                .context(&bound.address, inputs)
                .with_recorded(prior.applied_outputs().cloned()),
            journal: self.state.journal().clone(),
            prior,
            retry: self.engine.options.retry,
            events: self.engine.events.clone(),
            cancel: self.engine.cancel.clone(),
            observe_only: bound.observe_only.then(|| bound.clone()),
        };
        let span = tracing::info_span!("step", address = %bound.address, op = "apply");
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
            Ok(applied) => {
                if applied.adopted {
                    self.engine.events.emit(Event::Adopted {
                        address: address.clone(),
                    });
                }
                self.engine.events.emit(Event::Done {
                    address: address.clone(),
                    change: applied.change,
                    duration: run.duration,
                });
                self.steps.push(StepReport {
                    address,
                    change: applied.change,
                    adopted: applied.adopted,
                    recovered: applied.recovered,
                    attempts: run.attempts,
                    duration: run.duration,
                    outputs: applied.outputs.clone(),
                });
                self.outputs[i] = Some(applied.outputs);
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
        self.engine.events.emit(Event::Skipped {
            address: address.clone(),
            reason: reason.clone(),
        });
        self.skipped.push(Skipped { address, reason });
    }
}

/// The result of one step's task.
struct Applied {
    change: Change,
    adopted: bool,
    recovered: bool,
    outputs: StepOutputs,
}

/// What an attempt settled on, before it is journaled.
enum Decided {
    /// A read-only step ran.
    Read(StepOutputs),
    /// An observe-only step's resource exists: its outputs, and nothing journaled.
    Observed(StepOutputs),
    /// The step does not apply: nothing is journaled, so what an earlier run recorded (a
    /// resource it created, which destroy must still remove) stays as it was.
    NotApplicable,
    /// A mutating step is as desired now.
    Settled {
        outcome: Outcome,
        outputs: StepOutputs,
        recovered: bool,
    },
}

/// One step's apply, run as its own task.
struct ApplyTask {
    address: Address,
    step: Arc<dyn Step>,
    ctx: StepContext,
    journal: Journal,
    prior: ResourceState,
    retry: RetryPolicy,
    events: EventSink,
    cancel: CancellationToken,
    /// Only read for its outputs (see `BoundStep::observe_only`): `Some` holds the bound step.
    observe_only: Option<BoundStep>,
}

/// What this run has journaled for the step so far.
#[derive(Default)]
struct Progress {
    /// The observation of the latest intent written in this run.
    intent: Option<Observed>,
    /// `ensure` calls made in this run.
    ensure_calls: u32,
}

impl ApplyTask {
    async fn run(self) -> Result<Run<Applied>, StateError> {
        let start = Instant::now();
        self.events.emit(Event::Started {
            address: self.address.clone(),
        });
        let mut retry = Retry::new(&self.retry, &self.address, &self.events, &self.cancel);
        let mut progress = Progress::default();
        let decided = loop {
            retry.start_attempt();
            match self.attempt(&mut progress).await {
                Ok(decided) => break Ok(decided),
                Err(AttemptError::State(e)) => return Err(e),
                Err(AttemptError::Step(e)) => {
                    if let Err(e) = retry.after_failure(e).await {
                        break Err(e);
                    }
                }
            }
        };
        let attempts = retry.attempts();
        let result = self.record(decided, &progress)?;
        Ok(Run {
            result,
            attempts,
            duration: start.elapsed(),
        })
    }

    /// observe → (ensure unless present and as desired).
    async fn attempt(&self, progress: &mut Progress) -> Result<Decided, AttemptError> {
        let observation = self.step.observe(&self.ctx).await?;
        if let Some(bound) = &self.observe_only {
            let outputs = bound.observed_only_outputs(&observation, Some(&self.prior))?;
            let gone = !matches!(observation, Observation::NotApplicable { .. })
                && observation.outputs().is_none();
            if gone && outputs.is_some() {
                self.events.emit(Event::Warning {
                    address: self.address.clone(),
                    message: bound.gone_message(),
                });
            }
            return Ok(match outputs {
                Some(outputs) => Decided::Observed(outputs),
                None => Decided::NotApplicable,
            });
        }
        if let Observation::NotApplicable { reason } = &observation {
            tracing::info!(address = %self.address, %reason, "step does not apply; skipped");
            return Ok(Decided::NotApplicable);
        }
        if !self.step.mutates() {
            let ensured = self.step.ensure(&self.ctx, &observation).await?;
            return Ok(Decided::Read(ensured.outputs));
        }
        let (observed, drifted_fields) = match &observation {
            Observation::Present(outputs) => {
                let (outcome, recovered) = match (progress.intent, self.prior.ownership) {
                    // An earlier attempt of this run made the change before failing.
                    (Some(Observed::Absent), _) => (Outcome::Created, false),
                    (Some(_), _) => (Outcome::Updated, false),
                    (None, None) => (Outcome::Adopted, false),
                    // A crashed run created it and never journaled the result.
                    (None, Some(Ownership::MaybeCreated)) => (Outcome::Created, true),
                    (None, Some(_)) => (Outcome::Unchanged, false),
                };
                return Ok(Decided::Settled {
                    outcome,
                    outputs: outputs.clone(),
                    recovered,
                });
            }
            Observation::Absent => (Observed::Absent, Vec::new()),
            Observation::NotApplicable { .. } => return Ok(Decided::NotApplicable),
            Observation::Drifted { diff, .. } => (
                Observed::Drifted,
                diff.iter().map(|d| d.field.clone()).collect(),
            ),
        };
        if progress.intent != Some(observed) {
            self.journal.append(
                &self.address,
                Entry::Intent {
                    op: Op::Ensure,
                    observed,
                    drifted_fields,
                },
            )?;
            progress.intent = Some(observed);
        }
        progress.ensure_calls += 1;
        let ensured = self.step.ensure(&self.ctx, &observation).await?;
        let outcome = match (observed, ensured.change) {
            // Observed absent, yet the first call found it in place: it appeared from
            // elsewhere between the two calls. Never claim what xefs did not create.
            (Observed::Absent, Change::Unchanged)
                if progress.ensure_calls == 1 && self.prior.ownership.is_none() =>
            {
                Outcome::Adopted
            }
            (Observed::Absent, _) => Outcome::Created,
            (_, Change::Unchanged) => Outcome::Unchanged,
            _ => Outcome::Updated,
        };
        Ok(Decided::Settled {
            outcome,
            outputs: ensured.outputs,
            recovered: false,
        })
    }

    /// Journals how the step ended; returns what the report needs.
    fn record(
        &self,
        decided: Result<Decided, StepError>,
        progress: &Progress,
    ) -> Result<Result<Applied, StepError>, StateError> {
        let (outcome, outputs, recovered) = match decided {
            Ok(Decided::Read(outputs)) => (Outcome::Read, outputs, false),
            Ok(Decided::Observed(outputs)) => {
                // Another phase owns it: reading it must not change what the journal says.
                return Ok(Ok(Applied {
                    change: Change::Read,
                    adopted: false,
                    recovered: false,
                    outputs,
                }));
            }
            Ok(Decided::NotApplicable) => {
                return Ok(Ok(Applied {
                    change: Change::NotApplicable,
                    adopted: false,
                    recovered: false,
                    outputs: StepOutputs::new(),
                }));
            }
            Ok(Decided::Settled {
                outcome,
                outputs,
                recovered,
            }) => (outcome, outputs, recovered),
            Err(error) => return self.record_failure(error, progress),
        };
        if let Some(field) = find_secret(&outputs) {
            let error = StateError::SecretInOutputs {
                address: self.address.clone(),
                field,
            };
            return self.record_failure(StepError::permanent(error.to_string()), progress);
        }
        let nothing_new = progress.intent.is_none()
            && self.prior.in_flight.is_none()
            && self.prior.outputs.as_ref() == Some(&outputs)
            && match outcome {
                Outcome::Unchanged => true,
                Outcome::Read => self.prior.ownership == Some(Ownership::Read),
                _ => false,
            };
        if !nothing_new {
            self.journal.append(
                &self.address,
                Entry::Result {
                    op: Op::Ensure,
                    outcome,
                    outputs: Some(outputs.clone()),
                    error: None,
                    recovered,
                },
            )?;
        }
        let change = match outcome {
            Outcome::Created => Change::Created,
            Outcome::Updated => Change::Updated,
            Outcome::Read => Change::Read,
            Outcome::Unchanged | Outcome::Adopted | Outcome::Removed | Outcome::Failed => {
                Change::Unchanged
            }
        };
        let adopted = self.prior.ownership != Some(Ownership::Adopted)
            && self
                .journal
                .resource(&self.address)
                .and_then(|r| r.ownership)
                == Some(Ownership::Adopted);
        Ok(Ok(Applied {
            change,
            adopted,
            recovered,
            outputs,
        }))
    }

    fn record_failure(
        &self,
        error: StepError,
        progress: &Progress,
    ) -> Result<Result<Applied, StepError>, StateError> {
        if progress.intent.is_some() {
            self.journal.append(
                &self.address,
                Entry::Result {
                    op: Op::Ensure,
                    outcome: Outcome::Failed,
                    outputs: None,
                    error: Some(error.to_string()),
                    recovered: false,
                },
            )?;
        }
        Ok(Err(error))
    }
}
