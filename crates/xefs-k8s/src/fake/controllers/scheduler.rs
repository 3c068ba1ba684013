//! The scheduler: a pending pod is placed once its claims are bound (`FailedScheduling`
//! until then, retried with backoff, and at once when a claim binds), on a Ready node whose
//! taints it tolerates and whose labels match its `nodeSelector` and required node affinity,
//! preferring the nodes its pod (anti-)affinity terms favour — as the verify pods' "not on the
//! same node" does — ties by node name, first come first served.

use std::collections::BTreeMap;

use serde_json::{Value, json};

use super::{Action, backoff, condition, pending_pods};
use crate::fake::selector::{labels_of, matches_structured};
use crate::fake::store::Key;
use crate::fake::world::World;

/// The scheduler's backoff for an unschedulable pod: 1 s, doubling, until the unschedulable
/// queue's flush every 5 min.
const SCHEDULE_FIRST_MILLIS: u64 = 1_000;
const SCHEDULE_MAX_MILLIS: u64 = 300_000;

/// Places the pending pods that have no node yet.
pub(super) fn react(w: &mut World) {
    for pod in pending_pods(w) {
        if !pod.object["spec"]["nodeName"].is_null() {
            continue;
        }
        match choose_node(w, &pod.key, &pod.object) {
            Ok(node) => bind(w, &pod.key, &node),
            Err(message) => {
                let retry = Action::RetrySchedule { uid: pod.uid };
                if w.is_pending(&retry) {
                    continue;
                }
                w.event(
                    &pod.key,
                    false,
                    "FailedScheduling",
                    &message,
                    "default-scheduler",
                );
                if let Some(sim) = w.store.sim_mut(&pod.key) {
                    sim.attempts += 1;
                }
                w.schedule(
                    backoff(pod.attempts + 1, SCHEDULE_FIRST_MILLIS, SCHEDULE_MAX_MILLIS),
                    retry,
                );
            }
        }
    }
}

/// The node the scheduler picks, or why there is none (the `FailedScheduling` message).
fn choose_node(w: &World, key: &Key, pod: &Value) -> Result<String, String> {
    let nodes = w.keys("v1", "Node", None);
    let total = nodes.len();
    let unschedulable = |reasons: &str| {
        format!(
            "0/{total} nodes are available: {reasons}. preemption: 0/{total} nodes are \
             available: {total} Preemption is not helpful for scheduling."
        )
    };
    for claim in claim_names(pod) {
        match w.find(
            "v1",
            "PersistentVolumeClaim",
            key.namespace.as_deref(),
            &claim,
        ) {
            None => {
                return Err(unschedulable(&format!(
                    "persistentvolumeclaim \"{claim}\" not found"
                )));
            }
            Some((_, c)) if c.object["status"]["phase"] != "Bound" => {
                return Err(unschedulable(
                    "pod has unbound immediate PersistentVolumeClaims",
                ));
            }
            Some(_) => {}
        }
    }
    let (mut tainted, mut mismatched, mut not_ready) = (0, 0, 0);
    let mut best: Option<(i64, String)> = None;
    for node_key in nodes {
        let Some(node) = w.get(&node_key).map(|s| &s.object) else {
            continue;
        };
        let labels = labels_of(node);
        let ready = node["status"]["conditions"].as_array().is_some_and(|cs| {
            cs.iter()
                .any(|c| c["type"] == "Ready" && c["status"] == "True")
        });
        if !ready {
            not_ready += 1;
            continue;
        }
        if !tolerates(pod, node) {
            tainted += 1;
            continue;
        }
        if !node_selected(pod, &labels) {
            mismatched += 1;
            continue;
        }
        let Some(score) = affinity_score(w, key, pod, &node_key.name, &labels) else {
            mismatched += 1;
            continue;
        };
        if best.as_ref().is_none_or(|(s, _)| score > *s) {
            best = Some((score, node_key.name.clone()));
        }
    }
    if let Some((_, node)) = best {
        return Ok(node);
    }
    let mut reasons = Vec::new();
    if tainted > 0 {
        reasons.push(format!(
            "{tainted} node(s) had untolerated taint {{node-role.kubernetes.io/master: }}"
        ));
    }
    if mismatched > 0 {
        reasons.push(format!(
            "{mismatched} node(s) didn't match Pod's node affinity/selector"
        ));
    }
    if not_ready > 0 {
        reasons.push(format!(
            "{not_ready} node(s) had untolerated taint {{node.kubernetes.io/not-ready: }}"
        ));
    }
    Err(unschedulable(&reasons.join(", ")))
}

/// The claims a pod's volumes name.
pub(super) fn claim_names(pod: &Value) -> Vec<String> {
    pod["spec"]["volumes"]
        .as_array()
        .map(|vs| {
            vs.iter()
                .filter_map(|v| {
                    v["persistentVolumeClaim"]["claimName"]
                        .as_str()
                        .map(str::to_owned)
                })
                .collect()
        })
        .unwrap_or_default()
}

/// Whether the pod tolerates every `NoSchedule`/`NoExecute` taint of the node.
fn tolerates(pod: &Value, node: &Value) -> bool {
    let tolerations = pod["spec"]["tolerations"]
        .as_array()
        .cloned()
        .unwrap_or_default();
    node["spec"]["taints"].as_array().is_none_or(|taints| {
        taints
            .iter()
            .filter(|t| matches!(t["effect"].as_str(), Some("NoSchedule" | "NoExecute")))
            .all(|t| {
                tolerations.iter().any(|tol| {
                    let key_ok = tol["key"].is_null() || tol["key"] == t["key"];
                    let op_ok = tol["operator"] == "Exists" || tol["value"] == t["value"];
                    let effect_ok = tol["effect"].is_null() || tol["effect"] == t["effect"];
                    key_ok && op_ok && effect_ok
                })
            })
    })
}

/// Whether the node's labels meet the pod's `nodeSelector` and required node affinity.
fn node_selected(pod: &Value, labels: &BTreeMap<String, String>) -> bool {
    let selector_ok = pod["spec"]["nodeSelector"].as_object().is_none_or(|m| {
        m.iter()
            .all(|(k, v)| labels.get(k).map(String::as_str) == v.as_str())
    });
    let required = &pod["spec"]["affinity"]["nodeAffinity"]["requiredDuringSchedulingIgnoredDuringExecution"]
        ["nodeSelectorTerms"];
    let affinity_ok = required
        .as_array()
        .is_none_or(|terms| terms.iter().any(|t| matches_structured(t, labels)));
    selector_ok && affinity_ok
}

/// How much the pod's (anti-)affinity terms like the node; `None` when a required
/// anti-affinity term forbids it.
fn affinity_score(
    w: &World,
    key: &Key,
    pod: &Value,
    node: &str,
    labels: &BTreeMap<String, String>,
) -> Option<i64> {
    let affinity = &pod["spec"]["affinity"];
    let mut score = 0;
    for (kind, sign) in [("podAntiAffinity", -1), ("podAffinity", 1)] {
        let terms = &affinity[kind];
        for term in terms["requiredDuringSchedulingIgnoredDuringExecution"]
            .as_array()
            .into_iter()
            .flatten()
        {
            let peers = peers_near(w, key, term, labels, node);
            if (sign < 0 && peers > 0) || (sign > 0 && peers == 0) {
                return None;
            }
        }
        for weighted in terms["preferredDuringSchedulingIgnoredDuringExecution"]
            .as_array()
            .into_iter()
            .flatten()
        {
            let weight = weighted["weight"].as_i64().unwrap_or(1);
            let peers = peers_near(w, key, &weighted["podAffinityTerm"], labels, node);
            score += sign * weight * i64::try_from(peers).unwrap_or(i64::MAX);
        }
    }
    Some(score)
}

/// How many scheduled pods matching the term's selector share the term's topology with the
/// node (for `kubernetes.io/hostname`: run on it).
fn peers_near(
    w: &World,
    key: &Key,
    term: &Value,
    labels: &BTreeMap<String, String>,
    node: &str,
) -> usize {
    let topology = term["topologyKey"]
        .as_str()
        .unwrap_or("kubernetes.io/hostname");
    let here = labels
        .get(topology)
        .cloned()
        .or_else(|| (topology == "kubernetes.io/hostname").then(|| node.to_owned()));
    w.keys("v1", "Pod", key.namespace.as_deref())
        .iter()
        .filter(|k| *k != key)
        .filter_map(|k| w.get(k).map(|s| &s.object))
        .filter(|p| matches_structured(&term["labelSelector"], &labels_of(p)))
        .filter_map(|p| p["spec"]["nodeName"].as_str())
        .filter(|peer_node| {
            let there = w
                .find("v1", "Node", None, peer_node)
                .and_then(|(_, n)| labels_of(&n.object).get(topology).cloned());
            here.is_some() && there == here
        })
        .count()
}

/// Binds the pod to the node.
fn bind(w: &mut World, key: &Key, node: &str) {
    let scheduled = condition(w, "PodScheduled", true, "", "");
    w.modify(key, |p| {
        p["spec"]["nodeName"] = json!(node);
        p["status"]["conditions"] = json!([scheduled]);
    });
    if let Some(sim) = w.store.sim_mut(key) {
        sim.attempts = 0;
    }
    w.event(
        key,
        true,
        "Scheduled",
        &format!(
            "Successfully assigned {}/{} to {node}",
            key.namespace.as_deref().unwrap_or_default(),
            key.name
        ),
        "default-scheduler",
    );
}
