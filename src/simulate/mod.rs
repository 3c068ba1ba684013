//! A simulated AWS and OpenShift for a stack: try xefs before there are two accounts and a
//! cluster, and test platform tools against clouds that behave like the real ones.
//!
//! A [`Simulation`] seeds both fakes from a [`StackSpec`] — account A's VPC, worker subnets,
//! instances and OIDC provider, account B's VPC and subnets, and a ROSA-like cluster whose
//! worker nodes are those instances — and wires the cluster's simulated EFS CSI driver to
//! `doctor`'s analysis of the AWS world: a claim binds, and a pod mounts, only where the real
//! driver could (role chain, policies, routes, security groups, mount targets). Everything
//! runs on one [`SimClock`]; under a paused tokio runtime the ninety-second mount-target wait
//! takes no real time. [`Simulation::open`] keeps the worlds in the stack's state directory, so
//! consecutive commands (`xefs apply --simulate`, then `xefs verify --simulate`) share them.
//!
//! ```
//! # #[tokio::main(flavor = "current_thread", start_paused = true)]
//! # async fn main() -> Result<(), Box<dyn std::error::Error>> {
//! use xefs::core::spec::StackSpec;
//! use xefs::simulate::Simulation;
//!
//! let env = std::collections::BTreeMap::<String, String>::new();
//! let spec = StackSpec::from_toml_str(xefs::simulate::EXAMPLE_CONFIG, &env)?;
//! let sim = Simulation::new(&spec)?;
//! let stats = xefs::aws::CallStats::new();
//! let accounts = sim.accounts(&stats);
//! accounts.verify_identities().await?; // both simulated accounts answer as the spec says
//! assert_eq!(sim.cluster().nodes(None).await?.len(), 7); // 3 control plane, 4 workers
//! # Ok(())
//! # }
//! ```

mod cluster;
mod oracle;

use std::path::{Path, PathBuf};
use std::sync::Arc;

use serde_json::{Value, json};
use xefs_aws::fake::{FakeAws, FakeError, Latency, Seeded};
use xefs_aws::{AwsAccounts, CallStats};
use xefs_core::ids::InstanceId;
use xefs_core::sim::{SimClock, SimTime};
use xefs_core::spec::StackSpec;
use xefs_k8s::Cluster;
use xefs_k8s::fake::{ClusterSeed, Delays, FakeCluster, NodeSeed};

use self::cluster::JudgedCluster;
use self::oracle::{DoctorOracle, Judge};

/// The example stack `xefs demo` runs and the docs use: the shipped `examples/xefs.toml`.
pub const EXAMPLE_CONFIG: &str = include_str!("../../examples/xefs.toml");

/// The file that keeps a stack's simulated worlds in its state directory.
pub const WORLD_FILE: &str = "simulation.json";

/// The format tag of a saved simulation.
const FORMAT: &str = "xefs-simulation/1";

/// Why a simulation could not be created, loaded or saved.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum SimError {
    /// The spec cannot be seeded, or the saved AWS world is unreadable.
    #[error(transparent)]
    Aws(#[from] FakeError),
    /// The saved cluster is unreadable.
    #[error("the saved simulated cluster: {0}")]
    Cluster(#[from] xefs_k8s::K8sError),
    /// The file is not a simulation this version saved.
    #[error("{}: not a simulation saved by this version of xefs ({reason}); delete it to start a new simulated world", path.display())]
    Format {
        /// The file.
        path: PathBuf,
        /// What is wrong.
        reason: String,
    },
    /// Reading or writing the file failed.
    #[error("could not {what} {}", path.display())]
    Io {
        /// Read or write.
        what: &'static str,
        /// The file.
        path: PathBuf,
        /// Why.
        #[source]
        source: std::io::Error,
    },
}

/// A simulated AWS (both accounts) and OpenShift cluster for one stack.
pub struct Simulation {
    spec: Arc<StackSpec>,
    aws: FakeAws,
    cluster: FakeCluster,
    judge: Judge,
    file: Option<PathBuf>,
}

impl Simulation {
    /// A new world for `spec`, on a new clock.
    pub fn new(spec: &StackSpec) -> Result<Self, SimError> {
        let clock = SimClock::new();
        let aws = FakeAws::new(clock).with_latency(Latency::default());
        let seeded = aws.seed_for(spec)?;
        let spec = Arc::new(spec.clone());
        let judge = judge(&spec, &aws);
        let cluster = FakeCluster::new(cluster_seed(&spec, &seeded), clock)
            .with_oracle(Arc::new(DoctorOracle(judge.clone())));
        Ok(Self {
            spec,
            aws,
            cluster,
            judge,
            file: None,
        })
    }

    /// A world for `spec` inside an existing simulated AWS (its own cluster, on `aws`'s clock):
    /// many stacks in the same two accounts, as a fleet lives. `spec`'s VPCs must not exist in
    /// `aws` yet (give each stack its own VPC ids, CIDRs and cluster name).
    ///
    /// The AWS world is shared, and so is its call counter: [`Simulation::accounts`] of any
    /// of these simulations counts every stack's calls in the `stats` given last; read
    /// [`FakeAws::calls`] for the calls of the whole world.
    pub fn in_world(spec: &StackSpec, aws: &FakeAws) -> Result<Self, SimError> {
        let seeded = aws.seed_for(spec)?;
        let spec = Arc::new(spec.clone());
        let judge = judge(&spec, aws);
        let cluster = FakeCluster::new(cluster_seed(&spec, &seeded), aws.clock())
            .with_oracle(Arc::new(DoctorOracle(judge.clone())));
        Ok(Self {
            spec,
            aws: aws.clone(),
            cluster,
            judge,
            file: None,
        })
    }

    /// The world kept in `state_root/<stack>/simulation.json`, or a new one (saved there by
    /// [`Simulation::save`]).
    pub fn open(state_root: &Path, spec: &StackSpec) -> Result<Self, SimError> {
        let file = state_root.join(spec.name.as_str()).join(WORLD_FILE);
        let mut sim = match std::fs::read_to_string(&file) {
            Ok(text) => Self::load(&file, &text, spec)?,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Self::new(spec)?,
            Err(source) => {
                return Err(SimError::Io {
                    what: "read",
                    path: file,
                    source,
                });
            }
        };
        sim.file = Some(file);
        Ok(sim)
    }

    fn load(file: &Path, text: &str, spec: &StackSpec) -> Result<Self, SimError> {
        let format_error = |reason: String| SimError::Format {
            path: file.to_owned(),
            reason,
        };
        let mut saved: Value =
            serde_json::from_str(text).map_err(|e| format_error(e.to_string()))?;
        if saved["format"] != FORMAT {
            return Err(format_error(format!("format {}", saved["format"])));
        }
        let aws_saved = saved["aws"].take();
        let cluster_saved = saved["cluster"].take();
        let at = FakeAws::saved_at(&aws_saved)?
            .max(FakeCluster::saved_time(&cluster_saved).unwrap_or(SimTime::ZERO));
        let clock = SimClock::starting_at(at);
        let aws = FakeAws::load(aws_saved, clock)?.with_latency(Latency::default());
        let spec = Arc::new(spec.clone());
        let judge = judge(&spec, &aws);
        let cluster =
            FakeCluster::load(cluster_saved, clock, Arc::new(DoctorOracle(judge.clone())))?;
        Ok(Self {
            spec,
            aws,
            cluster,
            judge,
            file: None,
        })
    }

    /// Writes the worlds where [`Simulation::open`] found them (a no-op for a world made
    /// with [`Simulation::new`]). Written to a temporary file and renamed, so a crash never
    /// leaves half a world.
    pub fn save(&self) -> Result<(), SimError> {
        let Some(file) = &self.file else {
            return Ok(());
        };
        let io = |what, source| SimError::Io {
            what,
            path: file.clone(),
            source,
        };
        let doc = json!({
            "format": FORMAT,
            "stack": self.spec.name.as_str(),
            "aws": self.aws.save(),
            "cluster": self.cluster.save()?,
        });
        if let Some(dir) = file.parent() {
            std::fs::create_dir_all(dir).map_err(|e| io("create the directory of", e))?;
        }
        let tmp = file.with_extension("json.tmp");
        let text = serde_json::to_string(&doc).map_err(|e| SimError::Format {
            path: file.clone(),
            reason: e.to_string(),
        })?;
        std::fs::write(&tmp, text).map_err(|e| io("write", e))?;
        std::fs::rename(&tmp, file).map_err(|e| io("write", e))
    }

    /// Both accounts of the stack, their calls counted in `stats`.
    pub fn accounts(&self, stats: &CallStats) -> AwsAccounts {
        let aws = self.aws.clone().with_stats(stats.clone());
        AwsAccounts {
            cluster: aws.account(
                self.spec.cluster.account_id.clone(),
                self.spec.region.clone(),
            ),
            storage: aws.account(
                self.spec.storage.account_id.clone(),
                self.spec.region.clone(),
            ),
        }
    }

    /// The cluster, as xefs's cluster steps and doctor use it.
    pub fn cluster(&self) -> Arc<dyn Cluster> {
        Arc::new(JudgedCluster {
            inner: self.cluster.clone(),
            judge: self.judge.clone(),
        })
    }

    /// Makes both worlds take no time from now on: AWS's calls, waiting states and IAM
    /// propagation ([`Latency::instant`]), and the cluster's controllers
    /// ([`Delays::instant`]). For tests that repeat a whole flow many times (a crash at every
    /// journal write) and check what happens, not how long it takes; the realistic timings
    /// are the default.
    ///
    /// The controllers' own retry backoffs after a failure (the provisioner's, the kubelet's)
    /// still take their time, so a broken world does not spin.
    #[must_use]
    pub fn with_instant_timings(self) -> Self {
        self.aws.set_latency(Latency::instant());
        let cluster = self.cluster.with_delays(Delays::instant());
        Self { cluster, ..self }
    }

    /// The simulated AWS, to inspect it or break it behind xefs's back in tests.
    pub fn aws(&self) -> &FakeAws {
        &self.aws
    }

    /// The simulated cluster itself (without the refreshing judgement), to inspect it.
    pub fn fake_cluster(&self) -> &FakeCluster {
        &self.cluster
    }

    /// The worlds' time.
    pub fn now(&self) -> SimTime {
        self.aws.now()
    }

    /// How much each world holds, for `xefs status --simulate`.
    pub fn summary(&self) -> WorldSummary {
        WorldSummary {
            time: self.now(),
            accounts: self
                .aws
                .inventory()
                .accounts
                .iter()
                .map(|(id, inv)| (id.to_string(), inv.len()))
                .collect(),
            cluster_objects: self.cluster.inventory().objects.len(),
        }
    }
}

/// How much a simulation holds.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct WorldSummary {
    /// The worlds' clock.
    pub time: SimTime,
    /// Resources per simulated account.
    pub accounts: std::collections::BTreeMap<String, usize>,
    /// Objects on the simulated cluster.
    pub cluster_objects: usize,
}

impl std::fmt::Display for WorldSummary {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        writeln!(f, "Simulated world at {}:", self.time)?;
        for (account, n) in &self.accounts {
            writeln!(f, "  AWS account {account}: {n} resources")?;
        }
        writeln!(f, "  OpenShift cluster: {} objects", self.cluster_objects)
    }
}

/// The judge over a quiet view of `aws`: the simulated driver's reads are not xefs's calls.
fn judge(spec: &Arc<StackSpec>, aws: &FakeAws) -> Judge {
    let quiet = aws.quiet();
    let accounts = AwsAccounts {
        cluster: quiet.account(spec.cluster.account_id.clone(), spec.region.clone()),
        storage: quiet.account(spec.storage.account_id.clone(), spec.region.clone()),
    };
    let cluster_ec2 = quiet.ports(&spec.cluster.account_id, &spec.region).ec2;
    Judge::new(Arc::clone(spec), quiet, accounts, cluster_ec2)
}

/// A ROSA-like cluster over the seeded instances: three control-plane nodes, and one worker
/// node per worker instance, named as AWS names instances' hosts.
fn cluster_seed(spec: &StackSpec, seeded: &Seeded) -> ClusterSeed {
    let region = spec.region.as_str();
    let mut nodes = Vec::new();
    for (i, w) in seeded.workers.iter().enumerate() {
        if i < 3 {
            nodes.push(NodeSeed {
                name: format!("ip-10-0-{}-10.{region}.compute.internal", i + 200),
                instance_id: control_plane_instance(i),
                zone: w.az_name.clone(),
                az_id: Some(w.az_id.clone()),
                worker: false,
            });
        }
        nodes.push(NodeSeed {
            name: format!("ip-10-0-{}-20.{region}.compute.internal", i + 1),
            instance_id: w.instance_id.clone(),
            zone: w.az_name.clone(),
            az_id: Some(w.az_id.clone()),
            worker: true,
        });
    }
    ClusterSeed {
        nodes,
        service_account_issuer: Some(format!("https://{}", seeded.issuer)),
        // The installer's infrastructure name: the cluster's name and a random suffix.
        infrastructure_name: Some(format!("{}-x7k2p", spec.cluster.name)),
    }
}

/// A control-plane node's instance: outside the AWS world, as ROSA's control plane can be.
fn control_plane_instance(i: usize) -> InstanceId {
    InstanceId::parse(&format!("i-0c{i:015x}"))
        .unwrap_or_else(|_| unreachable!("17 hex digits after `i-` parse"))
}
