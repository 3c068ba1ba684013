//! What `plan`, `apply` and `destroy` share: load the stack, pick its phases, connect to the
//! accounts, bind the steps, and open the state.

use std::io::IsTerminal;

use std::sync::Arc;
use tokio::sync::mpsc::UnboundedReceiver;
use xefs_aws::sdk::{ConnectOptions, connect};
use xefs_aws::{AwsOptions, AwsProvider, CallStats};

use xefs::simulate::Simulation;
use xefs_core::blueprint::{Blueprint, Phase, Target};
use xefs_core::engine::{BoundPlan, Engine, EngineError, EngineOptions, Event, Provider};
use xefs_core::spec::StackSpec;
use xefs_core::state::StackState;
use xefs_k8s::{Cluster, ClusterHandle, K8sOptions, K8sProvider, KubeCluster};

use crate::cli::{ConfigArgs, OutputFormat, PhaseArg, StackArgs};
use crate::diagnostics::CliError;

/// A loaded stack and the part of its blueprint this command runs.
pub struct Session {
    pub spec: StackSpec,
    /// The whole blueprint of the stack.
    pub blueprint: Blueprint,
    /// The phases this command acts on; `None`: every phase.
    pub phases: Option<Vec<Phase>>,
    pub output: OutputFormat,
    state_root: std::path::PathBuf,
    /// With `--simulate`: the simulated clouds, saved back when the session ends.
    sim: Option<Simulation>,
}

impl Session {
    /// Loads and validates the config and selects the phases; touches no cloud.
    pub fn load(args: &StackArgs) -> Result<Self, CliError> {
        Self::with_phases(
            &args.config,
            &args.phase,
            &args.state,
            args.output,
            args.simulate,
        )
    }

    /// As [`Session::load`], from the parts a command has (`verify` has no `--phase`).
    pub fn with_phases(
        config: &ConfigArgs,
        phase: &[PhaseArg],
        state: &std::path::Path,
        output: OutputFormat,
        simulate: bool,
    ) -> Result<Self, CliError> {
        let spec = super::load_spec(config)?;
        let sim = if simulate {
            Some(Simulation::open(state, &spec).map_err(CliError::Simulation)?)
        } else {
            None
        };
        let phases: Option<Vec<Phase>> = (!phase.is_empty()).then(|| {
            phase
                .iter()
                .map(|p| match p {
                    PhaseArg::Aws => Phase::Aws,
                    PhaseArg::Cluster => Phase::Cluster,
                    PhaseArg::Verify => Phase::Verify,
                })
                .collect()
        });
        let blueprint = Blueprint::build(&spec);
        Ok(Self {
            spec,
            blueprint,
            phases,
            output,
            state_root: state.to_owned(),
            sim,
        })
    }

    /// Connects to both accounts and confirms each one's identity before anything else: with
    /// credentials for the wrong account, nothing is read or written.
    pub async fn connect(&self, options: AwsOptions) -> Result<(AwsProvider, CallStats), CliError> {
        let stats = CallStats::new();
        let accounts = match &self.sim {
            Some(sim) => sim.accounts(&stats),
            None => connect(
                &self.spec,
                &ConnectOptions::default().with_stats(stats.clone()),
            )
            .await
            .map_err(CliError::Provider)?,
        };
        accounts
            .verify_identities()
            .await
            .map_err(CliError::Provider)?;
        Ok((AwsProvider::new(accounts, options), stats))
    }

    /// The steps this command touches: the selected phases and what they depend on.
    fn selected(&self) -> Blueprint {
        match &self.phases {
            Some(p) => self.blueprint.select(p),
            None => self.blueprint.clone(),
        }
    }

    /// True when some selected step runs on the cluster (so a kubeconfig is needed).
    pub fn needs_cluster(&self) -> bool {
        self.selected()
            .steps
            .iter()
            .any(|s| s.target == Target::Cluster)
    }

    /// Connects to the cluster through the kubeconfig (and `cluster.kube_context`), when a
    /// selected step runs there.
    pub async fn connect_cluster(&self) -> Result<Option<K8sProvider>, CliError> {
        if !self.needs_cluster() {
            return Ok(None);
        }
        let cluster: Arc<dyn Cluster> = match &self.sim {
            Some(sim) => sim.cluster(),
            None => Arc::new(
                KubeCluster::connect(self.spec.cluster.kube_context.as_deref())
                    .await
                    .map_err(CliError::Cluster)?,
            ),
        };
        Ok(Some(K8sProvider::new(ClusterHandle {
            cluster,
            stack: self.spec.name.clone(),
            options: K8sOptions::default(),
        })))
    }

    /// Binds the selected steps (other phases' steps they depend on are only read); a step no
    /// provider runs is a usage error naming it.
    pub fn bind(&self, providers: &[&dyn Provider]) -> Result<BoundPlan, CliError> {
        BoundPlan::bind_phases(&self.blueprint, self.phases.as_deref(), providers).map_err(|e| {
            match e {
                EngineError::Unbound { unbound } => CliError::Unbound { unbound },
                other => CliError::Engine(other),
            }
        })
    }

    /// Opens (and locks) the stack's state.
    pub fn open_state(&self) -> Result<StackState, CliError> {
        StackState::open(&self.state_root, &self.spec.name).map_err(CliError::State)
    }

    /// An engine whose events are printed as progress lines on stderr, and which stops
    /// starting steps on Ctrl-C.
    pub fn engine(&self) -> (Engine, UnboundedReceiver<Event>) {
        let (tx, rx) = tokio::sync::mpsc::unbounded_channel();
        let engine = Engine::new(EngineOptions::default()).with_events(tx);
        let cancel = engine.cancel_token().clone();
        tokio::spawn(async move {
            if tokio::signal::ctrl_c().await.is_ok() {
                eprintln!("interrupted: finishing the calls in flight, starting nothing new");
                cancel.cancel();
            }
        });
        (engine, rx)
    }

    /// Another engine, for a second pass of the same command (apply after its plan), with its
    /// own events and the first one's Ctrl-C handling.
    pub fn engine_after(&self, first: &Engine) -> (Engine, UnboundedReceiver<Event>) {
        let (tx, rx) = tokio::sync::mpsc::unbounded_channel();
        let engine = Engine::new(EngineOptions::default())
            .with_events(tx)
            .with_cancel(first.cancel_token().clone());
        (engine, rx)
    }
}

impl Drop for Session {
    /// Keeps the simulated clouds for the next command, whatever this one's outcome: a failed
    /// apply leaves a half-made world, as it would in AWS.
    fn drop(&mut self) {
        if let Some(sim) = &self.sim
            && let Err(e) = sim.save()
        {
            eprintln!("warning: the simulated world was not saved: {e}");
        }
    }
}

/// Fails unless `--yes` was given or there is a terminal to ask on: checked before any call,
/// so a script without `--yes` never gets half a run.
pub fn can_confirm(yes: bool) -> Result<(), CliError> {
    if yes || std::io::stdin().is_terminal() {
        Ok(())
    } else {
        Err(CliError::NeedsConfirmation)
    }
}

/// Asks "question [y/N]" on a terminal; without one, `--yes` is required.
pub fn confirm(question: &str, yes: bool) -> Result<bool, CliError> {
    can_confirm(yes)?;
    if yes {
        return Ok(true);
    }
    eprint!("{question} [y/N] ");
    let mut answer = String::new();
    std::io::stdin()
        .read_line(&mut answer)
        .map_err(|source| CliError::Io {
            what: "read the answer".into(),
            source,
        })?;
    Ok(matches!(answer.trim(), "y" | "Y" | "yes" | "YES" | "Yes"))
}
