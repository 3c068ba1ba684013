//! `plan`: observe every step, read-only, and say what `apply` would change.

use std::sync::Arc;
use std::time::Duration;

use serde::Serialize;
use tokio::task::JoinError;
use tokio::time::Instant;
use tracing::Instrument;

use super::report::sort_by_plan;
use super::retry::Retry;
use super::scheduler::{self, Direction, Job, Launch};
use super::{BoundPlan, DestroyOptions, Engine, EngineError, Event, StepFailure};
use crate::blueprint::{Address, Target};
use crate::state::{Ownership, StackState};
use crate::step::{FieldDiff, Inputs, Observation, Step, StepContext, StepError, StepOutputs};

/// What `apply` (or `destroy`) would do to one step.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "kind", content = "diff", rename_all = "kebab-case")]
pub enum Action {
    /// Create the resource.
    Create,
    /// Change these fields of the resource.
    Update(Vec<FieldDiff>),
    /// Nothing to do.
    NoOp,
    /// The resource exists but xefs did not create it: record it as adopted (no cloud call);
    /// `destroy` will leave it.
    Adopt,
    /// Run a read-only step (discovery, preflight).
    Read,
    /// Remove the resource (`destroy`).
    Delete,
    /// Nothing to do: the step does not apply to this stack, for this reason.
    NotApplicable(String),
}

/// One line of a plan.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PlannedChange {
    /// The step.
    pub address: Address,
    /// Where it acts.
    pub target: Target,
    /// The step's one-line description.
    pub description: String,
    /// What would happen.
    pub action: Action,
    /// A dependency does not exist yet, so this step could not be observed: the action is
    /// what is expected, and values are known only after apply.
    pub known_after_apply: bool,
}

/// What `apply` or `destroy` would do, step by step, in dependency order.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Plan {
    /// One entry per step.
    pub changes: Vec<PlannedChange>,
    /// Resources the state says xefs owns that no step of this plan addresses (the blueprint
    /// changed): xefs cannot act on them without their step, so they are only reported.
    pub orphaned: Vec<Address>,
}

impl Plan {
    /// True when applying would change anything (create, update, adopt or delete).
    pub fn has_changes(&self) -> bool {
        self.changes.iter().any(|c| {
            !matches!(
                c.action,
                Action::NoOp | Action::Read | Action::NotApplicable(_)
            )
        })
    }
}

impl Engine {
    /// Observes every step (concurrently, bounded, each once its dependencies are observed)
    /// and returns what `apply` would do, mutating nothing. Steps downstream of one that does
    /// not exist yet cannot be observed and are marked `known_after_apply`. All observation
    /// failures are returned together.
    pub async fn plan(&self, plan: &BoundPlan, state: &StackState) -> Result<Plan, EngineError> {
        let mut job = PlanJob {
            engine: self,
            plan,
            state,
            outputs: vec![None; plan.len()],
            changes: Vec::new(),
            failures: Vec::new(),
        };
        let outcome = scheduler::run(
            plan,
            Direction::Forward,
            self.options.concurrency,
            &self.cancel,
            &mut job,
        )
        .await?;
        if !job.failures.is_empty() {
            sort_by_plan(plan, &mut job.failures, |f| &f.address);
            return Err(EngineError::PlanFailed {
                failures: job.failures,
            });
        }
        if outcome.cancelled {
            return Err(EngineError::Cancelled);
        }
        sort_by_plan(plan, &mut job.changes, |c| &c.address);
        Ok(Plan {
            changes: job.changes,
            orphaned: orphaned(plan, state),
        })
    }

    /// What `destroy` would remove, from the state alone (no calls): every step xefs created,
    /// dependents first, and adopted ones if asked.
    pub fn plan_destroy(
        &self,
        plan: &BoundPlan,
        state: &StackState,
        options: DestroyOptions,
    ) -> Plan {
        let changes = plan
            .topological()
            .filter(|b| !b.observe_only)
            .collect::<Vec<_>>()
            .into_iter()
            .rev()
            .filter(|bound| {
                state
                    .resource(&bound.address)
                    .is_some_and(|r| r.removable(options.include_adopted))
            })
            .map(|bound| PlannedChange {
                address: bound.address.clone(),
                target: bound.target,
                description: bound.step.describe(),
                action: Action::Delete,
                known_after_apply: false,
            })
            .collect();
        Plan {
            changes,
            orphaned: orphaned(plan, state),
        }
    }
}

/// Owned resources the plan has no step for.
pub(crate) fn orphaned(plan: &BoundPlan, state: &StackState) -> Vec<Address> {
    state
        .resources()
        .into_iter()
        .filter(|(address, r)| {
            r.removable(true) && !plan.contains(address) && !plan.is_known(address)
        })
        .map(|(address, _)| address)
        .collect()
}

struct PlanJob<'a> {
    engine: &'a Engine,
    plan: &'a BoundPlan,
    state: &'a StackState,
    /// Observed outputs; `None` for steps not (yet) in existence.
    outputs: Vec<Option<StepOutputs>>,
    changes: Vec<PlannedChange>,
    failures: Vec<StepFailure>,
}

/// An observation (after retries), the attempts it took, and its wall time.
type ObserveRun = (Result<Observation, StepError>, u32, Duration);

impl PlanJob<'_> {
    fn change(&self, i: usize, action: Action, known_after_apply: bool) -> PlannedChange {
        let bound = self.plan.step(i);
        PlannedChange {
            address: bound.address.clone(),
            target: bound.target,
            description: bound.step.describe(),
            action,
            known_after_apply,
        }
    }
}

impl Job for PlanJob<'_> {
    type Output = ObserveRun;

    fn launch(&mut self, i: usize) -> Launch<Self::Output> {
        let bound = self.plan.step(i);
        let mut inputs = Inputs::new();
        let mut all_known = true;
        for &d in &self.plan.deps[i] {
            match &self.outputs[d] {
                Some(outputs) => inputs.insert(self.plan.step(d).address.clone(), outputs.clone()),
                None => all_known = false,
            }
        }
        if !all_known {
            let change = match bound.step.not_applicable(&inputs) {
                Some(reason) => self.change(i, Action::NotApplicable(reason), false),
                None if bound.step.mutates() => self.change(i, Action::Create, true),
                None => self.change(i, Action::Read, true),
            };
            self.changes.push(change);
            return Launch::Done(true);
        }
        let recorded = self
            .state
            .resource(&bound.address)
            .and_then(|r| r.applied_outputs().cloned());
        let ctx = self
            .engine
            .context(&bound.address, inputs)
            .with_recorded(recorded);
        let step = bound.step.clone();
        let retry = self.engine.options.retry;
        let events = self.engine.events.clone();
        let cancel = self.engine.cancel.clone();
        let span = tracing::info_span!("step", address = %bound.address, op = "plan");
        Launch::Spawn(Box::pin(
            async move {
                let start = Instant::now();
                events.emit(Event::Started {
                    address: ctx.address().clone(),
                });
                let mut retry = Retry::new(&retry, ctx.address(), &events, &cancel);
                let result = loop {
                    retry.start_attempt();
                    match observe(&step, &ctx).await {
                        Ok(observation) => break Ok(observation),
                        Err(e) => {
                            if let Err(e) = retry.after_failure(e).await {
                                break Err(e);
                            }
                        }
                    }
                };
                (result, retry.attempts(), start.elapsed())
            }
            .instrument(span),
        ))
    }

    fn finished(
        &mut self,
        i: usize,
        output: Result<Self::Output, JoinError>,
    ) -> Result<bool, EngineError> {
        let bound = self.plan.step(i);
        let address = bound.address.clone();
        let (result, attempts, duration) = output.unwrap_or_else(|e| {
            let error = StepError::permanent(format!("the step's task died: {e}"));
            (Err(error), 1, Duration::ZERO)
        });
        let observation = match result {
            Ok(observation) => observation,
            Err(error) => {
                self.engine.events.emit(Event::Failed {
                    address: address.clone(),
                    error: error.clone(),
                });
                self.failures.push(StepFailure {
                    address,
                    attempts,
                    error,
                });
                return Ok(false);
            }
        };
        self.engine.events.emit(Event::Observed {
            address: address.clone(),
            duration,
        });
        let prior = self.state.resource(&address);
        let outputs = if bound.observe_only {
            match bound.observed_only_outputs(&observation, prior.as_ref()) {
                Ok(outputs) => outputs,
                Err(error) => {
                    self.failures.push(StepFailure {
                        address: address.clone(),
                        attempts,
                        error,
                    });
                    return Ok(false);
                }
            }
        } else {
            observation.outputs().cloned()
        };
        let ownership = prior.and_then(|r| r.ownership);
        let action = match (&observation, bound.step.mutates() && !bound.observe_only) {
            (Observation::NotApplicable { reason }, _) => Action::NotApplicable(reason.clone()),
            (_, false) => Action::Read,
            (Observation::Absent, true) => Action::Create,
            (Observation::Drifted { diff, .. }, true) => Action::Update(diff.clone()),
            (Observation::Present(_), true) => match ownership {
                None => Action::Adopt,
                Some(Ownership::Created | Ownership::MaybeCreated | Ownership::Adopted)
                | Some(Ownership::Read) => Action::NoOp,
            },
        };
        let change = self.change(i, action, false);
        self.changes.push(change);
        self.outputs[i] = outputs;
        Ok(true)
    }

    fn skipped(&mut self, i: usize, reason: String) {
        let address = self.plan.step(i).address.clone();
        self.engine.events.emit(Event::Skipped { address, reason });
    }
}

async fn observe(step: &Arc<dyn Step>, ctx: &StepContext) -> Result<Observation, StepError> {
    step.observe(ctx).await
}
