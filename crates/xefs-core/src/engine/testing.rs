//! An in-memory "cloud" and configurable steps, to test the engine without any provider.

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicBool, AtomicU32, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::Duration;

use tokio::time::Instant;

use super::BoundStep;
use crate::blueprint::{Address, Target};
use crate::step::{Ensured, FieldDiff, Observation, Step, StepContext, StepError, StepOutputs};

/// The address `test.<name>`.
pub(crate) fn addr(name: &str) -> Address {
    match Address::parse(&format!("test.{name}")) {
        Ok(a) => a,
        Err(e) => panic!("bad test address: {e}"),
    }
}

/// A live resource of the fake world.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Resource {
    pub(crate) id: String,
    pub(crate) value: String,
}

/// A call made to a test step, with virtual times.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Call {
    pub(crate) name: String,
    pub(crate) op: &'static str,
    pub(crate) start: Duration,
    pub(crate) end: Duration,
}

#[derive(Debug)]
struct Inner {
    resources: BTreeMap<String, Resource>,
    next_id: u32,
    calls: Vec<Call>,
    running: u32,
    max_running: u32,
    epoch: Instant,
}

/// The fake world: resources by name, and a log of calls.
#[derive(Debug, Clone)]
pub(crate) struct World(Arc<Mutex<Inner>>);

impl World {
    pub(crate) fn new() -> Self {
        Self(Arc::new(Mutex::new(Inner {
            resources: BTreeMap::new(),
            next_id: 1,
            calls: Vec::new(),
            running: 0,
            max_running: 0,
            epoch: Instant::now(),
        })))
    }

    fn lock(&self) -> MutexGuard<'_, Inner> {
        self.0.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Names of the live resources.
    pub(crate) fn names(&self) -> Vec<String> {
        self.lock().resources.keys().cloned().collect()
    }

    pub(crate) fn get(&self, name: &str) -> Option<Resource> {
        self.lock().resources.get(name).cloned()
    }

    /// Puts a resource in place as if someone else had made it.
    pub(crate) fn insert_existing(&self, name: &str, value: &str) {
        let mut inner = self.lock();
        let id = format!("pre-{name}");
        inner.resources.insert(
            name.to_owned(),
            Resource {
                id,
                value: value.to_owned(),
            },
        );
    }

    /// Changes a live resource's value behind xefs's back.
    pub(crate) fn drift(&self, name: &str, value: &str) {
        if let Some(r) = self.lock().resources.get_mut(name) {
            value.clone_into(&mut r.value);
        }
    }

    /// Deletes a live resource behind xefs's back.
    pub(crate) fn delete_behind(&self, name: &str) {
        self.lock().resources.remove(name);
    }

    /// Every call made so far.
    pub(crate) fn calls(&self) -> Vec<Call> {
        self.lock().calls.clone()
    }

    /// Calls of one op ("observe", "ensure", "remove").
    pub(crate) fn count(&self, op: &str) -> usize {
        self.lock().calls.iter().filter(|c| c.op == op).count()
    }

    /// The most `ensure`/`remove` calls that ran at once.
    pub(crate) fn max_running(&self) -> u32 {
        self.lock().max_running
    }

    pub(crate) fn clear_calls(&self) {
        let mut inner = self.lock();
        inner.calls.clear();
        inner.max_running = 0;
    }

    /// A step named `name` with default settings.
    pub(crate) fn step(&self, name: &str) -> TestStep {
        TestStep {
            world: self.clone(),
            name: name.to_owned(),
            deps: Vec::new(),
            duration: Duration::ZERO,
            read_only: false,
            fail_retryable: Arc::new(AtomicU32::new(0)),
            fail_throttled: Arc::new(AtomicU32::new(0)),
            fail_permanent: false,
            fail_after_create: false,
            until_cancelled: false,
            secret_output: false,
            not_applicable: None,
            refuses_removal: None,
            check_fails_retryable: Arc::new(AtomicU32::new(0)),
        }
    }

    fn begin(&self) -> Duration {
        let mut inner = self.lock();
        inner.running += 1;
        inner.max_running = inner.max_running.max(inner.running);
        inner.epoch.elapsed()
    }

    fn end(&self, name: &str, op: &'static str, start: Duration) {
        let mut inner = self.lock();
        inner.running -= 1;
        let end = inner.epoch.elapsed();
        inner.calls.push(Call {
            name: name.to_owned(),
            op,
            start,
            end,
        });
    }
}

/// A configurable step acting on the fake world. Its resource's desired value is its name plus
/// the ids of its dependencies (so `observe` needs its inputs, as real steps do).
#[derive(Debug, Clone)]
pub(crate) struct TestStep {
    world: World,
    name: String,
    deps: Vec<String>,
    duration: Duration,
    read_only: bool,
    fail_retryable: Arc<AtomicU32>,
    fail_throttled: Arc<AtomicU32>,
    fail_permanent: bool,
    fail_after_create: bool,
    until_cancelled: bool,
    secret_output: bool,
    not_applicable: Option<String>,
    /// While set, `check_remove` refuses (a file system holding data, say).
    refuses_removal: Option<Arc<AtomicBool>>,
    /// The first `n` `check_remove` calls fail with a retryable error (a throttled read).
    check_fails_retryable: Arc<AtomicU32>,
}

impl TestStep {
    /// `observe` says the step does not apply, for this reason.
    pub(crate) fn not_applicable(mut self, reason: &str) -> Self {
        self.not_applicable = Some(reason.to_owned());
        self
    }

    pub(crate) fn deps(mut self, deps: &[&str]) -> Self {
        self.deps = deps.iter().map(|d| (*d).to_owned()).collect();
        self
    }

    /// `ensure` and `remove` take this long (the resource appears half-way through).
    pub(crate) fn secs(mut self, secs: u64) -> Self {
        self.duration = Duration::from_secs(secs);
        self
    }

    /// A discovery step: no resource, outputs only.
    pub(crate) fn read_only(mut self) -> Self {
        self.read_only = true;
        self
    }

    /// The first `n` `ensure` calls fail with a retryable error.
    pub(crate) fn fails_retryable(self, n: u32) -> Self {
        self.fail_retryable.store(n, Ordering::SeqCst);
        self
    }

    /// The first `n` `ensure` calls are throttled.
    pub(crate) fn fails_throttled(self, n: u32) -> Self {
        self.fail_throttled.store(n, Ordering::SeqCst);
        self
    }

    /// Every `ensure` fails with a permanent error (before creating anything).
    pub(crate) fn fails_permanently(mut self) -> Self {
        self.fail_permanent = true;
        self
    }

    /// `ensure` creates the resource, then fails permanently (a half-done call).
    pub(crate) fn fails_after_create(mut self) -> Self {
        self.fail_after_create = true;
        self
    }

    /// `ensure` runs until the run is cancelled, then finishes normally.
    pub(crate) fn until_cancelled(mut self) -> Self {
        self.until_cancelled = true;
        self
    }

    /// Returns an output that looks like an AWS access key.
    pub(crate) fn with_secret_output(mut self) -> Self {
        self.secret_output = true;
        self
    }

    /// `check_remove` refuses while `flag` is set.
    pub(crate) fn refuses_removal_while(mut self, flag: Arc<AtomicBool>) -> Self {
        self.refuses_removal = Some(flag);
        self
    }

    /// The first `n` `check_remove` calls fail with a retryable error.
    pub(crate) fn check_remove_fails_retryable(self, n: u32) -> Self {
        self.check_fails_retryable.store(n, Ordering::SeqCst);
        self
    }

    pub(crate) fn bind(self) -> BoundStep {
        let deps = self.deps.iter().map(|d| addr(d)).collect();
        BoundStep::new(
            addr(&self.name),
            Target::StorageAccount,
            deps,
            Arc::new(self),
        )
    }

    fn desired(&self, ctx: &StepContext) -> Result<String, StepError> {
        let mut value = self.name.clone();
        for dep in &self.deps {
            let id: String = ctx.inputs().get(&addr(dep), "id")?;
            value.push(':');
            value.push_str(&id);
        }
        Ok(value)
    }

    fn outputs(&self, r: &Resource) -> Result<StepOutputs, StepError> {
        let outputs = StepOutputs::new()
            .with("id", &r.id)?
            .with("value", &r.value)?;
        if self.secret_output {
            return outputs.with("credentials", "AKIAIOSFODNN7EXAMPLE");
        }
        Ok(outputs)
    }

    async fn half(&self) {
        if !self.duration.is_zero() {
            tokio::time::sleep(self.duration / 2).await;
        }
    }
}

#[async_trait::async_trait]
impl Step for TestStep {
    fn describe(&self) -> String {
        format!("test resource `{}`", self.name)
    }

    fn mutates(&self) -> bool {
        !self.read_only
    }

    fn expected_duration(&self) -> Duration {
        self.duration
    }

    fn not_applicable(&self, _available: &crate::step::Inputs) -> Option<String> {
        self.not_applicable.clone()
    }

    async fn observe(&self, ctx: &StepContext) -> Result<Observation, StepError> {
        let start = self.world.begin();
        let result = (|| {
            if let Some(reason) = &self.not_applicable {
                return Ok(Observation::NotApplicable {
                    reason: reason.clone(),
                });
            }
            let desired = self.desired(ctx)?;
            if self.read_only {
                let r = Resource {
                    id: format!("found-{}", self.name),
                    value: desired,
                };
                return Ok(Observation::Present(self.outputs(&r)?));
            }
            Ok(match self.world.get(&self.name) {
                None => Observation::Absent,
                Some(r) if r.value == desired => Observation::Present(self.outputs(&r)?),
                Some(r) => Observation::Drifted {
                    outputs: self.outputs(&r)?,
                    diff: vec![FieldDiff::new("value", &r.value, &desired)],
                },
            })
        })();
        self.world.end(&self.name, "observe", start);
        result
    }

    async fn ensure(
        &self,
        ctx: &StepContext,
        observed: &Observation,
    ) -> Result<Ensured, StepError> {
        let start = self.world.begin();
        let result = async {
            let desired = self.desired(ctx)?;
            if self.read_only {
                self.half().await;
                self.half().await;
                return Ok(Ensured::read(
                    observed.outputs().cloned().unwrap_or_default(),
                ));
            }
            if self.fail_permanent {
                self.half().await;
                return Err(StepError::permanent("access denied").with_code("AccessDenied"));
            }
            let pending = self.fail_retryable.load(Ordering::SeqCst);
            if pending > 0 {
                self.fail_retryable.store(pending - 1, Ordering::SeqCst);
                self.half().await;
                return Err(StepError::retryable("rate exceeded").with_code("Throttling"));
            }
            let pending = self.fail_throttled.load(Ordering::SeqCst);
            if pending > 0 {
                self.fail_throttled.store(pending - 1, Ordering::SeqCst);
                self.half().await;
                return Err(StepError::throttled("rate exceeded").with_code("Throttling"));
            }
            if self.until_cancelled {
                ctx.cancel_token().cancelled().await;
            }
            self.half().await;
            let (change, resource) = {
                let mut inner = self.world.lock();
                let fresh_id = format!("id-{}", inner.next_id);
                let change = match inner.resources.get_mut(&self.name) {
                    Some(r) if r.value == desired => crate::step::Change::Unchanged,
                    Some(r) => {
                        r.value.clone_from(&desired);
                        crate::step::Change::Updated
                    }
                    None => {
                        inner.next_id += 1;
                        inner.resources.insert(
                            self.name.clone(),
                            Resource {
                                id: fresh_id,
                                value: desired.clone(),
                            },
                        );
                        crate::step::Change::Created
                    }
                };
                let resource = inner.resources.get(&self.name).cloned();
                (change, resource)
            };
            self.half().await;
            if self.fail_after_create {
                return Err(StepError::permanent("created, then failed to tag it"));
            }
            let resource = resource.ok_or_else(|| StepError::permanent("vanished"))?;
            Ok(Ensured {
                change,
                outputs: self.outputs(&resource)?,
            })
        }
        .await;
        self.world.end(&self.name, "ensure", start);
        result
    }

    async fn check_remove(
        &self,
        _ctx: &StepContext,
        _recorded: &StepOutputs,
    ) -> Result<(), StepError> {
        if self
            .check_fails_retryable
            .fetch_update(Ordering::SeqCst, Ordering::SeqCst, |n| n.checked_sub(1))
            .is_ok()
        {
            return Err(StepError::retryable("throttled"));
        }
        match &self.refuses_removal {
            Some(flag) if flag.load(Ordering::SeqCst) => Err(StepError::permanent(format!(
                "{} refuses to be removed",
                self.name
            ))),
            _ => Ok(()),
        }
    }

    async fn remove(&self, _ctx: &StepContext, recorded: &StepOutputs) -> Result<(), StepError> {
        let start = self.world.begin();
        let id: Result<String, _> = recorded.get("id");
        self.half().await;
        if let Ok(id) = &id {
            let mut inner = self.world.lock();
            if inner.resources.get(&self.name).is_some_and(|r| &r.id == id) {
                inner.resources.remove(&self.name);
            }
        }
        self.half().await;
        self.world.end(&self.name, "remove", start);
        id.map(|_| ())
    }
}

/// The usual result of a test.
pub(crate) type TestResult = Result<(), Box<dyn std::error::Error>>;

/// A temporary state root for one stack.
pub(crate) struct Harness {
    root: tempfile::TempDir,
    stack: crate::ids::StackName,
}

impl Harness {
    pub(crate) fn new() -> Result<Self, Box<dyn std::error::Error>> {
        Ok(Self {
            root: tempfile::tempdir()?,
            stack: crate::ids::StackName::parse("test-stack")?,
        })
    }

    /// Opens (locks and loads) the stack's state, as a new process would.
    pub(crate) fn state(&self) -> Result<crate::state::StackState, crate::state::StateError> {
        crate::state::StackState::open(self.root.path(), &self.stack)
    }

    /// The journal's text.
    pub(crate) fn journal(&self) -> std::io::Result<String> {
        std::fs::read_to_string(self.root.path().join("test-stack").join("journal.jsonl"))
    }
}

/// An engine with deterministic retries: 1 s, 2 s, 4 s… without jitter, 4 attempts, and a
/// minute of backoff for throttling.
pub(crate) fn engine() -> super::Engine {
    super::Engine::new(super::EngineOptions {
        retry: super::RetryPolicy {
            max_attempts: 4,
            min_delay: Duration::from_secs(1),
            max_delay: Duration::from_secs(30),
            jitter: false,
            throttle_budget: Duration::from_secs(60),
        },
        ..super::EngineOptions::default()
    })
}

/// Drains the events received so far.
pub(crate) fn drain(
    rx: &mut tokio::sync::mpsc::UnboundedReceiver<super::Event>,
) -> Vec<super::Event> {
    let mut events = Vec::new();
    while let Ok(event) = rx.try_recv() {
        events.push(event);
    }
    events
}
