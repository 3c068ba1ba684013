//! The port: what the OpenShift steps need from a cluster, in terms of whole objects.
//!
//! Objects go in and out as JSON (`serde_json::Value`, exactly what the API server speaks):
//! the core crate builds them (`xefs_core::blueprint::manifests`), the typed forms in
//! [`crate::objects`] read them. The kube adapter ([`crate::KubeCluster`]) implements it; with
//! the `mock` feature, `MockCluster` lets a platform tool's tests assert exact calls.

use std::collections::BTreeMap;
use std::fmt;
use std::time::Duration;

use serde_json::Value;
use xefs_core::ids::InstanceId;

use crate::objects::Authentication;
use crate::{K8sError, K8sResult};

/// The field manager of every server-side apply: `kubectl get -o yaml --show-managed-fields`
/// shows which fields xefs owns.
pub const FIELD_MANAGER: &str = "xefs";

/// One object, by API version, kind, namespace and name.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ObjectRef {
    /// `v1`, `apps/v1`, `operators.coreos.com/v1alpha1`, …
    pub api_version: String,
    /// `Secret`, `Subscription`, …
    pub kind: String,
    /// `None` for cluster-scoped kinds.
    pub namespace: Option<String>,
    /// The name.
    pub name: String,
}

impl ObjectRef {
    /// A reference to a namespaced (`Some`) or cluster-scoped (`None`) object.
    pub fn new(api_version: &str, kind: &str, namespace: Option<&str>, name: &str) -> Self {
        Self {
            api_version: api_version.to_owned(),
            kind: kind.to_owned(),
            namespace: namespace.map(str::to_owned),
            name: name.to_owned(),
        }
    }

    /// The reference of a whole object (its `apiVersion`, `kind` and `metadata`).
    pub fn of(object: &Value) -> K8sResult<Self> {
        let field = |path: &[&str]| {
            let mut v = object;
            for p in path {
                v = v.get(p)?;
            }
            v.as_str()
        };
        let missing = |what: &str| {
            K8sError::new(
                "read object",
                format!("the object has no {what}: {object}"),
                false,
            )
        };
        Ok(Self {
            api_version: field(&["apiVersion"])
                .ok_or_else(|| missing("apiVersion"))?
                .to_owned(),
            kind: field(&["kind"]).ok_or_else(|| missing("kind"))?.to_owned(),
            namespace: field(&["metadata", "namespace"]).map(str::to_owned),
            name: field(&["metadata", "name"])
                .ok_or_else(|| missing("metadata.name"))?
                .to_owned(),
        })
    }
}

impl fmt::Display for ObjectRef {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.namespace {
            Some(ns) => write!(f, "{} {ns}/{}", self.kind, self.name),
            None => write!(f, "{} {}", self.kind, self.name),
        }
    }
}

/// How a delete treats the object's dependents.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Propagation {
    /// Dependents first, then the object (what a namespace or a pod with volumes wants).
    Foreground,
    /// The object now, its dependents by the garbage collector.
    Background,
}

/// What a bounded wait waits for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Condition {
    /// A Deployment has condition `Available=True` and every replica updated and available.
    DeploymentAvailable,
    /// A DaemonSet has a ready, up-to-date pod on every node it schedules to.
    DaemonSetReady,
    /// A PersistentVolumeClaim is `Bound`.
    PvcBound,
    /// A Pod is `Running` (or already `Succeeded`).
    PodRunning,
    /// A ClusterServiceVersion is in phase `Succeeded`.
    CsvSucceeded,
    /// The object is gone.
    Deleted,
}

impl Condition {
    /// Whether `object` (`None`: it does not exist) meets the condition.
    pub fn is_met(self, object: Option<&Value>) -> bool {
        let Some(o) = object else {
            return self == Condition::Deleted;
        };
        let status = &o["status"];
        let int = |v: &Value| v.as_i64().unwrap_or(0);
        match self {
            Condition::Deleted => false,
            Condition::DeploymentAvailable => {
                let want = o["spec"]["replicas"].as_i64().unwrap_or(1);
                let available = status["conditions"].as_array().is_some_and(|cs| {
                    cs.iter()
                        .any(|c| c["type"] == "Available" && c["status"] == "True")
                });
                available
                    && int(&status["updatedReplicas"]) >= want
                    && int(&status["availableReplicas"]) >= want
            }
            Condition::DaemonSetReady => {
                let want = int(&status["desiredNumberScheduled"]);
                want > 0
                    && int(&status["numberReady"]) >= want
                    && int(&status["updatedNumberScheduled"]) >= want
            }
            Condition::PvcBound => status["phase"] == "Bound",
            Condition::PodRunning => {
                matches!(status["phase"].as_str(), Some("Running" | "Succeeded"))
            }
            Condition::CsvSucceeded => status["phase"] == "Succeeded",
        }
    }

    /// The condition in words, for progress and timeouts ("to be available").
    pub fn describe(self) -> &'static str {
        match self {
            Condition::DeploymentAvailable => "to be available",
            Condition::DaemonSetReady => "to be ready on every node",
            Condition::PvcBound => "to be bound",
            Condition::PodRunning => "to be running",
            Condition::CsvSucceeded => "to succeed",
            Condition::Deleted => "to be deleted",
        }
    }
}

/// A node, as far as xefs needs it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Node {
    /// Its name.
    pub name: String,
    /// `spec.providerID`, e.g. `aws:///us-east-1a/i-0123456789abcdef0`.
    pub provider_id: Option<String>,
    /// The EC2 instance behind it, parsed from the provider id.
    pub instance_id: Option<InstanceId>,
    /// `topology.kubernetes.io/zone`.
    pub zone: Option<String>,
    /// Its `Ready` condition is true.
    pub ready: bool,
    /// Its labels.
    pub labels: BTreeMap<String, String>,
}

/// One event about an object, which on a failed mount names the real cause.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EventSummary {
    /// `Normal` or `Warning`.
    pub event_type: String,
    /// e.g. `FailedMount`, `ProvisioningFailed`.
    pub reason: String,
    /// The message.
    pub message: String,
    /// How many times it happened.
    pub count: u32,
    /// The object it is about (`Pod xefs-verify/xefs-writer`).
    pub object: String,
}

/// An OpenShift cluster.
#[cfg_attr(any(test, feature = "mock"), mockall::automock)]
#[async_trait::async_trait]
pub trait Cluster: Send + Sync {
    /// Server-side apply of a whole object with field manager [`FIELD_MANAGER`] (forcing
    /// ownership of the fields it sets); returns the object as the server stored it.
    async fn apply(&self, object: &Value) -> K8sResult<Value>;
    /// The object, or `None` when it does not exist.
    async fn get(&self, object: &ObjectRef) -> K8sResult<Option<Value>>;
    /// The objects of a kind, in one namespace or (`None`) everywhere, optionally filtered by a
    /// label selector; every page.
    async fn list(
        &self,
        api_version: &str,
        kind: &str,
        namespace: Option<String>,
        label_selector: Option<String>,
    ) -> K8sResult<Vec<Value>>;
    /// Deletes the object; `Ok(false)` when it did not exist.
    async fn delete(&self, object: &ObjectRef, propagation: Propagation) -> K8sResult<bool>;
    /// Waits until the object meets `condition`, for at most `timeout`; returns the object as
    /// last seen (`Value::Null` for [`Condition::Deleted`]). A timeout is an error whose
    /// reason is `Timeout` and whose message says what was awaited.
    async fn wait_for(
        &self,
        object: &ObjectRef,
        condition: Condition,
        timeout: Duration,
    ) -> K8sResult<Value>;
    /// The logs of a pod's (first) container.
    async fn pod_logs(&self, namespace: &str, pod: &str) -> K8sResult<String>;
    /// The events about one object of a namespace, oldest first.
    async fn events(&self, namespace: &str, object_name: &str) -> K8sResult<Vec<EventSummary>>;
    /// The nodes, optionally filtered by a label selector.
    async fn nodes(&self, label_selector: Option<String>) -> K8sResult<Vec<Node>>;
    /// `Authentication/cluster`, or `None` when the cluster has none (not OpenShift).
    async fn authentication(&self) -> K8sResult<Option<Authentication>>;
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn object_refs_read_from_objects_and_display_as_kubectl_does() -> K8sResult<()> {
        let r = ObjectRef::of(&json!({
            "apiVersion": "v1", "kind": "Secret",
            "metadata": { "name": "cross-account-arn", "namespace": "openshift-cluster-csi-drivers" }
        }))?;
        assert_eq!(
            r.to_string(),
            "Secret openshift-cluster-csi-drivers/cross-account-arn"
        );
        let sc = ObjectRef::of(&json!({
            "apiVersion": "storage.k8s.io/v1", "kind": "StorageClass", "metadata": { "name": "efs-sc" }
        }))?;
        assert_eq!(sc.to_string(), "StorageClass efs-sc");
        assert!(ObjectRef::of(&json!({ "kind": "Secret" })).is_err());
        Ok(())
    }

    #[test]
    fn conditions_read_status_as_controllers_write_it() {
        let deploy = json!({
            "spec": { "replicas": 2 },
            "status": { "updatedReplicas": 2, "availableReplicas": 2,
                        "conditions": [{ "type": "Available", "status": "True" }] }
        });
        assert!(Condition::DeploymentAvailable.is_met(Some(&deploy)));
        let half = json!({
            "spec": { "replicas": 2 },
            "status": { "updatedReplicas": 2, "availableReplicas": 1,
                        "conditions": [{ "type": "Available", "status": "True" }] }
        });
        assert!(!Condition::DeploymentAvailable.is_met(Some(&half)));
        let ds = json!({ "status": { "desiredNumberScheduled": 3, "numberReady": 3, "updatedNumberScheduled": 3 } });
        assert!(Condition::DaemonSetReady.is_met(Some(&ds)));
        let empty_ds = json!({ "status": { "desiredNumberScheduled": 0 } });
        assert!(!Condition::DaemonSetReady.is_met(Some(&empty_ds)));
        assert!(Condition::PvcBound.is_met(Some(&json!({ "status": { "phase": "Bound" } }))));
        assert!(!Condition::PodRunning.is_met(Some(&json!({ "status": { "phase": "Pending" } }))));
        assert!(Condition::Deleted.is_met(None));
        assert!(!Condition::PvcBound.is_met(None));
    }
}
