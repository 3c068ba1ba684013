//! The AWS EFS CSI driver operator. Once it runs, a Managed `ClusterCSIDriver/efs.csi.aws.com`
//! makes it create the driver in `openshift-cluster-csi-drivers`: the controller Deployment
//! (with the CSI provisioner), the node DaemonSet (on every node) and the `CSIDriver`, all
//! owned by the `ClusterCSIDriver`, so they go with it. The node DaemonSet rolls out; the
//! controller becomes available only when Secret `aws-efs-cloud-credentials` exists (its pods
//! mount it), otherwise it stays unavailable and the `ClusterCSIDriver` says why.

use serde_json::json;
use xefs_core::blueprint::driver;

use super::{Action, condition, new_deployment, operator_available, owner, set_deployment_status};
use crate::Condition;
use crate::fake::seed::DRIVER_NAMESPACE;
use crate::fake::store::Key;
use crate::fake::world::World;

const OPERATOR_API: &str = "operator.openshift.io/v1";

/// Installs the driver for a new `ClusterCSIDriver`, finishes a deletion the operator can now
/// finish, and rolls the controller out again once its credentials appear.
pub(super) fn react(w: &mut World) {
    let Some((key, ccd)) = w
        .find(OPERATOR_API, "ClusterCSIDriver", None, driver::NAME)
        .map(|(k, s)| (k, s.object.clone()))
    else {
        return;
    };
    if !operator_available(w) {
        return;
    }
    if !ccd["metadata"]["deletionTimestamp"].is_null() {
        // The operator removes the driver (the garbage collector takes what the
        // ClusterCSIDriver owns), then its finalizer.
        w.remove(&key);
        return;
    }
    if ccd["spec"]["managementState"] != "Managed" {
        return;
    }
    let uid = ccd["metadata"]["uid"]
        .as_str()
        .unwrap_or_default()
        .to_owned();
    let delay = w.delays.driver_rollout;
    let controller = w
        .find(
            "apps/v1",
            "Deployment",
            Some(DRIVER_NAMESPACE),
            driver::CONTROLLER,
        )
        .map(|(_, s)| s.object.clone());
    let Some(controller) = controller else {
        install(w, &key);
        w.schedule(delay, Action::RollOutDriver { uid });
        return;
    };
    let node_ready = w
        .find("apps/v1", "DaemonSet", Some(DRIVER_NAMESPACE), driver::NODE)
        .is_some_and(|(_, s)| Condition::DaemonSetReady.is_met(Some(&s.object)));
    if node_ready
        && !Condition::DeploymentAvailable.is_met(Some(&controller))
        && credentials_exist(w)
    {
        w.schedule(delay, Action::RollOutDriver { uid });
    }
}

/// Whether the Secret the controller's pods mount exists.
fn credentials_exist(w: &World) -> bool {
    w.find(
        "v1",
        "Secret",
        Some(DRIVER_NAMESPACE),
        driver::CLOUD_CREDENTIALS_SECRET,
    )
    .is_some()
}

/// The driver's objects, not yet ready.
fn install(w: &mut World, ccd: &Key) {
    let owner = owner(w, ccd, true);
    if let Some(controller) = w.create(new_deployment(
        DRIVER_NAMESPACE,
        driver::CONTROLLER,
        2,
        owner.clone(),
    )) {
        set_deployment_status(w, &controller, false, "ReplicaSet is progressing.");
    }
    let nodes = i64::try_from(w.keys("v1", "Node", None).len()).unwrap_or(i64::MAX);
    w.create(json!({
        "apiVersion": "apps/v1",
        "kind": "DaemonSet",
        "metadata": { "name": driver::NODE, "namespace": DRIVER_NAMESPACE, "ownerReferences": [owner] },
        "spec": {
            "selector": { "matchLabels": { "app": driver::NODE } },
            "template": { "metadata": { "labels": { "app": driver::NODE } } }
        },
        "status": {
            "desiredNumberScheduled": nodes,
            "currentNumberScheduled": nodes,
            "numberReady": 0,
            "updatedNumberScheduled": 0,
            "numberAvailable": 0,
            "numberUnavailable": nodes,
        }
    }));
    w.create(json!({
        "apiVersion": "storage.k8s.io/v1",
        "kind": "CSIDriver",
        "metadata": { "name": driver::NAME, "ownerReferences": [owner] },
        "spec": { "attachRequired": false, "podInfoOnMount": false, "volumeLifecycleModes": ["Persistent"] }
    }));
    for sa in [driver::CONTROLLER_SA, "aws-efs-csi-driver-node-sa"] {
        w.create(json!({
            "apiVersion": "v1",
            "kind": "ServiceAccount",
            "metadata": { "name": sa, "namespace": DRIVER_NAMESPACE, "ownerReferences": [owner] },
        }));
    }
    let conditions = json!([
        condition(
            w,
            "AWSEFSDriverControllerServiceControllerAvailable",
            false,
            "Deploying",
            "Waiting for Deployment to deploy pods"
        ),
        condition(
            w,
            "AWSEFSDriverNodeServiceControllerAvailable",
            false,
            "Deploying",
            "Waiting for the DaemonSet to deploy the CSI Node Service"
        ),
        condition(
            w,
            "AWSEFSDriverControllerServiceControllerProgressing",
            true,
            "Deploying",
            "Waiting for Deployment to deploy pods"
        ),
    ]);
    w.modify(ccd, |c| c["status"]["conditions"] = conditions);
}

/// The node DaemonSet is ready on every node; the controller is available if its
/// credentials exist.
pub(super) fn roll_out(w: &mut World, ccd: &Key) {
    if let Some((ds, _)) = w.find("apps/v1", "DaemonSet", Some(DRIVER_NAMESPACE), driver::NODE) {
        w.modify(&ds, |d| {
            let n = d["status"]["desiredNumberScheduled"].clone();
            d["status"]["numberReady"] = n.clone();
            d["status"]["updatedNumberScheduled"] = n.clone();
            d["status"]["numberAvailable"] = n;
            d["status"]["numberUnavailable"] = json!(0);
            d["status"]["observedGeneration"] = d["metadata"]["generation"].clone();
        });
    }
    let Some((controller, _)) = w.find(
        "apps/v1",
        "Deployment",
        Some(DRIVER_NAMESPACE),
        driver::CONTROLLER,
    ) else {
        return;
    };
    let credentials = credentials_exist(w);
    set_deployment_status(
        w,
        &controller,
        credentials,
        &format!("ReplicaSet \"{}\" is progressing.", driver::CONTROLLER),
    );
    let conditions = if credentials {
        json!([
            condition(
                w,
                "AWSEFSDriverControllerServiceControllerAvailable",
                true,
                "AsExpected",
                "Deployment is available"
            ),
            condition(
                w,
                "AWSEFSDriverNodeServiceControllerAvailable",
                true,
                "AsExpected",
                "DaemonSet is available"
            ),
            condition(
                w,
                "AWSEFSDriverControllerServiceControllerProgressing",
                false,
                "AsExpected",
                "Deployment is not progressing"
            ),
            condition(
                w,
                "AWSEFSDriverControllerServiceControllerDegraded",
                false,
                "AsExpected",
                ""
            ),
        ])
    } else {
        let stuck = format!(
            "Deployment {name} does not have minimum availability: its pods are stuck in \
             ContainerCreating: MountVolume.SetUp failed for volume \"aws-credentials\" : secret \
             \"{secret}\" not found",
            name = driver::CONTROLLER,
            secret = driver::CLOUD_CREDENTIALS_SECRET
        );
        json!([
            condition(
                w,
                "AWSEFSDriverControllerServiceControllerAvailable",
                false,
                "Deploying",
                "Waiting for Deployment to deploy pods"
            ),
            condition(
                w,
                "AWSEFSDriverNodeServiceControllerAvailable",
                true,
                "AsExpected",
                "DaemonSet is available"
            ),
            condition(
                w,
                "AWSEFSDriverControllerServiceControllerDegraded",
                true,
                "MinimumReplicasUnavailable",
                &stuck
            ),
        ])
    };
    w.modify(ccd, |c| c["status"]["conditions"] = conditions);
}
