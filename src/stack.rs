//! Running one stack from code: the few lines a platform tool needs to plan, apply, verify,
//! check and destroy a cross-account EFS stack, with the same engine, journal and providers as
//! the `xefs` CLI.

use std::path::PathBuf;
use std::sync::Arc;

use tokio::sync::mpsc::UnboundedSender;
use xefs_aws::doctor::{DoctorAccounts, read_snapshot};
use xefs_aws::sdk::{ConnectOptions, connect};
use xefs_aws::{AwsAccounts, AwsOptions, AwsProvider, CallStats};
use xefs_core::blueprint::{Blueprint, Phase};
use xefs_core::doctor::{Findings, diagnose};
use xefs_core::engine::{
    ApplyReport, BoundPlan, DestroyOptions, DestroyReport, Engine, EngineOptions, Event, Plan,
    Provider, RateLimits,
};
use xefs_core::spec::StackSpec;
use xefs_core::state::StackState;
use xefs_k8s::{Cluster, ClusterHandle, K8sOptions, K8sProvider, KubeCluster};

use crate::Error;

/// One stack and the clouds it lives in.
///
/// Each call opens (and locks) the stack's state directory for its duration, so two tools
/// cannot apply one stack at once; different stacks run concurrently.
///
/// ```
/// # #[tokio::main(flavor = "current_thread", start_paused = true)]
/// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
/// use xefs::Stack;
/// use xefs::core::spec::StackSpec;
/// use xefs::simulate::Simulation;
///
/// let spec = StackSpec::builder("team-a", "us-east-2")
///     .cluster("sts-cluster", "111111111111", "vpc-0a1b2c3d4e5f60718", "10.0.0.0/16")
///     .storage("222222222222", "vpc-0f1e2d3c4b5a69788", "10.1.0.0/16")
///     .build()?;
/// let state = tempfile::tempdir()?;
/// // Stack::connect(spec, dir) for real clouds; here, simulated ones.
/// let sim = Simulation::new(&spec)?;
/// let stack = Stack::simulated(spec, state.path(), &sim);
///
/// let plan = stack.plan().await?;
/// assert!(plan.has_changes());
/// let applied = stack.apply().await?; // every phase, the end-to-end check included
/// assert!(applied.is_success());
/// assert!(stack.doctor().await?.is_ok());
/// assert!(stack.destroy(false).await?.is_success());
/// # Ok(())
/// # }
/// ```
pub struct Stack {
    spec: StackSpec,
    state_dir: PathBuf,
    aws: AwsAccounts,
    cluster: Option<Arc<dyn Cluster>>,
    phases: Option<Vec<Phase>>,
    engine: EngineOptions,
    k8s: K8sOptions,
    events: Option<UnboundedSender<Event>>,
    rate_limits: Option<RateLimits>,
    stats: CallStats,
}

impl Stack {
    /// The stack on real clouds: both accounts' credentials as the CLI finds them (profiles,
    /// `storage.assume_role_arn`, the default chain), and the cluster of the kubeconfig's
    /// `cluster.kube_context`. Both accounts' identities are checked before anything else.
    pub async fn connect(spec: StackSpec, state_dir: impl Into<PathBuf>) -> Result<Self, Error> {
        let stats = CallStats::new();
        let accounts = connect(&spec, &ConnectOptions::default().with_stats(stats.clone()))
            .await
            .map_err(Error::Provider)?;
        accounts
            .verify_identities()
            .await
            .map_err(Error::Provider)?;
        let cluster = KubeCluster::connect(spec.cluster.kube_context.as_deref())
            .await
            .map_err(Error::Cluster)?;
        let mut stack = Self::new(spec, state_dir, accounts, Some(Arc::new(cluster)));
        stack.stats = stats;
        Ok(stack)
    }

    /// The stack on clouds the caller provides: accounts over the SDK with the caller's own
    /// configuration, over mocks (`xefs_aws` feature `mock`) or fakes; `cluster` `None` for
    /// the AWS phase alone.
    pub fn new(
        spec: StackSpec,
        state_dir: impl Into<PathBuf>,
        aws: AwsAccounts,
        cluster: Option<Arc<dyn Cluster>>,
    ) -> Self {
        Self {
            spec,
            state_dir: state_dir.into(),
            aws,
            cluster,
            phases: None,
            engine: EngineOptions::default(),
            k8s: K8sOptions::default(),
            events: None,
            rate_limits: None,
            stats: CallStats::new(),
        }
    }

    /// The stack on a [`Simulation`](crate::simulate::Simulation)'s clouds.
    #[cfg(feature = "simulate")]
    pub fn simulated(
        spec: StackSpec,
        state_dir: impl Into<PathBuf>,
        sim: &crate::simulate::Simulation,
    ) -> Self {
        let stats = CallStats::new();
        let mut stack = Self::new(spec, state_dir, sim.accounts(&stats), Some(sim.cluster()));
        stack.stats = stats;
        stack
    }

    /// Only these phases (and, read-only, what they depend on); every phase by default.
    #[must_use]
    pub fn with_phases(mut self, phases: &[Phase]) -> Self {
        self.phases = Some(phases.to_vec());
        self
    }

    /// Sends every step event (started, waiting, retrying, done…) to `events`.
    #[must_use]
    pub fn with_events(mut self, events: UnboundedSender<Event>) -> Self {
        self.events = Some(events);
        self
    }

    /// Retries, concurrency and rate limits of the engine.
    #[must_use]
    pub fn with_engine_options(mut self, options: EngineOptions) -> Self {
        self.engine = options;
        self
    }

    /// Meters this stack's AWS calls with `limits`, per account and service (unlimited by
    /// default). AWS throttles per account, not per stack: give every stack a process runs in
    /// the same accounts a clone of one [`RateLimits`], so they share its buckets.
    #[must_use]
    pub fn with_rate_limits(mut self, limits: RateLimits) -> Self {
        self.rate_limits = Some(limits);
        self
    }

    /// Wait bounds on the cluster.
    #[must_use]
    pub fn with_k8s_options(mut self, options: K8sOptions) -> Self {
        self.k8s = options;
        self
    }

    /// The stack's spec.
    pub fn spec(&self) -> &StackSpec {
        &self.spec
    }

    /// The AWS calls made so far, per service, read or write (for stacks made by
    /// [`Stack::connect`] or [`Stack::simulated`]).
    pub fn calls(&self) -> &CallStats {
        &self.stats
    }

    /// What `apply` would change, reading the live resources (no writes).
    pub async fn plan(&self) -> Result<Plan, Error> {
        self.run(
            AwsOptions::default(),
            self.phases.as_deref(),
            |engine, plan, state| Box::pin(async move { engine.plan(plan, state).await }),
        )
        .await
    }

    /// Creates or updates what the stack needs, resuming where an earlier run stopped.
    pub async fn apply(&self) -> Result<ApplyReport, Error> {
        self.run(
            AwsOptions::default(),
            self.phases.as_deref(),
            |engine, plan, state| Box::pin(async move { engine.apply(plan, state).await }),
        )
        .await
    }

    /// The end-to-end check alone on an applied stack (the verify phase).
    pub async fn verify(&self) -> Result<ApplyReport, Error> {
        self.run(
            AwsOptions::default(),
            Some(&[Phase::Verify]),
            |engine, plan, state| Box::pin(async move { engine.apply(plan, state).await }),
        )
        .await
    }

    /// Deletes what xefs created for the stack, dependents first. A file system holding data
    /// is refused unless `delete_data`.
    pub async fn destroy(&self, delete_data: bool) -> Result<DestroyReport, Error> {
        let options = AwsOptions {
            delete_data,
            ..AwsOptions::default()
        };
        self.run(options, self.phases.as_deref(), |engine, plan, state| {
            Box::pin(async move { engine.destroy(plan, state, DestroyOptions::default()).await })
        })
        .await
    }

    /// `xefs doctor`: reads both accounts and (when the stack has one) the cluster, read-only,
    /// and returns the checklist.
    pub async fn doctor(&self) -> Result<Findings, Error> {
        let facts = match &self.cluster {
            Some(cluster) => Some(
                xefs_k8s::doctor::read_cluster(&**cluster, &self.spec)
                    .await
                    .map_err(Error::Cluster)?,
            ),
            None => None,
        };
        let accounts = DoctorAccounts::from(self.aws.clone());
        let snapshot = read_snapshot(&self.spec, &accounts, facts)
            .await
            .map_err(Error::Aws)?;
        Ok(diagnose(&snapshot))
    }

    /// Binds the phases to the providers, opens the state, and runs `job` on a fresh engine.
    async fn run<T>(
        &self,
        aws_options: AwsOptions,
        phases: Option<&[Phase]>,
        job: impl for<'a> FnOnce(
            &'a Engine,
            &'a BoundPlan,
            &'a mut StackState,
        ) -> std::pin::Pin<
            Box<
                dyn std::future::Future<Output = Result<T, xefs_core::engine::EngineError>>
                    + Send
                    + 'a,
            >,
        >,
    ) -> Result<T, Error> {
        let aws = AwsProvider::new(self.aws.clone(), aws_options);
        let k8s = self.cluster.as_ref().map(|cluster| {
            K8sProvider::new(ClusterHandle {
                cluster: Arc::clone(cluster),
                stack: self.spec.name.clone(),
                options: self.k8s.clone(),
            })
        });
        let mut providers: Vec<&dyn Provider> = vec![&aws];
        if let Some(k8s) = &k8s {
            providers.push(k8s);
        }
        let plan = BoundPlan::bind_phases(&Blueprint::build(&self.spec), phases, &providers)
            .map_err(Error::Engine)?;
        let mut state = StackState::open(&self.state_dir, &self.spec.name).map_err(Error::State)?;
        let mut engine = Engine::new(self.engine.clone());
        if let Some(events) = &self.events {
            engine = engine.with_events(events.clone());
        }
        if let Some(limits) = &self.rate_limits {
            engine = engine.with_rate_limits(limits.clone());
        }
        job(&engine, &plan, &mut state).await.map_err(Error::Engine)
    }
}
