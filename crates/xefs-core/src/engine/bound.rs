//! A blueprint's steps bound to their implementations, checked to form a DAG.

use std::collections::HashMap;
use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use super::EngineError;
use crate::blueprint::{Address, Target};
use crate::state::ResourceState;
use crate::step::{Observation, Step, StepError, StepOutputs};

/// One step of a plan: the blueprint's address, target and dependencies, and the provider's
/// implementation.
#[derive(Clone)]
pub struct BoundStep {
    /// The step's stable address.
    pub address: Address,
    /// Where it acts.
    pub target: Target,
    /// The steps whose outputs it needs, which must be done before it starts.
    pub deps: Vec<Address>,
    /// The provider's implementation.
    pub step: Arc<dyn Step>,
    /// Outside the phases this run acts on: its resource is only read, for its outputs. It is
    /// never ensured nor removed. Absent, it is an error when its phase was never applied
    /// (apply that phase first); when an earlier apply recorded it, it was deleted behind
    /// xefs's back, and the run goes on with the recorded outputs, so that the selected steps
    /// meet the drift as the live system does (the verify check fails the way the cluster
    /// does) — applying its phase again repairs it.
    pub observe_only: bool,
}

impl BoundStep {
    /// Binds a step.
    pub fn new(address: Address, target: Target, deps: Vec<Address>, step: Arc<dyn Step>) -> Self {
        Self {
            address,
            target,
            deps,
            step,
            observe_only: false,
        }
    }

    /// Marks the step as only read by this run (see [`BoundStep::observe_only`]).
    #[must_use]
    pub fn observe_only(mut self) -> Self {
        self.observe_only = true;
        self
    }

    /// What an observe-only step's observation gives its dependents: the live outputs, or
    /// those an earlier apply recorded (`prior`) for a resource deleted since — `None` for a
    /// step that does not apply — or the [`not_applied_error`](Self::not_applied_error) when
    /// its phase was never applied.
    pub(crate) fn observed_only_outputs(
        &self,
        observation: &Observation,
        prior: Option<&ResourceState>,
    ) -> Result<Option<StepOutputs>, StepError> {
        if let Observation::NotApplicable { .. } = observation {
            return Ok(None);
        }
        if let Some(live) = observation.outputs() {
            return Ok(Some(live.clone()));
        }
        match prior.and_then(|p| p.applied_outputs()) {
            Some(recorded) => {
                tracing::warn!(address = %self.address, "{}", self.gone_message());
                Ok(Some(recorded.clone()))
            }
            None => Err(self.not_applied_error()),
        }
    }

    /// What to tell the user about an observe-only resource that was applied and is gone.
    pub(crate) fn gone_message(&self) -> String {
        format!(
            "`{}` was applied earlier but is gone now (deleted outside xefs?): going on with \
             what the journal recorded, so what depends on it fails as the live system would; \
             apply its phase again to restore it, `xefs doctor` to see what else changed",
            self.address
        )
    }

    /// The error for an observe-only step whose resource does not exist.
    pub(crate) fn not_applied_error(&self) -> StepError {
        StepError::permanent(format!(
            "`{}` does not exist yet, and this run only reads it (its phase is not selected): \
             apply its phase first",
            self.address
        ))
        .with_code("NotApplied")
    }
}

impl fmt::Debug for BoundStep {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("BoundStep")
            .field("address", &self.address)
            .field("target", &self.target)
            .field("deps", &self.deps)
            .field("step", &self.step.describe())
            .field("observe_only", &self.observe_only)
            .finish()
    }
}

/// The steps of a stack as a validated DAG, ready for the engine.
#[derive(Debug, Clone)]
pub struct BoundPlan {
    steps: Vec<BoundStep>,
    index: HashMap<Address, usize>,
    /// Steps of the stack this plan leaves out on purpose (phases not selected): their
    /// resources in the state are not orphans.
    known: std::collections::HashSet<Address>,
    /// `deps[i]`: indices of the steps `i` depends on.
    pub(crate) deps: Vec<Vec<usize>>,
    /// `dependents[i]`: indices of the steps that depend on `i`.
    pub(crate) dependents: Vec<Vec<usize>>,
    /// A topological order (dependencies first), stable with respect to the input order.
    pub(crate) order: Vec<usize>,
    /// `rank[i]`: position of `i` in `order`.
    pub(crate) rank: Vec<usize>,
    /// Longest chain (in steps) from `i` to a step nothing depends on: run those first.
    pub(crate) height_forward: Vec<usize>,
    /// Longest chain from `i` back to a step without dependencies: for reverse order.
    pub(crate) height_reverse: Vec<usize>,
    /// Longest expected duration from the start of `i` to the end of the plan.
    pub(crate) weight_forward: Vec<Duration>,
    /// Longest expected duration from the start of `i`'s removal to the end of a destroy.
    pub(crate) weight_reverse: Vec<Duration>,
}

impl BoundPlan {
    /// Checks the steps form a DAG: no duplicate addresses, no unknown dependency, no cycle
    /// (the error names one).
    pub fn new(steps: Vec<BoundStep>) -> Result<Self, EngineError> {
        let mut index = HashMap::with_capacity(steps.len());
        for (i, step) in steps.iter().enumerate() {
            if index.insert(step.address.clone(), i).is_some() {
                return Err(EngineError::DuplicateStep {
                    address: step.address.clone(),
                });
            }
        }
        let n = steps.len();
        let mut deps = vec![Vec::new(); n];
        let mut dependents = vec![Vec::new(); n];
        for (i, step) in steps.iter().enumerate() {
            for dep in &step.deps {
                let &d = index
                    .get(dep)
                    .ok_or_else(|| EngineError::UnknownDependency {
                        step: step.address.clone(),
                        dependency: dep.clone(),
                    })?;
                if !deps[i].contains(&d) {
                    deps[i].push(d);
                    dependents[d].push(i);
                }
            }
        }
        // Kahn's algorithm, taking the lowest input index first for a stable order.
        let mut missing: Vec<usize> = deps.iter().map(Vec::len).collect();
        let mut ready: std::collections::BTreeSet<usize> =
            (0..n).filter(|&i| missing[i] == 0).collect();
        let mut order = Vec::with_capacity(n);
        while let Some(i) = ready.pop_first() {
            order.push(i);
            for &d in &dependents[i] {
                missing[d] -= 1;
                if missing[d] == 0 {
                    ready.insert(d);
                }
            }
        }
        if order.len() < n {
            let cycle = find_cycle(&deps, &missing)
                .into_iter()
                .map(|i| steps[i].address.clone())
                .collect();
            return Err(EngineError::Cycle { cycle });
        }
        let mut rank = vec![0; n];
        for (r, &i) in order.iter().enumerate() {
            rank[i] = r;
        }
        let expected: Vec<Duration> = steps.iter().map(|s| s.step.expected_duration()).collect();
        let mut height_forward = vec![1; n];
        let mut weight_forward = expected.clone();
        for &i in order.iter().rev() {
            if let Some(h) = dependents[i].iter().map(|&d| height_forward[d]).max() {
                height_forward[i] = h + 1;
            }
            if let Some(w) = dependents[i].iter().map(|&d| weight_forward[d]).max() {
                weight_forward[i] = expected[i] + w;
            }
        }
        let mut height_reverse = vec![1; n];
        let mut weight_reverse = expected;
        for &i in &order {
            if let Some(h) = deps[i].iter().map(|&d| height_reverse[d]).max() {
                height_reverse[i] = h + 1;
            }
            if let Some(w) = deps[i].iter().map(|&d| weight_reverse[d]).max() {
                weight_reverse[i] += w;
            }
        }
        Ok(Self {
            steps,
            index,
            known: std::collections::HashSet::new(),
            deps,
            dependents,
            order,
            rank,
            height_forward,
            height_reverse,
            weight_forward,
            weight_reverse,
        })
    }

    /// The steps, in the order given.
    pub fn steps(&self) -> &[BoundStep] {
        &self.steps
    }

    /// The step at `address`.
    pub fn get(&self, address: &Address) -> Option<&BoundStep> {
        self.index.get(address).map(|&i| &self.steps[i])
    }

    /// True when the plan has `address`.
    pub fn contains(&self, address: &Address) -> bool {
        self.index.contains_key(address)
    }

    /// Declares steps of the stack this plan leaves out on purpose, so that their resources
    /// in the state are not reported as orphans.
    #[must_use]
    pub fn with_known(mut self, addresses: impl IntoIterator<Item = Address>) -> Self {
        self.known.extend(addresses);
        self
    }

    /// True when `address` is a step of the stack this plan leaves out on purpose.
    pub(crate) fn is_known(&self, address: &Address) -> bool {
        self.known.contains(address)
    }

    /// The steps in a dependency order (dependencies first).
    pub fn topological(&self) -> impl Iterator<Item = &BoundStep> {
        self.order.iter().map(|&i| &self.steps[i])
    }

    /// Position in the dependency order; unknown addresses last.
    pub(crate) fn rank_of(&self, address: &Address) -> usize {
        self.index
            .get(address)
            .map_or(usize::MAX, |&i| self.rank[i])
    }

    pub(crate) fn step(&self, i: usize) -> &BoundStep {
        &self.steps[i]
    }

    pub(crate) fn len(&self) -> usize {
        self.steps.len()
    }
}

/// A cycle among the steps Kahn's algorithm could not order (`missing[i] > 0`), as indices
/// with the first repeated at the end.
fn find_cycle(deps: &[Vec<usize>], missing: &[usize]) -> Vec<usize> {
    // Every unordered step has an unordered dependency: follow them until one repeats.
    let Some(start) = (0..deps.len()).find(|&i| missing[i] > 0) else {
        return Vec::new();
    };
    let mut path = vec![start];
    let mut seen = HashMap::from([(start, 0)]);
    let mut current = start;
    loop {
        let Some(&next) = deps[current].iter().find(|&&d| missing[d] > 0) else {
            return path;
        };
        if let Some(&at) = seen.get(&next) {
            let mut cycle: Vec<usize> = path[at..].to_vec();
            cycle.push(next);
            // Dependency order reads better: `a → b` meaning a is needed by b.
            cycle.reverse();
            return cycle;
        }
        seen.insert(next, path.len());
        path.push(next);
        current = next;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::testing::{World, addr};

    fn bound(world: &World, name: &str, deps: &[&str]) -> BoundStep {
        world.step(name).deps(deps).bind()
    }

    #[test]
    fn rejects_duplicates_unknown_deps_and_cycles() {
        let w = World::new();
        let dup = BoundPlan::new(vec![bound(&w, "a", &[]), bound(&w, "a", &[])]);
        assert!(matches!(dup, Err(EngineError::DuplicateStep { .. })));

        let unknown = BoundPlan::new(vec![bound(&w, "a", &["nope"])]);
        assert_eq!(
            unknown.err().map(|e| e.to_string()).as_deref(),
            Some("step `test.a` depends on `test.nope`, which is not in the plan")
        );

        let cycle = BoundPlan::new(vec![
            bound(&w, "root", &[]),
            bound(&w, "a", &["root", "c"]),
            bound(&w, "b", &["a"]),
            bound(&w, "c", &["b"]),
        ]);
        assert_eq!(
            cycle.err().map(|e| e.to_string()).as_deref(),
            Some("the steps depend on each other in a cycle: test.a → test.b → test.c → test.a")
        );
        let self_loop = BoundPlan::new(vec![bound(&w, "a", &["a"])]);
        assert!(matches!(self_loop, Err(EngineError::Cycle { cycle }) if cycle.len() == 2));
    }

    #[test]
    fn orders_dependencies_first_with_heights() -> Result<(), EngineError> {
        let w = World::new();
        let plan = BoundPlan::new(vec![
            bound(&w, "c", &["b"]),
            bound(&w, "b", &["a"]),
            bound(&w, "a", &[]),
            bound(&w, "d", &["a"]),
        ])?;
        let order: Vec<_> = plan.topological().map(|s| s.address.to_string()).collect();
        assert_eq!(order, ["test.a", "test.b", "test.c", "test.d"]);
        let a = plan.index[&addr("a")];
        assert_eq!(plan.height_forward[a], 3);
        assert_eq!(plan.height_reverse[plan.index[&addr("c")]], 3);
        Ok(())
    }
}
