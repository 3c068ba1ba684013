//! The simulated controllers, each a function of the world's state and time:
//!
//! * [`olm`]: Subscription → InstallPlan (waiting for approval when Manual) → CSV → operator
//!   Deployment available.
//! * [`operator`]: the EFS CSI driver operator: `ClusterCSIDriver` → controller Deployment and
//!   node DaemonSet, the controller available only with the cloud-credentials Secret.
//! * [`provisioner`]: the CSI external-provisioner and the PersistentVolume controller: a claim
//!   of an EFS StorageClass bound to a new volume if the [`MountOracle`] agrees.
//! * [`scheduler`]: pods placed on a node once their claims are bound, honouring taints,
//!   node selectors and (anti-)affinity.
//! * [`kubelet`]: their volumes mounted if the oracle agrees, their container's script run
//!   against the volume's files.
//! * [`gc`]: the garbage collector and the namespace controller.
//!
//! `react` runs after every change and schedules what follows as [`Action`]s; `execute` runs
//! an action when it falls due. Actions name their object by uid, so one scheduled for an
//! object deleted (or deleted and created again) meanwhile does nothing.

mod gc;
mod kubelet;
mod olm;
mod operator;
mod provisioner;
mod scheduler;

use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use xefs_core::blueprint::driver;

use super::oracle::MountOracle;
use super::seed::DRIVER_NAMESPACE;
use super::store::{Key, timestamp};
use super::world::World;
use crate::Condition;

/// Something a controller does later.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "action", rename_all = "snake_case")]
pub(super) enum Action {
    /// OLM resolves a Subscription into an InstallPlan.
    ResolveSubscription { uid: String },
    /// OLM executes an approved InstallPlan.
    ExecuteInstallPlan { uid: String },
    /// The operator Deployment of a CSV becomes available.
    RollOutOperator { uid: String },
    /// The driver's workloads of a `ClusterCSIDriver` become ready.
    RollOutDriver { uid: String },
    /// The CSI provisioner tries to provision a claim.
    Provision { uid: String },
    /// The PersistentVolume controller looks at a claim again (its class was missing).
    RecheckClaim { uid: String },
    /// The scheduler tries an unschedulable pod again.
    RetrySchedule { uid: String },
    /// The kubelet mounts a pod's volumes and starts it.
    Mount { uid: String },
    /// A pod's container wakes up from a `sleep`.
    Run { uid: String },
    /// The namespace controller finishes deleting a namespace.
    FinishNamespaceDeletion { uid: String },
}

impl Action {
    /// The uid of the object the action is about.
    fn uid(&self) -> &str {
        match self {
            Action::ResolveSubscription { uid }
            | Action::ExecuteInstallPlan { uid }
            | Action::RollOutOperator { uid }
            | Action::RollOutDriver { uid }
            | Action::Provision { uid }
            | Action::RecheckClaim { uid }
            | Action::RetrySchedule { uid }
            | Action::Mount { uid }
            | Action::Run { uid }
            | Action::FinishNamespaceDeletion { uid } => uid,
        }
    }

    /// Whether the action is about the object with this uid.
    pub fn concerns(&self, uid: &str) -> bool {
        self.uid() == uid
    }
}

/// Every controller reacts to the current state.
pub(super) fn react(w: &mut World) {
    gc::react(w);
    olm::react(w);
    operator::react(w);
    provisioner::react(w);
    scheduler::react(w);
    kubelet::react(w);
}

/// Runs a due action.
pub(super) fn execute(w: &mut World, action: &Action, oracle: &dyn MountOracle) {
    let Some(key) = key_of_uid(w, action.uid()) else {
        return;
    };
    match action {
        Action::ResolveSubscription { .. } => olm::resolve(w, &key),
        Action::ExecuteInstallPlan { .. } => olm::execute_plan(w, &key),
        Action::RollOutOperator { .. } => olm::roll_out(w, &key),
        Action::RollOutDriver { .. } => operator::roll_out(w, &key),
        Action::Provision { .. } => provisioner::provision(w, &key, oracle),
        Action::RecheckClaim { .. } | Action::RetrySchedule { .. } => {}
        Action::Mount { .. } => kubelet::mount(w, &key, oracle),
        Action::Run { .. } => kubelet::run(w, &key),
        Action::FinishNamespaceDeletion { .. } => gc::finish_namespace(w, &key),
    }
}

/// The key of the object with this uid.
fn key_of_uid(w: &World, uid: &str) -> Option<Key> {
    w.store
        .iter()
        .find(|(_, s)| s.uid() == uid)
        .map(|(k, _)| k.clone())
}

/// A pod waiting to run.
struct PendingPod {
    key: Key,
    uid: String,
    object: Value,
    /// Failed scheduling or mount attempts so far.
    attempts: u32,
}

/// The `Pending` pods not being deleted, oldest first (the scheduling queue is first come,
/// first served; uids grow with creation).
fn pending_pods(w: &World) -> Vec<PendingPod> {
    let mut pods: Vec<PendingPod> = w
        .keys("v1", "Pod", None)
        .into_iter()
        .filter_map(|key| {
            let stored = w.get(&key)?;
            let object = &stored.object;
            let pending = object["status"]["phase"] == "Pending"
                && object["metadata"]["deletionTimestamp"].is_null();
            pending.then(|| PendingPod {
                uid: stored.uid().to_owned(),
                object: object.clone(),
                attempts: stored.sim.attempts,
                key,
            })
        })
        .collect();
    pods.sort_by(|a, b| a.uid.cmp(&b.uid));
    pods
}

/// Whether the Deployment `namespace/name` is available.
fn deployment_available(w: &World, namespace: &str, name: &str) -> bool {
    let found = w.find("apps/v1", "Deployment", Some(namespace), name);
    Condition::DeploymentAvailable.is_met(found.map(|(_, s)| &s.object))
}

/// Whether the EFS CSI driver operator runs (its Deployment is available, in any namespace).
pub(super) fn operator_available(w: &World) -> bool {
    w.keys("apps/v1", "Deployment", None)
        .iter()
        .filter(|k| k.name == driver::OPERATOR)
        .any(|k| Condition::DeploymentAvailable.is_met(w.get(k).map(|s| &s.object)))
}

/// Whether the driver's controller (with the CSI provisioner in it) runs.
fn controller_available(w: &World) -> bool {
    deployment_available(w, DRIVER_NAMESPACE, driver::CONTROLLER)
}

/// Whether the driver's node plugin is registered with the kubelets (its DaemonSet has ready
/// pods).
fn node_plugin_ready(w: &World) -> bool {
    w.find("apps/v1", "DaemonSet", Some(DRIVER_NAMESPACE), driver::NODE)
        .is_some_and(|(_, s)| s.object["status"]["numberReady"].as_i64().unwrap_or(0) > 0)
}

/// A status condition as controllers write them.
fn condition(w: &World, kind: &str, status: bool, reason: &str, message: &str) -> Value {
    json!({
        "type": kind,
        "status": if status { "True" } else { "False" },
        "reason": reason,
        "message": message,
        "lastTransitionTime": timestamp(w.now),
    })
}

/// An owner reference to the object at `key`.
fn owner(w: &World, key: &Key, controller: bool) -> Value {
    let object = w.get(key).map(|s| s.object.clone()).unwrap_or_default();
    json!({
        "apiVersion": object["apiVersion"],
        "kind": object["kind"],
        "name": key.name,
        "uid": object["metadata"]["uid"],
        "controller": controller,
        "blockOwnerDeletion": controller,
    })
}

/// A Deployment of `replicas` owned by `owner`, not yet available.
fn new_deployment(namespace: &str, name: &str, replicas: i64, owner: Value) -> Value {
    json!({
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": { "name": name, "namespace": namespace, "ownerReferences": [owner] },
        "spec": {
            "replicas": replicas,
            "selector": { "matchLabels": { "app": name } },
            "template": { "metadata": { "labels": { "app": name } } }
        }
    })
}

/// Sets a Deployment's status: all replicas available, or none (with the reason a stuck
/// rollout shows).
fn set_deployment_status(w: &mut World, key: &Key, available: bool, progress: &str) {
    let replicas = w
        .get(key)
        .and_then(|s| s.object["spec"]["replicas"].as_i64())
        .unwrap_or(1);
    let ready = if available { replicas } else { 0 };
    let conditions = if available {
        json!([
            condition(
                w,
                "Available",
                true,
                "MinimumReplicasAvailable",
                "Deployment has minimum availability."
            ),
            condition(
                w,
                "Progressing",
                true,
                "NewReplicaSetAvailable",
                &format!("ReplicaSet \"{}\" has successfully progressed.", key.name)
            ),
        ])
    } else {
        json!([
            condition(
                w,
                "Available",
                false,
                "MinimumReplicasUnavailable",
                "Deployment does not have minimum availability."
            ),
            condition(w, "Progressing", true, "ReplicaSetUpdated", progress),
        ])
    };
    w.modify(key, |d| {
        d["status"] = json!({
            "observedGeneration": d["metadata"]["generation"],
            "replicas": replicas,
            "updatedReplicas": replicas,
            "readyReplicas": ready,
            "availableReplicas": ready,
            "unavailableReplicas": replicas - ready,
            "conditions": conditions,
        });
    });
}

/// The exponential backoff after `failures` failures: `first`, doubling, at most `max`.
fn backoff(failures: u32, first_millis: u64, max_millis: u64) -> std::time::Duration {
    let factor = 1_u64 << failures.saturating_sub(1).min(20);
    std::time::Duration::from_millis(first_millis.saturating_mul(factor).min(max_millis))
}
