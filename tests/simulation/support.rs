//! What every simulation test needs: the example stack, its simulated worlds, and the engine
//! bound to both providers.

use tempfile::TempDir;
use xefs::aws::fake::Inventory;
use xefs::aws::{AwsOptions, AwsProvider, CallStats};
use xefs::core::blueprint::{Blueprint, Phase};
use xefs::core::engine::{BoundPlan, Engine, EngineOptions};
use xefs::core::spec::StackSpec;
use xefs::core::state::StackState;
use xefs::k8s::{ClusterHandle, K8sOptions, K8sProvider};
use xefs::simulate::{EXAMPLE_CONFIG, Simulation};

pub type TestResult = Result<(), Box<dyn std::error::Error>>;

/// The AWS and cluster phases: everything `apply` creates, without the end-to-end check.
pub const BUILD: &[Phase] = &[Phase::Aws, Phase::Cluster];

/// The shipped example stack, named `stack`.
pub fn spec(stack: &str) -> StackSpec {
    let toml = EXAMPLE_CONFIG.replacen("name = \"demo\"", &format!("name = \"{stack}\""), 1);
    StackSpec::from_toml_str(&toml, &std::collections::BTreeMap::<String, String>::new())
        .expect("the example config is valid")
}

/// A simulation of `spec`, its state directory, and call counts.
pub struct World {
    pub spec: StackSpec,
    pub sim: Simulation,
    pub dir: TempDir,
    pub stats: CallStats,
}

impl World {
    pub fn new(stack: &str) -> World {
        let spec = spec(stack);
        let sim = Simulation::new(&spec).expect("the example stack seeds");
        World {
            spec,
            sim,
            dir: TempDir::new().expect("a temporary directory"),
            stats: CallStats::new(),
        }
    }

    /// A world where nothing takes time ([`Simulation::with_instant_timings`]), for tests
    /// that run the whole flow many times.
    pub fn instant(stack: &str) -> World {
        let World {
            spec,
            sim,
            dir,
            stats,
        } = World::new(stack);
        World {
            spec,
            sim: sim.with_instant_timings(),
            dir,
            stats,
        }
    }

    /// The stack's blueprint bound to both simulated providers, for `phases` (all: `None`).
    pub fn plan(&self, phases: Option<&[Phase]>) -> BoundPlan {
        let aws = AwsProvider::new(self.sim.accounts(&self.stats), AwsOptions::default());
        let k8s = K8sProvider::new(ClusterHandle {
            cluster: self.sim.cluster(),
            stack: self.spec.name.clone(),
            options: K8sOptions::default(),
        });
        BoundPlan::bind_phases(&Blueprint::build(&self.spec), phases, &[&aws, &k8s])
            .expect("every step has a provider")
    }

    pub fn state(&self) -> StackState {
        StackState::open(self.dir.path(), &self.spec.name).expect("the state opens")
    }

    pub fn engine(&self) -> Engine {
        Engine::new(EngineOptions::default())
    }

    /// Both worlds' inventories, to compare before `apply` and after `destroy`.
    pub fn inventories(&self) -> (Inventory, xefs::k8s::fake::Inventory) {
        (
            self.sim.aws().inventory(),
            self.sim.fake_cluster().inventory(),
        )
    }
}
