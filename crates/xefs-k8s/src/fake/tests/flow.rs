//! The whole cluster phase and the verify phase of the example stack on the simulated cluster,
//! through [`K8sProvider`] and the real engine and journal.
//!
//! The cluster phase depends on AWS steps (discovery, the file system, mount targets, IAM…),
//! which `BoundPlan::bind_phases` binds observe-only (or, for read-only ones, runs). This crate
//! does not depend on `xefs-aws`, so a stand-in provider answers for them: every AWS resource
//! exists, and the file system's id is [`FS`] (the one output the cluster steps read).

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use tokio::time::Instant;
use xefs_core::blueprint::{Blueprint, BlueprintStep, Phase, Target, addr, out};
use xefs_core::engine::{BoundPlan, DestroyOptions, Engine, EngineOptions, Provider};
use xefs_core::state::StackState;
use xefs_core::step::{Change, Ensured, Observation, Step, StepContext, StepError, StepOutputs};

use super::cluster;
use super::controllers::FS;
use crate::fake::FakeCluster;
use crate::steps::output_names::{
    LINE_SEEN_SECONDS, NODES, PVC_BOUND_SECONDS, READER_RUNNING_SECONDS, SAME_NODE,
    WRITER_RUNNING_SECONDS,
};
use crate::steps::test_support::example_spec;
use crate::{ClusterHandle, K8sOptions, K8sProvider};

pub(super) type TestResult = Result<(), Box<dyn std::error::Error>>;

/// An AWS resource that exists, with these outputs.
struct Existing {
    description: String,
    read_only: bool,
    outputs: StepOutputs,
}

#[async_trait::async_trait]
impl Step for Existing {
    fn describe(&self) -> String {
        self.description.clone()
    }

    fn mutates(&self) -> bool {
        !self.read_only
    }

    async fn observe(&self, _ctx: &StepContext) -> Result<Observation, StepError> {
        Ok(Observation::Present(self.outputs.clone()))
    }

    async fn ensure(
        &self,
        _ctx: &StepContext,
        _observed: &Observation,
    ) -> Result<Ensured, StepError> {
        Ok(if self.read_only {
            Ensured::read(self.outputs.clone())
        } else {
            Ensured::unchanged(self.outputs.clone())
        })
    }

    async fn remove(&self, _ctx: &StepContext, _recorded: &StepOutputs) -> Result<(), StepError> {
        Err(StepError::permanent(
            "the AWS side is not this test's to remove",
        ))
    }
}

/// Binds every step outside the cluster to an [`Existing`] resource.
struct AwsStandIn;

impl Provider for AwsStandIn {
    fn bind(&self, step: &BlueprintStep) -> Option<Arc<dyn Step>> {
        if step.target == Target::Cluster {
            return None;
        }
        let mut outputs = StepOutputs::new();
        if step.address.as_str() == addr::FILE_SYSTEM {
            outputs.insert(out::FILE_SYSTEM_ID, FS).ok()?;
        }
        Some(Arc::new(Existing {
            description: step.description.clone(),
            read_only: step.spec.read_only(),
            outputs,
        }))
    }
}

/// A state directory of its own, removed when dropped.
struct TempState(PathBuf);

impl TempState {
    fn new(test: &str) -> std::io::Result<Self> {
        let dir = std::env::temp_dir().join(format!(
            "xefs-k8s-fake-{test}-{}-{:?}",
            std::process::id(),
            std::time::SystemTime::now()
        ));
        std::fs::create_dir_all(&dir)?;
        Ok(Self(dir))
    }
}

impl Drop for TempState {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// The example stack on a fake cluster: its blueprint, the providers, a journal.
pub(super) struct Harness {
    blueprint: Blueprint,
    k8s: K8sProvider,
    pub state: StackState,
    pub engine: Engine,
    _dir: TempState,
}

impl Harness {
    pub fn new(test: &str, fake: FakeCluster) -> Result<Self, Box<dyn std::error::Error>> {
        let spec = example_spec();
        let k8s = K8sProvider::new(ClusterHandle {
            cluster: Arc::new(fake.clone()),
            stack: spec.name.clone(),
            options: K8sOptions::default(),
        });
        let dir = TempState::new(test)?;
        let blueprint = Blueprint::build(&spec);
        let state = StackState::open(&dir.0, &blueprint.stack)?;
        Ok(Self {
            blueprint,
            k8s,
            state,
            engine: Engine::new(EngineOptions::default()),
            _dir: dir,
        })
    }

    pub fn plan(&self, phases: &[Phase]) -> Result<BoundPlan, Box<dyn std::error::Error>> {
        Ok(BoundPlan::bind_phases(
            &self.blueprint,
            Some(phases),
            &[&self.k8s, &AwsStandIn],
        )?)
    }

    /// Applies the cluster phase, which must succeed.
    pub async fn install(&mut self) -> Result<(), Box<dyn std::error::Error>> {
        let plan = self.plan(&[Phase::Cluster])?;
        let report = self.engine.apply(&plan, &mut self.state).await?;
        assert!(report.is_success(), "{:?}", report.failures);
        Ok(())
    }
}

fn seconds(outputs: &StepOutputs, name: &str) -> f64 {
    outputs.get::<f64>(name).unwrap_or(f64::NAN)
}

#[tokio::test(start_paused = true)]
async fn the_cluster_and_verify_phases_converge_and_destroy_leaves_the_seed() -> TestResult {
    let fake = cluster();
    let seeded = fake.inventory();
    let mut h = Harness::new("flow", fake.clone())?;

    // The cluster phase installs the operator (~40 s) and the driver (~30 s).
    let plan = h.plan(&[Phase::Cluster])?;
    let start = Instant::now();
    let applied = h.engine.apply(&plan, &mut h.state).await?;
    assert!(applied.is_success(), "{:?}", applied.failures);
    let took = start.elapsed();
    assert!(
        (Duration::from_secs(70)..Duration::from_secs(75)).contains(&took),
        "{took:?}"
    );
    let step = |address: &str| {
        applied
            .steps
            .iter()
            .find(|s| s.address.as_str() == address)
            .map(|s| (s.change, s.duration))
    };
    let (change, operator) = step(addr::SUBSCRIPTION).ok_or("no subscription step")?;
    assert_eq!(change, Change::Created);
    assert!(
        (Duration::from_secs(40)..Duration::from_secs(42)).contains(&operator),
        "{operator:?}"
    );
    let (_, driver) = step(addr::CSI_DRIVER).ok_or("no driver step")?;
    assert!(
        (Duration::from_secs(30)..Duration::from_secs(32)).contains(&driver),
        "{driver:?}"
    );
    for address in [
        addr::CLOUD_CREDENTIALS,
        addr::OPERATOR_GROUP,
        addr::CROSS_ACCOUNT_SECRET,
        addr::SECRET_READER,
        addr::STORAGE_CLASS,
    ] {
        assert_eq!(
            step(address).map(|s| s.0),
            Some(Change::Created),
            "{address}"
        );
    }

    // A second apply observes everything in place and writes nothing.
    let writes = fake.calls().writes();
    let again = h.engine.apply(&plan, &mut h.state).await?;
    assert!(again.is_success(), "{:?}", again.failures);
    assert_eq!((again.created(), again.updated()), (0, 0));
    assert_eq!(fake.calls().writes(), writes);

    // The verify phase writes on one worker and reads on another, then cleans up.
    let verify = h.plan(&[Phase::Verify])?;
    let start = Instant::now();
    let verified = h.engine.apply(&verify, &mut h.state).await?;
    assert!(verified.is_success(), "{:?}", verified.failures);
    let took = start.elapsed();
    assert!(
        (Duration::from_secs(10)..Duration::from_secs(20)).contains(&took),
        "{took:?}"
    );
    let outputs = verified
        .steps
        .iter()
        .find(|s| s.address.as_str() == addr::VERIFY)
        .map(|s| s.outputs.clone())
        .unwrap_or_default();
    assert_eq!(seconds(&outputs, PVC_BOUND_SECONDS), 3.0);
    assert_eq!(seconds(&outputs, WRITER_RUNNING_SECONDS), 5.0);
    assert!(seconds(&outputs, READER_RUNNING_SECONDS) <= 1.0);
    assert!(seconds(&outputs, LINE_SEEN_SECONDS) <= 2.0);
    let nodes: Vec<String> = outputs.get(NODES)?;
    assert_eq!(nodes.len(), 2);
    assert!(!outputs.get::<bool>(SAME_NODE)?);
    assert!(nodes.iter().all(|n| n.starts_with("ip-10-0-")));

    // Destroy removes exactly what xefs created: the cluster is as it was seeded.
    let all = h.plan(&[Phase::Cluster, Phase::Verify])?;
    let destroyed = h
        .engine
        .destroy(&all, &mut h.state, DestroyOptions::default())
        .await?;
    assert!(destroyed.failures.is_empty(), "{:?}", destroyed.failures);
    let left = fake.inventory();
    assert_eq!(left.added_since(&seeded), Vec::<&str>::new());
    assert_eq!(left, seeded);
    Ok(())
}

/// The Subscription step's Manual path on the simulated OLM: approved when xefs may, refused
/// with the `oc patch` to run when it may not.
#[tokio::test(start_paused = true)]
async fn the_subscription_step_approves_a_manual_install_plan_only_when_asked() -> TestResult {
    use xefs_core::spec::InstallPlanApproval;
    use xefs_core::step::Step;

    use crate::steps::SubscriptionStep;
    use crate::steps::output_names::INSTALLED_CSV;
    use crate::steps::test_support::{STACK, ctx, options, spec_at};

    for approve in [true, false] {
        let fake = cluster();
        let handle = ClusterHandle {
            cluster: Arc::new(fake.clone()),
            stack: xefs_core::ids::StackName::parse(STACK)?,
            options: options(),
        };
        let group = spec_at!(addr::OPERATOR_GROUP, OperatorGroup);
        crate::Cluster::apply(
            &fake,
            &xefs_core::blueprint::manifests::operator_group(&group, STACK),
        )
        .await?;
        let spec = xefs_core::blueprint::steps::Subscription {
            approval: InstallPlanApproval::Manual,
            approve_install_plan: approve,
            ..spec_at!(addr::SUBSCRIPTION, Subscription)
        };
        let step = SubscriptionStep::new(spec, handle);
        let ctx = ctx(addr::SUBSCRIPTION);
        let observed = step.observe(&ctx).await?;
        assert_eq!(observed, Observation::Absent);
        let start = Instant::now();
        let ensured = step.ensure(&ctx, &observed).await;
        if approve {
            let ensured = ensured?;
            assert_eq!(ensured.change, Change::Created);
            assert_eq!(
                ensured.outputs.get::<String>(INSTALLED_CSV)?,
                crate::fake::OPERATOR_CSV
            );
            // 5 s to resolve, seen at the next poll, then 35 s to install.
            assert!(
                (Duration::from_secs(40)..Duration::from_secs(42)).contains(&start.elapsed()),
                "{:?}",
                start.elapsed()
            );
        } else {
            let e = ensured.err().ok_or("an unapproved plan was installed")?;
            assert_eq!(e.code(), Some("InstallPlanNotApproved"));
            assert!(
                e.message().contains("oc patch installplan install-"),
                "{}",
                e.message()
            );
        }
    }
    Ok(())
}
