//! Dynamic provisioning: the PersistentVolume controller hands a pending claim to the external
//! provisioner its StorageClass names; the EFS CSI driver's provisioner (in the controller
//! Deployment, so only while that runs) reads the provisioner secret the class names — which
//! its service account must be allowed to `get` — and asks the [`MountOracle`] whether the
//! access point can be created. Success binds the claim to a new volume `pvc-<claim uid>`;
//! failure leaves it `Pending` with a `ProvisioningFailed` event and retries with the
//! external-provisioner's backoff (1 s, doubling, at most 5 min). A volume whose claim is gone
//! is deleted (reclaim policy `Delete`) or released (`Retain`).

use std::collections::BTreeMap;
use std::time::Duration;

use serde_json::{Value, json};
use xefs_core::blueprint::driver;

use super::{Action, backoff, controller_available};
use crate::fake::oracle::{MountOracle, ProvisionRequest};
use crate::fake::seed::DRIVER_NAMESPACE;
use crate::fake::store::Key;
use crate::fake::world::World;

/// How often the PersistentVolume controller looks at a claim again (its resync period).
const PV_CONTROLLER_RESYNC: Duration = Duration::from_secs(15);
/// The external-provisioner's first retry after a failure.
const RETRY_FIRST_MILLIS: u64 = 1_000;
/// Its longest pause between retries.
const RETRY_MAX_MILLIS: u64 = 300_000;

/// The annotations that hand a claim to its provisioner.
const PROVISIONER_ANNOTATIONS: [&str; 2] = [
    "volume.beta.kubernetes.io/storage-provisioner",
    "volume.kubernetes.io/storage-provisioner",
];

/// Hands pending claims to provisioners, schedules provisioning attempts, and reclaims volumes
/// whose claims are gone.
pub(super) fn react(w: &mut World) {
    for key in w.keys("v1", "PersistentVolumeClaim", None) {
        pending_claim(w, &key);
    }
    for key in w.keys("v1", "PersistentVolume", None) {
        reclaim(w, &key);
    }
}

fn pending_claim(w: &mut World, key: &Key) {
    let Some(stored) = w.get(key) else { return };
    let claim = stored.object.clone();
    let attempts = stored.sim.attempts;
    if claim["status"]["phase"] != "Pending"
        || !claim["spec"]["volumeName"].is_null()
        || !claim["metadata"]["deletionTimestamp"].is_null()
    {
        return;
    }
    let uid = stored.uid().to_owned();
    let Some(class_name) = class_of(w, &claim) else {
        return;
    };
    let Some((_, class)) = w.find("storage.k8s.io/v1", "StorageClass", None, &class_name) else {
        let recheck = Action::RecheckClaim { uid };
        if !w.is_pending(&recheck) {
            w.event(
                key,
                false,
                "ProvisioningFailed",
                &format!("storageclass.storage.k8s.io \"{class_name}\" not found"),
                "persistentvolume-controller",
            );
            w.schedule(PV_CONTROLLER_RESYNC, recheck);
        }
        return;
    };
    let provisioner = class.object["provisioner"]
        .as_str()
        .unwrap_or_default()
        .to_owned();
    if claim["metadata"]["annotations"][PROVISIONER_ANNOTATIONS[1]] != provisioner.as_str() {
        w.modify(key, |c| {
            for a in PROVISIONER_ANNOTATIONS {
                c["metadata"]["annotations"][a] = json!(provisioner);
            }
        });
        w.event(
            key,
            true,
            "ExternalProvisioning",
            &format!(
                "Waiting for a volume to be created either by the external provisioner \
                 '{provisioner}' or manually by the system administrator. If volume creation \
                 is delayed, please verify that the provisioner is running and correctly \
                 registered."
            ),
            "persistentvolume-controller",
        );
    }
    if provisioner != driver::NAME || !controller_available(w) {
        return;
    }
    let delay = if attempts == 0 {
        w.delays.provision
    } else {
        backoff(attempts, RETRY_FIRST_MILLIS, RETRY_MAX_MILLIS)
    };
    w.schedule(delay, Action::Provision { uid });
}

/// The claim's StorageClass: its own, or the cluster's default class.
fn class_of(w: &World, claim: &Value) -> Option<String> {
    if let Some(name) = claim["spec"]["storageClassName"].as_str() {
        return Some(name.to_owned());
    }
    w.keys("storage.k8s.io/v1", "StorageClass", None)
        .into_iter()
        .find(|k| {
            w.get(k).is_some_and(|s| {
                s.object["metadata"]["annotations"]["storageclass.kubernetes.io/is-default-class"]
                    == "true"
            })
        })
        .map(|k| k.name)
}

/// One provisioning attempt.
pub(super) fn provision(w: &mut World, key: &Key, oracle: &dyn MountOracle) {
    let Some(claim) = w.get(key).map(|s| s.object.clone()) else {
        return;
    };
    if claim["status"]["phase"] != "Pending" || !controller_available(w) {
        return;
    }
    let Some(class_name) = class_of(w, &claim) else {
        return;
    };
    let Some(class) = w
        .find("storage.k8s.io/v1", "StorageClass", None, &class_name)
        .map(|(_, s)| s.object.clone())
    else {
        return;
    };
    w.event(
        key,
        true,
        "Provisioning",
        &format!(
            "External provisioner is provisioning volume for claim \"{}/{}\"",
            key.namespace.as_deref().unwrap_or_default(),
            key.name
        ),
        &format!("{}_{}", driver::NAME, driver::CONTROLLER),
    );
    let volume = format!(
        "pvc-{}",
        claim["metadata"]["uid"].as_str().unwrap_or_default()
    );
    let outcome = request(w, key, &class_name, &class, &volume).and_then(|request| {
        oracle
            .provision(&request)
            .map(|()| request)
            .map_err(|f| f.message)
    });
    match outcome {
        Ok(request) => bind(w, key, &claim, &class, &request),
        Err(message) => {
            if let Some(sim) = w.store.sim_mut(key) {
                sim.attempts += 1;
            }
            w.event(
                key,
                false,
                "ProvisioningFailed",
                &format!(
                    "failed to provision volume with StorageClass \"{class_name}\": {message}"
                ),
                &format!("{}_{}", driver::NAME, driver::CONTROLLER),
            );
        }
    }
}

/// What the provisioner asks the driver, or the error it meets first (a bad parameter, a
/// provisioner secret it cannot read).
fn request(
    w: &World,
    claim: &Key,
    class_name: &str,
    class: &Value,
    volume: &str,
) -> Result<ProvisionRequest, String> {
    let parameters: BTreeMap<String, String> = class["parameters"]
        .as_object()
        .map(|m| {
            m.iter()
                .map(|(k, v)| (k.clone(), v.as_str().unwrap_or_default().to_owned()))
                .collect()
        })
        .unwrap_or_default();
    let mode = parameters.get("provisioningMode").map(String::as_str);
    if mode != Some("efs-ap") {
        return Err(format!(
            "rpc error: code = InvalidArgument desc = Provisioning mode {} is not supported. \
             Only Access point provisioning: 'efs-ap' is supported",
            mode.unwrap_or_default()
        ));
    }
    if !parameters.contains_key("fileSystemId") {
        return Err(
            "rpc error: code = InvalidArgument desc = Missing \"fileSystemId\" parameter".into(),
        );
    }
    let secret_name = parameters.get("csi.storage.k8s.io/provisioner-secret-name");
    let secret_ns = parameters.get("csi.storage.k8s.io/provisioner-secret-namespace");
    let cross_account_role_arn = match (secret_name, secret_ns) {
        (Some(name), Some(ns)) => Some(read_secret_key(w, ns, name, "awsRoleArn")?),
        _ => None,
    }
    .flatten();
    let credentials_role_arn = w
        .find(
            "v1",
            "Secret",
            Some(DRIVER_NAMESPACE),
            driver::CLOUD_CREDENTIALS_SECRET,
        )
        .and_then(|(_, s)| decoded(&s.object, "credentials"))
        .and_then(|text| {
            text.lines().find_map(|l| {
                let (k, v) = l.split_once('=')?;
                (k.trim() == "role_arn").then(|| v.trim().to_owned())
            })
        });
    Ok(ProvisionRequest {
        storage_class: class_name.to_owned(),
        provisioner: driver::NAME.to_owned(),
        parameters,
        mount_options: strings(&class["mountOptions"]),
        claim_namespace: claim.namespace.clone().unwrap_or_default(),
        claim_name: claim.name.clone(),
        volume_name: volume.to_owned(),
        cross_account_role_arn,
        credentials_role_arn,
    })
}

/// A key of the provisioner secret, as the provisioner's service account reads it (it needs
/// `get` on that Secret through a Role bound to it).
fn read_secret_key(w: &World, ns: &str, name: &str, field: &str) -> Result<Option<String>, String> {
    let Some((_, secret)) = w.find("v1", "Secret", Some(ns), name) else {
        return Err(format!(
            "error getting secret {name} in namespace {ns}: secrets \"{name}\" not found"
        ));
    };
    if !may_get_secret(w, ns, name) {
        return Err(format!(
            "error getting secret {name} in namespace {ns}: secrets \"{name}\" is forbidden: \
             User \"system:serviceaccount:{DRIVER_NAMESPACE}:{sa}\" cannot get resource \
             \"secrets\" in API group \"\" in the namespace \"{ns}\"",
            sa = driver::CONTROLLER_SA
        ));
    }
    Ok(decoded(&secret.object, field))
}

/// Whether a RoleBinding in `ns` grants the controller's service account `get` on Secret
/// `name` through its Role.
fn may_get_secret(w: &World, ns: &str, name: &str) -> bool {
    let rbac = "rbac.authorization.k8s.io/v1";
    w.keys(rbac, "RoleBinding", Some(ns)).iter().any(|b| {
        let Some(binding) = w.get(b).map(|s| &s.object) else {
            return false;
        };
        let bound = binding["subjects"].as_array().is_some_and(|subjects| {
            subjects.iter().any(|s| {
                s["kind"] == "ServiceAccount"
                    && s["name"] == driver::CONTROLLER_SA
                    && s["namespace"] == DRIVER_NAMESPACE
            })
        });
        let role_name = binding["roleRef"]["name"].as_str().unwrap_or_default();
        let role = (binding["roleRef"]["kind"] == "Role")
            .then(|| w.find(rbac, "Role", Some(ns), role_name))
            .flatten();
        bound
            && role.is_some_and(|(_, role)| {
                role.object["rules"].as_array().is_some_and(|rules| {
                    rules.iter().any(|r| {
                        let has = |field: &str, want: &str| {
                            r[field]
                                .as_array()
                                .is_some_and(|a| a.iter().any(|v| v == want || v == "*"))
                        };
                        let named = r["resourceNames"]
                            .as_array()
                            .is_none_or(|a| a.is_empty() || a.iter().any(|v| v == name));
                        has("apiGroups", "")
                            && has("resources", "secrets")
                            && has("verbs", "get")
                            && named
                    })
                })
            })
    })
}

/// A Secret's `data` key, decoded.
fn decoded(secret: &Value, field: &str) -> Option<String> {
    let bytes: k8s_openapi::ByteString =
        serde_json::from_value(secret["data"][field].clone()).ok()?;
    String::from_utf8(bytes.0).ok()
}

fn strings(v: &Value) -> Vec<String> {
    v.as_array()
        .map(|a| {
            a.iter()
                .filter_map(|s| s.as_str().map(str::to_owned))
                .collect()
        })
        .unwrap_or_default()
}

/// Creates the volume and binds the claim to it.
fn bind(w: &mut World, key: &Key, claim: &Value, class: &Value, request: &ProvisionRequest) {
    let access_point = format!("fsap-0{:016x}", w.store.next_suffix());
    let capacity = claim["spec"]["resources"]["requests"]["storage"].clone();
    let access_modes = claim["spec"]["accessModes"].clone();
    let namespace = key.namespace.clone().unwrap_or_default();
    let mut spec = json!({
        "accessModes": access_modes,
        "capacity": { "storage": capacity },
        "claimRef": {
            "apiVersion": "v1",
            "kind": "PersistentVolumeClaim",
            "name": key.name,
            "namespace": namespace,
            "uid": claim["metadata"]["uid"],
            "resourceVersion": claim["metadata"]["resourceVersion"],
        },
        "csi": {
            "driver": driver::NAME,
            "volumeHandle": format!("{}::{access_point}", request.file_system_id().unwrap_or_default()),
            "volumeAttributes": { "storage.kubernetes.io/csiProvisionerIdentity": "1767225600000-8081-efs.csi.aws.com" }
        },
        "persistentVolumeReclaimPolicy": class["reclaimPolicy"].as_str().unwrap_or("Delete"),
        "storageClassName": request.storage_class,
        "volumeMode": "Filesystem",
    });
    if !request.mount_options.is_empty() {
        spec["mountOptions"] = json!(request.mount_options);
    }
    w.create(json!({
        "apiVersion": "v1",
        "kind": "PersistentVolume",
        "metadata": {
            "name": request.volume_name,
            "annotations": { "pv.kubernetes.io/provisioned-by": driver::NAME },
        },
        "spec": spec,
        "status": { "phase": "Bound" }
    }));
    w.volumes
        .insert(request.volume_name.clone(), BTreeMap::new());
    let volume = request.volume_name.clone();
    w.modify(key, |c| {
        c["spec"]["volumeName"] = json!(volume);
        c["metadata"]["annotations"]["pv.kubernetes.io/bind-completed"] = json!("yes");
        c["metadata"]["annotations"]["pv.kubernetes.io/bound-by-controller"] = json!("yes");
        c["status"] = json!({ "phase": "Bound", "accessModes": access_modes, "capacity": { "storage": capacity } });
    });
    if let Some(sim) = w.store.sim_mut(key) {
        sim.attempts = 0;
    }
    w.event(
        key,
        true,
        "ProvisioningSucceeded",
        &format!("Successfully provisioned volume {}", request.volume_name),
        &format!("{}_{}", driver::NAME, driver::CONTROLLER),
    );
}

/// A bound volume whose claim is gone: deleted (the provisioner deletes the access point) or
/// released.
fn reclaim(w: &mut World, key: &Key) {
    let Some(pv) = w.get(key).map(|s| s.object.clone()) else {
        return;
    };
    let claim_ref = &pv["spec"]["claimRef"];
    if claim_ref.is_null() || pv["status"]["phase"] == "Released" {
        return;
    }
    let claim = w.find(
        "v1",
        "PersistentVolumeClaim",
        claim_ref["namespace"].as_str(),
        claim_ref["name"].as_str().unwrap_or_default(),
    );
    if claim.is_some_and(|(_, c)| c.object["metadata"]["uid"] == claim_ref["uid"]) {
        return;
    }
    if pv["spec"]["persistentVolumeReclaimPolicy"] == "Retain" {
        w.modify(key, |p| p["status"]["phase"] = json!("Released"));
    } else {
        w.remove(key);
    }
}
