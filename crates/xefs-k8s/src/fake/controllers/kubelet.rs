//! The kubelets: a scheduled pod's volumes are mounted — an EFS volume only if the driver's
//! node plugin is registered and the [`MountOracle`] agrees, else `FailedMount` and retries
//! with the kubelet's backoff (0.5 s, doubling, at most 2 min 2 s) — then its container starts
//! and its `sh -c` script runs against the volume's files.

use std::collections::BTreeMap;
use std::time::Duration;

use serde_json::{Value, json};
use xefs_core::blueprint::driver;

use super::scheduler::claim_names;
use super::{Action, backoff, condition, node_plugin_ready, pending_pods};
use crate::fake::oracle::{MountOracle, MountRequest};
use crate::fake::shell::{self, Outcome, Process};
use crate::fake::store::{Key, timestamp};
use crate::fake::world::{Files, World};

/// The kubelet's backoff for a failed mount.
const MOUNT_FIRST_MILLIS: u64 = 500;
const MOUNT_MAX_MILLIS: u64 = 122_000;

/// Schedules the mount of every scheduled pod that has not started.
pub(super) fn react(w: &mut World) {
    for pod in pending_pods(w) {
        if pod.object["spec"]["nodeName"].is_null() {
            continue;
        }
        let delay = if pod.attempts == 0 {
            w.delays.pod_start
        } else {
            backoff(pod.attempts, MOUNT_FIRST_MILLIS, MOUNT_MAX_MILLIS)
        };
        w.schedule(delay, Action::Mount { uid: pod.uid });
    }
}

/// The kubelet mounts the pod's volumes and, if they all mount, starts its container.
pub(super) fn mount(w: &mut World, key: &Key, oracle: &dyn MountOracle) {
    let Some(pod) = w.get(key).map(|s| s.object.clone()) else {
        return;
    };
    let Some(node) = pod["spec"]["nodeName"].as_str().map(str::to_owned) else {
        return;
    };
    if pod["status"]["phase"] != "Pending" {
        return;
    }
    let host = format!("kubelet@{node}");
    match mount_volumes(w, key, &pod, &node, oracle) {
        Ok(()) => start(w, key, &pod, &host),
        Err(message) => {
            if let Some(sim) = w.store.sim_mut(key) {
                sim.attempts += 1;
            }
            let waiting = container_statuses(
                &pod,
                json!({ "waiting": { "reason": "ContainerCreating" } }),
                false,
            );
            let host_ip = node_ip(w, &node);
            w.modify(key, |p| {
                p["status"]["containerStatuses"] = waiting;
                p["status"]["hostIP"] = json!(host_ip);
            });
            w.event(key, false, "FailedMount", &message, &host);
        }
    }
}

/// Mounts every claim's volume, or says why one does not mount.
fn mount_volumes(
    w: &World,
    key: &Key,
    pod: &Value,
    node: &str,
    oracle: &dyn MountOracle,
) -> Result<(), String> {
    let Some(seed) = w.nodes.iter().find(|n| n.name == node).cloned() else {
        return Ok(());
    };
    for claim in claim_names(pod) {
        let Some((_, claim)) = w.find(
            "v1",
            "PersistentVolumeClaim",
            key.namespace.as_deref(),
            &claim,
        ) else {
            return Err(format!("persistentvolumeclaim \"{claim}\" not found"));
        };
        let volume = claim.object["spec"]["volumeName"]
            .as_str()
            .unwrap_or_default();
        let Some((_, pv)) = w.find("v1", "PersistentVolume", None, volume) else {
            return Err(format!("persistentvolume \"{volume}\" not found"));
        };
        let csi = &pv.object["spec"]["csi"];
        if csi["driver"] != driver::NAME {
            continue;
        }
        let set_up_failed =
            |message: &str| format!("MountVolume.SetUp failed for volume \"{volume}\" : {message}");
        if !node_plugin_ready(w) {
            return Err(set_up_failed(&format!(
                "kubernetes.io/csi: mounter.SetUpAt failed to get CSI client: driver name {} \
                 not found in the list of registered CSI drivers",
                driver::NAME
            )));
        }
        let handle = csi["volumeHandle"].as_str().unwrap_or_default().to_owned();
        let mut parts = handle.split(':');
        let file_system_id = parts.next().unwrap_or_default().to_owned();
        let access_point_id = parts.nth(1).filter(|a| !a.is_empty()).map(str::to_owned);
        let uid = pod["metadata"]["uid"].as_str().unwrap_or_default();
        let request = MountRequest {
            node: seed.clone(),
            pod_namespace: key.namespace.clone().unwrap_or_default(),
            pod_name: key.name.clone(),
            volume_name: volume.to_owned(),
            volume_handle: handle,
            file_system_id,
            access_point_id,
            mount_options: pv.object["spec"]["mountOptions"]
                .as_array()
                .map(|a| {
                    a.iter()
                        .filter_map(|o| o.as_str().map(str::to_owned))
                        .collect()
                })
                .unwrap_or_default(),
            target_path: format!(
                "/var/lib/kubelet/pods/{uid}/volumes/kubernetes.io~csi/{volume}/mount"
            ),
        };
        oracle
            .mount(&request)
            .map_err(|f| set_up_failed(&f.message))?;
    }
    Ok(())
}

/// `status.containerStatuses` of the pod's containers in `state`.
fn container_statuses(pod: &Value, state: Value, ready: bool) -> Value {
    let containers = pod["spec"]["containers"]
        .as_array()
        .cloned()
        .unwrap_or_default();
    Value::Array(
        containers
            .iter()
            .map(|c| {
                json!({
                    "name": c["name"],
                    "image": c["image"],
                    "imageID": "",
                    "ready": ready,
                    "started": ready,
                    "restartCount": 0,
                    "state": state,
                })
            })
            .collect(),
    )
}

/// Starts the pod: image pulled, container running, its script started.
fn start(w: &mut World, key: &Key, pod: &Value, host: &str) {
    let image = pod["spec"]["containers"][0]["image"]
        .as_str()
        .unwrap_or_default()
        .to_owned();
    let container = pod["spec"]["containers"][0]["name"]
        .as_str()
        .unwrap_or_default()
        .to_owned();
    w.event(
        key,
        true,
        "Pulling",
        &format!("Pulling image \"{image}\""),
        host,
    );
    w.event(key, true, "Pulled", &format!("Successfully pulled image \"{image}\" in 1.2s (1.2s including waiting). Image size: 39213518 bytes."), host);
    w.event(
        key,
        true,
        "Created",
        &format!("Created container {container}"),
        host,
    );
    w.event(
        key,
        true,
        "Started",
        &format!("Started container {container}"),
        host,
    );
    let now = timestamp(w.now);
    let ip_suffix = w.store.next_suffix();
    let host_ip = node_ip(w, pod["spec"]["nodeName"].as_str().unwrap_or_default());
    let running = container_statuses(pod, json!({ "running": { "startedAt": now } }), true);
    let conditions = json!([
        condition(w, "Initialized", true, "", ""),
        condition(w, "Ready", true, "", ""),
        condition(w, "ContainersReady", true, "", ""),
        condition(w, "PodScheduled", true, "", ""),
    ]);
    w.modify(key, |p| {
        let status = &mut p["status"];
        status["phase"] = json!("Running");
        status["startTime"] = json!(now);
        status["hostIP"] = json!(host_ip);
        status["podIP"] = json!(format!(
            "10.128.{}.{}",
            ip_suffix / 250 % 250,
            2 + ip_suffix % 250
        ));
        status["conditions"] = conditions;
        status["containerStatuses"] = running;
    });
    let container = &pod["spec"]["containers"][0];
    let process = Process::of_container(
        &strings(&container["command"]),
        &strings(&container["args"]),
    );
    if let Some(sim) = w.store.sim_mut(key) {
        sim.attempts = 0;
        sim.process = Some(process);
    }
    run(w, key);
}

/// A node's `InternalIP`.
fn node_ip(w: &World, node: &str) -> String {
    w.find("v1", "Node", None, node)
        .and_then(|(_, n)| {
            n.object["status"]["addresses"]
                .as_array()?
                .iter()
                .find(|a| a["type"] == "InternalIP")?["address"]
                .as_str()
                .map(str::to_owned)
        })
        .unwrap_or_default()
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

/// Runs the pod's process until it sleeps or exits.
pub(super) fn run(w: &mut World, key: &Key) {
    let Some(stored) = w.get(key) else { return };
    let pod = stored.object.clone();
    let uid = stored.uid().to_owned();
    let mut sim = stored.sim.clone();
    let Some(mut process) = sim.process.take() else {
        return;
    };
    let mounts = volume_mounts(w, key, &pod);
    let outcome = {
        let mut files = PodFiles {
            mounts,
            volumes: &mut w.volumes,
            local: &mut sim.local_files,
        };
        process.run(&mut files, &mut sim.log)
    };
    sim.process = Some(process);
    if let Some(s) = w.store.sim_mut(key) {
        *s = sim;
    }
    match outcome {
        Outcome::Sleeps(Some(d)) => {
            w.schedule(d.max(Duration::from_millis(1)), Action::Run { uid })
        }
        Outcome::Sleeps(None) => {}
        Outcome::Exited(code) => {
            let now = timestamp(w.now);
            let reason = if code == 0 { "Completed" } else { "Error" };
            let terminated = container_statuses(
                &pod,
                json!({ "terminated": { "exitCode": code, "reason": reason, "finishedAt": now } }),
                false,
            );
            w.modify(key, |p| {
                p["status"]["phase"] = json!(if code == 0 { "Succeeded" } else { "Failed" });
                p["status"]["containerStatuses"] = terminated;
            });
        }
    }
}

/// Where the pod's first container mounts which volume: `(mount path, PersistentVolume)`.
fn volume_mounts(w: &World, key: &Key, pod: &Value) -> Vec<(String, String)> {
    let volumes = pod["spec"]["volumes"]
        .as_array()
        .cloned()
        .unwrap_or_default();
    pod["spec"]["containers"][0]["volumeMounts"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|m| {
            let name = m["name"].as_str()?;
            let claim =
                volumes.iter().find(|v| v["name"] == name)?["persistentVolumeClaim"]["claimName"]
                    .as_str()?;
            let (_, claim) = w.find(
                "v1",
                "PersistentVolumeClaim",
                key.namespace.as_deref(),
                claim,
            )?;
            let volume = claim.object["spec"]["volumeName"].as_str()?;
            Some((
                m["mountPath"].as_str()?.trim_end_matches('/').to_owned(),
                volume.to_owned(),
            ))
        })
        .collect()
}

/// The files a container sees: its volume mounts, and its own filesystem elsewhere.
struct PodFiles<'a> {
    mounts: Vec<(String, String)>,
    volumes: &'a mut BTreeMap<String, Files>,
    local: &'a mut BTreeMap<String, String>,
}

impl PodFiles<'_> {
    /// The volume and the path inside it, for a path under a mount.
    fn resolve(&self, path: &str) -> Option<(String, String)> {
        self.mounts
            .iter()
            .filter(|(mount, _)| path == mount || path.starts_with(&format!("{mount}/")))
            .max_by_key(|(mount, _)| mount.len())
            .map(|(mount, volume)| {
                let inside = path[mount.len()..].trim_start_matches('/');
                (volume.clone(), format!("/{inside}"))
            })
    }
}

impl shell::Files for PodFiles<'_> {
    fn read(&self, path: &str) -> Option<String> {
        match self.resolve(path) {
            Some((volume, inside)) => self.volumes.get(&volume)?.get(&inside).cloned(),
            None => self.local.get(path).cloned(),
        }
    }

    fn write(&mut self, path: &str, text: &str, append: bool) {
        let file = match self.resolve(path) {
            Some((volume, inside)) => self
                .volumes
                .entry(volume)
                .or_default()
                .entry(inside)
                .or_default(),
            None => self.local.entry(path.to_owned()).or_default(),
        };
        if !append {
            file.clear();
        }
        file.push_str(text);
    }
}
