//! Operator Lifecycle Manager: a Subscription is resolved against its catalog into an
//! InstallPlan (owned by the Subscription, so it goes with it); an approved plan creates the
//! ClusterServiceVersion (which outlives the Subscription, as on a real cluster); the CSV
//! installs the operator Deployment (owned by the CSV) once its namespace has exactly one
//! OperatorGroup, and succeeds when the Deployment is available.

use serde_json::json;
use xefs_core::blueprint::driver;

use super::{Action, condition, new_deployment, owner, set_deployment_status};
use crate::Condition;
use crate::fake::seed::{CATALOG, CATALOG_NAMESPACE, CHANNEL, OPERATOR_CSV};
use crate::fake::store::{Key, timestamp};
use crate::fake::world::World;

const OLM: &str = "operators.coreos.com/v1alpha1";

/// Schedules what is due: resolution of new (or changed) Subscriptions, execution of approved
/// plans; moves CSVs along.
pub(super) fn react(w: &mut World) {
    for key in w.keys(OLM, "Subscription", None) {
        let Some(s) = w.get(&key) else { continue };
        let generation = s.object["metadata"]["generation"].as_i64();
        let planned = !s.object["status"]["installPlanRef"].is_null();
        if !planned && s.sim.resolved_generation != generation {
            let uid = s.uid().to_owned();
            let delay = w.delays.olm_resolve;
            w.schedule(delay, Action::ResolveSubscription { uid });
        }
    }
    for key in w.keys(OLM, "InstallPlan", None) {
        let Some(p) = w.get(&key) else { continue };
        let approved = p.object["spec"]["approved"] == true;
        let phase = p.object["status"]["phase"].as_str().unwrap_or_default();
        if approved && !matches!(phase, "Complete" | "Failed") {
            let uid = p.uid().to_owned();
            if phase == "RequiresApproval" {
                w.modify(&key, |p| p["status"]["phase"] = json!("Installing"));
            }
            let delay = w.delays.olm_install;
            w.schedule(delay, Action::ExecuteInstallPlan { uid });
        }
    }
    for key in w.keys(OLM, "ClusterServiceVersion", None) {
        progress_csv(w, &key);
    }
}

/// Resolves a Subscription: an InstallPlan for the catalog's CSV, or `ResolutionFailed`.
pub(super) fn resolve(w: &mut World, key: &Key) {
    let Some(sub) = w.get(key).map(|s| s.object.clone()) else {
        return;
    };
    if let Some(sim) = w.store.sim_mut(key) {
        sim.resolved_generation = sub["metadata"]["generation"].as_i64();
    }
    let spec = &sub["spec"];
    let namespace = key.namespace.clone().unwrap_or_default();
    let (package, source, source_ns) = (
        spec["name"].as_str().unwrap_or_default(),
        spec["source"].as_str().unwrap_or_default(),
        spec["sourceNamespace"].as_str().unwrap_or_default(),
    );
    let channel = spec["channel"].as_str().unwrap_or(CHANNEL);
    let catalog = w
        .find(OLM, "CatalogSource", Some(source_ns), source)
        .is_some();
    let failure = if !catalog {
        Some(format!(
            "failed to populate resolver cache from source {source}/{source_ns}: \
             catalogsource {source_ns}/{source} not found"
        ))
    } else if source != CATALOG || source_ns != CATALOG_NAMESPACE || package != driver::OPERATOR {
        Some(format!(
            "constraints not satisfiable: no operators found in package {package} in the \
             catalog referenced by subscription {}, subscription {} exists",
            key.name, key.name
        ))
    } else if channel != CHANNEL {
        Some(format!(
            "constraints not satisfiable: no operators found in channel {channel} of package \
             {package} in the catalog referenced by subscription {}, subscription {} exists",
            key.name, key.name
        ))
    } else {
        None
    };
    if let Some(message) = failure {
        let failed = condition(
            w,
            "ResolutionFailed",
            true,
            "ConstraintsNotSatisfiable",
            &message,
        );
        w.modify(key, |s| {
            s["status"]["conditions"] = json!([failed]);
            s["status"]["lastUpdated"] = failed["lastTransitionTime"].clone();
        });
        return;
    }
    let manual = spec["installPlanApproval"] == "Manual";
    let plan_name = format!("install-{}", suffix(w.store.next_suffix()));
    let label = format!("operators.coreos.com/{package}.{namespace}");
    let owner = owner(w, key, false);
    let Some(plan_key) = w.create(json!({
        "apiVersion": OLM,
        "kind": "InstallPlan",
        "metadata": {
            "name": plan_name,
            "namespace": namespace,
            "labels": { label.clone(): "" },
            "ownerReferences": [owner],
        },
        "spec": {
            "approval": if manual { "Manual" } else { "Automatic" },
            "approved": !manual,
            "clusterServiceVersionNames": [OPERATOR_CSV],
            "generation": 1,
        },
        "status": {
            "phase": if manual { "RequiresApproval" } else { "Installing" },
            "catalogSources": [source],
        }
    })) else {
        return;
    };
    let plan = w
        .get(&plan_key)
        .map(|s| s.object.clone())
        .unwrap_or_default();
    let now = timestamp(w.now);
    let healthy = condition(
        w,
        "CatalogSourcesUnhealthy",
        false,
        "AllCatalogSourcesHealthy",
        "all available catalogsources are healthy",
    );
    let pending = json!({
        "type": "InstallPlanPending",
        "status": "True",
        "reason": if manual { "RequiresApproval" } else { "Installing" },
        "lastTransitionTime": now,
    });
    w.modify(key, |s| {
        s["status"] = json!({
            "state": "UpgradePending",
            "currentCSV": OPERATOR_CSV,
            "installPlanGeneration": 1,
            "installPlanRef": {
                "apiVersion": OLM,
                "kind": "InstallPlan",
                "name": plan_name,
                "namespace": namespace,
                "resourceVersion": plan["metadata"]["resourceVersion"],
                "uid": plan["metadata"]["uid"],
            },
            "installplan": { "apiVersion": OLM, "kind": "InstallPlan", "name": plan_name, "uuid": plan["metadata"]["uid"] },
            "catalogHealth": [{
                "catalogSourceRef": { "apiVersion": OLM, "kind": "CatalogSource", "name": source, "namespace": source_ns },
                "healthy": true,
                "lastUpdated": now,
            }],
            "conditions": [healthy, pending],
            "lastUpdated": now,
        });
    });
}

/// Executes an approved InstallPlan: the CSV appears (installing), the plan completes and the
/// Subscription records the installed CSV.
pub(super) fn execute_plan(w: &mut World, key: &Key) {
    let Some(plan) = w.get(key).map(|s| s.object.clone()) else {
        return;
    };
    if plan["spec"]["approved"] != true {
        return;
    }
    let namespace = key.namespace.clone().unwrap_or_default();
    let csvs: Vec<String> = plan["spec"]["clusterServiceVersionNames"]
        .as_array()
        .map(|a| {
            a.iter()
                .filter_map(|v| v.as_str().map(str::to_owned))
                .collect()
        })
        .unwrap_or_default();
    for csv in &csvs {
        w.create(json!({
            "apiVersion": OLM,
            "kind": "ClusterServiceVersion",
            "metadata": {
                "name": csv,
                "namespace": namespace,
                "labels": { format!("operators.coreos.com/{}.{namespace}", driver::OPERATOR): "" },
            },
            "spec": {
                "displayName": "AWS EFS CSI Driver Operator",
                "version": csv.trim_start_matches(&format!("{}.v", driver::OPERATOR)),
                "provider": { "name": "Red Hat" },
                "install": { "strategy": "deployment", "spec": { "deployments": [{ "name": driver::OPERATOR }] } },
            },
            "status": {
                "phase": "Pending",
                "reason": "RequirementsUnknown",
                "message": "requirements not yet checked",
            }
        }));
    }
    w.modify(key, |p| p["status"]["phase"] = json!("Complete"));
    // The Subscription that owns the plan now names the installed CSV.
    let owner_uid = plan["metadata"]["ownerReferences"][0]["uid"].clone();
    let sub = w
        .keys(OLM, "Subscription", Some(&namespace))
        .into_iter()
        .find(|k| {
            w.get(k)
                .is_some_and(|s| s.object["metadata"]["uid"] == owner_uid)
        });
    if let (Some(sub), Some(csv)) = (sub, csvs.first()) {
        let now = timestamp(w.now);
        w.modify(&sub, |s| {
            s["status"]["installedCSV"] = json!(csv);
            s["status"]["state"] = json!("AtLatestKnown");
            s["status"]["lastUpdated"] = json!(now);
            if let Some(conditions) = s["status"]["conditions"].as_array_mut() {
                conditions.retain(|c| c["type"] != "InstallPlanPending");
            }
        });
    }
}

/// Moves a CSV along: it needs exactly one OperatorGroup in its namespace; then its
/// Deployment is created and rolls out.
fn progress_csv(w: &mut World, key: &Key) {
    let Some(csv) = w.get(key).map(|s| s.object.clone()) else {
        return;
    };
    let namespace = key.namespace.clone().unwrap_or_default();
    let deployment_name = csv["spec"]["install"]["spec"]["deployments"][0]["name"]
        .as_str()
        .unwrap_or(driver::OPERATOR)
        .to_owned();
    let groups = w
        .keys("operators.coreos.com/v1", "OperatorGroup", Some(&namespace))
        .len();
    let phase = csv["status"]["phase"]
        .as_str()
        .unwrap_or_default()
        .to_owned();
    if groups != 1 {
        let (reason, message) = if groups == 0 {
            ("NoOperatorGroup", "csv in namespace with no operatorgroups")
        } else {
            (
                "TooManyOperatorGroups",
                "csv created in namespace with multiple operatorgroups, can't pick one automatically",
            )
        };
        if phase != "Succeeded" {
            w.modify(key, |c| {
                c["status"]["phase"] = json!("Failed");
                c["status"]["reason"] = json!(reason);
                c["status"]["message"] = json!(message);
            });
        }
        return;
    }
    let deployment = w
        .find("apps/v1", "Deployment", Some(&namespace), &deployment_name)
        .map(|(k, s)| (k, s.object.clone()));
    let deployment = match deployment {
        Some(d) => d,
        None => {
            let owner = owner(w, key, false);
            let Some(d) = w.create(new_deployment(
                &namespace,
                &deployment_name,
                1,
                owner.clone(),
            )) else {
                return;
            };
            w.create(json!({
                "apiVersion": "v1",
                "kind": "ServiceAccount",
                "metadata": { "name": deployment_name, "namespace": namespace, "ownerReferences": [owner] },
            }));
            set_deployment_status(w, &d, false, "ReplicaSet is progressing.");
            let object = w.get(&d).map(|s| s.object.clone()).unwrap_or_default();
            (d, object)
        }
    };
    if Condition::DeploymentAvailable.is_met(Some(&deployment.1)) {
        return;
    }
    if phase != "Installing" {
        w.modify(key, |c| {
            c["status"]["phase"] = json!("Installing");
            c["status"]["reason"] = json!("InstallWaiting");
            c["status"]["message"] = json!(format!(
                "installing: waiting for deployment {deployment_name} to become ready: \
                 deployment \"{deployment_name}\" not available: Deployment does not have \
                 minimum availability."
            ));
        });
    }
    let uid = csv["metadata"]["uid"]
        .as_str()
        .unwrap_or_default()
        .to_owned();
    let delay = w.delays.operator_rollout;
    w.schedule(delay, Action::RollOutOperator { uid });
}

/// The operator Deployment of a CSV becomes available, and the CSV succeeds.
pub(super) fn roll_out(w: &mut World, key: &Key) {
    let Some(csv) = w.get(key).map(|s| s.object.clone()) else {
        return;
    };
    let namespace = key.namespace.clone().unwrap_or_default();
    let name = csv["spec"]["install"]["spec"]["deployments"][0]["name"]
        .as_str()
        .unwrap_or(driver::OPERATOR)
        .to_owned();
    let Some((deployment, _)) = w.find("apps/v1", "Deployment", Some(&namespace), &name) else {
        return;
    };
    set_deployment_status(w, &deployment, true, "");
    w.modify(key, |c| {
        c["status"]["phase"] = json!("Succeeded");
        c["status"]["reason"] = json!("InstallSucceeded");
        c["status"]["message"] = json!("install strategy completed with no errors");
    });
}

/// Five lowercase letters and digits, as OLM's generated names end (`install-x7k2p`).
fn suffix(n: u64) -> String {
    const ALPHABET: &[u8] = b"bcdfghjklmnpqrstvwxz2456789";
    let mut n = n.wrapping_mul(2_654_435_761) % 14_348_907; // 27^5
    (0..5)
        .map(|_| {
            let c = ALPHABET[(n % 27) as usize] as char;
            n /= 27;
            c
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn generated_suffixes_look_like_olms() {
        let a = suffix(1);
        assert_eq!(a.len(), 5);
        assert_ne!(a, suffix(2));
        assert!(
            a.bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit())
        );
    }
}
