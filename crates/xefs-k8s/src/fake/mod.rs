//! A simulated OpenShift cluster (feature `fake`): an in-memory [`Cluster`] whose controllers
//! behave like a ROSA cluster's, for whole-flow tests and `--simulate`.
//!
//! * The API: server-side apply (create, or merge what field manager `xefs` sets and drop what
//!   it no longer sets), get, list with label selectors, delete, bounded waits, logs, events,
//!   nodes — with the server's metadata (`uid`, `resourceVersion`, `generation`,
//!   `creationTimestamp`), its validation (names, immutable fields, namespaces that must exist
//!   and not be terminating) and the same [`K8sError`]s the kube adapter
//!   returns for the same answers.
//! * The controllers, driven by the shared [`SimClock`]: OLM (Subscription → InstallPlan,
//!   approved automatically or by a write → CSV → operator Deployment available), the EFS CSI
//!   driver operator (`ClusterCSIDriver` → controller Deployment and node DaemonSet, the
//!   controller only with Secret `aws-efs-cloud-credentials`), the CSI provisioner and the
//!   kubelets (a claim binds and a pod mounts only if the [`MountOracle`] says the AWS side
//!   allows it; otherwise `ProvisioningFailed` / `FailedMount` events as a real cluster
//!   shows), the scheduler, the garbage collector and the namespace controller. Their latencies
//!   are [`Delays`]: realistic by default, [`Delays::instant`] for unit tests.
//! * Nothing runs in the background: every call first brings the world to the clock's time,
//!   so under tokio's paused clock a 40-second operator install takes no real time, and a world
//!   saved with [`FakeCluster::save`] resumes with [`FakeCluster::load`] where it stopped.
//!
//! ```
//! # #[tokio::main(flavor = "current_thread", start_paused = true)]
//! # async fn main() -> Result<(), xefs_k8s::K8sError> {
//! use std::time::Duration;
//!
//! use serde_json::json;
//! use xefs_core::sim::SimClock;
//! use xefs_k8s::fake::{ClusterSeed, FakeCluster};
//! use xefs_k8s::{Cluster, Condition, ObjectRef};
//!
//! let cluster = FakeCluster::new(ClusterSeed::example(), SimClock::new());
//! let seeded = cluster.inventory();
//! let ns = "openshift-cluster-csi-drivers";
//! cluster
//!     .apply(&json!({ "apiVersion": "operators.coreos.com/v1", "kind": "OperatorGroup",
//!                     "metadata": { "name": ns, "namespace": ns },
//!                     "spec": { "targetNamespaces": [ns] } }))
//!     .await?;
//! cluster
//!     .apply(&json!({ "apiVersion": "operators.coreos.com/v1alpha1", "kind": "Subscription",
//!                     "metadata": { "name": "aws-efs-csi-driver-operator", "namespace": ns },
//!                     "spec": { "name": "aws-efs-csi-driver-operator", "channel": "stable",
//!                               "source": "redhat-operators",
//!                               "sourceNamespace": "openshift-marketplace" } }))
//!     .await?;
//! let operator = ObjectRef::new("apps/v1", "Deployment", Some(ns), "aws-efs-csi-driver-operator");
//! let start = tokio::time::Instant::now();
//! cluster
//!     .wait_for(&operator, Condition::DeploymentAvailable, Duration::from_secs(600))
//!     .await?;
//! assert_eq!(start.elapsed(), Duration::from_secs(40)); // simulated, not real, seconds
//! assert!(cluster.inventory() != seeded);
//! # Ok(())
//! # }
//! ```

mod apply;
mod controllers;
mod delays;
mod errors;
mod inventory;
mod oracle;
mod seed;
mod selector;
mod shell;
mod store;
mod world;

#[cfg(test)]
mod tests;

use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use k8s_openapi::api::core::v1 as core;
use serde_json::{Value, json};
use tokio::sync::watch;
use xefs_core::sim::{SimClock, SimTime};

use self::apply::Target;
use self::errors::context;
use self::selector::{Selector, labels_of};
use self::store::{Key, resource_of};
use self::world::World;
use crate::kube::convert;
use crate::kube::errors::CallContext;
use crate::kube::wait::{self, LastSeen};
use crate::objects::Authentication;
use crate::{Cluster, Condition, EventSummary, K8sError, K8sResult, Node, ObjectRef, Propagation};

pub use delays::Delays;
pub use inventory::{CallCounts, Inventory};
pub use oracle::{
    AlwaysWorks, MOUNT_DEADLINE_EXCEEDED, MountOracle, MountRequest, NFS_ACCESS_DENIED,
    NFS_CONNECTION_TIMED_OUT, PROVISIONING_ACCESS_DENIED, ProvisionRequest, SimFailure,
};
pub use seed::{
    CATALOG, CATALOG_NAMESPACE, CHANNEL, ClusterSeed, DRIVER_NAMESPACE, NodeSeed, OPERATOR_CSV,
};

/// The version of [`FakeCluster::save`]'s format.
const SAVE_FORMAT: u64 = 1;

/// A simulated OpenShift cluster. Cheap to clone: clones share the world.
#[derive(Clone)]
pub struct FakeCluster {
    shared: Arc<Shared>,
}

struct Shared {
    state: Mutex<State>,
    clock: SimClock,
    /// Bumped after every change, to wake waits.
    changed: watch::Sender<u64>,
}

struct State {
    world: World,
    oracle: Arc<dyn MountOracle>,
}

impl std::fmt::Debug for FakeCluster {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("FakeCluster")
            .field("now", &self.shared.clock.now())
            .finish_non_exhaustive()
    }
}

impl FakeCluster {
    /// A cluster as `seed` describes it, on `clock`, whose AWS side always works
    /// ([`AlwaysWorks`]) and whose controllers take realistic [`Delays`].
    pub fn new(seed: ClusterSeed, clock: SimClock) -> Self {
        let mut world = World::new(seed.nodes.clone(), Delays::default(), clock.now());
        seed::seed(&mut world, &seed);
        Self::from_world(world, clock, Arc::new(AlwaysWorks))
    }

    fn from_world(world: World, clock: SimClock, oracle: Arc<dyn MountOracle>) -> Self {
        Self {
            shared: Arc::new(Shared {
                state: Mutex::new(State { world, oracle }),
                clock,
                changed: watch::Sender::new(0),
            }),
        }
    }

    /// Judges provisioning and mounting with `oracle`.
    #[must_use]
    pub fn with_oracle(self, oracle: Arc<dyn MountOracle>) -> Self {
        self.lock().oracle = oracle;
        self
    }

    /// Makes the controllers take `delays` (from now on).
    #[must_use]
    pub fn with_delays(self, delays: Delays) -> Self {
        self.lock().world.delays = delays;
        self
    }

    /// The clock the world runs on.
    pub fn clock(&self) -> SimClock {
        self.shared.clock
    }

    /// The whole world (objects, pending controller work, volumes' files, its time) as JSON,
    /// brought to the clock's time first.
    pub fn save(&self) -> K8sResult<Value> {
        self.with_world(|world, _| {
            let world = serde_json::to_value(&*world).map_err(|e| {
                K8sError::new(
                    "save",
                    format!("cannot save the simulated cluster: {e}"),
                    false,
                )
            })?;
            Ok(json!({ "format": SAVE_FORMAT, "world": world }))
        })
    }

    /// The simulated time a saved world had reached: resume its clock there
    /// (`SimClock::starting_at`) before [`load`](Self::load)ing it.
    pub fn saved_time(saved: &Value) -> Option<SimTime> {
        serde_json::from_value(saved["world"]["now"].clone()).ok()
    }

    /// A world [`save`](Self::save)d before, resumed on `clock` (which should resume at or
    /// after [`saved_time`](Self::saved_time)), judged by `oracle`.
    pub fn load(saved: Value, clock: SimClock, oracle: Arc<dyn MountOracle>) -> K8sResult<Self> {
        let unreadable = |why: String| {
            K8sError::new(
                "load",
                format!("cannot load the simulated cluster: {why}"),
                false,
            )
        };
        match saved["format"].as_u64() {
            Some(SAVE_FORMAT) => {}
            other => {
                return Err(unreadable(format!(
                    "format {other:?}, this version reads format {SAVE_FORMAT}"
                )));
            }
        }
        let world: World = serde_json::from_value(saved["world"].clone())
            .map_err(|e| unreadable(e.to_string()))?;
        Ok(Self::from_world(world, clock, oracle))
    }

    /// Everything in the cluster now, comparable.
    pub fn inventory(&self) -> Inventory {
        self.with_world(|world, _| Inventory::of(world))
    }

    /// Every object now, by group, kind, namespace and name.
    pub fn objects(&self) -> Vec<Value> {
        self.with_world(|world, _| world.store.iter().map(|(_, s)| s.object.clone()).collect())
    }

    /// A number that changes exactly when an object does, read after the controllers caught
    /// up with the clock: an observer that read the objects at the same revision need not
    /// read them again.
    pub fn revision(&self) -> u64 {
        self.with_world(|world, _| world.store.version())
    }

    /// How many calls of each kind the cluster served.
    pub fn calls(&self) -> CallCounts {
        self.lock().world.calls
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, State> {
        self.shared
            .state
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
    }

    /// Runs `f` on the world brought to the clock's time, then wakes waits if anything
    /// changed. The lock is never held across an await.
    fn with_world<R>(&self, f: impl FnOnce(&mut World, &dyn MountOracle) -> R) -> R {
        let (result, changed) = {
            let mut state = self.lock();
            let state = &mut *state;
            let before = revision(&state.world);
            let oracle = Arc::clone(&state.oracle);
            state.world.advance(self.shared.clock.now(), &*oracle);
            let result = f(&mut state.world, &*oracle);
            (result, revision(&state.world) != before)
        };
        if changed {
            self.shared.changed.send_modify(|v| *v = v.wrapping_add(1));
        }
        result
    }

    /// A write by a client: the controllers settle afterwards.
    fn write<R>(&self, f: impl FnOnce(&mut World) -> R) -> R {
        self.with_world(|world, _| {
            let result = f(world);
            world.settle();
            result
        })
    }

    /// The object, as `get` reads it.
    fn read(world: &World, object: &ObjectRef) -> Option<Value> {
        let target = Target::of(object)?;
        world.get(&target.key).map(|s| s.object.clone())
    }
}

/// What changes whenever the world does: the store's version and the timers scheduled.
fn revision(world: &World) -> (u64, Option<SimTime>) {
    (world.store.version(), world.next_due())
}

/// `Pod ns/name`.
fn pod_about(namespace: &str, pod: &str) -> String {
    format!("Pod {namespace}/{pod}")
}

#[async_trait::async_trait]
impl Cluster for FakeCluster {
    async fn apply(&self, object: &Value) -> K8sResult<Value> {
        self.write(|world| {
            world.calls.apply += 1;
            apply::apply(world, object)
        })
    }

    async fn get(&self, object: &ObjectRef) -> K8sResult<Option<Value>> {
        Ok(self.with_world(|world, _| {
            world.calls.get += 1;
            Self::read(world, object)
        }))
    }

    async fn list(
        &self,
        api_version: &str,
        kind: &str,
        namespace: Option<String>,
        label_selector: Option<String>,
    ) -> K8sResult<Vec<Value>> {
        self.with_world(|world, _| {
            world.calls.list += 1;
            let r = resource_of(api_version, kind)
                .ok_or_else(|| errors::not_served("list", api_version, kind))?;
            let ns = namespace.as_deref().filter(|_| r.namespaced);
            let ctx = CallContext::new("list", "list", r.rbac_name()).in_namespace(ns);
            let selector = Selector::parse(label_selector.as_deref().unwrap_or_default())
                .map_err(|m| errors::api(&ctx, 400, "BadRequest", m))?;
            let probe = Key::of_resource(&r, None, "");
            Ok(world
                .store
                .keys(&probe.group, &probe.kind, ns)
                .iter()
                .filter_map(|k| world.get(k))
                .filter(|s| selector.matches(&labels_of(&s.object)))
                .map(|s| s.object.clone())
                .collect())
        })
    }

    async fn delete(&self, object: &ObjectRef, _propagation: Propagation) -> K8sResult<bool> {
        self.write(|world| {
            world.calls.delete += 1;
            apply::delete(world, object)
        })
    }

    async fn wait_for(
        &self,
        object: &ObjectRef,
        condition: Condition,
        timeout: Duration,
    ) -> K8sResult<Value> {
        let deadline = tokio::time::Instant::now() + timeout;
        let mut counted = false;
        loop {
            let mut changed = self.shared.changed.subscribe();
            let (found, sleep) = self.with_world(|world, _| {
                if !counted {
                    world.calls.wait += 1;
                }
                let found = Self::read(world, object);
                let sleep = world.next_due().map(|due| due.since(world.now));
                (found, sleep)
            });
            counted = true;
            if condition.is_met(found.as_ref()) {
                return Ok(found.unwrap_or(Value::Null));
            }
            let now = tokio::time::Instant::now();
            if now >= deadline {
                let last = found.map_or(LastSeen::Absent, LastSeen::Object);
                return Err(wait::timed_out(object, condition, timeout, &last));
            }
            let wake = sleep.map_or(deadline, |d| {
                (now + d.max(Duration::from_millis(1))).min(deadline)
            });
            tokio::select! {
                () = tokio::time::sleep_until(wake) => {}
                _ = changed.changed() => {}
            }
        }
    }

    async fn pod_logs(&self, namespace: &str, pod: &str) -> K8sResult<String> {
        self.with_world(|world, _| {
            world.calls.logs += 1;
            let about = pod_about(namespace, pod);
            let reference = ObjectRef::new("v1", "Pod", Some(namespace), pod);
            let target =
                Target::of(&reference).ok_or_else(|| errors::not_served("logs", "v1", "Pod"))?;
            let Some(stored) = world.get(&target.key) else {
                let ctx = context("logs", "get", &target.resource, Some(namespace), &about);
                return Err(errors::api(
                    &ctx,
                    404,
                    "NotFound",
                    format!("pods \"{pod}\" not found"),
                ));
            };
            let Some(container) = stored.object["spec"]["containers"][0]["name"].as_str() else {
                return Err(K8sError::new("logs", "the pod has no container", false).on(&about));
            };
            if stored.sim.process.is_none() {
                let ctx = CallContext::new("logs", "get", "pods/log")
                    .in_namespace(Some(namespace))
                    .about(about);
                return Err(errors::api(
                    &ctx,
                    400,
                    "BadRequest",
                    format!(
                        "container \"{container}\" in pod \"{pod}\" is waiting to start: \
                         ContainerCreating"
                    ),
                ));
            }
            Ok(stored.sim.log.clone())
        })
    }

    async fn events(&self, namespace: &str, object_name: &str) -> K8sResult<Vec<EventSummary>> {
        self.with_world(|world, _| {
            world.calls.events += 1;
            let events: Vec<core::Event> = world
                .keys("v1", "Event", Some(namespace))
                .iter()
                .filter_map(|k| world.get(k))
                .filter(|e| e.object["involvedObject"]["name"] == object_name)
                .filter_map(|e| serde_json::from_value(e.object.clone()).ok())
                .collect();
            Ok(convert::event_summaries(events))
        })
    }

    async fn nodes(&self, label_selector: Option<String>) -> K8sResult<Vec<Node>> {
        self.with_world(|world, _| {
            world.calls.nodes += 1;
            let ctx = CallContext::new("nodes", "list", "nodes");
            let selector = Selector::parse(label_selector.as_deref().unwrap_or_default())
                .map_err(|m| errors::api(&ctx, 400, "BadRequest", m))?;
            Ok(world
                .keys("v1", "Node", None)
                .iter()
                .filter_map(|k| world.get(k))
                .filter(|s| selector.matches(&labels_of(&s.object)))
                .filter_map(|s| serde_json::from_value::<core::Node>(s.object.clone()).ok())
                .map(convert::node)
                .collect())
        })
    }

    async fn authentication(&self) -> K8sResult<Option<Authentication>> {
        self.with_world(|world, _| {
            world.calls.authentication += 1;
            let Some((_, auth)) =
                world.find("config.openshift.io/v1", "Authentication", None, "cluster")
            else {
                return Ok(None);
            };
            serde_json::from_value(auth.object.clone())
                .map(Some)
                .map_err(|e| {
                    K8sError::new(
                        "authentication",
                        format!("cannot read the object: {e}"),
                        false,
                    )
                    .on("Authentication cluster")
                })
        })
    }
}
